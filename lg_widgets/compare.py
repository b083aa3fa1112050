"""Two runs side by side: `lg_widgets.compare(a, b)` -> `Comparison`.

Debugging an agent is mostly "what changed between the run that worked and the one that did
not?", so the two timelines are aligned and every difference is a DataFrame row:

* aligned: each run's node executions (its `updates` timeline rows; `values` rows for a namespace
  streamed without `updates`) are keyed by namespace (task ids dropped, so `node_2:<id>` matches
  across runs) and super-step, when every execution of both runs knows its step (streamed with
  `debug`, `checkpoints`, or LLM tokens from every node); otherwise by their order within the
  namespace. Runs on one thread where one was started from a checkpoint of the other (a fork or a
  replay: its first checkpoint's parent is the other's) are aligned by checkpoint: steps count
  from the shared checkpoint, and the steps before it are shared history, not a difference.
* compared: which nodes ran at each step (the paths diverge at the first step where they differ),
  what each node returned, the state after each step, the LLM text per node (the k-th AI message
  of a node against the other run's k-th), tool calls per node (name, arguments, result), time
  and token usage. Ids that differ in every run (message and tool-call ids) are ignored.

A live run is compared as it is at the call; call `compare` again for later events. The display
is static HTML (both runs are finished data, nothing streams): it reads the same in JupyterLab,
on GitHub or nbviewer and in a file (`to_html`), with no kernel round trip and no widget.
"""

from __future__ import annotations

import difflib
import os
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lg_widgets.events import checkpoint_info
from lg_widgets.reducers.messages import StreamedMessage
from lg_widgets.run.model import Run
from lg_widgets.storage import load_run
from lg_widgets.view.static import (
    BG2,
    BORDER,
    FG,
    MONO,
    STATUS_COLORS,
    badge,
    esc,
    muted,
    namespace_label,
    pretty,
)
from lg_widgets.view.wire import preview

VOLATILE_KEYS = frozenset({"id", "tool_call_id"})  # new in every run: never a difference
DIFF_TOKENS = 4_000  # words compared per text; longer texts are compared on their start
SHOWN_STEPS, SHOWN_TEXTS, SHOWN_CALLS = 200, 30, 60
SHOWN_CHARS = 3_000
# translucent marks read on white pages and on JupyterLab's dark theme alike
DIVERGED, DIFFERS, SHARED = "rgba(255, 129, 130, 0.25)", "rgba(212, 167, 44, 0.25)", BG2
REMOVED, ADDED = "rgba(255, 129, 130, 0.4)", "rgba(46, 160, 67, 0.35)"


def compare(
    a: Run | str | os.PathLike[str],
    b: Run | str | os.PathLike[str],
    *,
    labels: tuple[str, str] = ("a", "b"),
) -> Comparison:
    """Align two runs (live, finished, or saved files) step by step and say what differs."""
    return Comparison(_as_run(a, "a"), _as_run(b, "b"), labels)


def _as_run(value: Any, which: str) -> Run:
    if isinstance(value, Run):
        return value
    if isinstance(value, (str, os.PathLike)):
        return load_run(value)
    raise TypeError(
        f"compare() takes two runs (a Run, or the path of a file written by run.save()); "
        f"{which} is a {type(value).__name__}"
    )


def namespace_path(namespace: str) -> str:
    """`node_2:<task id>|inner:<id>` -> `node_2|inner`: the same place in another run."""
    return "|".join(segment.split(":")[0] for segment in namespace.split("|")) if namespace else ""


def comparable(value: Any) -> Any:
    """`value` without the ids that differ in every run (messages', tool calls')."""
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, (list, tuple)):
        return [comparable(v) for v in value]
    return value


def word_diff(a: str, b: str) -> list[tuple[str, str]]:
    """`[(op, text)]` with op " " (both), "-" (only in a), "+" (only in b), word by word."""
    tokens_a = re.findall(r"\s+|\w+|[^\w\s]", a)[:DIFF_TOKENS]
    tokens_b = re.findall(r"\s+|\w+|[^\w\s]", b)[:DIFF_TOKENS]
    out: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, tokens_a, tokens_b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.append((" ", "".join(tokens_a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("-", "".join(tokens_a[i1:i2])))
        if j2 > j1:
            out.append(("+", "".join(tokens_b[j1:j2])))
    return out


def diff_text(ops: list[tuple[str, str]]) -> str:
    """A word diff as one line: `It is sunny in [-Rome-]{+Oslo+}.`"""
    marks = {" ": "{}", "-": "[-{}-]", "+": "{{+{}+}}"}
    return "".join(marks[op].format(text) for op, text in ops)


@dataclass
class _Execution:
    namespace: str  # namespace_path
    node: str | None
    step: int | None  # as the timeline has it; replaced by the aligned key
    row: int
    update: dict[str, Any]
    time: float


class _Side:
    """One run as `compare` reads it: its executions, checkpoints, LLM messages, tool calls."""

    def __init__(self, run: Run, label: str) -> None:
        self.run, self.label = run, label
        rows = run.state.timeline.rows
        with_updates = {r["namespace"] for r in rows if r["mode"] == "updates"}
        self.executions = [
            _Execution(
                namespace_path(row["namespace"]),
                row["node"],
                row["step"],
                index,
                {k: v for k, v in row.items() if k not in ("seq", "time", "mode", "namespace")},
                row["time"],
            )
            for index, row in enumerate(rows)
            if row["mode"] == "updates" or row["namespace"] not in with_updates
        ]
        for execution in self.executions:  # keep only what the node returned
            for key in ("node", "step", "changed", "checkpoint_id"):
                execution.update.pop(key, None)
        # the `values` row that follows a namespace's updates holds the exact state after them
        self._closing: dict[int, int] = {}
        pending: dict[str, list[int]] = {}
        for index, row in enumerate(rows):
            if row["mode"] == "updates":
                pending.setdefault(row["namespace"], []).append(index)
            elif row["mode"] == "values":
                for update in pending.pop(row["namespace"], []):
                    self._closing[update] = index
        self.checkpoints = [
            info
            for event in run.events_between(0)
            if not event.namespace and (info := checkpoint_info(event)) is not None
        ]
        messages = run.streamed_messages
        self.results = {m.tool_call_id: m for m in messages if m.role == "tool" and m.tool_call_id}
        self.ai: dict[tuple[str, str | None], list[StreamedMessage]] = {}
        for message in messages:
            if message.role == "ai" and not message.input:
                key = (namespace_path(message.namespace), message.node)
                self.ai.setdefault(key, []).append(message)

    def state_after(self, row: int) -> dict[str, Any]:
        """Exact when `values` were streamed; else the updates merged (reducers not applied)."""
        return self.run.state_at(self._closing.get(row, row))[0]


class Comparison:
    """Two runs aligned step by step (by super-step, by order, or from a shared checkpoint; the
    docs' "Sharing and comparing" page says how): DataFrames, and an HTML view when shown.

    `steps`, `nodes`, `state`, `text`, `tool_calls`, `usage`, `summary` are DataFrames;
    `divergence` is the first step where the paths differ (or None), `first_difference` the
    first step where anything differs (or None).
    """

    def __init__(self, a: Run, b: Run, labels: tuple[str, str] = ("a", "b")) -> None:
        self.a, self.b = a, b
        self.labels = labels
        self._sides = (_Side(a, labels[0]), _Side(b, labels[1]))
        self.fork = self._find_fork()
        self.aligned_by = self._align()
        self.steps, self.nodes, self.state = self._steps()
        self.text = self._text()
        self.tool_calls = self._tool_calls()
        self.usage = self._usage()
        self.summary = self._summary()

    # ---- alignment -------------------------------------------------------------------------------
    def _find_fork(self) -> dict[str, Any] | None:
        """Which run started from a checkpoint of the other on the same thread, and where."""
        first, second = self._sides
        if not first.run.thread_id or first.run.thread_id != second.run.thread_id:
            return None
        for origin, fork in ((first, second), (second, first)):
            steps = {c["id"]: c["step"] for c in origin.checkpoints}
            start = fork.checkpoints[0] if fork.checkpoints else None
            if (
                start is not None
                and start["source"] in ("fork", "update")
                and start["parent"] in steps
                and isinstance(start["step"], int)
            ):
                parent_step = steps[start["parent"]]
                return {
                    "run": fork.label,
                    "checkpoint": start["parent"],
                    "step": parent_step,
                    "offset": start["step"] - parent_step,
                }
        return None

    def _align(self) -> str:
        """Give each execution its aligned step; returns how ("step", "checkpoint", "order")."""
        everything = [e for side in self._sides for e in side.executions]
        stepped = bool(everything) and all(e.step is not None for e in everything)
        for side in self._sides:
            offset = self.fork["offset"] if self.fork and self.fork["run"] == side.label else 0
            order: dict[str, int] = {}
            for execution in side.executions:
                if stepped:
                    shift = offset if execution.namespace == "" else 0
                    execution.step = execution.step - shift  # type: ignore[operator]
                else:
                    execution.step = order[execution.namespace] = (
                        order.get(execution.namespace, -1) + 1
                    )
        if not stepped:
            return "order"
        return "checkpoint" if self.fork else "step"

    def _keys(self) -> list[tuple[str, int]]:
        namespaces: dict[str, None] = {"": None}
        for side in self._sides:
            for execution in side.executions:
                namespaces.setdefault(execution.namespace, None)
        rank = {ns: i for i, ns in enumerate(namespaces)}
        keys = {(e.namespace, e.step) for side in self._sides for e in side.executions}
        return sorted(keys, key=lambda k: (rank[k[0]], k[1]))  # type: ignore[return-value]

    # ---- steps, nodes, state ---------------------------------------------------------------------
    def _steps(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        first, second = self._sides
        by_key: list[dict[tuple[str, int], list[_Execution]]] = [{}, {}]
        for side, table in zip(self._sides, by_key, strict=True):
            for execution in side.executions:
                key = (execution.namespace, execution.step)
                table.setdefault(key, []).append(execution)  # type: ignore[arg-type]
        steps, nodes, state = [], [], []
        last_state: dict[str, list[dict[str, Any]]] = {}
        # a run started from the other's checkpoint streamed only what came after: its state
        # begins as the other's at that checkpoint
        fork_side = (
            [side.label for side in self._sides].index(self.fork["run"]) if self.fork else -1
        )
        fork_base: dict[str, Any] = {}
        last_diff: dict[str, set[str]] = {}
        self.divergence: dict[str, Any] | None = None
        self.first_difference: dict[str, Any] | None = None
        for key in self._keys():
            namespace, step = key
            runs_a, runs_b = by_key[0].get(key, []), by_key[1].get(key, [])
            nodes_a = [e.node for e in runs_a]
            nodes_b = [e.node for e in runs_b]
            shared = bool(
                self.fork and namespace == "" and step <= self.fork["step"]
                and not (runs_a and runs_b)
            )  # fmt: skip
            same_path = shared or Counter(nodes_a) == Counter(nodes_b)
            # the state after this step on each side (a side that did not run it keeps its own)
            states = last_state.setdefault(namespace, [{}, {}])
            for i, runs in enumerate((runs_a, runs_b)):
                if runs:
                    state_now = self._sides[i].state_after(max(e.row for e in runs))
                    base = fork_base if i == fork_side and namespace == "" else {}
                    states[i] = {**base, **state_now}
            if shared:
                fork_base = dict(states[1 - fork_side])
            differing = (
                []
                if shared
                else [
                    k
                    for k in dict.fromkeys([*states[0], *states[1]])
                    if comparable(states[0].get(k, _MISSING))
                    != comparable(states[1].get(k, _MISSING))
                ]
            )  # fmt: skip
            before = last_diff.get(namespace, set())
            for k in differing:
                state.append(_state_row(namespace, step, k, states[0], states[1], k not in before))
            last_diff[namespace] = set(differing)
            pairs = _pair(runs_a, runs_b)
            updates_differ = False
            for node, ea, eb in pairs:
                keys_differ = _differing_keys(ea.update if ea else {}, eb.update if eb else {})
                same = ea is not None and eb is not None and not keys_differ
                updates_differ |= not same and not shared
                nodes.append(
                    {
                        "namespace": namespace,
                        "step": step,
                        "node": node,
                        "ran_a": ea is not None,
                        "ran_b": eb is not None,
                        "same_update": same,
                        "keys_differ": keys_differ,
                        "update_a": ea.update if ea else None,
                        "update_b": eb.update if eb else None,
                    }
                )
            where = {"namespace": namespace, "step": step, "nodes_a": nodes_a, "nodes_b": nodes_b}
            if not same_path and self.divergence is None:
                self.divergence = where
            if (not same_path or updates_differ or differing) and self.first_difference is None:
                self.first_difference = {**where, "state_keys": differing}
            steps.append(
                {
                    "namespace": namespace,
                    "step": step,
                    "nodes_a": nodes_a,
                    "nodes_b": nodes_b,
                    "same_path": same_path,
                    "shared": shared,
                    "same_updates": not updates_differ,
                    "state_differs": differing,
                    "elapsed_a": _elapsed(first.run, runs_a),
                    "elapsed_b": _elapsed(second.run, runs_b),
                }
            )
        steps_frame = pd.DataFrame(steps, columns=STEP_COLUMNS)
        steps_frame["delta_s"] = steps_frame["elapsed_b"] - steps_frame["elapsed_a"]
        return (
            steps_frame,
            pd.DataFrame(nodes, columns=NODE_COLUMNS),
            pd.DataFrame(state, columns=STATE_COLUMNS),
        )

    # ---- LLM text and tool calls -----------------------------------------------------------------
    def _aligned_messages(
        self,
    ) -> list[tuple[str, str | None, int, StreamedMessage | None, StreamedMessage | None]]:
        first, second = self._sides
        keys = dict.fromkeys([*first.ai, *second.ai])
        out = []
        for namespace, node in keys:
            mine, theirs = first.ai.get((namespace, node), []), second.ai.get((namespace, node), [])
            for k in range(max(len(mine), len(theirs))):
                out.append(
                    (
                        namespace,
                        node,
                        k,
                        mine[k] if k < len(mine) else None,
                        theirs[k] if k < len(theirs) else None,
                    )
                )
        return out

    def _text(self) -> pd.DataFrame:
        rows = []
        for namespace, node, k, ma, mb in self._aligned_messages():
            text_a, text_b = (ma.text if ma else None), (mb.text if mb else None)
            if not text_a and not text_b:
                continue  # messages that only call tools: compared in tool_calls
            ops = word_diff(text_a or "", text_b or "")
            rows.append(
                {
                    "namespace": namespace,
                    "node": node,
                    "index": k,
                    "step_a": ma.step if ma else None,
                    "step_b": mb.step if mb else None,
                    "text_a": text_a,
                    "text_b": text_b,
                    "same": text_a == text_b,
                    "similarity": difflib.SequenceMatcher(
                        None, (text_a or "")[:SHOWN_CHARS], (text_b or "")[:SHOWN_CHARS]
                    ).ratio(),
                    "diff": diff_text(ops),
                    "_ops": ops,
                }
            )
        frame = pd.DataFrame(rows, columns=[*TEXT_COLUMNS, "_ops"])
        self._text_ops = frame.pop("_ops").tolist()
        return frame

    def _tool_calls(self) -> pd.DataFrame:
        first, second = self._sides
        rows = []
        keys = dict.fromkeys([*first.ai, *second.ai])
        for namespace, node in keys:
            calls = [
                [
                    (call, side.results.get(call.get("id") or ""))
                    for message in side.ai.get((namespace, node), [])
                    for call in message.tool_calls
                ]
                for side in self._sides
            ]
            for k in range(max(len(calls[0]), len(calls[1]))):
                ca, ra = calls[0][k] if k < len(calls[0]) else (None, None)
                cb, rb = calls[1][k] if k < len(calls[1]) else (None, None)
                args_a = _args(ca)
                args_b = _args(cb)
                result_a = ra.content_text if ra else None
                result_b = rb.content_text if rb else None
                rows.append(
                    {
                        "namespace": namespace,
                        "node": node,
                        "index": k,
                        "name_a": ca.get("name") if ca else None,
                        "name_b": cb.get("name") if cb else None,
                        "args_a": args_a,
                        "args_b": args_b,
                        "result_a": result_a,
                        "result_b": result_b,
                        "status_a": ra.status if ra else None,
                        "status_b": rb.status if rb else None,
                        "same_name": ca is not None
                        and cb is not None
                        and ca.get("name") == cb.get("name"),
                        "same_args": ca is not None and cb is not None and args_a == args_b,
                        "same_result": result_a == result_b,
                    }
                )
        return pd.DataFrame(rows, columns=CALL_COLUMNS)

    # ---- time and usage --------------------------------------------------------------------------
    def _usage(self) -> pd.DataFrame:
        frames = []
        for side, suffix in zip(self._sides, ("_a", "_b"), strict=True):
            usage = side.run.usage.drop(columns=["messages"]).set_index(["agent", "model", "node"])
            frames.append(usage.add_suffix(suffix))
        joined = frames[0].join(frames[1], how="outer").fillna(0).astype("int64")
        for name in ("input_tokens", "output_tokens", "total_tokens"):
            joined[f"{name}_delta"] = joined[f"{name}_b"] - joined[f"{name}_a"]
        return joined.reset_index()

    def _summary(self) -> pd.DataFrame:
        metrics: dict[str, list[Any]] = {}
        for side in self._sides:
            run = side.run
            took = None if run.ended_at is None else run.ended_at - run.started_at
            usage = run.usage
            values = {
                "status": run.status,
                "seconds": took,
                "events": run.event_count,
                "steps": len({(e.namespace, e.step) for e in side.executions}),
                "node_runs": len(side.executions),
                "llm_messages": sum(len(v) for v in side.ai.values()),
                "tool_calls": sum(len(m.tool_calls) for v in side.ai.values() for m in v),
                "input_tokens": int(usage["input_tokens"].sum()),
                "output_tokens": int(usage["output_tokens"].sum()),
                "total_tokens": int(usage["total_tokens"].sum()),
            }
            for name, value in values.items():
                metrics.setdefault(name, []).append(value)
        rows = []
        for name, (va, vb) in metrics.items():
            numeric = isinstance(va, (int, float)) and isinstance(vb, (int, float))
            rows.append(
                {"metric": name, "a": va, "b": vb, "delta": vb - va if numeric else None}
            )  # fmt: skip
        return pd.DataFrame(rows, dtype=object).set_index("metric")

    # ---- display ---------------------------------------------------------------------------------
    def __repr__(self) -> str:
        a, b = self.labels
        if self.divergence:
            where = self.divergence
            what = (
                f"paths diverge at step {where['step']} ({namespace_label(where['namespace'])}): "
                f"{a} ran {where['nodes_a'] or 'nothing'}, {b} ran {where['nodes_b'] or 'nothing'}"
            )
        elif self.first_difference:
            where = self.first_difference
            what = (
                f"same path; first difference at step {where['step']} "
                f"({', '.join(map(str, where['nodes_a'] or where['nodes_b']))})"
            )
        else:
            what = "no difference in path, state, LLM text or tool calls"
        return (
            f"<Comparison {a}={self.a.assistant_id}:{self.a.status} "
            f"{b}={self.b.assistant_id}:{self.b.status} aligned by {self.aligned_by}: {what}>"
        )

    def _repr_html_(self) -> str:
        return comparison_html(self)

    def to_html(self, path: str | os.PathLike[str] | None = None) -> str:
        """The comparison as a standalone HTML page; written to `path` if given."""
        title = esc(repr(self))
        document = (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{title}</title></head>"
            f'<body style="margin:16px;background:#fff">{comparison_html(self)}</body></html>\n'
        )
        if path is not None:
            with open(path, "w", encoding="utf-8") as out:
                out.write(document)
        return document


_MISSING = object()
STEP_COLUMNS = [
    "namespace", "step", "nodes_a", "nodes_b", "same_path", "shared", "same_updates",
    "state_differs", "elapsed_a", "elapsed_b",
]  # fmt: skip
NODE_COLUMNS = [
    "namespace", "step", "node", "ran_a", "ran_b", "same_update", "keys_differ", "update_a",
    "update_b",
]  # fmt: skip
STATE_COLUMNS = ["namespace", "step", "key", "kind", "new", "a", "b", "detail"]
TEXT_COLUMNS = [
    "namespace", "node", "index", "step_a", "step_b", "text_a", "text_b", "same", "similarity",
    "diff",
]  # fmt: skip
CALL_COLUMNS = [
    "namespace", "node", "index", "name_a", "name_b", "args_a", "args_b", "result_a",
    "result_b", "status_a", "status_b", "same_name", "same_args", "same_result",
]  # fmt: skip


def _pair(
    runs_a: list[_Execution], runs_b: list[_Execution]
) -> list[tuple[str | None, _Execution | None, _Execution | None]]:
    """The executions of one step matched by node name (the k-th run of a node with the k-th)."""
    names = dict.fromkeys([*(e.node for e in runs_a), *(e.node for e in runs_b)])
    out = []
    for name in names:
        mine = [e for e in runs_a if e.node == name]
        theirs = [e for e in runs_b if e.node == name]
        for k in range(max(len(mine), len(theirs))):
            out.append(
                (name, mine[k] if k < len(mine) else None, theirs[k] if k < len(theirs) else None)
            )
    return out


def _differing_keys(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    return [
        k
        for k in dict.fromkeys([*a, *b])
        if comparable(a.get(k, _MISSING)) != comparable(b.get(k, _MISSING))
    ]


def _state_row(
    namespace: str, step: int, key: str, a: dict[str, Any], b: dict[str, Any], new: bool
) -> dict[str, Any]:
    va, vb = a.get(key, _MISSING), b.get(key, _MISSING)
    if va is _MISSING:
        kind, detail = "only b", f"{preview(vb)}"
    elif vb is _MISSING:
        kind, detail = "only a", f"{preview(va)}"
    else:
        kind, detail = "changed", _describe_change(va, vb)
    return {
        "namespace": namespace,
        "step": step,
        "key": key,
        "kind": kind,
        "new": new,
        "a": None if va is _MISSING else va,
        "b": None if vb is _MISSING else vb,
        "detail": detail,
    }


def _describe_change(a: Any, b: Any) -> str:
    if isinstance(a, str) and isinstance(b, str):
        return preview(diff_text(word_diff(a, b)), 300)
    if isinstance(a, list) and isinstance(b, list):
        ca, cb = comparable(a), comparable(b)
        first = next((i for i, (x, y) in enumerate(zip(ca, cb, strict=False)) if x != y), None)
        where = f"; first difference at [{first}]" if first is not None else ""
        return f"{len(a)} vs {len(b)} items{where}"
    return f"{preview(a, 140)} -> {preview(b, 140)}"


def _args(call: dict[str, Any] | None) -> Any:
    if call is None:
        return None
    return call.get("args") if call.get("valid_args", True) else call.get("args_text")


def _elapsed(run: Run, runs: list[_Execution]) -> float | None:
    return max(e.time for e in runs) - run.started_at if runs else None


# ---- HTML ---------------------------------------------------------------------------------------

CELL = f"padding:2px 8px;border-bottom:1px solid {BORDER};text-align:left;vertical-align:top"


def _cell(content: str, *, tag: str = "td", style: str = "") -> str:
    return f'<{tag} style="{CELL};{style}">{content}</{tag}>'


def _marked(ops: list[tuple[str, str]], side: str) -> str:
    """One side of a word diff: what the other side lacks is marked (a: red, b: green)."""
    out = []
    size = 0
    for op, text in ops:
        if op not in (" ", side):
            continue
        if size + len(text) > SHOWN_CHARS:
            out.append(muted(" … (cut; the whole is in comparison.text)"))
            break
        size += len(text)
        if op == " ":
            out.append(esc(text))
        elif side == "-":
            out.append(f'<del style="background:{REMOVED}">{esc(text)}</del>')
        else:
            out.append(f'<ins style="background:{ADDED};text-decoration:none">{esc(text)}</ins>')
    return "".join(out)


def _pre(content: str) -> str:
    return (
        f'<pre style="margin:0;white-space:pre-wrap;word-break:break-word;font-family:{MONO};'
        f'font-size:12px">{content}</pre>'
    )


def _value(value: Any, limit: int = 600) -> str:
    if value is None:
        return muted("—")
    text = value if isinstance(value, str) else pretty(value)
    return _pre(esc(text[:limit]) + (esc(" …") if len(text) > limit else ""))


def _summary_html(cmp: Comparison) -> str:
    a, b = cmp.labels
    head = "".join(_cell(esc(t), tag="th") for t in ("", a, b, "Δ (b − a)"))
    body = [
        "<tr>"
        + _cell("run")
        + "".join(
            _cell(
                f"{badge(run.status)} <b>{esc(run.assistant_id or 'run')}</b><br>"
                + muted(f"run {run.run_id or '–'}")
                + "<br>"
                + muted(f"thread {run.thread_id or '–'}")
            )
            for run in (cmp.a, cmp.b)
        )
        + _cell("")
        + "</tr>"
    ]
    for metric, row in cmp.summary.drop(index="status").iterrows():
        delta = row["delta"]
        changed = _number(delta, signed=True) not in ("–", "+0", "+0.00", "-0.00")
        body.append(
            "<tr>"
            + _cell(esc(str(metric).replace("_", " ")))
            + _cell(esc(_number(row["a"])))
            + _cell(esc(_number(row["b"])))
            + _cell(
                esc(_number(delta, signed=True)), style=f"background:{DIFFERS}" if changed else ""
            )
            + "</tr>"
        )
    return (
        '<table data-lgw="compare-summary" style="border-collapse:collapse;font-size:12px">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _number(value: Any, *, signed: bool = False) -> str:
    if value is None or value != value:  # None or NaN: not known for this run
        return "–"
    if isinstance(value, float):
        return f"{value:+.2f}" if signed else f"{value:.2f}"
    return f"{value:+}" if signed else str(value)


def _verdict_html(cmp: Comparison) -> str:
    a, b = cmp.labels
    how = {
        "step": "by super-step",
        "checkpoint": "by checkpoint (one run started from the other's checkpoint "
        f"{cmp.fork['checkpoint'] if cmp.fork else ''})",
        "order": "by order of the node runs (no step numbers were streamed)",
    }[cmp.aligned_by]
    if cmp.divergence:
        where = cmp.divergence
        color, text = (
            STATUS_COLORS["error"],
            f"The paths diverge at step {where['step']} ({namespace_label(where['namespace'])}): "
            f"{a} ran {', '.join(map(str, where['nodes_a'])) or 'nothing'}, "
            f"{b} ran {', '.join(map(str, where['nodes_b'])) or 'nothing'}.",
        )
    elif cmp.first_difference:
        where = cmp.first_difference
        nodes = ", ".join(map(str, where["nodes_a"] or where["nodes_b"]))
        keys = ", ".join(where["state_keys"]) or "the nodes' updates"
        color, text = (
            STATUS_COLORS["cancelled"],
            f"Same path; the runs first differ at step {where['step']} "
            f"({namespace_label(where['namespace'])}: {nodes}) in {keys}.",
        )
    else:
        color, text = (
            STATUS_COLORS["success"],
            "No difference in path, state, LLM text or tool calls.",
        )
    return (
        f'<div data-lgw="verdict" style="border-left:4px solid {color};padding:4px 8px;'
        f'margin:8px 0;background:{BG2}"><b>{esc(text)}</b> {muted("Aligned " + how + ".")}</div>'
    )


def _steps_html(cmp: Comparison) -> str:
    a, b = cmp.labels
    head = "".join(
        _cell(esc(t), tag="th")
        for t in ("step", "namespace", f"{a} ran", f"{b} ran", "state differs",
                  f"{a} +s", f"{b} +s", "Δs")
    )  # fmt: skip
    body = []
    diverged = False
    for row in cmp.steps.head(SHOWN_STEPS).itertuples():
        if not row.same_path and not diverged:
            diverged = True
        kind = (
            "shared" if row.shared else "diverged" if not row.same_path else
            "differs" if (row.state_differs or not row.same_updates) else "same"
        )  # fmt: skip
        background = {"shared": SHARED, "diverged": DIVERGED, "differs": DIFFERS}.get(kind, "")
        times = [row.elapsed_a, row.elapsed_b, row.delta_s]
        shown = ["" if t is None or t != t else f"{t:.2f}" for t in times]
        body.append(
            f'<tr data-lgw="compare-step" data-kind="{kind}" style="background:{background}">'
            + _cell(esc(row.step))
            + _cell(esc(namespace_label(row.namespace)))
            + _cell(esc(", ".join(map(str, row.nodes_a))) or muted("—"))
            + _cell(esc(", ".join(map(str, row.nodes_b))) or muted("—"))
            + _cell(esc(", ".join(row.state_differs)) or (muted("shared") if row.shared else ""))
            + "".join(_cell(esc(s), style=f"font-family:{MONO}") for s in shown)
            + "</tr>"
        )
    more = len(cmp.steps) - SHOWN_STEPS
    note = muted(f"… {more} more steps (all are in comparison.steps)") if more > 0 else ""
    return (
        "<details open><summary><b>Steps</b></summary>"
        '<table data-lgw="compare-steps" style="border-collapse:collapse;font-size:12px">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{note}</details>"
    )


def _texts_html(cmp: Comparison) -> str:
    if cmp.text.empty:
        return ""
    a, b = cmp.labels
    blocks = []
    for row, ops in list(zip(cmp.text.itertuples(), cmp._text_ops, strict=True))[:SHOWN_TEXTS]:
        where = f"{row.node} #{row.index + 1}" + (
            f" · {namespace_label(row.namespace)}" if row.namespace else ""
        )
        label = muted("same") if row.same else muted(f"similarity {row.similarity:.0%}")
        left = _pre(_marked(ops, "-")) if row.text_a is not None else muted(f"{a}: no message")
        right = _pre(_marked(ops, "+")) if row.text_b is not None else muted(f"{b}: no message")
        blocks.append(
            f'<tr data-lgw="compare-text" data-same="{str(row.same).lower()}">'
            + _cell(f"<b>{esc(where)}</b><br>{label}")
            + _cell(left, style="width:45%")
            + _cell(right, style="width:45%")
            + "</tr>"
        )
    head = "".join(_cell(esc(t), tag="th") for t in ("node", a, b))
    return (
        "<details open><summary><b>LLM text</b> "
        f"{muted(str(int((~cmp.text['same']).sum())) + ' of ' + str(len(cmp.text)) + ' differ')}"
        '</summary><table style="border-collapse:collapse;font-size:12px;width:100%">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(blocks)}</tbody></table></details>"
    )


def _calls_html(cmp: Comparison) -> str:
    if cmp.tool_calls.empty:
        return ""
    a, b = cmp.labels
    head = "".join(
        _cell(esc(t), tag="th")
        for t in ("node", "tool", f"{a} args", f"{b} args", f"{a} result", f"{b} result")
    )
    body = []
    for row in cmp.tool_calls.head(SHOWN_CALLS).itertuples():
        names = (
            esc(row.name_a or "—")
            if row.same_name
            else f"{esc(row.name_a or '—')} / {esc(row.name_b or '—')}"
        )
        mark = f"background:{DIFFERS}"
        body.append(
            f'<tr data-lgw="compare-call" data-same-args="{str(row.same_args).lower()}" '
            f'data-same-result="{str(row.same_result).lower()}">'
            + _cell(f"{esc(row.node)} #{row.index + 1}")
            + _cell(f"<b>{names}</b>", style="" if row.same_name else mark)
            + _cell(_value(row.args_a), style="" if row.same_args else mark)
            + _cell(_value(row.args_b), style="" if row.same_args else mark)
            + _cell(_value(row.result_a), style="" if row.same_result else mark)
            + _cell(_value(row.result_b), style="" if row.same_result else mark)
            + "</tr>"
        )
    return (
        "<details open><summary><b>Tool calls</b></summary>"
        '<table style="border-collapse:collapse;font-size:12px">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></details>"
    )


def comparison_html(cmp: Comparison) -> str:
    """The side-by-side view: summary with deltas, verdict, steps, LLM text, tool calls."""
    return (
        f'<div data-lgw="comparison" style="color:{FG};font-family:var(--jp-ui-font-family, '
        f"-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif);font-size:13px;"
        f'line-height:1.45;border:1px solid {BORDER};border-radius:6px;padding:8px 12px">'
        + _summary_html(cmp)
        + _verdict_html(cmp)
        + _steps_html(cmp)
        + _texts_html(cmp)
        + _calls_html(cmp)
        + "</div>"
    )

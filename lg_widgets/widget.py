"""`RunView`: the anywidget that shows a `Run` live, and the coalescing sync behind it.

Why it is shaped like this: jupyter_server silently drops IOPub messages above 1000/s, and a token
stream alone reaches 2.5k events/s. So nothing here is sent per event. `RunSync` remembers what the
front end has already received and builds one *delta* (new text pieces per message id, new timeline
rows with short previews, tree/header changes) per flush; `Flusher` sends at most one delta per
`flush_interval` from a `loop.call_later` timer. The full data also lives in the `snapshot` trait:
set when the view is created and at the end of the run, and in between at most once a second and
only while the periodic snapshots stay under SNAPSHOT_SHARE of the delta bytes. A snapshot carries
the whole text, so for token-heavy runs that budget admits none mid-run: total bytes stay about
2.5x the text instead of growing as O(n^2). A second view, a reloaded page and a notebook saved
after the run are complete; a view that missed deltas asks for a fresh snapshot at once.
Whole states, the raw event log and full timeline rows are not pushed: the front
end asks for them (custom message request/response) when the user opens one.
"""

from __future__ import annotations

import asyncio
import contextlib
import reprlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import orjson
import traitlets

from lg_widgets.events import Event
from lg_widgets.reducers.timeline import BASE_COLUMNS
from lg_widgets.run import event_node

if TYPE_CHECKING:
    from lg_widgets.run import Run

STATIC = Path(__file__).with_name("static")
FLUSH_INTERVAL_S = 0.05  # <= 20 deltas/s per widget (perf-baselines §5.2)
SNAPSHOT_INTERVAL_S = 1.0
SNAPSHOT_SHARE = 0.4  # periodic snapshots add at most this share of the delta bytes
PREVIEW_CHARS = 160
EVENTS_TAIL = 100  # event rows kept in the snapshot for a view with no kernel behind it
EVENTS_PAGE_MAX = 500
TREE_COUNTS_INTERVAL_S = 1.0
_NOT_BUILT_ESM = """export default { render({ el }) {
  el.textContent = "lg_widgets: front end not built (run scripts/setup, or npm run build in js/)";
} };"""

_short = reprlib.Repr()
_short.maxstring = 60
_short.maxother = 60
_short.maxlist = _short.maxtuple = _short.maxdict = 4
_short.maxlevel = 2


def preview(value: Any, limit: int = PREVIEW_CHARS) -> str:
    """A bounded one-line repr: cost and size do not grow with the value."""
    text = value if isinstance(value, str) else _short.repr(value)
    if isinstance(value, str) and len(text) > 60:
        text = text[:59] + "…"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def jsonable(value: Any) -> Any:
    """Plain JSON data for the comm (anything odd becomes its repr instead of failing a send)."""
    return orjson.loads(orjson.dumps(value, default=repr, option=orjson.OPT_NON_STR_KEYS))


def event_row(event: Event) -> dict[str, Any]:
    """The compact line the events panel shows; the payload itself is fetched on demand."""
    data = event.data
    if event.mode == "messages" and isinstance(data, list) and data and isinstance(data[0], dict):
        summary = preview(data[0].get("content"))
    else:
        summary = preview(data)
    return {
        "seq": event.seq,
        "t": event.time,
        "mode": event.mode,
        "ns": event.namespace_str,
        "node": event_node(event),
        "preview": summary,
    }


class RunSync:
    """What the front end has received so far, and the delta that brings it up to date.

    Pure bookkeeping over `run.state` (no widget, no I/O) so it can be tested with a fake sink.
    Text is tracked by length per message id, so a piece is sent exactly once.
    """

    def __init__(self, run: Run) -> None:
        self.run = run
        self._sent_text: dict[str, int] = {}
        self._sent_complete: dict[str, bool] = {}
        self._rows: list[dict[str, Any]] = []
        self._tree: Any = None
        self._tree_shape: Any = None
        self._tree_sent_at = float("-inf")
        self._header: dict[str, Any] | None = None
        self._counts: dict[str, int] = {}
        self._seen_events = 0
        self._by_mode: dict[str, list[int]] = {}

    # ---- per-event bookkeeping (O(1)) ---------------------------------------------------------
    def note(self, event: Event) -> None:
        self._counts[event.mode] = self._counts.get(event.mode, 0) + 1
        self._by_mode.setdefault(event.mode, []).append(event.seq)

    # ---- pieces -------------------------------------------------------------------------------
    def header(self) -> dict[str, Any]:
        run = self.run
        return {
            "assistant_id": run.assistant_id,
            "thread_id": run.thread_id,
            "run_id": run.run_id,
            "status": run.status,
            "error": run.error,
            "interrupts": jsonable(run.interrupts),
            "started_at": run.started_at,
            "ended_at": run.ended_at,
            "stream_mode": list(run.stream_mode or []),
            "live": not run.done and run.ended_at is None,
            # e.g. a failed server-side cancel or a view listener that raised: shown, not lost
            "warnings": list(run.warnings),
        }

    def _new_rows(self) -> list[dict[str, Any]]:
        rows = self.run.state.timeline.rows
        fresh = [
            self._row(len(self._rows) + i, row) for i, row in enumerate(rows[len(self._rows) :])
        ]
        self._rows.extend(fresh)
        return fresh

    @staticmethod
    def _row(index: int, row: dict[str, Any]) -> dict[str, Any]:
        keys = row["changed"] or [k for k in row if k not in BASE_COLUMNS]
        shown = [f"{key}={preview(row.get(_column(key)), 60)}" for key in keys[:4]]
        return {
            "i": index,
            "seq": row["seq"],
            "t": row["time"],
            "mode": row["mode"],
            "ns": row["namespace"],
            "node": row["node"],
            "step": row["step"],
            "changed": [str(k) for k in row["changed"]],
            "preview": preview(", ".join(shown)),
        }

    def _messages(self, only_new: bool) -> tuple[list[dict[str, Any]], dict[str, str]]:
        infos: list[dict[str, Any]] = []
        pieces: dict[str, str] = {}
        for message in self.run.state.tokens.messages.values():
            sent = self._sent_text.get(message.id)
            text = message.text
            is_new = sent is None
            if not only_new or is_new or self._sent_complete.get(message.id) != message.complete:
                infos.append(
                    {
                        "id": message.id,
                        "ns": message.namespace,
                        "node": message.node,
                        "tags": list(message.tags),
                        "complete": message.complete,
                    }
                )
            start = 0 if (is_new or not only_new) else sent
            if len(text) > start:
                pieces[message.id] = text[start:]
            self._sent_text[message.id] = len(text)
            self._sent_complete[message.id] = message.complete
        return infos, pieces

    # ---- what goes on the wire -----------------------------------------------------------------
    def delta(self) -> dict[str, Any] | None:
        """Everything new since the last delta or snapshot, or None when nothing changed."""
        out: dict[str, Any] = {}
        infos, pieces = self._messages(only_new=True)
        if infos:
            out["messages"] = infos
        if pieces:
            out["tokens"] = pieces
        rows = self._new_rows()
        if rows:
            out["rows"] = rows
        tree = self._tree_update()
        if tree is not None:
            out["tree"] = tree
        header = self.header()
        if header != self._header:
            out["header"] = self._header = header
        if self._events_changed():
            out["counts"] = dict(self._counts)
        return out or None

    def _tree_update(self) -> dict[str, Any] | None:
        """The tree when its shape or a status changed; mere counts and times once a second."""
        tree = self.run.state.tree.to_dict()
        if tree == self._tree:
            return None
        now = time.monotonic()
        shape = _tree_shape(tree)
        if shape == self._tree_shape and now - self._tree_sent_at < TREE_COUNTS_INTERVAL_S:
            return None
        self._tree, self._tree_shape, self._tree_sent_at = tree, shape, now
        return tree

    def _events_changed(self) -> bool:
        total = sum(self._counts.values())
        changed = total != self._seen_events
        self._seen_events = total
        return changed

    def snapshot(self) -> dict[str, Any]:
        """The complete view state; also marks everything in it as sent."""
        infos, pieces = self._messages(only_new=False)
        for info in infos:
            info["text"] = pieces.get(info["id"], "")
        self._new_rows()
        self._tree = self.run.state.tree.to_dict()
        self._tree_shape = _tree_shape(self._tree)
        self._header = self.header()
        self._events_changed()
        events = self.run.events
        return {
            "header": self._header,
            "messages": infos,
            "rows": self._rows,
            "tree": self._tree,
            "counts": dict(self._counts),
            "events_tail": [event_row(e) for e in events[-EVENTS_TAIL:]],
        }

    # ---- answers to front-end requests ------------------------------------------------------
    def row_detail(self, index: int) -> dict[str, Any]:
        """State at timeline row `index` and what changed from the row before in its namespace."""
        rows = self.run.state.timeline.rows
        if not 0 <= index < len(rows):
            return {"error": f"no timeline row {index}"}
        state, approximate = self._state_at(index)
        previous_index = next(
            (
                j
                for j in range(index - 1, -1, -1)
                if rows[j]["namespace"] == rows[index]["namespace"]
            ),
            None,
        )
        before: dict[str, Any] = {}
        if previous_index is not None:
            before, _ = self._state_at(previous_index)
        diff = [
            {"key": key, "kind": kind, "before": before.get(key), "after": state.get(key)}
            for key, kind in _diff_keys(before, state)
        ]
        return jsonable(
            {
                "index": index,
                "previous": previous_index,
                "row": self._rows[index]
                if index < len(self._rows)
                else self._row(index, rows[index]),
                "update": _row_values(rows[index]),
                "state": state,
                "approximate": approximate,
                "diff": diff,
            }
        )

    def _state_at(self, index: int) -> tuple[dict[str, Any], bool]:
        """The last full `values` state of the row's namespace, with later updates merged in.

        Merging updates ignores the graph's reducers (e.g. `operator.add`), so such a state is
        flagged approximate; `values` rows are exact.
        """
        rows = self.run.state.timeline.rows
        namespace = rows[index]["namespace"]
        chain: list[dict[str, Any]] = []
        base: dict[str, Any] = {}
        for j in range(index, -1, -1):
            row = rows[j]
            if row["namespace"] != namespace:
                continue
            if row["mode"] == "values":
                base = _row_values(row)
                break
            chain.append(row)
        state = dict(base)
        for row in reversed(chain):
            state.update(_row_values(row))
        return state, bool(chain)

    def events_page(self, modes: list[str] | None, offset: int, limit: int) -> dict[str, Any]:
        events = self.run.events
        if modes:
            seqs = sorted(s for m in modes for s in self._by_mode.get(m, ()))
            total = len(seqs)
        else:
            seqs, total = None, len(events)
        limit = max(0, min(limit, EVENTS_PAGE_MAX))
        if offset < 0:  # from the end: the newest page
            offset = max(0, total + offset)
        picked = (
            seqs[offset : offset + limit]
            if seqs is not None
            else range(offset, min(total, offset + limit))
        )
        return {"total": total, "offset": offset, "rows": [event_row(events[s]) for s in picked]}

    def event_detail(self, seq: int) -> dict[str, Any]:
        events = self.run.events
        if not 0 <= seq < len(events):
            return {"error": f"no event {seq}"}
        event = events[seq]
        return jsonable({**event_row(event), "id": event.id, "data": event.data})


def _tree_shape(tree: dict[str, Any]) -> Any:
    """The tree without what changes on every event (event counts, last-seen time)."""
    if not tree:
        return None
    return (
        tree["namespace"],
        tree["status"],
        tuple(tree["nodes"]),
        tuple(_tree_shape(child) for child in tree["children"]),
    )


def _column(key: str) -> str:
    return f"state.{key}" if key in BASE_COLUMNS else key


def _row_values(row: dict[str, Any]) -> dict[str, Any]:
    return {
        (k[6:] if k.startswith("state.") and k[6:] in BASE_COLUMNS else k): v
        for k, v in row.items()
        if k not in BASE_COLUMNS
    }


def _diff_keys(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str]]:
    keys = [*before, *(k for k in after if k not in before)]
    out = []
    for key in keys:
        if key not in after:
            out.append((key, "removed"))
        elif key not in before:
            out.append((key, "added"))
        elif before[key] != after[key]:
            out.append((key, "changed"))
    return out


class Flusher:
    """Calls `flush()` at most once per `interval` seconds, however often it is poked.

    The first poke after a quiet period flushes after at most one interval (bounded latency);
    further pokes before then ride along. Runs on the loop that pokes it.
    """

    def __init__(self, flush: Callable[[], None], interval: float = FLUSH_INTERVAL_S) -> None:
        self._flush = flush
        self.interval = interval
        self._handle: asyncio.TimerHandle | None = None
        self._last = float("-inf")

    def poke(self) -> None:
        if self._handle is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # notified outside the run's loop (not the streaming path): no timer
            self.flush_now()
            return
        delay = max(0.0, self._last + self.interval - loop.time())
        self._handle = loop.call_later(delay, self.flush_now)

    def flush_now(self) -> None:
        self.cancel()
        with contextlib.suppress(RuntimeError):
            self._last = asyncio.get_running_loop().time()
        self._flush()

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


class RunView(anywidget.AnyWidget):
    """The live view of a `Run`: tokens, timeline, namespace tree, events, status and Cancel.

    `run.view()` makes one; displaying a `Run` shows one. Several views of one run each keep
    their own sync state, so each stays within the message budget on its own.
    """

    _esm = STATIC / "widget.js" if (STATIC / "widget.js").is_file() else _NOT_BUILT_ESM
    _css = STATIC / "widget.css" if (STATIC / "widget.css").is_file() else ""

    snapshot = traitlets.Dict().tag(sync=True)
    """The complete view state (see `RunSync.snapshot`) plus `seq`, the last delta it covers."""

    def __init__(
        self,
        run: Run,
        *,
        flush_interval: float = FLUSH_INTERVAL_S,
        snapshot_interval: float = SNAPSHOT_INTERVAL_S,
    ) -> None:
        super().__init__()
        self.run = run
        # what this view sent (JSON payload bytes, without the ~0.5 KB Jupyter envelope)
        self.custom_messages_sent = 0
        self.custom_bytes = 0
        self.snapshots_sent = 0
        self.snapshot_bytes = 0
        self._seq = 0
        self._sync = RunSync(run)
        for event in run.events:
            self._sync.note(event)
        self._flusher = Flusher(self._flush, flush_interval)
        self._snapshot_interval = snapshot_interval
        self._next_snapshot = 0.0
        self._snapshot_forced = True
        self._last_snapshot_size = 0
        self._custom_bytes_at_snapshot = 0
        self._publish_snapshot()
        self.on_msg(self._on_front_end_message)
        self._unsubscribe = run.on_change(self._on_change) if not run.done else None

    # ---- kernel -> front end ----------------------------------------------------------------
    def _on_change(self, run: Run, event: Event | None) -> None:
        if event is not None:
            self._sync.note(event)
        if run.ended_at is not None:  # set once, by the run's final settlement
            self._flush_all()
            self._detach()
        else:
            self._flusher.poke()

    def _flush(self) -> None:
        delta = self._sync.delta()
        if delta is not None:
            self._seq += 1
            self._push({"type": "delta", "seq": self._seq, **delta})
        if self._snapshot_forced or self._periodic_snapshot_due():
            self._publish_snapshot()

    def _periodic_snapshot_due(self) -> bool:
        """Once a second, while the periodic snapshots stay within SNAPSHOT_SHARE of the deltas.

        Each snapshot carries the whole text, so refreshing one every second is O(n^2) bytes over
        a long run; tying them to the delta bytes keeps the total linear. Live views never wait
        for them (a view that missed deltas asks for one); what is lost is only the freshness of
        a notebook saved while the run is still streaming.
        """
        if time.monotonic() < self._next_snapshot:
            return False
        growth = self.custom_bytes - self._custom_bytes_at_snapshot
        estimate = self._last_snapshot_size + growth
        return self.snapshot_bytes + estimate <= SNAPSHOT_SHARE * self.custom_bytes

    def _flush_all(self) -> None:
        """Send what is pending, then a fresh snapshot (at the end, or on a view's request)."""
        self._flusher.cancel()
        self._snapshot_forced = True
        self._flush()

    def _publish_snapshot(self) -> None:
        raw = orjson.dumps(
            {"seq": self._seq, **self._sync.snapshot()},
            default=repr,
            option=orjson.OPT_NON_STR_KEYS,
        )
        data = orjson.loads(raw)
        if data != self.snapshot:
            self.snapshot_bytes += len(raw)
            self.snapshots_sent += 1
            self.snapshot = data
        self._snapshot_forced = False
        self._last_snapshot_size = len(raw)
        self._custom_bytes_at_snapshot = self.custom_bytes
        self._next_snapshot = time.monotonic() + self._snapshot_interval

    def _push(self, content: dict[str, Any]) -> None:
        raw = orjson.dumps(content, default=repr, option=orjson.OPT_NON_STR_KEYS)
        self.custom_messages_sent += 1
        self.custom_bytes += len(raw)
        self.send(orjson.loads(raw))

    # ---- front end -> kernel ----------------------------------------------------------------
    def _on_front_end_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        kind, request = content.get("type"), content.get("req")
        if kind == "cancel":
            self.run.cancel()
            return
        if kind == "resync":  # a view missed deltas: a snapshot at the next flush heals it
            self._snapshot_forced = True
            with contextlib.suppress(RuntimeError):
                self._flusher.poke()
            return
        answer: dict[str, Any] | None = None
        if kind == "row":
            answer = self._sync.row_detail(int(content.get("index", -1)))
        elif kind == "events":
            answer = self._sync.events_page(
                content.get("modes") or None,
                int(content.get("offset", -100)),
                int(content.get("limit", 100)),
            )
        elif kind == "event":
            answer = self._sync.event_detail(int(content.get("seq", -1)))
        if answer is not None:
            self._push({"type": "response", "req": request, **answer})

    @property
    def messages_sent(self) -> int:
        """Comm messages sent: deltas, answers and snapshot trait updates."""
        return self.custom_messages_sent + self.snapshots_sent

    @property
    def bytes_sent(self) -> int:
        return self.custom_bytes + self.snapshot_bytes

    def _detach(self) -> None:
        flusher, unsubscribe = getattr(self, "_flusher", None), getattr(self, "_unsubscribe", None)
        if flusher is not None:  # absent when __init__ failed (ipywidgets closes in __del__)
            flusher.cancel()
        if unsubscribe is not None:
            unsubscribe()
            self._unsubscribe = None

    def close(self) -> None:
        self._detach()
        super().close()


def run_mimebundle(run: Run, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new live view where a Jupyter kernel can show widgets; elsewhere just the repr.

    A terminal IPython or a script has no front end for the widget, and would print the widget's
    repr instead of the run's.
    """
    text = {"text/plain": repr(run)}
    if not _in_kernel():
        return text, {}
    data, metadata = run.view()._repr_mimebundle_(**kwargs)
    return {**data, **text}, metadata


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return False
    return getattr(get_ipython(), "kernel", None) is not None

"""The state timeline: one row per `values` event and per node of an `updates` event.

Row shape (documented in docs/guide/streaming.md, "Timeline shape"): `seq, time, mode,
namespace, node, step, changed` and then
one column per state key (a key named like a base column gets a `state.` prefix).
For `updates` rows the key columns hold what the node returned; for
`values` rows they hold the full state. `step` comes from `debug`/`checkpoints` events when
those modes are streamed (and from token metadata otherwise), else it is missing.
"""

from __future__ import annotations

from typing import Any

from lg_widgets.events import Event, checkpoint_info

BASE_COLUMNS = ("seq", "time", "mode", "namespace", "node", "step", "changed", "checkpoint_id")
# what `run.timeline` adds to the rows (time since the start, the namespace's agent): a state
# key may not take these names either
RESERVED_COLUMNS = (*BASE_COLUMNS, "elapsed", "agent")


def state_column(key: str) -> str:
    """The timeline column of a state key: never shadow a base column."""
    return f"state.{key}" if key in RESERVED_COLUMNS else key


def row_values(row: dict[str, Any]) -> dict[str, Any]:
    """The state keys a row holds, under the state's own names (`state.step` -> `step`)."""
    return {
        (k[6:] if k.startswith("state.") and k[6:] in RESERVED_COLUMNS else k): v
        for k, v in row.items()
        if k not in BASE_COLUMNS
    }


class TimelineReducer:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.state_keys: dict[str, None] = {}  # ordered set of state keys seen
        self._last_values: dict[str, dict[str, Any]] = {}
        self._step: dict[str, int] = {}
        # the token metadata (interned: one dict per task) and namespace whose step was read
        # last: a task's next tokens say the same step, so they are not read again
        self._step_read: tuple[Any, Any] = (None, None)
        self._nodes_since_values: dict[str, list[str]] = {}
        self._last_row: dict[str, int] = {}
        self.checkpoints: dict[str, str] = {}  # checkpoint id -> its namespace, as streamed
        self._unmatched: dict[str, list[int]] = {}  # rows per namespace awaiting a checkpoint
        self._latest: dict[str, str] = {}  # the newest checkpoint streamed, per namespace
        # rows that got their checkpoint after they were added, in that order (append-only: a
        # view sends the ids from where it stopped, O(new) per flush)
        self.named: list[int] = []
        self.matched = False  # rows got their checkpoints from the history, not the stream

    def apply(self, event: Event) -> int:
        """Fold one event; returns how many rows it added."""
        mode, data = event.mode, event.data  # `data` is read once: compact events rebuild it
        if mode == "messages":
            if isinstance(data, list) and len(data) == 2:
                read = self._step_read
                if data[1] is read[0] and event.namespace is read[1]:
                    return 0
                self._step_read = (data[1], event.namespace)
                step = (data[1] or {}).get("langgraph_step")
                if isinstance(step, int):
                    self._step[event.namespace_str] = step
            return 0
        if mode in ("debug", "checkpoints"):
            self._step_read = (None, None)  # the step may change here: read tokens again
            self._note_checkpoint(event.namespace_str, event)
            self._note_step(event.namespace_str, event)
            return 0
        if mode == "updates" and isinstance(data, dict):
            namespace = event.namespace_str
            nodes = self._nodes_since_values.setdefault(namespace, [])
            for node, update in data.items():
                values = update if isinstance(update, dict) else {"__value__": update}
                if node == "__interrupt__":
                    values = {"__interrupt__": update}
                self._add_row(event, namespace, node, values, list(values))
                nodes.append(node)
            return len(data)
        if mode == "values" and isinstance(data, dict):
            namespace = event.namespace_str
            previous = self._last_values.get(namespace, {})
            changed = [k for k, v in data.items() if k not in previous or previous[k] != v]
            nodes = self._nodes_since_values.pop(namespace, None)
            self._add_row(event, namespace, ",".join(nodes) if nodes else None, data, changed)
            self._last_values[namespace] = data
            return 1
        return 0

    def _note_step(self, namespace: str, event: Event) -> None:
        """The super-step of the rows that follow. A checkpoint is written after its step, so
        what comes after a checkpoint of step s runs in step s + 1 (a `debug` task event says
        so itself; with `checkpoints` alone the checkpoint is all there is)."""
        data = event.data if isinstance(event.data, dict) else {}
        checkpoint = event.mode == "checkpoints" or data.get("type") == "checkpoint"
        step = data.get("step")
        if step is None:
            payload = data.get("payload") if event.mode == "debug" else data
            step = ((payload or {}).get("metadata") or {}).get("step")
        if isinstance(step, int):
            self._step[namespace] = step + 1 if checkpoint else step

    def _note_checkpoint(self, namespace: str, event: Event) -> None:
        """A checkpoint of step s is written after the rows of step s: they get its id."""
        info = checkpoint_info(event)
        if info is None or not info["id"]:
            return
        own = info["namespace"]
        self.checkpoints[info["id"]] = own if own is not None else namespace
        self._latest[namespace] = info["id"]
        waiting = self._unmatched.get(namespace)
        if not waiting:
            return
        step = info["step"]
        keep = []
        for index in waiting:
            row_step = self.rows[index]["step"]
            if row_step == step:
                self.rows[index]["checkpoint_id"] = info["id"]
                self.named.append(index)
            elif row_step is None or not isinstance(step, int) or row_step > step:
                keep.append(index)
        self._unmatched[namespace] = keep

    def match_history(self, history: list[dict[str, Any]], run_id: str) -> int:
        """Root rows get their checkpoint from the thread's history after a run that streamed
        none (no `checkpoints`/`debug` mode): `history` is `threads.get_history` entries,
        newest first, covering the run's checkpoints and the one before them. A step's
        `updates` rows belong to the checkpoint its nodes wrote, a `values` row to the
        checkpoint of the step that just ended (the first one of a resumed or forked run: the
        checkpoint it started from). A row the stream gave no step gets its checkpoint's.
        Returns how many rows were matched."""
        if self.checkpoints:
            return 0
        by_id = {e["checkpoint"]["checkpoint_id"]: e for e in history}
        # a row's step is its checkpoint's: the step whose writes it shows (values: just ended)
        steps = {
            key: step
            for key, entry in by_id.items()
            if isinstance(step := (entry.get("metadata") or {}).get("step"), int)
        }
        ours = sorted(
            (
                e
                for e in history
                if (e.get("metadata") or {}).get("run_id") == run_id
                and not e["checkpoint"].get("checkpoint_ns")
                and (e.get("metadata") or {}).get("source") != "input"
            ),
            key=lambda e: e["metadata"].get("step") or 0,
        )
        if not ours:
            return 0
        writers = []
        for entry in ours:
            parent = by_id.get((entry.get("parent_checkpoint") or {}).get("checkpoint_id") or "")
            tasks = (parent or {}).get("tasks") or []
            writers.append([t.get("name") for t in tasks if t.get("result") is not None])
        start = (ours[0].get("parent_checkpoint") or {}).get("checkpoint_id")
        position, left, current, matched = 0, list(writers[0]), None, 0
        for index, row in enumerate(self.rows):
            if row["namespace"] != "":
                continue
            node = row["node"]
            found: str | None = None
            if "__interrupt__" in row or (node and "__interrupt__" in node):
                found = current or start
            elif row["mode"] == "updates":
                while position < len(ours) and node not in left:
                    position += 1
                    left = list(writers[position]) if position < len(ours) else []
                if position < len(ours):
                    left.remove(node)
                    found = current = ours[position]["checkpoint"]["checkpoint_id"]
            elif current is None and node is None and writers[0] != ["__start__"]:
                found = current = start  # the state a resumed/forked run starts from
            elif position < len(ours):
                found = current = ours[position]["checkpoint"]["checkpoint_id"]
                position += 1
                left = list(writers[position]) if position < len(ours) else []
            if found is not None and row["checkpoint_id"] is None:
                row["checkpoint_id"] = found
                if row["step"] is None:  # `updates`/`values` alone never said the step
                    row["step"] = steps.get(found)
                self.named.append(index)
                matched += 1
        for entry in history:
            self.checkpoints.setdefault(
                entry["checkpoint"]["checkpoint_id"], entry["checkpoint"].get("checkpoint_ns") or ""
            )
        self.matched = True
        return matched

    def matches(self) -> dict[str, Any] | None:
        """What `match_history` found, to save beside the event log (which cannot replay it)."""
        if not self.matched:
            return None
        return {
            "rows": [[i, row["checkpoint_id"], row["step"]] for i, row in enumerate(self.rows)],
            "namespaces": dict(self.checkpoints),
        }

    def restore_matches(self, saved: dict[str, Any]) -> None:
        """Put back what `matches()` saved (a run loaded from a file)."""
        for index, checkpoint_id, *step in saved.get("rows") or []:  # files before steps: 2
            if 0 <= index < len(self.rows) and checkpoint_id is not None:
                self.rows[index]["checkpoint_id"] = checkpoint_id
                if step and self.rows[index]["step"] is None:
                    self.rows[index]["step"] = step[0]
                self.named.append(index)
        self.checkpoints.update(saved.get("namespaces") or {})
        self.matched = True

    def checkpoint_ns(self, checkpoint_id: str) -> str | None:
        """The namespace of a checkpoint this run streamed or matched (None: not known)."""
        return self.checkpoints.get(checkpoint_id)

    def _add_row(
        self,
        event: Event,
        namespace: str,
        node: str | None,
        values: dict[str, Any],
        changed: list[str],
    ) -> None:
        row: dict[str, Any] = {
            "seq": event.seq,
            "time": event.time,
            "mode": event.mode,
            "namespace": namespace,
            "node": node,
            "step": self._step.get(namespace),
            "changed": changed,
            "checkpoint_id": None,
        }
        for key, value in values.items():
            column = state_column(key)
            self.state_keys.setdefault(column, None)
            row[column] = value
        self._last_row[namespace] = len(self.rows)
        if "__interrupt__" in values:  # no checkpoint follows: the state stays at the last one
            row["checkpoint_id"] = self._latest.get(namespace)
        else:
            self._unmatched.setdefault(namespace, []).append(len(self.rows))
        self.rows.append(row)

    def root_values(self) -> dict[str, Any] | None:
        return self._last_values.get("")

    def last_row(self, namespace: str = "") -> int | None:
        """Index of the namespace's latest row, if it has one."""
        return self._last_row.get(namespace)

    def state_at(self, index: int) -> tuple[dict[str, Any], bool]:
        """The graph state of the row's namespace as of row `index`, and whether it is approximate.

        The last full `values` state at or before the row, with the later `updates` of that
        namespace merged in. Merging ignores the graph's reducers (e.g. `operator.add`), so a
        state that needed any merge is flagged approximate; `values` rows are exact.
        """
        namespace = self.rows[index]["namespace"]
        chain: list[dict[str, Any]] = []
        base: dict[str, Any] = {}
        for j in range(index, -1, -1):
            row = self.rows[j]
            if row["namespace"] != namespace:
                continue
            if row["mode"] == "values":
                base = row_values(row)
                break
            chain.append(row)
        state = dict(base)
        for row in reversed(chain):
            update = row_values(row)
            update.pop("__interrupt__", None)
            state.update(update)
        return state, bool(chain)

    def previous_row(self, index: int) -> int | None:
        """The row before `index` in the same namespace."""
        namespace = self.rows[index]["namespace"]
        return next(
            (j for j in range(index - 1, -1, -1) if self.rows[j]["namespace"] == namespace),
            None,
        )

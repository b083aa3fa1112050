"""The state timeline: one row per `values` event and per node of an `updates` event.

Row shape (documented in the README): `seq, time, mode, namespace, node, step, changed` and then
one column per state key (a key named like a base column gets a `state.` prefix).
For `updates` rows the key columns hold what the node returned; for
`values` rows they hold the full state. `step` comes from `debug`/`checkpoints` events when
those modes are streamed (and from token metadata otherwise), else it is missing.
"""

from __future__ import annotations

from typing import Any

from lg_widgets.events import Event

BASE_COLUMNS = ("seq", "time", "mode", "namespace", "node", "step", "changed")


class TimelineReducer:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.state_keys: dict[str, None] = {}  # ordered set of state keys seen
        self._last_values: dict[str, dict[str, Any]] = {}
        self._step: dict[str, int] = {}
        self._nodes_since_values: dict[str, list[str]] = {}

    def apply(self, event: Event) -> int:
        """Fold one event; returns how many rows it added."""
        mode, data = event.mode, event.data  # `data` is read once: compact events rebuild it
        if mode in ("debug", "checkpoints"):
            self._note_step(event.namespace_str, event)
            return 0
        if mode == "messages":
            if isinstance(data, list) and len(data) == 2:
                step = (data[1] or {}).get("langgraph_step")
                if isinstance(step, int):
                    self._step[event.namespace_str] = step
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
        data = event.data if isinstance(event.data, dict) else {}
        step = data.get("step")
        if step is None:
            payload = data.get("payload") if event.mode == "debug" else data
            step = ((payload or {}).get("metadata") or {}).get("step")
        if isinstance(step, int):
            self._step[namespace] = step

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
        }
        for key, value in values.items():
            column = f"state.{key}" if key in BASE_COLUMNS else key  # never shadow a base column
            self.state_keys.setdefault(column, None)
            row[column] = value
        self.rows.append(row)

    def root_values(self) -> dict[str, Any] | None:
        return self._last_values.get("")

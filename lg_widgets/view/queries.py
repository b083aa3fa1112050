"""Answers to the front end's requests: the state at a timeline row, pages of the event log,
one event's payload. Whole states and raw events are never pushed; the view asks when the user
opens one, so these read the run on demand."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lg_widgets.reducers.timeline import row_values
from lg_widgets.view.wire import (
    EventDetail,
    EventsPage,
    RequestError,
    RowDetail,
    StateChange,
    event_row,
    jsonable,
    timeline_row,
)

if TYPE_CHECKING:
    from lg_widgets.run.model import Run

EVENTS_PAGE_MAX = 500


class RunQueries:
    def __init__(self, run: Run) -> None:
        self.run = run
        self._by_mode: dict[str, list[int]] = {}

    def note(self, mode: str, seq: int) -> None:
        """Index one event by mode, so a filtered page is a slice (O(1))."""
        self._by_mode.setdefault(mode, []).append(seq)

    def row_detail(self, index: int) -> RowDetail | RequestError:
        """State at timeline row `index` and what changed from the row before in its namespace."""
        timeline = self.run.state.timeline
        if not 0 <= index < len(timeline.rows):
            return {"error": f"no timeline row {index}"}
        state, approximate = self.run.state_at(index)
        previous = timeline.previous_row(index)
        before = self.run.state_at(previous)[0] if previous is not None else {}
        diff: list[StateChange] = [
            {"key": key, "kind": kind, "before": before.get(key), "after": state.get(key)}
            for key, kind in _diff_keys(before, state)
        ]
        row = timeline.rows[index]
        return jsonable(
            {
                "index": index,
                "previous": previous,
                "row": timeline_row(index, row),
                "update": row_values(row),
                "state": state,
                "approximate": approximate,
                "diff": diff,
            }
        )

    def events_page(self, modes: list[str] | None, offset: int, limit: int) -> EventsPage:
        total_events = self.run.event_count
        if modes:
            seqs: list[int] | None = sorted(s for m in modes for s in self._by_mode.get(m, ()))
            total = len(seqs)
        else:
            seqs, total = None, total_events
        limit = max(0, min(limit, EVENTS_PAGE_MAX))
        if offset < 0:  # from the end: the newest page
            offset = max(0, total + offset)
        if seqs is not None:
            rows = [event_row(self.run.event_at(s)) for s in seqs[offset : offset + limit]]
        else:
            rows = [event_row(e) for e in self.run.events_between(offset, offset + limit)]
        return {"total": total, "offset": offset, "rows": rows}

    def event_detail(self, seq: int) -> EventDetail | RequestError:
        if not 0 <= seq < self.run.event_count:
            return {"error": f"no event {seq}"}
        event = self.run.event_at(seq)
        return jsonable({**event_row(event), "id": event.id, "data": event.data})


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

"""Answers to the front end's requests: the state at a timeline row, pages of the event log,
one event's payload. Whole states and raw events are never pushed; the view asks when the user
opens one, so these read the run on demand.

Rows and events are numbered across the view's chain of runs (`sync.Chain`); each answer maps
the number back to its run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lg_widgets import threads
from lg_widgets.reducers.timeline import row_values
from lg_widgets.view.sync import Chain
from lg_widgets.view.wire import (
    EventDetail,
    EventsPage,
    RequestError,
    RowActions,
    RowDetail,
    StateChange,
    event_row,
    jsonable,
    timeline_row,
)

if TYPE_CHECKING:
    from lg_widgets.events import Event
    from lg_widgets.run.model import Run

EVENTS_PAGE_MAX = 500


class RunQueries:
    def __init__(self, run: Run, chain: Chain | None = None) -> None:
        self.chain = chain or Chain(run)

    @property
    def run(self) -> Run:
        return self.chain.run

    def locate_row(self, index: int) -> tuple[Run, int, dict[str, Any]] | None:
        """The run, its own row index and the row behind the view's row `index`."""
        found = self.chain.locate_row(index)
        if found is None:
            return None
        run = self.chain.runs[found[0]]
        return run, found[1], run.state.timeline.rows[found[1]]

    def row_detail(self, index: int) -> RowDetail | RequestError:
        """State at timeline row `index`, what changed from the row before in its namespace
        (in an earlier run of the chain for a run's first row), and how to go on from there."""
        found = self.chain.locate_row(index)
        if found is None:
            return {"error": f"no timeline row {index}"}
        position, local = found
        run = self.chain.runs[position]
        timeline = run.state.timeline
        row = timeline.rows[local]
        state, approximate = run.state_at(local)
        previous, before = self._previous(position, local)
        diff: list[StateChange] = [
            {"key": key, "kind": kind, "before": before.get(key), "after": state.get(key)}
            for key, kind in _diff_keys(before, state)
        ]
        checkpoint_id = row.get("checkpoint_id")
        namespace = run.state.timeline.checkpoint_ns(checkpoint_id) if checkpoint_id else None
        checkpoint_ns = row["namespace"] if namespace is None else namespace
        return jsonable(
            {
                "index": index,
                "previous": previous,
                "row": timeline_row(index, row, self.chain.event_bases[position]),
                "update": row_values(row),
                "state": state,
                "approximate": approximate,
                "diff": diff,
                "checkpoint_id": checkpoint_id,
                "checkpoint_ns": checkpoint_ns,
                "actions": self._actions(run, checkpoint_id),
            }
        )

    def _previous(self, position: int, local: int) -> tuple[int | None, dict[str, Any]]:
        """The view's index of the row before, in the same namespace, and its state."""
        runs, bases = self.chain.runs, self.chain.row_bases
        namespace = runs[position].state.timeline.rows[local]["namespace"]
        previous = runs[position].state.timeline.previous_row(local)
        while previous is None and position > 0:
            position -= 1
            previous = runs[position].state.timeline.last_row(namespace)
        if previous is None:
            return None, {}
        return bases[position] + previous, runs[position].state_at(previous)[0]

    def _actions(self, run: Run, checkpoint_id: Any) -> RowActions:
        """The Python lines that fork or replay from the row, or the sentence `run.fork` /
        `run.replay` would refuse it with (the thread's run shown now must have ended too)."""
        refused = threads.travel_refusal(run, checkpoint_id, "fork or replay")
        if refused is None and self.run is not run:
            refused = threads.travel_refusal(self.run, checkpoint_id, "fork or replay")
        if refused is not None:
            return {"fork": None, "replay": None, "refused": refused}
        return {
            "fork": f'run.fork(checkpoint_id="{checkpoint_id}")',
            "replay": f'run.replay(checkpoint_id="{checkpoint_id}")',
            "refused": None,
        }

    def events_page(self, modes: list[str] | None, offset: int, limit: int) -> EventsPage:
        chain = self.chain
        if modes:
            seqs: list[int] | None = sorted(
                base + seq
                for run, base in zip(chain.runs, chain.event_bases, strict=True)
                for mode in modes
                for seq in run.event_seqs(mode)
            )
            total = len(seqs)
        else:
            seqs, total = None, chain.event_count
        limit = max(0, min(limit, EVENTS_PAGE_MAX))
        if offset < 0:  # from the end: the newest page
            offset = max(0, total + offset)
        if seqs is not None:
            rows = [event_row(self._event(s), s) for s in seqs[offset : offset + limit]]
        else:
            rows = [event_row(e, s) for s, e in chain.events(offset, offset + limit)]
        return {"total": total, "offset": offset, "rows": rows}

    def _event(self, seq: int) -> Event:
        position, local = self.chain.locate_event(seq)  # type: ignore[misc]
        return self.chain.runs[position].event_at(local)

    def event_detail(self, seq: int) -> EventDetail | RequestError:
        if self.chain.locate_event(seq) is None:
            return {"error": f"no event {seq}"}
        event = self._event(seq)
        return jsonable({**event_row(event, seq), "id": event.id, "data": event.data})


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

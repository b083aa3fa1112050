"""`watch(run)`: marimo's reactivity for a run, so that cells reading it re-run as it goes on.

marimo re-runs a cell when a variable it reads is defined again, or when a marimo state it reads
is set. A `Run` is one object for its whole life, so a cell that reads `run.timeline` runs once,
before the run has rows, and never again. `watch` returns a marimo state (`mo.state`) whose value
is the run's status, set from the run's own listener each time the status changes: every cell
that reads it re-runs then, the last time once the run has ended and holds all its data.

Set from the run's loop, which in marimo is the kernel's: marimo re-runs the cells when no cell
is running (a cell running then re-runs them after it). lg_widgets never imports marimo (it is
no dependency): `watch` takes the module marimo itself loaded to run the cell.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from lg_widgets.errors import LgWidgetsError
from lg_widgets.reducers.status import FINAL_STATUSES

if TYPE_CHECKING:
    from lg_widgets.events import Event
    from lg_widgets.run.model import Run


def watch(run: Run) -> Any:
    """A marimo state whose value is `run.status`: a cell that reads it (`status()`) re-runs
    each time the run changes status, and a last time when the run has ended."""
    marimo = sys.modules.get("marimo")  # loaded wherever marimo runs the cell: no import here
    if marimo is None:
        raise LgWidgetsError(
            "lg_widgets.watch() is for marimo notebooks: call it in a marimo cell "
            "(in Jupyter, `await run` waits for the end)."
        )
    status, set_status = marimo.state(_shown(run))
    if run.ended_at is not None:
        return status
    last = _shown(run)

    def changed(changed_run: Run, _event: Event | None) -> None:
        nonlocal last
        now = _shown(changed_run)
        if now != last:
            last = now
            set_status(now)
        if changed_run.ended_at is not None:
            unsubscribe()

    unsubscribe = run.on_change(changed)
    return status


def _shown(run: Run) -> str:
    """The status to publish: a final one only once the run has ended (its last events, final
    state and graph settled), so that the cells re-run for the end see all of it."""
    status = run.status
    if status in FINAL_STATUSES and run.ended_at is None:
        return "running"
    return status

"""Saving a run's event log as JSONL and rebuilding a finished `Run` from it, offline."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import orjson

from lg_widgets.events import Event, MetadataInterner
from lg_widgets.reducers import RunState

if TYPE_CHECKING:
    from lg_widgets.run import Run

FORMAT = "lg_widgets.run/1"


def _dumps(record: dict[str, Any]) -> bytes:
    return orjson.dumps(record, default=repr) + b"\n"


def save_run(run: Run, path: str | os.PathLike[str]) -> None:
    header = {
        "format": FORMAT,
        **run.summary(),
        "error_data": run.error_data,
        "final_state": run._final_state,
        "warnings": run.warnings,
    }
    with open(path, "wb") as out:
        out.write(_dumps(header))
        for event in run._events:
            out.write(_dumps(event.to_json()))


def load_run(path: str | os.PathLike[str]) -> Run:
    """Rebuild a finished `Run` from `Run.save()` output, with the same data as the live run."""
    from lg_widgets.run import Run

    with open(path, "rb") as source:
        lines = source.read().splitlines()
    if not lines:
        raise ValueError(f"{path} is empty, not a saved lg_widgets run")
    header = orjson.loads(lines[0])
    if header.get("format") != FORMAT:
        raise ValueError(f"{path} is not a saved lg_widgets run (format {header.get('format')})")
    run = Run(None, None, assistant_id=header.get("assistant_id"))
    run.thread_id, run._run_id = header.get("thread_id"), header.get("run_id")
    run.url, run.stream_mode = header.get("url"), header.get("stream_mode") or []
    run.started_at, run.ended_at = header.get("started_at") or 0.0, header.get("ended_at")
    run.warnings = list(header.get("warnings") or [])
    run._final_state = header.get("final_state")
    state = RunState(run.assistant_id or "run")
    events = run._events
    interner = MetadataInterner()
    for line in lines[1:]:
        if line.strip():
            event = Event.from_json(orjson.loads(line), interner)
            events.append(event)
            state.apply(event)
            interner.compact(event)
    state.finish(header.get("status") or state.status.settle(cancelled=False), header.get("error"))
    if header.get("error_data"):
        state.status.error_data = header["error_data"]
    run._state = state
    return run

"""Rebuilding a finished `Run` offline from a file written by `Run.save()` (see `logfile`)."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager

from lg_widgets.logfile import read_log
from lg_widgets.reducers.status import Settlement
from lg_widgets.run.model import Run
from lg_widgets.run.resume import Reconnect


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A bulk load only creates acyclic containers, yet each one it keeps makes every later
    full collection longer: with the collector on, loading 100k timeline rows took twice as
    long. Paused for the loop and restored after, as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_run(path: str | os.PathLike[str]) -> Run:
    """Rebuild a finished `Run` from `Run.save()` output, with the same data as the live run."""
    header, events = read_log(path)
    with _collector_paused():
        run = Run.from_log(
            events,
            assistant_id=header.get("assistant_id"),
            thread_id=header.get("thread_id"),
            run_id=header.get("run_id"),
            url=header.get("url"),
            stream_mode=header.get("stream_mode") or [],
            started_at=header.get("started_at") or 0.0,
            warnings=header.get("warnings") or [],
            reconnects=[Reconnect.from_json(r) for r in header.get("reconnects") or []],
            input=header.get("input"),
            protocol=header.get("protocol") or "runs",
        )
    held = header.get("held")  # a narrowed subscription's filters: what was left out stays said
    if isinstance(held, list):
        run.held = [(tuple(p), d) for p, d in held]
    matched = header.get("checkpoints_matched")
    if isinstance(matched, dict):
        run.state.timeline.restore_matches(matched)
    graph = header.get("graph")
    if isinstance(graph, dict):
        run.set_graph(graph.get("data"), xray=graph.get("xray", True), error=graph.get("error"))
    status = header.get("status") or run.state.status.settle(cancelled=False)
    settlement = Settlement(status, header.get("error"), final_values=header.get("final_state"))
    run.finish(settlement, ended_at=header.get("ended_at"))
    return run

"""The embedded server process dies mid-run (SIGKILL): the run ends at once, saying so."""

from __future__ import annotations

import os
import signal

import pytest

import lg_widgets
from tests.faults.conftest import GRAPHS
from tests.faults.helpers import MODES, PACED, loop_watch, recorded_view, until

pytestmark = [pytest.mark.faults, pytest.mark.integration]


async def test_a_killed_embedded_server_ends_the_run_within_two_seconds():
    with lg_widgets.serve(GRAPHS, n_jobs_per_worker=2, connect=False) as server:  # private
        run = lg_widgets.stream(
            "paced", {**PACED, "steps": 80}, thread_id="new", stream_mode=MODES, url=server.url
        )
        view, _recorder = recorded_view(run)
        await until(run, lambda r: r.event_count > 10, 30, "first events")
        received = run.event_count
        os.kill(server.process.pid, signal.SIGKILL)
        async with loop_watch() as loop:
            seconds = await until(run, lambda r: r.ended_at is not None, 5, "the run to end")
        last_log_line = server.log_tail(1).strip()
    assert seconds < 2.0 and loop.worst < 0.5
    assert run.status == "error" and run.event_count >= received  # what arrived is kept
    assert run.error.startswith(f"The embedded LangGraph server ({server.url}) exited with code -9")
    assert "(killed by SIGKILL)" in run.error and str(server.log_path) in run.error
    assert last_log_line and last_log_line in run.error  # the tail of its log
    assert view.snapshot["header"]["status"] == "error"
    assert view.snapshot["header"]["error"] == run.error

"""After a kernel restart only the thread id is known: `join(thread_id)` finds the active run."""

from __future__ import annotations

import pytest

import lg_widgets
from tests.faults.helpers import MODES, identities, replayed

pytestmark = [pytest.mark.faults, pytest.mark.integration]


async def background_run(server: lg_widgets.EmbeddedServer, **kwargs) -> tuple[str, str]:
    client = server.client()
    thread = await client.threads.create()
    created = await client.runs.create(
        thread["thread_id"], "paced", input={"steps": 30, "delay": 0.05}, **kwargs
    )
    await client.http.client.aclose()
    return thread["thread_id"], created["run_id"]


async def test_join_a_thread_replays_its_active_resumable_run_from_the_start(fault_server):
    thread_id, run_id = await background_run(fault_server, stream_mode=MODES, stream_resumable=True)
    run = lg_widgets.join(thread_id, url=fault_server.url)
    await run
    assert run.status == "success" and run.run_id == run_id and run.warnings == []
    assert run.assistant_id == "paced" and run.stream_mode == MODES
    assert identities(run) == await replayed(run, fault_server)  # from its first event
    assert run.events[0].mode == "metadata"


async def test_join_a_thread_whose_run_is_not_resumable_says_what_is_missing(fault_server):
    thread_id, run_id = await background_run(fault_server, stream_mode=["updates"])
    run = lg_widgets.join(thread_id, url=fault_server.url)
    await run
    assert run.status == "success" and run.run_id == run_id
    (warning,) = run.warnings
    assert warning.startswith(f"Joined run {run_id} while it was ")
    assert "the events before now cannot be replayed" in warning
    assert run.values["count"] == 30  # read from the thread after the run


async def test_join_a_thread_with_nothing_running_says_so(fault_server):
    thread_id, run_id = await background_run(fault_server, stream_mode=["updates"])
    first = lg_widgets.join(thread_id, url=fault_server.url)
    await first
    again = lg_widgets.join(thread_id, url=fault_server.url)
    await again
    assert again.status == "error" and again.event_count == 0
    assert again.error == (
        f"Nothing is running on thread {thread_id}: its latest run {run_id} ended success. "
        f"lg_widgets.join({thread_id!r}, {run_id!r}, replay=True) replays it if it was created "
        "with stream_resumable=True."
    )
    client = fault_server.client()
    empty = await client.threads.create()
    await client.http.client.aclose()
    nothing = lg_widgets.join(empty["thread_id"], url=fault_server.url)
    await nothing
    assert nothing.error == f"Nothing to join: thread {empty['thread_id']} has no runs."

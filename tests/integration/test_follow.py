"""`follow(thread_id)` sees runs another process starts on the thread, one view for all of them,
and `stop()` leaves nothing running."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap

import pytest

import lg_widgets
from tests.faults.helpers import Recorder, until

pytestmark = pytest.mark.integration

# Another process drives the thread with the SDK alone: a run that stops at the `interrupt`
# demo's question, then (once told on stdin) the run that answers it.
DRIVER = textwrap.dedent(
    """
    import asyncio, os, sys
    from langgraph_sdk import get_client

    async def main():
        client = get_client(url=os.environ["DRIVER_URL"], api_key=os.environ.get("DRIVER_KEY"))
        thread = sys.argv[1]
        first = await client.runs.create(
            thread, "interrupt", input={"topic": "owls"}, stream_resumable=True
        )
        await client.runs.join(thread, first["run_id"])
        print("first", first["run_id"], flush=True)
        sys.stdin.readline()
        second = await client.runs.create(
            thread, "interrupt", command={"resume": "yes"}, stream_resumable=True
        )
        await client.runs.join(thread, second["run_id"])
        print("second", second["run_id"], flush=True)

    asyncio.run(main())
    """
)


async def test_follow_sees_runs_another_process_starts(server):
    client = server.client()
    thread = (await client.threads.create())["thread_id"]
    await client.http.client.aclose()
    follower = lg_widgets.follow(thread, flush_interval=0.01)
    assert follower.runs == [] and follower.view is None and follower.running

    env = {**os.environ, "DRIVER_URL": server.url}
    if server.token is not None:
        env["DRIVER_KEY"] = server.token.reveal()
    driver = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        DRIVER,
        thread,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert driver.stdout is not None and driver.stdin is not None
        first = await follower.wait_for_run(0, timeout=60)
        view = follower.view
        recorder = Recorder()
        view.send = recorder
        await first
        line = (await asyncio.wait_for(driver.stdout.readline(), 60)).decode().split()
        assert line == ["first", first.run_id]
        assert first.origin == "follow" and first.status == "interrupted"
        assert first.values["topic"] == "owls" and first.interrupts

        driver.stdin.write(b"go\n")
        second = await follower.wait_for_run(1, timeout=60)
        await second
        line = (await asyncio.wait_for(driver.stdout.readline(), 60)).decode().split()
        assert line == ["second", second.run_id]
        assert second.status == "success", second.error
        assert second.values["result"] == "answer was 'yes'"
        assert await asyncio.wait_for(driver.wait(), 60) == 0

        # one view went on from the first run to the second
        assert follower.view is view and view.runs == [first, second]
        view._flush_all()
        header = view.snapshot["header"]
        assert [(r["run_id"], r["origin"]) for r in header["runs"]] == [
            (first.run_id, "follow"),
            (second.run_id, "follow"),
        ]
        assert header["run_id"] == second.run_id and header["status"] == "success"
        rows, count = view.snapshot["rows"], len(first.state.timeline.rows)
        assert [r["seq"] for r in rows[:count]] == [r["seq"] for r in first.state.timeline.rows]
        assert [r["index"] for r in rows] == list(range(len(rows)))
        assert any("result" in r["changed"] for r in rows[count:])
    finally:
        if driver.returncode is None:
            driver.kill()
            await driver.wait()
        await follower.stop()
    assert not follower.running and all(run.done for run in follower.runs)
    with pytest.raises(lg_widgets.LgWidgetsError, match="Stopped following thread"):
        await follower.wait_for_run(2, timeout=5)


async def test_follow_joins_a_run_already_going_and_stop_leaves_it_on_the_server(server):
    run = lg_widgets.stream("slow", {"topic": "x"}, thread_id="new", stream_mode="updates")
    await until(run, lambda r: r.status == "running", 30, "the slow run runs")
    follower = lg_widgets.follow(run.thread_id)  # type: ignore[arg-type]
    joined = await follower.wait_for_run(0, timeout=30)
    assert joined is run  # this process streams it already: shown as that same Run

    run.cancel()
    await run
    other = lg_widgets.stream("slow", {"topic": "y"}, thread_id=run.thread_id)
    second = await follower.wait_for_run(1, timeout=60)
    assert second is other and follower.view.runs == [run, other]
    await follower.stop()
    assert not follower.running
    assert not other.done  # stop() leaves a run this process started alone
    other.cancel()
    await other
    assert other.status == "cancelled"


async def test_follow_an_unknown_thread_stops_with_a_sentence(server):
    follower = lg_widgets.follow("00000000-0000-0000-0000-000000000000")
    with pytest.raises(lg_widgets.LgWidgetsError, match="does not exist"):
        await follower.wait_for_run(0, timeout=30)
    assert not follower.running


async def test_stop_leaves_a_joined_run_going_on_the_server(server):
    client = server.client()
    thread = (await client.threads.create())["thread_id"]
    follower = lg_widgets.follow(thread)
    created = await client.runs.create(thread, "slow", input={"topic": "z"}, stream_resumable=True)
    try:
        joined = await follower.wait_for_run(0, timeout=30)
        assert joined.run_id == created["run_id"] and joined.origin == "follow"
        await until(joined, lambda r: r.event_count > 0, 30, "the joined run streams")
        await follower.stop()
        assert joined.done and joined.status == "cancelled"
        assert "goes on on the server" in joined.warnings[-1]
        assert (await client.runs.get(thread, created["run_id"]))["status"] == "running"
    finally:
        await follower.stop()
        await client.runs.cancel(thread, created["run_id"], wait=True)
        await client.http.client.aclose()

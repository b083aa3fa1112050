"""Every kind of bad input ends as a clear `run.error`, keeps what arrived, leaves no task."""

from __future__ import annotations

import asyncio
import uuid

import pytest

import lg_widgets

pytestmark = pytest.mark.integration


def assert_no_task_left(run: lg_widgets.Run) -> None:
    assert run.done
    ours = [t for t in asyncio.all_tasks() if t.get_name().startswith("lg-widgets")]
    assert not [t for t in ours if not t.done()]


async def test_unknown_assistant_lists_the_graphs(server):
    run = await lg_widgets.stream("no-such-graph", {"topic": "x"})
    assert run.status == "error"
    assert run.error.startswith("Unknown assistant 'no-such-graph'. This server has: agent,")
    assert "slow" in run.error
    assert_no_task_left(run)


async def test_unreachable_server_says_where_to_point():
    run = await lg_widgets.stream("agent", {"topic": "x"}, url="http://127.0.0.1:9")
    assert run.status == "error"
    assert "Cannot reach a LangGraph server at http://127.0.0.1:9" in run.error
    assert "lg_widgets.serve()" in run.error
    assert_no_task_left(run)


async def test_invalid_stream_mode_lists_valid_ones(server):
    run = await lg_widgets.stream("agent", {"topic": "x"}, stream_mode=["updates", "bogus"])
    assert run.status == "error"
    assert run.error.startswith("Invalid stream mode 'bogus'. Valid modes: values, updates")


async def test_non_uuid_thread(server):
    run = await lg_widgets.stream("agent", {"topic": "x"}, thread_id="not-a-uuid")
    assert run.status == "error"
    assert "Thread id 'not-a-uuid' is not a UUID" in run.error


async def test_unknown_thread(server):
    thread_id = str(uuid.uuid4())
    run = await lg_widgets.stream("agent", {"topic": "x"}, thread_id=thread_id)
    assert run.status == "error"
    assert run.error.startswith(f"Thread {thread_id} was not found")


async def test_busy_thread_rejects_a_second_run(server):
    first = lg_widgets.stream(
        "slow", {"topic": "x", "delay": 0.2}, thread_id="new", stream_mode="updates"
    )
    while not first.events:
        await asyncio.sleep(0.05)
    second = await lg_widgets.stream(
        "agent", {"topic": "x"}, thread_id=first.thread_id, multitask_strategy="reject"
    )
    assert second.status == "error"
    assert "is already running a run" in second.error
    first.cancel()
    await first
    assert first.status == "cancelled"


async def test_graph_error_keeps_the_events_before_it(server):
    run = await lg_widgets.stream("error", {"topic": "x"}, thread_id="new", stream_mode="updates")
    assert run.status == "error"
    assert run.error == "The graph raised ValueError: boom: the explode node failed on purpose"
    assert [e.mode for e in run.events] == ["metadata", "updates", "error"]


async def test_join_unknown_run(server):
    client = lg_widgets.current_connection().client()
    thread = await client.threads.create()
    run = await lg_widgets.join(thread["thread_id"], str(uuid.uuid4()))
    assert run.status == "error"
    assert "could not find that run" in run.error


async def test_join_non_uuid_run(server):
    client = lg_widgets.current_connection().client()
    thread = await client.threads.create()
    run = await lg_widgets.join(thread["thread_id"], "nope")
    assert run.status == "error"
    assert run.error == "Run id 'nope' is not a UUID."


async def test_replay_of_a_non_resumable_run_explains_why_nothing_came(server):
    first = lg_widgets.stream("agent", {"topic": "x"}, thread_id="new", stream_resumable=False)
    await first
    again = await lg_widgets.join(first.thread_id, first.run_id, replay=True)
    assert again.events == []
    assert again.status == "success"
    assert any("stream_resumable=True" in w for w in again.warnings)


async def test_interrupt_then_resume(server):
    run = await lg_widgets.stream(
        "interrupt", {"topic": "x"}, thread_id="new", stream_mode="updates"
    )
    assert run.status == "interrupted"
    (interrupt,) = run.interrupts
    assert interrupt["value"]["hint"] == "resume with yes or no"
    resumed = await lg_widgets.stream(
        "interrupt", thread_id=run.thread_id, command={"resume": "yes"}, stream_mode="updates"
    )
    assert resumed.status == "success"
    assert resumed.values["result"] == "answer was 'yes'"


async def test_static_breakpoint_is_an_interrupt(server):
    run = await lg_widgets.stream(
        "agent", {"topic": "x"}, thread_id="new", interrupt_before=["generate_joke"]
    )
    assert run.status == "interrupted"
    assert run.values == {"topic": "x and cats"}


async def test_cancelling_the_wait_cancels_the_run(server):
    """What a kernel interrupt during `await run` does."""
    run = lg_widgets.stream(
        "slow", {"topic": "x", "delay": 0.3}, thread_id="new", stream_mode="updates"
    )
    waiter = asyncio.ensure_future(run.wait())
    while not run.events:
        await asyncio.sleep(0.05)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await run
    assert run.status == "cancelled"
    client = lg_widgets.current_connection().client()
    assert (await client.runs.get(run.thread_id, run.run_id))["status"] == "interrupted"


async def test_save_and_load_a_live_run(server, tmp_path):
    run = await lg_widgets.stream(
        "chat",
        {"topic": "cats"},
        thread_id="new",
        stream_mode=["updates", "messages-tuple"],
        stream_subgraphs=True,
    )
    run.save(tmp_path / "run.jsonl")
    loaded = lg_widgets.load(tmp_path / "run.jsonl")
    assert loaded.tokens == run.tokens and loaded.tree == run.tree
    assert loaded.timeline.equals(run.timeline)
    assert loaded.values == run.values and loaded.status == "success"

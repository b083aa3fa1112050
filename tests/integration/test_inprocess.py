"""A compiled graph of this process streamed with no server: threads, cancel, bad input."""

from __future__ import annotations

import asyncio
import time
from typing import Any, TypedDict

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph

import lg_widgets
from lg_widgets.demo import graphs
from lg_widgets.errors import LgWidgetsError

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _no_server() -> None:
    """These runs need no server: none is the default while they stream."""
    lg_widgets.disconnect()


class Count(TypedDict, total=False):
    n: int


def _counter(limit: int, pause: float, calls: list[int]) -> Any:
    """A graph whose sync node runs `limit` times, `pause` s each (in LangGraph's executor)."""

    def step(state: Count) -> Count:
        calls.append(state.get("n", 0))
        time.sleep(pause)
        return {"n": state.get("n", 0) + 1}

    return (
        StateGraph(Count)
        .add_node(step)
        .add_edge(START, "step")
        .add_conditional_edges("step", lambda s: END if s["n"] >= limit else "step")
        .compile()
    )


def _approval() -> Any:
    return graphs.interrupt_graph.copy(update={"checkpointer": InMemorySaver()})


async def test_a_graph_streams_here_without_a_server():
    run = lg_widgets.stream(graphs.agent, {"topic": "ice cream"}, stream_mode=["values", "updates"])
    assert run.url is None and not run.done
    await run
    assert run.status == "success", run.error
    assert run.values == {
        "topic": "ice cream and cats",
        "joke": "This is a joke about ice cream and cats",
    }
    assert run.events[0].mode == "metadata" and run.events[0].data["run_id"] == run.run_id
    assert list(run.timeline.query("mode == 'updates'")["node"]) == [
        "refine_topic",
        "generate_joke",
    ]
    assert {n["id"] for n in run.graph["nodes"]} >= {"refine_topic", "generate_joke"}


async def test_messages_mode_sends_whole_messages_as_the_server_does():
    run = await lg_widgets.stream(graphs.chat, {"topic": "cats"}, stream_mode="messages")
    names = {e.mode for e in run.events}
    assert {"messages/metadata", "messages/partial"} <= names
    last = [e.data for e in run.events if e.mode == "messages/partial"][-1][0]
    assert last["type"] == "AIMessageChunk" and isinstance(last["content"], str)


async def test_an_interrupt_is_resumed_and_the_thread_read_back():
    graph = _approval()
    run = await lg_widgets.stream(graph, {"topic": "ice"}, thread_id="new")
    assert run.status == "interrupted" and run.thread_id
    assert run.interrupts[0]["value"]["question"] == "Publish the piece about ice?"
    state = await asyncio.to_thread(lg_widgets.thread_state, run.thread_id, graph=graph)
    assert state["next"] == ["ask"] and state["interrupts"][0]["id"] == run.interrupts[0]["id"]
    after = await run.resume("yes")
    assert after.status == "success", after.error
    assert after.values["result"] == "answer was 'yes'" and after.previous is run
    history = await asyncio.to_thread(lg_widgets.history, run.thread_id, graph=graph)
    assert list(history["step"]) == sorted(history["step"]) and len(history) >= 4
    assert set(history["run_id"].dropna()) == {run.run_id, after.run_id}


async def test_fork_and_replay_from_a_checkpoint():
    graph = graphs.agent.copy(update={"checkpointer": InMemorySaver()})
    run = await lg_widgets.stream(graph, {"topic": "ice"}, thread_id="new")
    history = await asyncio.to_thread(lg_widgets.history, run.thread_id, graph=graph)
    refined = history[history["next"].apply(lambda n: n == ["generate_joke"])].iloc[0]
    forked = await run.fork(refined["checkpoint_id"], values={"topic": "tea"})
    assert forked.status == "success", forked.error
    assert forked.values["joke"] == "This is a joke about tea"
    replayed = await run.replay(refined["checkpoint_id"])
    assert replayed.values["joke"] == "This is a joke about ice and cats"


async def test_a_graph_with_a_subgraph_has_its_history_and_fork_targets():
    """A subgraph's task in a checkpoint holds the config to fetch its state, not the state."""
    graph = graphs.subgraph.copy(update={"checkpointer": InMemorySaver()})
    run = await lg_widgets.stream(
        graph, {"foo": "foo"}, thread_id="new", stream_mode=["updates"], stream_subgraphs=True
    )
    assert run.status == "success", run.error
    history = await asyncio.to_thread(lg_widgets.history, run.thread_id, graph=graph)
    assert list(history["step"]) == [-1, 0, 1, 2]
    root = run.timeline[run.timeline["namespace"] == ""]
    assert root["checkpoint_id"].notna().all() and root["step"].notna().all()


async def test_without_a_checkpointer_thread_operations_say_how_to_add_one():
    with pytest.raises(LgWidgetsError, match=r"compile\(checkpointer=InMemorySaver\(\)\)"):
        lg_widgets.stream(graphs.agent, {"topic": "x"}, thread_id="new")
    with pytest.raises(LgWidgetsError, match=r"compile\(checkpointer=InMemorySaver\(\)\)"):
        lg_widgets.history("some-thread", graph=graphs.agent)
    run = await lg_widgets.stream(graphs.interrupt_graph, {"topic": "x"})
    assert run.status == "interrupted"
    with pytest.raises(LgWidgetsError, match=r"has no checkpointer.*InMemorySaver"):
        run.resume("yes")


async def test_cancel_stops_an_async_graph():
    run = lg_widgets.stream(
        graphs.slow, {"topic": "x", "tokens": 60, "delay": 0.2}, stream_mode=["updates", "custom"]
    )
    started = asyncio.Event()
    run.on_change(lambda r, e: started.set() if e is not None and e.mode == "custom" else None)
    await started.wait()
    run.cancel()
    await run
    assert run.status == "cancelled" and run.error == "The run was cancelled."
    assert "answer" not in (run.values or {})


def _paused(gate: asyncio.Event, before: int) -> Any:
    """A graph that writes `before` custom events, then waits for `gate`, then writes one."""
    from langgraph.config import get_stream_writer

    async def write(state: Count) -> Count:
        writer = get_stream_writer()
        for i in range(before):
            writer({"i": i})
        await gate.wait()
        writer({"i": before})
        return {"n": before + 1}

    return StateGraph(Count).add_node(write).add_edge(START, "write").compile()


async def test_parts_are_folded_while_the_graph_waits_each_at_its_arrival_time():
    """Parts are folded in batches: those received before the graph pauses (an LLM call, a
    person) reach the run at once, not when the graph goes on, with the time they came."""
    gate = asyncio.Event()
    run = lg_widgets.stream(_paused(gate, 3), {"n": 0}, stream_mode="custom")
    seen: list[Any] = []
    three = asyncio.Event()

    def note(_run: lg_widgets.Run, event: Any) -> None:
        if event is not None and event.mode == "custom":
            seen.append(event.data["i"])
            if len(seen) == 3:
                three.set()

    run.on_change(note)
    await asyncio.wait_for(three.wait(), 10)  # the graph is still waiting on `gate`
    assert not run.done and seen == [0, 1, 2]
    folded_at = time.time()
    gate.set()
    await run
    assert run.status == "success" and seen == [0, 1, 2, 3]
    times = [e.time for e in run.events]
    assert times == sorted(times) and times[3] <= folded_at < times[4]


@pytest.mark.parametrize("where", ["at the end", "in a full batch", "while the graph waits"])
async def test_a_part_that_cannot_be_folded_ends_the_run_once(monkeypatch, where):
    """A fold that fails (a bug) ends the run with what failed, wherever the fold was: after
    the last part, when a batch filled up, or on the timer while the graph waited. No part is
    folded twice."""
    added: list[Any] = []
    original = lg_widgets.Run.add

    def add(self: lg_widgets.Run, part: Any, **kwargs: Any) -> Any:
        added.append(part)
        if len(added) == 3:
            raise RuntimeError("boom")
        return original(self, part, **kwargs)

    monkeypatch.setattr(lg_widgets.Run, "add", add)
    before = asyncio.all_tasks()  # the session's loop: other tests' tasks are not this one's
    graph = {
        "at the end": graphs.custom,
        "in a full batch": _paused(asyncio.Event(), 200),
        "while the graph waits": _paused(asyncio.Event(), 2),  # never let go: the run ends it
    }[where]
    run = lg_widgets.stream(graph, {"topic": "x"}, stream_mode="custom")
    await asyncio.wait_for(run.wait(), 10)
    assert run.status == "error" and "RuntimeError: boom" in (run.error or "")
    assert run.error.startswith("lg_widgets could not fold a part of the run")  # not the graph's
    assert len({id(part) for part in added}) == len(added)
    left = [t for t in asyncio.all_tasks() - before if not t.done()]
    if left:  # the graph's tasks, cancelled, may need the loop to unwind
        await asyncio.wait(left, timeout=5)
    assert [t for t in left if not t.done()] == []  # none goes on waiting on its gate


async def test_cancel_stops_a_sync_graph_at_its_next_step():
    calls: list[int] = []
    run = lg_widgets.stream(_counter(100, 0.05, calls), {"n": 0}, stream_mode="updates")
    two = asyncio.Event()
    run.on_change(lambda r, e: two.set() if len(calls) >= 2 else None)
    await two.wait()
    run.cancel()
    await run
    assert run.status == "cancelled"
    at_cancel = len(calls)
    await asyncio.sleep(0.3)  # six steps' time: a graph still going would have run them
    assert len(calls) <= at_cancel + 1


async def test_the_caller_loop_stays_free_while_a_sync_node_runs():
    calls: list[int] = []
    run = lg_widgets.stream(_counter(3, 0.1, calls), {"n": 0})
    ticks = 0
    while not run.done:
        ticks += 1
        await asyncio.sleep(0.01)
    assert run.status == "success" and ticks > 10  # 0.3 s of sync nodes, 10 ms ticks


def test_stream_from_plain_code_uses_the_background_loop():
    run = lg_widgets.stream(graphs.agent, {"topic": "ice"})
    run.wait_sync(30)
    assert run.status == "success" and run.values["joke"].endswith("ice and cats")


@pytest.mark.parametrize(
    ("given", "says"),
    [
        (StateGraph(Count), r"builder that was not compiled: pass builder\.compile\(\)"),
        (lambda state: state, r"is a function"),
        (None, r"compiled LangGraph graph .*not None"),
        (42, r"not int"),
    ],
    ids=["builder", "function", "None", "int"],
)
def test_what_is_not_a_graph_is_a_type_error(given, says):
    with pytest.raises(TypeError, match=says):
        lg_widgets.stream(given, {})


def test_arguments_a_graph_cannot_take_are_refused():
    with pytest.raises(TypeError, match="Did you mean 'config'"):
        lg_widgets.stream(graphs.agent, {}, confg={})
    with pytest.raises(ValueError, match="'events' cannot be streamed"):
        lg_widgets.stream(graphs.agent, {}, stream_mode="events")
    with pytest.raises(TypeError, match="client, url and api_key_env"):
        lg_widgets.stream(graphs.agent, {}, url="http://127.0.0.1:1")


async def test_an_input_the_graph_rejects_ends_the_run_with_its_message():
    run = await lg_widgets.stream(graphs.agent, "not a dict")
    assert run.status == "error"
    assert run.error.startswith(
        "The graph raised InvalidUpdateError: Expected dict, got not a dict"
    )
    assert run.error_data == {
        "error": "InvalidUpdateError",
        "message": run.error_data["message"],
        "node": "__start__",
    }
    missing = await lg_widgets.stream(graphs.agent, {"nope": 1})
    assert missing.error == "The graph raised KeyError: 'topic' (in node 'refine_topic')"


async def test_a_failing_node_is_named():
    run = await lg_widgets.stream(graphs.error, {"topic": "x"}, stream_mode="updates")
    assert run.status == "error"
    assert run.error == (
        "The graph raised ValueError: boom: the explode node failed on purpose (in node 'explode')"
    )
    assert run.error_data["node"] == "explode"

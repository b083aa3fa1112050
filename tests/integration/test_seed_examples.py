"""Every example of LangGraph's streaming guide, through lg_widgets, against the real server."""

from __future__ import annotations

import asyncio

import pytest
from langgraph_sdk.errors import NotFoundError

import lg_widgets

pytestmark = pytest.mark.integration


async def test_basic_updates_gives_the_guide_output(server):
    run = await lg_widgets.stream(
        "agent", {"topic": "ice cream"}, thread_id="new", stream_mode="updates"
    )
    assert run.status == "success", run.error
    updates = [e.data for e in run.events if e.mode == "updates"]
    assert updates == [
        {"refine_topic": {"topic": "ice cream and cats"}},
        {"generate_joke": {"joke": "This is a joke about ice cream and cats"}},
    ]
    assert run.events[0].mode == "metadata"
    assert run.run_id and run.thread_id and run.assistant_id == "agent"
    assert run.values == {
        "topic": "ice cream and cats",
        "joke": "This is a joke about ice cream and cats",
    }
    timeline = run.timeline
    assert list(timeline["node"]) == ["refine_topic", "generate_joke"]
    assert timeline.loc[1, "joke"] == "This is a joke about ice cream and cats"


async def test_values_mode_timeline_has_one_row_per_step(server):
    run = await lg_widgets.stream("agent", {"topic": "ice cream"}, thread_id="new")
    assert run.status == "success"
    frame = run.timeline
    assert list(frame["mode"]) == ["values"] * 3
    assert list(frame["topic"]) == ["ice cream", "ice cream and cats", "ice cream and cats"]
    assert frame["changed"].tolist()[1:] == [["topic"], ["joke"]]
    assert run.values["joke"] == "This is a joke about ice cream and cats"


async def test_subgraphs_build_the_namespace_tree(server):
    run = await lg_widgets.stream(
        "subgraph", {"foo": "foo"}, thread_id="new", stream_mode="updates", stream_subgraphs=True
    )
    assert run.status == "success"
    tree = run.tree
    assert set(tree["nodes"]) == {"node_1", "node_2"}
    (child,) = tree["children"]
    assert child["name"] == "node_2" and child["status"] == "success"
    assert set(child["nodes"]) == {"subgraph_node_1", "subgraph_node_2"}
    sub_rows = run.timeline[run.timeline["namespace"] == child["namespace"]]
    assert list(sub_rows["node"]) == ["subgraph_node_1", "subgraph_node_2"]
    assert run.values is not None and run.values["foo"] == "hi! foobar"


async def test_debug_mode_gives_steps(server):
    run = await lg_widgets.stream(
        "agent", {"topic": "ice cream"}, thread_id="new", stream_mode=["debug", "updates"]
    )
    assert run.status == "success"
    types = [e.data["type"] for e in run.events if e.mode == "debug"]
    assert {"checkpoint", "task", "task_result"} <= set(types)
    assert run.timeline["step"].notna().all()


async def test_llm_tokens_merge_by_message_and_filter(server):
    run = await lg_widgets.stream(
        "chat",
        {"topic": "cats"},
        thread_id="new",
        stream_mode="messages-tuple",
        stream_subgraphs=True,
    )
    assert run.status == "success"
    joke = "Why did the cats cross the road? To get to the other side of the story."
    assert run.tokens[("", "write_joke")] == joke
    assert run.text(tags="joke") == joke
    assert run.text(node="write_poem").startswith("Roses are red, cats")
    review_ns = [ns for ns, node in run.tokens if node == "critic"]
    assert len(review_ns) == 1 and review_ns[0].startswith("review:")
    assert run.text(namespace=review_ns[0]) == "The joke about cats works; the poem rhymes."
    chunks = run.tokens_df
    assert len(chunks) > 20
    assert "".join(chunks[chunks["node"] == "write_joke"]["text"]) == joke
    assert all(m["complete"] for m in run.messages)


async def test_messages_mode_accumulated_partials(server):
    run = await lg_widgets.stream(
        "chat", {"topic": "dogs"}, thread_id="new", stream_mode="messages"
    )
    assert run.status == "success"
    assert run.tokens[("", "write_joke")].startswith("Why did the dogs cross")
    assert (
        "".join(run.tokens_df.query("node == 'write_joke'")["text"])
        == run.tokens[("", "write_joke")]
    )


async def test_custom_data_from_root_and_subgraph(server):
    run = await lg_widgets.stream(
        "custom", {"topic": "x"}, thread_id="new", stream_mode="custom", stream_subgraphs=True
    )
    custom = [e for e in run.events if e.mode == "custom"]
    assert [e.data for e in custom[:3]] == [
        {"progress": p, "status": "thinking about x"} for p in (0, 50, 100)
    ]
    assert custom[3].data == "plain text from custom_node"
    assert custom[4].namespace[0].startswith("custom_sub:")
    assert run.status == "success"


async def test_events_mode(server):
    run = await lg_widgets.stream("chat", {"topic": "owls"}, thread_id="new", stream_mode="events")
    kinds = {e.data["event"] for e in run.events if e.mode == "events"}
    assert {"on_chain_start", "on_chat_model_stream", "on_chat_model_end"} <= kinds
    assert run.status == "success"


async def test_several_modes_at_once(server):
    run = await lg_widgets.stream(
        "agent",
        {"topic": "ice cream"},
        thread_id="new",
        stream_mode=["values", "updates", "tasks", "checkpoints"],
    )
    modes = {e.mode for e in run.events}
    assert {"metadata", "values", "updates", "tasks", "checkpoints"} <= modes
    assert set(run.timeline["mode"]) == {"values", "updates"}


async def test_stateless_run(server):
    run = await lg_widgets.stream(
        "agent", {"topic": "ice cream"}, thread_id=None, stream_mode="updates"
    )
    assert run.status == "success" and run.thread_id is None
    assert run.values == {
        "topic": "ice cream and cats",
        "joke": "This is a joke about ice cream and cats",
    }


async def test_join_a_background_run_with_several_modes(server):
    client = lg_widgets.current_connection().client()
    thread = await client.threads.create()
    created = await client.runs.create(
        thread["thread_id"],
        "slow",
        input={"topic": "x", "delay": 0.1, "tokens": 6},
        stream_mode=["updates", "messages-tuple", "custom"],
    )
    run = await lg_widgets.join(
        thread["thread_id"], created["run_id"], stream_mode=["updates", "messages-tuple"]
    )
    assert run.status == "success", run.error
    modes = {e.mode for e in run.events}
    assert {"updates", "messages"} <= modes, modes
    assert "custom" not in modes


async def test_join_replays_a_resumable_run(server):
    first = await lg_widgets.stream(
        "agent",
        {"topic": "ice cream"},
        thread_id="new",
        stream_mode="updates",
        stream_resumable=True,
    )
    replay = await lg_widgets.join(first.thread_id, first.run_id, replay=True)
    assert [e.data for e in replay.events if e.mode == "updates"] == [
        e.data for e in first.events if e.mode == "updates"
    ]
    assert replay.status == "success"


async def test_cancel_stops_the_run_on_the_server(server):
    run = lg_widgets.stream(
        "slow",
        {"topic": "x", "delay": 0.3},
        thread_id="new",
        stream_mode=["updates", "messages-tuple"],
    )
    while not any(e.mode == "messages" for e in run.events):
        await asyncio.sleep(0.05)
    received = len(run.events)
    run.cancel()
    await run
    assert run.status == "cancelled"
    assert len(run.events) >= received
    client = lg_widgets.current_connection().client()
    assert (await client.runs.get(run.thread_id, run.run_id))["status"] == "interrupted"


@pytest.mark.parametrize("mode", ["messages-tuple", "updates"])
async def test_cancel_a_stateless_run(server, mode, monkeypatch):
    """With tokens the temporary thread is known and the server is asked; without, the closed
    stream stops it (stateless runs default to on_disconnect="cancel")."""
    run = lg_widgets.stream(
        "slow", {"topic": "x", "delay": 0.3, "tokens": 30}, stream_mode=["messages-tuple", mode]
    )
    while not run.messages:
        await asyncio.sleep(0.05)
    temporary_thread = run.events[-1].data[1]["thread_id"]
    if mode == "updates":
        # as if no token had named the thread
        monkeypatch.setattr("lg_widgets.run.task.stateless_thread_id", lambda _events: None)
    started = asyncio.get_running_loop().time()
    run.cancel()
    await run
    assert run.status == "cancelled" and run.done
    assert asyncio.get_running_loop().time() - started < 3
    assert not run.warnings
    client = lg_widgets.current_connection().client()
    # the 9 s run is over well before its time: its temporary thread is gone or interrupted
    for _ in range(50):
        try:
            status = (await client.runs.get(temporary_thread, run.run_id))["status"]
        except NotFoundError:
            break
        if status == "interrupted":
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError(f"the stateless run is still {status} on the server")


async def test_events_mode_fills_tokens_once_even_with_messages_tuple(server):
    events_only = await lg_widgets.stream(
        "chat", {"topic": "owls"}, thread_id="new", stream_mode="events"
    )
    both = await lg_widgets.stream(
        "chat", {"topic": "owls"}, thread_id="new", stream_mode=["events", "messages-tuple"]
    )
    joke = "Why did the owls cross the road? To get to the other side of the story."
    assert events_only.tokens[("", "write_joke")] == joke
    assert events_only.text(tags="joke") == joke
    assert both.tokens[("", "write_joke")] == joke  # not doubled
    chunks = events_only.tokens_df
    assert "".join(chunks[chunks["node"] == "write_joke"]["text"]) == joke
    for run in (events_only, both):  # the subgraph's namespace, from token metadata
        (namespace,) = [ns for ns, node in run.tokens if node == "critic"]
        assert namespace.startswith("review:")


async def test_a_late_join_says_what_is_not_here(server):
    """A run created without stream_resumable, joined after it began: the join says its
    earlier events are not here and why, and reads the run's state from the thread."""
    client = lg_widgets.current_connection().client()
    thread = await client.threads.create()
    created = await client.runs.create(
        thread["thread_id"], "slow", input={"topic": "x", "delay": 0.2, "tokens": 8},
        stream_mode=["updates"],
    )  # fmt: skip
    await client.runs.join(thread["thread_id"], created["run_id"])  # until it has ended
    late = await lg_widgets.join(thread["thread_id"], created["run_id"])
    assert late.status == "success", late.error
    (warning,) = late.warnings
    assert "had already ended (success)" in warning and "stream_resumable=True" in warning
    assert late.values and late.values["done"] is True  # read from the thread
    again = await client.runs.create(
        thread["thread_id"], "slow", input={"topic": "y", "delay": 0.2, "tokens": 8},
        stream_mode=["updates"], stream_resumable=True,
    )  # fmt: skip
    running = await lg_widgets.join(thread["thread_id"], again["run_id"])
    assert any("pass replay=True" in w for w in running.warnings), running.warnings

"""The assistant's graph beside a live run, against the embedded server: fetched once per
assistant version, never in the stream's way, and a failing endpoint is one sentence."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import lg_widgets
from lg_widgets.run import graph_cache

pytestmark = pytest.mark.integration


async def graph_of(run: lg_widgets.Run) -> dict[str, Any]:
    """`run.graph` once the run's graph fetch has answered (awaited, not polled)."""
    arrived = asyncio.Event()
    unsubscribe = run.on_change(lambda r, _e: arrived.set() if r.graph_model else None)
    try:
        if run.graph_model is None:
            await asyncio.wait_for(arrived.wait(), 30)
    finally:
        unsubscribe()
    graph = run.graph
    assert graph is not None
    return graph


class CountingGraphs:
    """Counts the SDK's get_graph calls of one client (and can hold them back)."""

    def __init__(self, client: Any, gate: asyncio.Event | None = None) -> None:
        self.calls: list[tuple[str, Any]] = []
        self._real = client.assistants.get_graph
        self._gate = gate
        client.assistants.get_graph = self

    async def __call__(self, assistant_id: str, *, xray: Any = False, **kwargs: Any) -> Any:
        self.calls.append((assistant_id, xray))
        if self._gate is not None:
            await self._gate.wait()
        return await self._real(assistant_id, xray=xray, **kwargs)


async def test_ten_runs_of_one_assistant_fetch_its_graph_once(server):
    graph_cache.clear()
    client = server.client()
    counting = CountingGraphs(client)
    runs = [
        lg_widgets.stream("subgraph", {"foo": str(i)}, stream_mode="updates", client=client)
        for i in range(10)
    ]
    graphs = [await graph_of(await run) for run in runs]
    assert counting.calls == [("subgraph", True)]
    nodes = {n["id"]: n for n in graphs[0]["nodes"]}
    assert all({n["id"] for n in graph["nodes"]} == set(nodes) for graph in graphs)
    assert set(nodes) == {
        "__start__",
        "node_1",
        "node_2:subgraph_node_1",
        "node_2:subgraph_node_2",
        "__end__",
    }
    assert nodes["node_2:subgraph_node_1"]["parent"] == "node_2"
    assert [g["id"] for g in graphs[0]["subgraphs"]] == ["node_2"]
    # updates with subgraphs=False: the subgraph's nodes are not streamed, the box is
    assert graphs[0]["subgraphs"][0]["visits"] == 1 and nodes["node_1"]["visits"] == 1

    # a new version of an assistant is a new graph; the same version is not fetched again
    assistant = await client.assistants.create(graph_id="agent", config={"tags": ["v1"]})
    first = await lg_widgets.stream(assistant["assistant_id"], {"topic": "x"}, client=client)
    await graph_of(await first)
    await client.assistants.update(assistant["assistant_id"], config={"tags": ["v2"]})
    for _ in range(2):
        again = await lg_widgets.stream(assistant["assistant_id"], {"topic": "x"}, client=client)
        await graph_of(await again)
    assert [call[0] for call in counting.calls[1:]] == [assistant["assistant_id"]] * 2
    await client.http.client.aclose()


async def test_the_stream_does_not_wait_for_the_graph(server):
    graph_cache.clear()
    client = server.client()
    gate = asyncio.Event()
    CountingGraphs(client, gate)
    run = lg_widgets.stream("agent", {"topic": "x"}, stream_mode="updates", client=client)
    ended = asyncio.Event()
    run.on_change(lambda r, _e: ended.set() if r.ended_at is not None else None)
    await asyncio.wait_for(ended.wait(), 30)
    assert run.status == "success" and run.graph is None  # ended while the graph is held back
    assert [e.data for e in run.events if e.mode == "updates"][-1] == {
        "generate_joke": {"joke": "This is a joke about x and cats"}
    }
    gate.set()
    graph = await graph_of(run)
    assert [n["visits"] for n in graph["nodes"] if n["id"] == "generate_joke"] == [1]
    await client.http.client.aclose()


async def test_a_missing_graph_endpoint_is_one_sentence_and_the_run_goes_on(server):
    graph_cache.clear()
    client = server.client()

    async def missing(assistant_id: str, **_kwargs: Any) -> Any:
        return await client.http.get(f"/assistants/{assistant_id}/no-such-graph-endpoint")

    client.assistants.get_graph = missing
    run = await lg_widgets.stream("agent", {"topic": "x"}, stream_mode="updates", client=client)
    graph = await graph_of(run)
    assert graph["nodes"] == [] and graph["edges"] == []
    assert graph["note"].startswith("Could not fetch the graph of 'agent': the server answered 404")
    assert "\n" not in graph["note"]
    assert run.status == "success" and run.error is None and not run.warnings
    assert [e.data for e in run.events if e.mode == "updates"][-1] == {
        "generate_joke": {"joke": "This is a joke about x and cats"}
    }
    await client.http.client.aclose()


async def test_a_tool_loop_shows_tools_conditional_edges_and_visit_counts(server):
    run = await lg_widgets.stream(
        "tool_loop",
        {"messages": [{"role": "user", "content": "Weather in Paris?"}]},
        stream_mode=["messages-tuple", "updates"],
    )
    assert run.status == "success", run.error
    graph = run.graph  # `await run` waits for a graph still being fetched
    assert graph is not None
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert nodes["tools"]["tools"] == ["get_weather", "get_time"]
    assert (nodes["agent"]["visits"], nodes["tools"]["visits"]) == (2, 1)
    edges = {(e["source"], e["target"]): e["conditional"] for e in graph["edges"]}
    assert edges[("agent", "tools")] and edges[("agent", "__end__")]
    assert not edges[("tools", "agent")]


async def test_a_send_fan_out_counts_its_parallel_tasks(server):
    run = await lg_widgets.stream(
        "fanout",
        {"topics": ["a", "b", "c", "d"], "delay": 0.1},
        stream_mode=["tasks"],
        stream_subgraphs=True,
    )
    assert run.status == "success", run.error
    graph = await graph_of(run)
    box = graph["subgraphs"][0]
    assert (box["id"], box["visits"], box["parallel"], box["running"]) == ("worker", 4, 4, 0)
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert nodes["worker:research"]["parallel"] == 4
    assert nodes["summarize"]["status"] == "success"


async def test_a_graph_without_a_run(server):
    view = await lg_widgets.graph("subgraph")
    data = view.graph_data
    assert data is not None and data["note"] is None
    assert {n["id"] for n in data["nodes"]} >= {"node_1", "node_2:subgraph_node_1"}
    assert view.graph["groups"] == [{"id": "node_2", "name": "node_2", "parent": None}]
    assert view.kind == "graph"
    missing = await lg_widgets.graph("no_such_assistant")
    assert missing.graph["nodes"] == []
    assert missing.graph["note"].startswith("Could not fetch the graph of 'no_such_assistant'")


def test_a_graph_from_a_script_without_a_running_loop(server):
    view = lg_widgets.graph("tool_loop", xray=False)  # fetched on the background loop
    asyncio.run(view.wait())
    data = view.graph_data
    assert data is not None
    assert {n["id"]: n["tools"] for n in data["nodes"]}["tools"] == ["get_weather", "get_time"]

"""The graph model (reducers/graph.py): the server's graph shaped for drawing, and per-node
activity folded from recorded transcripts of the demo graphs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.graph_layout import generated_graph
from lg_widgets import load
from lg_widgets.events import Event, graph_path
from lg_widgets.reducers.graph import MAX_DRAWN_NODES, GraphActivity, GraphModel
from lg_widgets.run import Run

TRANSCRIPTS = Path(__file__).resolve().parents[1] / "transcripts"

# what the embedded server answers for the `subgraph` demo with xray=True
SUBGRAPH_XRAY = {
    "nodes": [
        {"id": "__start__", "type": "runnable", "data": {"name": "__start__"}},
        {"id": "node_1", "type": "runnable", "data": {"name": "node_1"}},
        {"id": "__end__"},
        {"id": "node_2:subgraph_node_1", "type": "runnable", "data": {"name": "x"}},
        {"id": "node_2:subgraph_node_2", "type": "runnable", "data": {"name": "y"}},
    ],
    "edges": [
        {"source": "__start__", "target": "node_1"},
        {"source": "node_1", "target": "node_2:subgraph_node_1"},
        {"source": "node_2:subgraph_node_2", "target": "__end__"},
        {"source": "node_2:subgraph_node_1", "target": "node_2:subgraph_node_2"},
    ],
}
SUBGRAPH_FLAT = {
    "nodes": [{"id": "__start__"}, {"id": "node_1"}, {"id": "node_2"}, {"id": "__end__"}],
    "edges": [
        {"source": "__start__", "target": "node_1"},
        {"source": "node_1", "target": "node_2"},
        {"source": "node_2", "target": "__end__"},
    ],
}
REACT = {
    "nodes": [
        {"id": "__start__"},
        {"id": "agent"},
        {"id": "tools", "metadata": {"__tools": ["get_weather", "get_time"]}},
        {"id": "__end__"},
    ],
    "edges": [
        {"source": "__start__", "target": "agent"},
        {"source": "agent", "target": "__end__", "conditional": True},
        {"source": "agent", "target": "tools", "conditional": True, "data": "continue"},
        {"source": "tools", "target": "agent"},
    ],
}


def activity_of(name: str, model: GraphModel) -> dict[str, dict[str, Any]]:
    run = load(TRANSCRIPTS / name)
    return run.state.graph.project(model)


# ---- the graph as drawn ------------------------------------------------------------------------


def test_xray_ids_nest_subgraph_nodes_in_a_box() -> None:
    model = GraphModel.from_server(SUBGRAPH_XRAY, assistant_id="subgraph")
    nodes = {n.id: n for n in model.nodes}
    assert nodes["node_2:subgraph_node_1"].parent == "node_2"
    assert nodes["node_2:subgraph_node_1"].name == "subgraph_node_1"
    assert nodes["node_1"].parent is None
    assert (nodes["__start__"].kind, nodes["__end__"].kind, nodes["node_1"].kind) == (
        "start",
        "end",
        "node",
    )
    assert [(g.id, g.name, g.parent) for g in model.groups] == [("node_2", "node_2", None)]
    assert model.note is None
    assert model.drawn_ids == {*nodes, "node_2"}


def test_deeper_xray_ids_nest_boxes_in_boxes() -> None:
    model = GraphModel.from_server({"nodes": [{"id": "a:b:c"}, {"id": "a:d"}], "edges": []})
    assert [(g.id, g.name, g.parent) for g in model.groups] == [("a", "a", None), ("a:b", "b", "a")]
    assert {n.id: n.parent for n in model.nodes} == {"a:b:c": "a:b", "a:d": "a"}


def test_tool_names_conditional_edges_and_labels() -> None:
    model = GraphModel.from_server(REACT)
    assert {n.id: n.tools for n in model.nodes}["tools"] == ("get_weather", "get_time")
    edges = {(e.source, e.target): (e.conditional, e.label) for e in model.edges}
    assert edges[("agent", "tools")] == (True, "continue")
    assert edges[("agent", "__end__")] == (True, None)
    assert edges[("tools", "agent")] == (False, None)  # a cycle is kept as it is


def test_locate_finds_the_nearest_drawn_node_or_box() -> None:
    xray = GraphModel.from_server(SUBGRAPH_XRAY)
    flat = GraphModel.from_server(SUBGRAPH_FLAT)
    assert xray.locate("node_2:subgraph_node_1") == "node_2:subgraph_node_1"
    assert xray.locate("node_2") == "node_2"  # the box
    assert flat.locate("node_2:subgraph_node_1") == "node_2"  # drawn without xray
    assert flat.locate("elsewhere:x") is None


def test_bad_input_becomes_one_sentence() -> None:
    for data in (None, [], "oops", {"edges": []}, {"nodes": "x"}):
        model = GraphModel.from_server(data)
        assert model.nodes == [] and model.note and "\n" not in model.note
    model = GraphModel.from_server(
        {
            "nodes": [{"id": "a"}, {"id": "a"}, {"no": "id"}, "junk", {"id": 7}, {"id": True}],
            "edges": [
                {"source": "a", "target": "a"},  # a self-loop is drawn
                {"source": "a", "target": "ghost"},
                {"source": 7, "target": "a"},
                "junk",
                {"source": "a", "target": "a"},  # the same edge twice is drawn once
            ],
        }
    )
    assert [n.id for n in model.nodes] == ["a", "7"]
    assert [(e.source, e.target) for e in model.edges] == [("a", "a"), ("7", "a")]
    assert model.note == "4 nodes without a usable id left out; 2 edges to unknown nodes left out."
    assert GraphModel.from_server({"nodes": [], "edges": []}).note == (
        "The server sent a graph with no nodes."
    )


def test_thousands_of_nodes_are_capped_and_said_so() -> None:
    data = generated_graph(3000)
    model = GraphModel.from_server(data)
    assert len(model.nodes) == 3000  # run.graph has them all
    drawn_nodes = [n for n in model.nodes if n.id in model.drawn_ids]
    assert len(drawn_nodes) == MAX_DRAWN_NODES
    assert {"__start__", "__end__"} <= model.drawn_ids
    assert (
        model.note
        == f"Drawing the first {MAX_DRAWN_NODES} of 3,000 nodes (run.graph has them all)."
    )


def test_graph_path_drops_task_ids() -> None:
    assert graph_path(("node_2:71d2d97a",), "subgraph_node_1") == "node_2:subgraph_node_1"
    assert graph_path(("a:1", "b:2"), "c") == "a:b:c"
    assert graph_path((), "node_1") == "node_1"
    assert graph_path(("a:1", "b:2")) == "a:b"


# ---- activity from recorded runs ---------------------------------------------------------------


def test_tasks_events_give_exact_visits_times_and_nesting() -> None:
    model = GraphModel.from_server(SUBGRAPH_XRAY)
    activity = activity_of("subgraph.values+tasks.subgraphs.jsonl", model)
    assert set(activity) == {"node_1", "node_2", "node_2:subgraph_node_1", "node_2:subgraph_node_2"}
    for entry in activity.values():
        assert (entry["visits"], entry["running"], entry["status"]) == (1, 0, "success")
    inner = (
        activity["node_2:subgraph_node_1"]["seconds"]
        + activity["node_2:subgraph_node_2"]["seconds"]
    )
    assert activity["node_2"]["seconds"] >= inner > 0  # the box spans its nodes
    assert activity["node_2"]["latest"] and not activity["node_1"]["latest"]


def test_without_xray_a_subgraphs_nodes_do_not_add_to_its_counts() -> None:
    activity = activity_of(
        "subgraph.updates.subgraphs.jsonl", GraphModel.from_server(SUBGRAPH_FLAT)
    )
    assert set(activity) == {"node_1", "node_2"}
    assert activity["node_2"]["visits"] == 1


def test_updates_only_counts_visits_but_knows_nothing_running() -> None:
    run = load(TRANSCRIPTS / "subgraph.updates.subgraphs.jsonl")
    paths = run.state.graph.paths
    assert {p: a.visits for p, a in paths.items()} == {
        "node_1": 1,
        "node_2:subgraph_node_1": 1,
        "node_2:subgraph_node_2": 1,
        "node_2": 1,
    }
    assert all(a.running == 0 and a.parallel == 0 for a in paths.values())


def test_a_send_fan_out_shows_its_parallel_tasks() -> None:
    fanout = GraphModel.from_server(
        {
            "nodes": [
                {"id": "__start__"},
                {"id": "plan"},
                {"id": "worker:research"},
                {"id": "worker:write"},
                {"id": "summarize"},
                {"id": "__end__"},
            ],
            "edges": [{"source": "plan", "target": "worker:research", "conditional": True}],
        }
    )
    events = load(TRANSCRIPTS / "fanout.tasks+updates.subgraphs.jsonl").events
    run = Run.from_log(events[:10])  # the three workers are researching
    live = run.state.graph.project(fanout)
    assert (live["worker"]["running"], live["worker"]["status"]) == (3, "running")
    assert live["worker:research"]["running"] == 3
    assert live["plan"]["status"] == "success"
    run = load(TRANSCRIPTS / "fanout.tasks+updates.subgraphs.jsonl")
    done = run.state.graph.project(fanout)
    for node in ("worker", "worker:research", "worker:write"):
        assert (done[node]["visits"], done[node]["parallel"], done[node]["running"]) == (3, 3, 0)
    assert done["summarize"]["latest"]


def test_failed_and_interrupted_nodes_from_tasks_events() -> None:
    run = load(TRANSCRIPTS / "error.tasks.jsonl")
    assert run.state.graph.paths["explode"].status == "error"
    assert run.state.graph.paths["fine"].status == "success"
    run = load(TRANSCRIPTS / "interrupt.tasks.jsonl")
    assert run.state.graph.paths["ask"].status == "interrupted"


def test_debug_and_updates_together_count_each_task_once() -> None:
    run = load(TRANSCRIPTS / "agent.debug+updates.jsonl")
    assert {p: a.visits for p, a in run.state.graph.paths.items()} == {
        "refine_topic": 1,
        "generate_joke": 1,
    }


def test_tokens_light_the_node_that_streams_until_its_update() -> None:
    events = load(TRANSCRIPTS / "tool_loop.messages-tuple+updates.jsonl").events
    seqs = {e.seq: e for e in events}
    run = Run.from_log(events[:8])  # the agent's second turn is streaming its answer
    agent = run.state.graph.paths["agent"]
    assert (agent.visits, agent.running, agent.status) == (2, 1, "running")
    assert run.state.graph.paths["tools"].status == "success"  # a tool's whole message: no task
    assert seqs[20].mode == "updates"
    run = Run.from_log(events)
    agent = run.state.graph.paths["agent"]
    assert (agent.visits, agent.running, agent.status) == (2, 0, "success")
    assert agent.seconds > 0


def test_tokens_alone_end_a_task_at_the_next_step_or_the_run_end() -> None:
    run = load(TRANSCRIPTS / "chat.messages-tuple.subgraphs.jsonl")
    paths = run.state.graph.paths
    assert set(paths) == {"write_joke", "write_poem", "review:critic"}
    assert all(a.visits == 1 and a.running == 0 and a.status == "success" for a in paths.values())
    events = run.events
    half = Run.from_log(events[:40])  # both parallel nodes of step 1 have streamed
    assert half.state.graph.paths["write_joke"].running == 1
    assert half.state.graph.paths["write_poem"].running == 1


def test_open_tasks_take_the_runs_fate() -> None:
    events = load(TRANSCRIPTS / "tool_loop.messages-tuple+updates.jsonl").events[:8]
    run = Run.from_log(events)
    run.finish("error", "boom")
    assert run.state.graph.paths["agent"].status == "error"
    run = Run.from_log(events)
    run.finish("cancelled")
    assert run.state.graph.paths["agent"].status == "cancelled"


def test_a_long_token_stream_keeps_one_open_task() -> None:
    activity = GraphActivity()
    meta = {"langgraph_node": "n", "langgraph_step": 1, "langgraph_checkpoint_ns": "n:1"}
    for i in range(10_000):
        chunk = {"type": "AIMessageChunk", "content": "x", "id": "m"}
        activity.apply(Event(i, float(i), "messages", (), [chunk, meta]))
    assert activity.paths["n"].visits == 1 and len(activity._open) == 1


def test_tokens_that_name_no_task_light_nothing_and_a_node_alone_is_one_task() -> None:
    """The Agent Protocol's tokens carry no metadata: no task is looked for. A token naming
    only its node (no checkpoint namespace) keeps one open task, as one with a namespace does."""
    activity = GraphActivity()
    chunk = {"type": "AIMessageChunk", "content": "x", "id": "m"}
    for i in range(100):
        activity.apply(Event(i, float(i), "messages", (), [chunk, {}]))
    assert activity.paths == {} and activity._open == {}
    meta = {"langgraph_node": "n", "langgraph_step": 2}
    for i in range(100, 200):
        activity.apply(Event(i, float(i), "messages", (), [chunk, meta]))
    assert activity.paths["n"].visits == 1 and list(activity._open) == ["|n|2"]
    assert activity.paths["n"].running == 1


def test_run_graph_is_plain_data_with_activity() -> None:
    run = load(TRANSCRIPTS / "tool_loop.messages-tuple+updates.jsonl")
    assert run.graph is None  # a loaded run without a saved graph
    run.set_graph(REACT, xray=True)
    graph = run.graph
    assert graph is not None
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert nodes["agent"]["visits"] == 2 and nodes["tools"]["visits"] == 1
    assert nodes["tools"]["tools"] == ["get_weather", "get_time"]
    assert nodes["__start__"]["status"] is None
    assert {(e["source"], e["target"], e["conditional"]) for e in graph["edges"]} >= {
        ("agent", "tools", True),
        ("tools", "agent", False),
    }
    assert graph["note"] is None


def test_a_failed_fetch_is_a_note_not_an_error() -> None:
    run = load(TRANSCRIPTS / "agent.updates.jsonl")
    run.set_graph(None, error="Could not fetch the graph: the server answered 404.")
    graph = run.graph
    assert graph is not None
    assert (
        graph["nodes"] == []
        and graph["note"] == "Could not fetch the graph: the server answered 404."
    )
    assert run.status == "success" and run.error is None


def test_a_saved_run_keeps_its_graph(tmp_path: Path) -> None:
    run = load(TRANSCRIPTS / "tool_loop.messages-tuple+updates.jsonl")
    run.set_graph(REACT, xray=True)
    run.save(tmp_path / "run.jsonl")
    assert load(tmp_path / "run.jsonl").graph == run.graph


def test_tokens_add_nothing_where_task_events_tell() -> None:
    activity = GraphActivity()
    meta = {"langgraph_node": "agent", "langgraph_step": 1, "langgraph_checkpoint_ns": "agent:t1"}
    chunk = {"type": "AIMessageChunk", "content": "x", "id": "m"}
    activity.apply(Event(0, 1.0, "tasks", (), {"id": "t1", "name": "agent", "input": {}}))
    for i in range(1, 50):
        activity.apply(Event(i, 1.0 + i, "messages", (), [chunk, meta]))
    assert (activity.paths["agent"].visits, activity.paths["agent"].running) == (1, 1)
    activity.apply(Event(50, 60.0, "tasks", (), {"id": "t1", "name": "agent", "result": {}}))
    agent = activity.paths["agent"]
    assert (agent.visits, agent.running, agent.status, agent.seconds) == (1, 0, "success", 59.0)

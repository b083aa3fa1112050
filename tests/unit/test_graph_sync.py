"""The graph on the wire (view/sync.py): sent once when it arrives, then only the nodes whose
activity changed, coalesced per flush like everything else."""

from __future__ import annotations

from pathlib import Path

from bench.graph_layout import generated_graph
from lg_widgets import load
from lg_widgets.reducers.graph import MAX_DRAWN_NODES
from lg_widgets.run import Run
from lg_widgets.view.sync import RunSync

TRANSCRIPTS = Path(__file__).resolve().parents[1] / "transcripts"
FANOUT_XRAY = {
    "nodes": [
        {"id": "__start__"},
        {"id": "plan"},
        {"id": "summarize"},
        {"id": "__end__"},
        {"id": "worker:research"},
        {"id": "worker:write"},
    ],
    "edges": [
        {"source": "__start__", "target": "plan"},
        {"source": "plan", "target": "worker:research", "conditional": True},
        {"source": "worker:research", "target": "worker:write"},
        {"source": "worker:write", "target": "summarize"},
        {"source": "summarize", "target": "__end__"},
    ],
}


def test_the_graph_is_sent_once_then_only_changed_activity() -> None:
    events = load(TRANSCRIPTS / "fanout.tasks+updates.subgraphs.jsonl").events
    run = Run.from_log(assistant_id="fanout")
    sync = RunSync(run)
    assert sync.snapshot(0)["graph"] is None
    for event in events[:3]:
        run.add((event.event, event.data, event.id))
    run.set_graph(FANOUT_XRAY)
    first = sync.delta(1)
    assert first is not None
    assert [n["id"] for n in first["graph"]["nodes"]][:2] == ["__start__", "__end__"]
    assert first["graph"]["groups"] == [{"id": "worker", "name": "worker", "parent": None}]
    assert [a["id"] for a in first["graph_activity"]] == ["plan"]  # what ran before it arrived
    assert sync.delta(2) is None  # nothing new: the activity is not projected again

    for event in events[3:10]:  # the three workers start researching
        run.add((event.event, event.data, event.id))
    second = sync.delta(3)
    assert second is not None and "graph" not in second
    changed = {a["id"]: a for a in second["graph_activity"]}
    assert set(changed) == {"plan", "worker", "worker:research"}  # plan: no longer the latest
    assert (changed["worker"]["running"], changed["worker"]["status"]) == (3, "running")
    assert changed["worker:research"]["latest"] and not changed["plan"]["latest"]

    for event in events[10:]:
        run.add((event.event, event.data, event.id))
    run.finish("success")
    sync.delta(4)
    last = sync.snapshot(4)
    activity = {a["id"]: a for a in last["graph_activity"]}
    assert activity["worker"]["parallel"] == 3 and activity["worker"]["status"] == "success"
    assert last["graph"]["nodes"] and sync.delta(5) is None


def test_a_capped_graph_sends_only_what_is_drawn() -> None:
    run = Run.from_log(assistant_id="big")
    run.set_graph(generated_graph(2000))
    snapshot = RunSync(run).snapshot(0)
    graph = snapshot["graph"]
    assert graph is not None
    assert len(graph["nodes"]) == MAX_DRAWN_NODES
    drawn = {n["id"] for n in graph["nodes"]} | {g["id"] for g in graph["groups"]}
    assert all(e["source"] in drawn and e["target"] in drawn for e in graph["edges"])
    assert all(n["parent"] is None or n["parent"] in drawn for n in graph["nodes"])
    assert graph["note"] == "Drawing the first 300 of 2,000 nodes (run.graph has them all)."

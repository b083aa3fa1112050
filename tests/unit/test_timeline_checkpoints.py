"""Timeline rows know the checkpoint written after their step: from the streamed `debug` /
`checkpoints` events (recorded transcripts), and from a thread's history after the run."""

from __future__ import annotations

from lg_widgets import load
from lg_widgets.reducers.timeline import TimelineReducer
from tests.conftest import TRANSCRIPTS


def test_debug_checkpoints_name_the_rows_of_their_step():
    run = load(TRANSCRIPTS / "agent.debug+updates.jsonl")
    checkpoints = {
        e.data["payload"]["metadata"]["step"]: e.data["payload"]["config"]["configurable"][
            "checkpoint_id"
        ]
        for e in run.events
        if e.mode == "debug" and e.data.get("type") == "checkpoint"
    }
    timeline = run.timeline
    assert timeline["node"].tolist() == ["refine_topic", "generate_joke"]
    assert timeline["checkpoint_id"].tolist() == [checkpoints[1], checkpoints[2]]
    assert run.state.timeline.checkpoint_ns(checkpoints[1]) == ""


def entry(cid, parent, step, run_id, tasks=(), source="loop"):
    return {
        "checkpoint": {"checkpoint_id": cid, "checkpoint_ns": ""},
        "parent_checkpoint": {"checkpoint_id": parent} if parent else None,
        "metadata": {"step": step, "run_id": run_id, "source": source},
        "tasks": [{"name": name, "result": {}} for name in tasks],
    }


def test_rows_matched_from_the_history_by_the_nodes_each_step_ran():
    reducer = TimelineReducer()
    rows = [
        ("values", None, {"messages": []}),
        ("updates", "tools", {}),
        ("updates", "tools", {}),
        ("values", "tools,tools", {"messages": []}),
        ("updates", "model", {}),
    ]
    for mode, node, values in rows:
        reducer.rows.append(
            {"seq": 0, "time": 0, "mode": mode, "namespace": "", "node": node, "step": None,
             "changed": [], "checkpoint_id": None, **values}
        )  # fmt: skip
    history = [  # newest first; c1 belongs to an earlier run (the one resumed)
        entry("c3", "c2", 3, "r2"),
        entry("c2", "c1", 2, "r2", tasks=["model"]),
        entry("c1", "c0", 1, "r1", tasks=["tools", "tools"]),
    ]
    assert reducer.match_history(history, "r2") == 5
    assert [row["checkpoint_id"] for row in reducer.rows] == ["c1", "c2", "c2", "c2", "c3"]
    # `updates`/`values` alone say no step: each row takes its checkpoint's, and keeps it saved
    assert [row["step"] for row in reducer.rows] == [1, 2, 2, 2, 3]
    again = TimelineReducer()
    again.rows = [{**row, "checkpoint_id": None, "step": None} for row in reducer.rows]
    again.restore_matches(reducer.matches() or {})
    assert [row["step"] for row in again.rows] == [1, 2, 2, 2, 3]
    old_file = {"rows": [[i, cid] for i, cid, _ in (reducer.matches() or {})["rows"]]}
    older = TimelineReducer()
    older.rows = [{**row, "checkpoint_id": None, "step": None} for row in reducer.rows]
    older.restore_matches(old_file)  # saved before steps were: ids alone
    assert [row["checkpoint_id"] for row in older.rows] == ["c1", "c2", "c2", "c2", "c3"]


def test_a_token_after_a_checkpoint_says_its_step_again():
    """A task's tokens share one metadata dict, so its step is read once, but not across a
    checkpoint, which sets the step in between."""
    from lg_widgets.events import Event

    timeline = TimelineReducer()
    meta = {"langgraph_step": 1, "langgraph_node": "n"}
    chunk = {"type": "AIMessageChunk", "content": "x", "id": "m"}
    checkpoint = {"values": {}, "metadata": {"step": 3}, "config": {"configurable": {}}}
    timeline.apply(Event(0, 0.0, "messages", (), [chunk, meta]))
    timeline.apply(Event(1, 1.0, "checkpoints", (), checkpoint))
    timeline.apply(Event(2, 2.0, "messages", (), [chunk, meta]))
    timeline.apply(Event(3, 3.0, "updates", (), {"n": {"x": 1}}))
    timeline.apply(Event(4, 4.0, "messages", ("sub:1",), [chunk, meta]))  # same dict, elsewhere
    timeline.apply(Event(5, 5.0, "updates", ("sub:1",), {"n": {"x": 2}}))
    assert [row["step"] for row in timeline.rows] == [1, 1]

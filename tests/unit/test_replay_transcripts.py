"""Replay transcripts recorded from the embedded server (scripts/record_transcripts.py)."""

from __future__ import annotations

import orjson
import pytest

import lg_widgets
from lg_widgets.events import normalize
from lg_widgets.reducers import replay

from ..conftest import TRANSCRIPTS


def load(name: str) -> lg_widgets.Run:
    return lg_widgets.load(TRANSCRIPTS / f"{name}.jsonl")


def test_updates_timeline_and_values():
    run = load("agent.updates")
    assert run.status == "success" and run.error is None
    frame = run.timeline
    assert list(frame.columns[:9]) == [
        "seq",
        "time",
        "elapsed",
        "mode",
        "namespace",
        "agent",
        "node",
        "step",
        "changed",
    ]
    assert list(frame["node"]) == ["refine_topic", "generate_joke"]
    assert list(frame["agent"]) == ["agent", "agent"]  # the root: the assistant's name
    assert frame["topic"].tolist()[0] == "ice cream and cats"
    assert frame["changed"].tolist() == [["topic"], ["joke"]]
    assert str(frame["time"].dtype).startswith("datetime64")


def test_values_rows_name_the_nodes_when_updates_are_streamed_too():
    run = load("agent.multi")
    values_rows = run.timeline.query("mode == 'values'")
    assert values_rows["node"].isna().tolist() == [True, False, False]  # the input row
    assert values_rows["node"].tolist()[1:] == ["refine_topic", "generate_joke"]
    assert run.values == {
        "topic": "ice cream and cats",
        "joke": "This is a joke about ice cream and cats",
    }


def test_debug_steps_fill_the_step_column():
    frame = load("agent.debug+updates").timeline
    assert frame["step"].tolist() == [1, 2]


def test_checkpoints_give_the_same_steps_as_debug():
    """A node runs in the step after the checkpoint before it (it was one less than debug's)."""
    frame = load("agent.multi").timeline
    updates = frame.query("mode == 'updates'")
    assert updates["step"].tolist() == load("agent.debug+updates").timeline["step"].tolist()
    # each values row: the state after that step; the input's after step 0
    assert frame.query("mode == 'values'")["step"].tolist() == [0, 1, 2]


def test_subgraph_tree_and_namespaced_rows():
    run = load("subgraph.updates.subgraphs")
    tree = run.tree
    assert tree["name"] == "subgraph" and tree["status"] == "success"
    assert tree["nodes"] == {"node_1": 1, "node_2": 1}
    (child,) = tree["children"]
    assert child["name"] == "node_2" and child["status"] == "success"
    assert child["nodes"] == {"subgraph_node_1": 1, "subgraph_node_2": 1}
    assert child["namespace"] == f"node_2:{child['task_id']}"
    assert set(run.timeline["namespace"]) == {"", child["namespace"]}


def test_tasks_events_close_subgraphs_and_values_keep_private_keys():
    run = load("subgraph.values+tasks.subgraphs")
    (child,) = run.tree["children"]
    assert child["status"] == "success"
    sub = run.timeline[run.timeline["namespace"] == child["namespace"]]
    assert sub["bar"].dropna().tolist()[-1] == "bar"  # the subgraph's private key
    assert run.values == {"foo": "hi! foobar"}


def test_tokens_per_namespace_node_and_filters():
    run = load("chat.messages-tuple.subgraphs")
    tokens = run.tokens
    assert tokens[("", "write_joke")] == (
        "Why did the cats cross the road? To get to the other side of the story."
    )
    assert run.text(tags=["poem"]) == tokens[("", "write_poem")]
    assert run.text(tags=["poem", "joke"]) == ""
    (review_ns,) = [ns for ns, node in tokens if node == "critic"]
    assert review_ns.startswith("review:")
    assert [m["node"] for m in run.messages] == ["write_joke", "write_poem", "critic"] or (
        sorted(m["node"] for m in run.messages) == ["critic", "write_joke", "write_poem"]
    )
    chunks = run.tokens_df
    assert chunks["seq"].is_monotonic_increasing
    for (namespace, node), text in tokens.items():
        rows = chunks[(chunks["namespace"] == namespace) & (chunks["node"] == node)]
        assert "".join(rows["text"]) == text
    # the tree learns about nodes from token metadata too
    assert {"write_joke", "write_poem"} <= set(run.tree["nodes"])


def test_non_tuple_messages_mode_gives_the_same_text():
    tuple_run = load("chat.messages-tuple.subgraphs")
    partial_run = load("chat.messages")
    assert partial_run.tokens[("", "write_joke")] == tuple_run.tokens[("", "write_joke")]
    assert partial_run.tokens[("", "write_poem")] == tuple_run.tokens[("", "write_poem")]


def test_custom_events_keep_their_namespace():
    run = load("custom.custom.subgraphs")
    custom = run.events_df.query("mode == 'custom'")
    assert len(custom) == 5
    assert custom["namespace"].iloc[-1].startswith("custom_sub:")
    assert custom["data"].iloc[3] == "plain text from custom_node"


def test_interrupts_are_deduplicated_by_id():
    run = load("interrupt.updates+values")
    assert run.status == "interrupted"
    (interrupt,) = run.interrupts  # emitted in updates and values, kept once
    assert interrupt["value"]["question"].startswith("Publish the piece")
    assert len(interrupt["id"]) == 32


def test_graph_error_is_one_sentence_and_keeps_earlier_events():
    run = load("error.updates")
    assert run.status == "error"
    assert run.error == "The graph raised ValueError: boom: the explode node failed on purpose"
    assert run.error_data == {
        "error": "ValueError",
        "message": "boom: the explode node failed on purpose",
    }
    assert run.timeline["node"].tolist() == ["fine"]


def test_v2_parts_normalize_like_v1():
    lines = (TRANSCRIPTS / "subgraph.updates.subgraphs.v2.raw.jsonl").read_bytes().splitlines()
    events = [normalize(orjson.loads(line), i) for i, line in enumerate(lines)]
    v1 = load("subgraph.updates.subgraphs").events
    assert [(e.mode, len(e.namespace), e.data) for e in events[1:]] == [
        (e.mode, len(e.namespace), e.data) for e in v1[1:]
    ]
    assert events[1].event == "updates"
    assert events[2].event.startswith("updates|node_2:")
    state = replay(events, "subgraph")
    assert state.tree.to_dict()["children"][0]["nodes"] == {
        "subgraph_node_1": 1,
        "subgraph_node_2": 1,
    }


def test_v2_values_interrupts_go_back_into_data():
    lines = (TRANSCRIPTS / "interrupt.values.v2.raw.jsonl").read_bytes().splitlines()
    events = [normalize(orjson.loads(line), i) for i, line in enumerate(lines)]
    last = events[-1]
    assert last.mode == "values" and "__interrupt__" in last.data
    state = replay(events)
    assert len(state.status.interrupts) == 1


def test_save_load_round_trip(tmp_path):
    run = load("chat.messages-tuple.subgraphs")
    run.save(tmp_path / "again.jsonl")
    again = lg_widgets.load(tmp_path / "again.jsonl")
    assert [e.to_json() for e in again.events] == [e.to_json() for e in run.events]
    assert again.tokens == run.tokens and again.tree == run.tree
    assert again.timeline.equals(run.timeline)
    assert (again.status, again.run_id, again.thread_id) == (run.status, run.run_id, run.thread_id)


def test_dataframes_are_cached_until_new_events():
    run = load("agent.multi")
    assert run.timeline is run.timeline
    assert run.events_df is run.events_df


def test_load_rejects_other_files(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"event": "values", "data": {}}\n')
    with pytest.raises(ValueError, match="not a saved lg_widgets run"):
        lg_widgets.load(path)

"""`compare` on recorded runs: alignment rules, ids ignored, word diffs, and an escaped view."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import lg_widgets
from lg_widgets.compare import comparable, diff_text, namespace_path, word_diff
from lg_widgets.run import Run
from tests.unit.test_static_html import EVIL, Page, ai_chunk

TRANSCRIPTS = Path(__file__).resolve().parents[1] / "transcripts"
ALLOWED_TAGS = {"div", "span", "b", "pre", "details", "summary", "table", "thead", "tbody"}
ALLOWED_TAGS |= {"tr", "th", "td", "br", "del", "ins"}


def load(name: str) -> Run:
    return lg_widgets.load(TRANSCRIPTS / f"{name}.jsonl")


def test_word_diff_marks_words_and_keeps_the_rest():
    ops = word_diff("It is sunny in Rome today.", "It is sunny in Oslo today!")
    assert diff_text(ops) == "It is sunny in [-Rome-]{+Oslo+} today[-.-]{+!+}"
    assert "".join(t for op, t in ops if op != "+") == "It is sunny in Rome today."
    assert "".join(t for op, t in ops if op != "-") == "It is sunny in Oslo today!"


def test_ids_that_change_every_run_are_not_differences():
    a = {"type": "ai", "content": "x", "id": "run-1", "tool_calls": [{"name": "f", "id": "c1"}]}
    b = {"type": "ai", "content": "x", "id": "run-2", "tool_calls": [{"name": "f", "id": "c2"}]}
    assert comparable(a) == comparable(b)
    assert comparable({**a, "content": "y"}) != comparable(b)


def test_namespaces_match_across_runs_without_task_ids():
    assert namespace_path("node_2:abc|inner:def") == "node_2|inner"
    assert namespace_path("") == ""


@pytest.mark.parametrize(
    "name", ["react.messages-tuple", "agent.multi", "subgraph.updates.subgraphs", "chat.messages"]
)
def test_a_run_against_itself_has_no_difference(name):
    cmp = lg_widgets.compare(load(name), load(name))
    assert cmp.divergence is None and cmp.first_difference is None, cmp.steps
    assert cmp.text["same"].all() and cmp.tool_calls[["same_args", "same_result"]].all().all()
    assert cmp.state.empty and (cmp.summary["delta"].dropna() == 0).all()
    assert "no difference in path, state, LLM text or tool calls" in repr(cmp)


def test_alignment_by_step_when_streamed_else_by_order():
    assert lg_widgets.compare(load("agent.multi"), load("agent.debug+updates")).aligned_by == "step"
    by_order = lg_widgets.compare(load("agent.updates"), load("agent.multi"))
    assert by_order.aligned_by == "order"  # agent.updates has no step numbers
    assert by_order.steps["nodes_a"].tolist() == by_order.steps["nodes_b"].tolist()


def test_subgraph_steps_are_keyed_by_namespace_path():
    cmp = lg_widgets.compare(load("subgraph.updates.subgraphs"), load("subgraph.updates.subgraphs"))
    assert cmp.steps["namespace"].tolist() == ["", "", "node_2", "node_2"]
    assert cmp.steps["nodes_a"].tolist() == [
        ["node_1"], ["node_2"], ["subgraph_node_1"], ["subgraph_node_2"]
    ]  # fmt: skip


def test_different_graphs_diverge_at_their_first_step():
    cmp = lg_widgets.compare(load("agent.updates"), load("error.updates"))
    assert cmp.divergence == {
        "namespace": "",
        "step": 0,
        "nodes_a": ["refine_topic"],
        "nodes_b": ["fine"],
    }
    assert cmp.summary.loc["status"].tolist()[:2] == ["success", "error"]


def hostile(text: str) -> Run:
    run = Run.from_log(assistant_id=EVIL)
    args = json.dumps({"q": text})
    call = {"name": EVIL, "args": args, "id": "c1", "index": 0, "type": "tool_call_chunk"}
    run.add(ai_chunk("m1", text, calls=[call]))
    run.add({"event": "updates", "data": {"model": {"note": text}}})
    run.finish("success")
    return run


def test_the_view_is_escaped_text():
    cmp = lg_widgets.compare(hostile(EVIL), hostile(EVIL + " and more"), labels=(EVIL, "b"))
    page = Page(cmp._repr_html_())
    assert {tag for tag, _ in page.tags} <= ALLOWED_TAGS
    assert not [n for _, attrs in page.tags for n in attrs if n.startswith("on") or n == "src"]
    assert EVIL in page.all_text
    assert "<img" not in cmp.to_html()

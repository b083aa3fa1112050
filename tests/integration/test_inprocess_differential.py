"""The same demo graph served by the embedded server and streamed in this process reaches the
same answers: status, error, values, interrupts, tool calls, messages, text, usage, the tree's
shape, timeline rows.

What is generated at run time differs between the two runs and is normalised before comparing:
ids (message ids `lc_run--<uuid>`, tool message and human message uuids, tool call ids
`call_<hex>`, task ids in namespaces, interrupt ids, checkpoint ids) become `<id1>`, `<id2>`, ...
in order of first appearance in each run; the tree's root name (the server names it by the
graph's id, a graph object by its `name`) is left out; and the timeline rows of one super-step
are compared in a fixed order, because its tasks run concurrently on either source.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pytest
from langgraph.checkpoint.memory import InMemorySaver

import lg_widgets
from lg_widgets.demo import graphs

pytestmark = pytest.mark.integration

CHAT = {"messages": [{"role": "user", "content": "What is the weather in Rome, and 10 / 0?"}]}
# every demo graph of lg_widgets/demo/langgraph.json: (served name, graph object, input)
DEMOS = [
    ("agent", graphs.agent, {"topic": "ice cream"}),
    ("subgraph", graphs.subgraph, {"foo": "foo"}),
    ("chat", graphs.chat, {"topic": "cats"}),
    ("react", graphs.react, CHAT),
    ("hitl", graphs.hitl, CHAT),
    ("hitl_per_call", graphs.hitl_per_call, CHAT),
    ("custom", graphs.custom, {"topic": "ice"}),
    ("interrupt", graphs.interrupt_graph, {"topic": "ice"}),
    ("error", graphs.error, {"topic": "ice"}),
    ("slow", graphs.slow, {"topic": "cats", "tokens": 6, "delay": 0.001}),
    ("tool_loop", graphs.tool_loop, CHAT),
    ("fanout", graphs.fanout, {"topics": ["a", "b", "c"], "delay": 0}),
    ("team", graphs.team, {"messages": [{"role": "user", "content": "plan a trip to Paris"}]}),
]
MODES = ["values", "updates", "messages-tuple", "custom", "tasks"]
_ID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,}", re.I
)


class _Ids:
    """Run-time ids replaced by their order of first appearance."""

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str):
            return _ID.sub(lambda m: self.seen.setdefault(m[0], f"<id{len(self.seen) + 1}>"), value)
        if isinstance(value, dict):
            return {self(k): self(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self(v) for v in value]
        if isinstance(value, float) and pd.isna(value):
            return None
        return value


def _shape(tree: dict[str, Any], ids: _Ids, root: bool = True) -> dict[str, Any]:
    return {
        "name": None if root else tree.get("name"),
        "namespace": ids(tree.get("namespace")),
        "status": tree.get("status"),
        "nodes": sorted(tree.get("nodes") or []),
        "children": [_shape(c, ids, root=False) for c in tree.get("children") or []],
    }


def _records(frame: pd.DataFrame, columns: list[str], ids: _Ids) -> list[dict[str, Any]]:
    present = [c for c in columns if c in frame.columns]
    return [ids(row) for row in frame[present].to_dict("records")]


def _by_step(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows in step order; within a super-step its tasks run concurrently and may finish in
    either order (the chat graph's joke and poem), so a step's rows, and the nodes a row
    names together, are sorted."""
    for row in rows:
        if isinstance(row.get("node"), str):
            row["node"] = ",".join(sorted(row["node"].split(",")))
    return sorted(rows, key=lambda r: (r.get("step") if r.get("step") is not None else -1, repr(r)))


def answers(run: lg_widgets.Run) -> dict[str, Any]:
    """What both sources must agree on, with run-time ids normalised."""
    ids = _Ids()
    return {
        "status": run.status,
        "error": run.error,
        "values": ids(run.values),
        "messages": [
            ids({"id": m.get("id"), "type": m.get("type"), "content": m.get("content")})
            for m in run.messages
        ],
        "tool_calls": _records(run.tool_calls, ["id", "name", "args", "result", "status"], ids),
        "text": run.text(),
        "usage": _records(run.usage, list(run.usage.columns), ids),
        "tree": _shape(run.tree, ids),
        "timeline": _by_step(
            _records(run.timeline, ["mode", "namespace", "node", "step", "changed"], ids)
        ),
        "interrupts": ids(run.interrupts),
    }


@pytest.mark.parametrize(("name", "graph", "payload"), DEMOS, ids=[d[0] for d in DEMOS])
async def test_in_process_run_matches_the_served_graph(server, name, graph, payload):
    served = await lg_widgets.stream(
        name, payload, thread_id="new", stream_mode=MODES, stream_subgraphs=True
    )
    local_graph = graph.copy(update={"checkpointer": InMemorySaver()})
    local = await lg_widgets.stream(
        local_graph, payload, thread_id="new", stream_mode=MODES, stream_subgraphs=True
    )
    assert local.url is None and local.thread_id and local.thread_id != served.thread_id
    expected, got = answers(served), answers(local)
    if name == "error":  # the server hides nothing for ValueError; in process the node is named
        assert got["error"] == expected["error"] + " (in node 'explode')"
        got["error"] = expected["error"]
    for key in expected:
        assert got[key] == expected[key], f"{name}: {key} differs"


def test_the_differential_covers_every_served_demo_graph():
    import json
    from pathlib import Path

    served = json.loads((Path(graphs.__file__).parent / "langgraph.json").read_text())["graphs"]
    assert sorted(served) == sorted(d[0] for d in DEMOS)


async def test_an_in_process_run_compares_saves_and_exports_like_a_served_one(server, tmp_path):
    question = {"messages": [{"role": "user", "content": "What is the weather, and 42 / 0?"}]}
    modes = ["messages-tuple", "updates", "values"]
    served = await lg_widgets.stream("react", question, thread_id="new", stream_mode=modes)
    local_graph = graphs.react.copy(update={"checkpointer": InMemorySaver()})
    local = await lg_widgets.stream(local_graph, question, thread_id="new", stream_mode=modes)
    cmp = lg_widgets.compare(served, local, labels=("server", "in-process"))
    assert cmp.first_difference is None and cmp.steps["same_path"].all()
    assert cmp.tool_calls["same_args"].all() and cmp.tool_calls["same_result"].all()

    local.save(tmp_path / "local.jsonl")
    loaded = lg_widgets.load(tmp_path / "local.jsonl")
    assert answers(loaded) == answers(local) and loaded.graph == local.graph
    html = local.to_html()
    assert "get_weather" in html
    assert html == loaded.to_html()


async def test_join_and_follow_say_they_need_a_server(server):
    local_graph = graphs.agent.copy(update={"checkpointer": InMemorySaver()})
    run = await lg_widgets.stream(local_graph, {"topic": "ice"}, thread_id="new")
    said = "needs a LangGraph server: runs of a graph object in this process"
    with pytest.raises(lg_widgets.LgWidgetsError, match=rf"^join\(\) {said}"):
        lg_widgets.join(run.thread_id)
    with pytest.raises(lg_widgets.LgWidgetsError, match=rf"^follow\(\) {said}"):
        lg_widgets.follow(run.thread_id)
    with pytest.raises(lg_widgets.LgWidgetsError, match=rf"^join\(\) {said}"):
        lg_widgets.join(local_graph)

"""In-process parts are written as the LangGraph API server writes them (its own serialiser is
the reference: `langgraph_api.serde.json_dumpb`, installed with the server extra)."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections import deque

import orjson
import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langgraph.types import Interrupt, Send
from langgraph_api.serde import json_dumpb

from lg_widgets.inprocess import _debug_payload, failure_data, graph_problem, to_wire

VALUES = {
    "chunk": AIMessageChunk(content="Why", id="lc_run--1", tool_call_chunks=[]),
    "human": HumanMessage(content="hi", id="h1"),
    "tool": ToolMessage(content="sunny", tool_call_id="call_1", name="get_weather"),
    # a message is written from its fields (model_dump's result, cheaper): with extras, calls,
    # usage, blocks and an artifact too
    "extras": AIMessageChunk(content="x", id="m", custom_field={"a": (1, 2)}),
    "ai": AIMessage(
        content=[{"type": "text", "text": "hi"}],
        tool_calls=[{"name": "f", "args": {"x": 1}, "id": "c1"}],
        usage_metadata={"input_tokens": 1, "output_tokens": 2, "total_tokens": 3},
        response_metadata={"model_name": "m"},
    ),
    "artifact": ToolMessage(content="r", tool_call_id="c1", artifact={"rows": [1, 2]}),
    "interrupt": (Interrupt(value={"question": "ok?"}, id="abc"),),
    "send": [Send("worker", {"topic": "a"})],
    "set": {1},
    "deque": deque([1, 2]),
    "uuid": uuid.UUID(int=7),
    "when": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
    "delta": datetime.timedelta(seconds=90),
    "decimal": decimal.Decimal("2.5"),
    "bytes": b"\x00\x01",
    "error": ValueError("boom"),
    "tuple": ("a", ("b", 1)),
    "keys": {1: "int key"},
}


@pytest.mark.parametrize("name", list(VALUES))
def test_every_value_is_written_as_the_server_writes_it(name):
    value = VALUES[name]
    assert to_wire(value) == orjson.loads(json_dumpb(value))


def test_a_debug_checkpoint_names_its_checkpoints_as_the_server_does():
    config = {"configurable": {"thread_id": "t", "checkpoint_ns": "", "checkpoint_id": "c2"}}
    parent = {"configurable": {"thread_id": "t", "checkpoint_ns": "", "checkpoint_id": "c1"}}
    task = {
        "id": "x",
        "name": "sub",
        "state": {"configurable": {"thread_id": "t", "checkpoint_ns": "sub:x"}},
    }  # noqa: E501
    part = _debug_payload(
        {
            "type": "checkpoint",
            "payload": {"config": config, "parent_config": parent, "tasks": [task]},
        }  # noqa: E501
    )
    payload = part["payload"]
    assert payload["checkpoint"] == {"checkpoint_id": "c2", "thread_id": "t", "checkpoint_ns": ""}
    assert payload["parent_checkpoint"]["checkpoint_id"] == "c1"
    assert payload["tasks"] == [
        {"id": "x", "name": "sub", "checkpoint": {"thread_id": "t", "checkpoint_ns": "sub:x"}}
    ]


def test_a_failure_names_the_node_langgraph_noted():
    exc = KeyError("topic")
    exc.add_note("During task with name 'refine_topic' and id '1234'")
    assert failure_data(exc) == {"error": "KeyError", "message": "'topic'", "node": "refine_topic"}
    assert failure_data(RuntimeError("x")) == {"error": "RuntimeError", "message": "x"}


def test_what_is_not_a_graph_says_what_stream_takes():
    from langgraph.graph import StateGraph
    from typing_extensions import TypedDict

    class S(TypedDict):
        x: int

    assert "pass builder.compile()" in graph_problem(StateGraph(S))
    assert graph_problem(print).endswith("and compile it.")
    assert graph_problem(None).endswith("not None.")

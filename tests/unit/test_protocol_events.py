"""Agent Protocol transcripts recorded from the embedded server, read into the run-centric read
model; and a tool's streamed output (`tool-output-delta`), which this server never sent."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

from lg_widgets.protocol_events import ProtocolReader, is_root_terminal
from lg_widgets.run import Run
from tests.conftest import TRANSCRIPTS

RECORDED = TRANSCRIPTS / "agent-protocol"


def envelopes(name: str) -> list[dict[str, Any]]:
    out = []
    for line in (RECORDED / f"{name}.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record.get("kind") == "sse" and isinstance(record.get("data"), dict):
            out.append(record["data"])
    return out


def event(seq: int, method: str, data: Any, namespace: tuple[str, ...] = ()) -> dict:
    """One envelope as the server sends it."""
    params = {"namespace": list(namespace), "timestamp": seq, "data": data}
    return {"type": "event", "seq": seq, "event_id": f"{seq}-0", "method": method,
            "params": params}  # fmt: skip


def read(events: list[dict[str, Any]], assistant_id: str = "graph") -> Run:
    reader = ProtocolReader()
    run = Run(assistant_id=assistant_id)
    for event in events:
        run.add(reader.part(event))
    run.finish("success")
    return run


def test_every_envelope_is_one_event_and_the_seq_its_id():
    events = envelopes("deep")
    run = read(events)
    assert run.event_count == len(events) == 80
    assert [e.id for e in run.events] == [str(e["seq"]) for e in events]
    assert is_root_terminal(events[-1]) and not is_root_terminal(events[0])


def test_a_deep_agent_run_names_its_subagent_and_its_call():
    run = read(envelopes("deep"), "deep")
    assert run.agents[["agent", "cause", "tool_call_id"]].values.tolist() == [
        ["deep", "run", None],
        ["researcher", "tool_call", "call_task1"],
    ]
    calls = run.tool_calls.set_index("id")
    assert calls.loc["call_task1", "subagent"] == run.agents["namespace"].iloc[1]
    # the `task` tool's result is the Command's message (the messages channel's is empty)
    assert calls.loc["call_task1", "result"] == "Sunny in Paris."
    assert calls.loc["call_gw1", ["agent", "result"]].tolist() == [
        "researcher",
        "It is always sunny in Paris.",
    ]
    # a tool's result streams in a `tools:<call id>` namespace: no subgraph of the tree
    assert [c["agent"] for c in run.tree["children"]] == ["researcher"]
    assert run.text(agent="researcher") == "Sunny in Paris. "


def test_tool_calls_text_and_usage_of_a_create_agent_run():
    run = read(envelopes("demo_react"), "demo_react")
    calls = run.tool_calls
    assert calls[["name", "args", "status"]].values.tolist() == [
        ["get_weather", {"city": "Paris"}, "success"],
        ["divide", {"a": 42, "b": 0}, "error"],
    ]
    assert calls["started_at"].notna().all() and calls["finished_at"].notna().all()
    assert run.usage[["model", "messages", "total_tokens"]].values.tolist() == [
        ["fake-tool-caller", 2, 96]
    ]
    assert run.text().startswith("get_weather says: It is always sunny in Paris.")
    # v1 content blocks in values are read back as the string content
    ai = [m for m in run.values["messages"] if m["type"] == "ai"]
    assert all(isinstance(m["content"], str) for m in ai)


def test_an_interrupt_is_read_as_the_run_centric_update():
    run = read(envelopes("hitl"), "hitl")
    (pending,) = run.interrupt_info
    assert pending["id"] == "75841de8bdb56869c76c0803d288c4ec" and pending["kind"] == "hitl"
    assert [a["name"] for a in pending["actions"]] == ["send_email"]


def test_a_tools_streamed_output_grows_its_result_then_is_replaced_whole():
    call = {"type": "tool_call_chunk", "id": "c1", "name": "search", "args": "{}", "index": 0}
    opening = [
        event(1, "lifecycle", {"event": "running", "graph_name": "g"}),
        event(2, "messages", {"event": "message-start", "role": "ai", "id": "m1"}),
        event(3, "messages", {"event": "content-block-start", "index": 0, "content": call}),
        event(4, "messages", {"event": "message-finish"}),
        event(5, "tools", {"event": "tool-started", "tool_call_id": "c1", "tool_name": "search"}),
    ]
    deltas = [
        event(6 + i, "tools", {"event": "tool-output-delta", "tool_call_id": "c1", "delta": d})
        for i, d in enumerate(["found ", "3 ", "pages"])
    ]
    output = {"type": "tool", "id": "t1", "tool_call_id": "c1", "content": "found 3 pages",
              "status": "success", "name": "search"}  # fmt: skip
    closing = [
        event(9, "tools", {"event": "tool-finished", "tool_call_id": "c1", "output": output}),
        event(
            10,
            "messages",
            {"event": "message-start", "role": "tool", "id": "t1", "tool_call_id": "c1"},
            ("tools:c1",),
        ),  # fmt: skip
        event(11, "messages", {"event": "message-finish"}, ("tools:c1",)),
        event(12, "lifecycle", {"event": "completed", "graph_name": "g"}),
    ]
    reader, run = ProtocolReader(), Run(assistant_id="g")
    for envelope in opening + deltas[:2]:
        run.add(reader.part(envelope))
    (streaming,) = [m for m in run.messages if m["role"] == "tool"]
    assert (streaming["content"], streaming["complete"]) == ("found 3 ", False)
    (running,) = run.tool_calls.to_dict("records")  # running: no end, no latency yet
    assert running["started_at"] is not pd.NaT and running["finished_at"] is pd.NaT
    assert pd.isna(running["latency"]) and running["result"] == "found 3 "
    for envelope in deltas[2:] + closing:
        run.add(reader.part(envelope))
    (result,) = [m for m in run.messages if m["role"] == "tool"]
    assert (result["content"], result["status"], result["complete"]) == (
        "found 3 pages",
        "success",
        True,
    )
    assert run.tool_calls[["name", "result"]].values.tolist() == [["search", "found 3 pages"]]
    (done,) = run.tool_calls.to_dict("records")
    took = (done["finished_at"] - done["started_at"]).total_seconds()
    assert done["latency"] == pytest.approx(took, abs=1e-6)
    assert run.tree["children"] == []  # `tools:c1` is the result's own namespace, no subgraph


def test_a_tool_result_streamed_on_the_messages_channel_grows_by_its_pieces() -> None:
    """Each text delta of a tool's result message is folded as the piece it adds (a whole
    message per event would hold the result once per piece); it is complete at its finish."""
    namespace = ("tools:c1",)
    start = {"event": "message-start", "role": "tool", "id": "t1", "tool_call_id": "c1"}
    pieces = ["found ", "3 ", "pages"]
    envelopes = [
        event(1, "lifecycle", {"event": "running", "graph_name": "g"}),
        event(2, "messages", start, namespace),
        event(3, "messages", {"event": "content-block-start", "index": 0,
                              "content": {"type": "text", "text": ""}}, namespace),
        *[
            event(4 + i, "messages", {"event": "content-block-delta", "index": 0,
                                      "content": {"type": "text", "text": piece}}, namespace)
            for i, piece in enumerate(pieces)
        ],
        event(7, "messages", {"event": "content-block-finish", "index": 0,
                              "content": {"type": "text", "text": "found 3 pages"}}, namespace),
    ]  # fmt: skip
    reader, run = ProtocolReader(), Run(assistant_id="g")
    for envelope in envelopes:
        run.add(reader.part(envelope))
    (result,) = [m for m in run.messages if m["role"] == "tool"]
    assert (result["content"], result["complete"]) == ("found 3 pages", False)
    folded = [e.data[0]["content"] for e in run.events if e.mode == "messages"]
    assert folded == ["", "", *pieces, ""]  # each event holds its own piece only
    run.add(reader.part(event(8, "messages", {"event": "message-finish"}, namespace)))
    (result,) = [m for m in run.messages if m["role"] == "tool"]
    assert (result["content"], result["complete"], result["tool_call_id"]) == (
        "found 3 pages",
        True,
        "c1",
    )

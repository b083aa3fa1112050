"""The benchmark's own arithmetic (no timings asserted: the bench prints figures, tests check
that it computes them right)."""

from __future__ import annotations

import orjson
from langgraph_sdk.schema import StreamPart

from bench.browser import latencies
from bench.graphs import (
    ARGS_CHARS,
    ARGS_PIECE,
    EVENTS_PER_MESSAGE,
    calls_for,
    tool_args,
    tool_call_chunks,
)
from bench.live import streamed_bytes
from bench.offline import payloads, recorded_toolcall_parts
from bench.sinks import CountingComm
from bench.table import Row, figure, render
from lg_widgets.run import Run


def test_latency_is_first_paint_that_contains_the_token() -> None:
    pieces = [[1.000, 3], [1.010, 6], [1.020, 9]]  # kernel: seconds, text length so far
    paints = [[1005.0, 3], [1030.0, 9]]  # browser: ms, text length painted
    assert latencies(pieces, paints) == [5.0, 20.0, 10.0]


def test_tokens_never_painted_are_left_out() -> None:
    assert latencies([[1.0, 3], [1.1, 6]], [[1002.0, 3]]) == [2.0]


def test_counting_comm_sizes_and_peak_rate() -> None:
    comm = CountingComm()
    comm.send({"method": "custom", "content": {"type": "delta", "d": "é"}})
    comm.send({"method": "update", "state": {}}, buffers=[b"1234"])
    comm.times = [0.0, 0.5, 0.9, 2.5]
    assert comm.peak_per_second() == 3
    assert comm.kinds == {"custom:delta": 1, "update": 1}
    assert comm.bytes == sum(comm.bytes_by_kind.values())
    assert comm.bytes_by_kind["update"] == len(b'{"method": "update", "state": {}}') + 4


def test_figure_and_table_text() -> None:
    assert figure([3, 1, 2], "µs").text() == "2 [1–3] µs"
    assert figure([0.5], "×", 2).text() == "0.50 ×"
    table = render([Row("1", "metric", "2 [1–3]", "≤ 3", "met")])
    assert table.splitlines()[2].startswith("| 1 | metric")


def test_toolcall_model_streams_what_the_server_sent() -> None:
    """Offline tool-call parts are the bench model's `model_dump`s: equal, key order included,
    to the chunks recorded from a live `toolcalls` run on the embedded server."""
    recorded, metadata = recorded_toolcall_parts()
    assert metadata["graph_id"] == "toolcalls"
    chunks = tool_call_chunks(0)
    assert len(chunks) == EVENTS_PER_MESSAGE
    for position, chunk in recorded.items():
        mine = chunks[position]
        mine.id = chunk["id"]
        assert orjson.dumps(mine.model_dump()) == orjson.dumps(chunk), position


def test_toolcall_payloads_stream_whole_arguments() -> None:
    """`n` parts; folded by a run they give 2 calls per reply with 200-character JSON arguments."""
    raw = payloads("toolcalls", 2 * EVENTS_PER_MESSAGE + 5)
    assert len(raw) == 2 * EVENTS_PER_MESSAGE + 5
    run = Run.from_log(assistant_id="bench")
    for name, data in raw:
        run.add(StreamPart(name, orjson.loads(data), None))
    calls = run.streamed_messages[0].tool_calls
    assert [c["id"] for c in calls] == ["call_0_0", "call_0_1"]
    assert [c["args_text"] for c in calls] == [tool_args(0, 0), tool_args(0, 1)]
    assert all(len(c["args_text"]) == ARGS_CHARS and c["valid_args"] for c in calls)
    assert run.streamed_messages[0].complete and not run.streamed_messages[2].complete
    # the third reply so far: its first call's opening chunk and 4 argument pieces
    assert streamed_bytes(run) == 4 * ARGS_CHARS + 4 * ARGS_PIECE
    assert calls_for(41_500) == 1000

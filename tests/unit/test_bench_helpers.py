"""The benchmark's own arithmetic (no timings asserted: the bench prints figures, tests check
that it computes them right)."""

from __future__ import annotations

from bench.browser import latencies
from bench.sinks import CountingComm
from bench.table import Row, figure, render


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

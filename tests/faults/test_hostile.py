"""Hostile and extreme data from the graph: every part kept as the server sent it, the run's
status right, and the view still answering its front end."""

from __future__ import annotations

import asyncio
import time

import orjson
import pytest

import lg_widgets
from lg_widgets.run import Run
from tests.faults.graphs.graphs import COLUMNS, UNICODE, nested
from tests.faults.helpers import answers, identities, loop_watch, recorded_view, replayed

pytestmark = [pytest.mark.faults, pytest.mark.integration]

ALL_MODES = ["values", "updates", "custom", "messages-tuple"]
# the server's serializer replaces NUL (it is invalid in Postgres text) before storing or sending
SERVED_UNICODE = UNICODE.replace("\x00", "\ufffd")


async def hostile_run(server: lg_widgets.EmbeddedServer, kind: str, size: int = 0) -> tuple:
    run = lg_widgets.stream(
        "hostile",
        {"kind": kind, "size": size},
        thread_id="new",
        stream_mode=ALL_MODES,
        url=server.url,
    )
    view, recorder = recorded_view(run)
    async with loop_watch() as loop:
        await run
    assert run.status == "success", run.error
    assert identities(run) == await replayed(run, server)  # exactly what the server stored
    client = server.client()
    state = await client.threads.get_state(run.thread_id)
    await client.http.client.aclose()
    assert run.values == state["values"]
    assert view.snapshot["header"]["status"] == "success"
    assert loop.worst < 1.0, f"the loop was blocked {loop.worst:.2f} s"
    started = time.monotonic()
    page = answers(view, recorder)
    assert page["total"] == run.event_count and time.monotonic() - started < 0.5
    return run, view, recorder


async def test_a_10_mb_state_value(fault_server):
    run, view, recorder = await hostile_run(fault_server, "big", 10_000_000)
    assert run.values["value"] == "x" * 10_000_000
    values = [e.data for e in run.events if e.mode == "values"]
    assert values[-1]["value"] is values[-2]["value"]  # held once, not once per snapshot
    assert len(orjson.dumps(view.snapshot)) < 50_000  # previews, not the value
    assert all(len(orjson.dumps(m)) < 50_000 for m in recorder.messages[:-1])
    row = len(run.state.timeline.rows) - 1
    view._on_front_end_message(view, {"type": "row", "req": 7, "index": row}, None)
    assert recorder.messages[-1]["state"]["value"] == "x" * 10_000_000  # fetched when opened


async def test_statenested_200_deep(fault_server):
    run, view, recorder = await hostile_run(fault_server, "deep", 200)
    assert run.values["value"] == nested(200)
    seq = next(e.seq for e in run.events if e.mode == "updates")
    view._on_front_end_message(view, {"type": "event", "req": 8, "seq": seq}, None)
    assert recorder.messages[-1]["data"]["produce"]["value"] == nested(200)


async def test_a_1_mb_single_token(fault_server):
    run, view, _recorder = await hostile_run(fault_server, "token", 1_000_000)
    assert run.text() == "y" * 1_000_000 == run.values["reply"]
    (message,) = view.snapshot["messages"]
    assert message["text"] == "y" * 1_000_000


async def test_emoji_rtl_and_nul_characters(fault_server):
    run, view, _recorder = await hostile_run(fault_server, "unicode")
    (custom,) = [e.data for e in run.events if e.mode == "custom"]
    assert custom == {"text": SERVED_UNICODE}
    assert run.values["value"] == {SERVED_UNICODE: SERVED_UNICODE}
    assert run.text() == SERVED_UNICODE == view.snapshot["messages"][0]["text"]


async def test_nan_and_infinity_in_custom_data(fault_server):
    run, _view, _recorder = await hostile_run(fault_server, "nan")
    (custom,) = [e.data for e in run.events if e.mode == "custom"]
    assert custom == {"nan": None, "inf": None, "-inf": None, "ok": 1.5}  # as JSON has them
    assert run.values["value"] == [None, None, 0.0, -0.0]


async def test_state_keys_named_like_timeline_columns(fault_server):
    run, _view, _recorder = await hostile_run(fault_server, "columns")
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
    last = frame.iloc[-1]
    for key in COLUMNS:
        column = f"state.{key}" if key != "index" else key
        assert last[column] == f"state {key}", key
        assert run.values[key] == f"state {key}"
    state, approximate = run.state_at(len(frame) - 1)
    assert {k: state[k] for k in COLUMNS} == {k: f"state {k}" for k in COLUMNS}
    assert not approximate


@pytest.mark.parametrize(
    "data",
    [
        {"nan": float("nan"), "inf": float("inf"), "neg": float("-inf")},
        {"nul": "a\x00b", "rtl": "\u202eevil", "lone": "\ud800"},
        {1: "int key", (2, 3): "tuple key", "obj": object()},
    ],
)
async def test_values_json_cannot_carry_do_not_break_the_view(data):
    """Parts built in Python (a loaded or hand-made run) may hold what JSON cannot."""
    run = Run.from_log(assistant_id="python")
    view, recorder = recorded_view(run)
    run.add(("custom", data, None))
    run.add(("values", {"payload": data}, None))
    await asyncio.sleep(0.1)
    run.finish("success")
    assert run.events[0].data is data
    assert view.snapshot["header"]["status"] == "success"
    view._on_front_end_message(view, {"type": "event", "req": 9, "seq": 0}, None)
    assert recorder.messages[-1]["type"] == "response" and "data" in recorder.messages[-1]

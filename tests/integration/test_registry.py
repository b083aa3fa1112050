"""A run keeps streaming when nobody holds it, and `lg_widgets.runs()` finds it."""

from __future__ import annotations

import gc

import pytest

import lg_widgets

pytestmark = pytest.mark.integration


async def test_an_unreferenced_run_keeps_streaming_and_is_listed(server):
    run_id = id(
        lg_widgets.stream("slow", {"topic": "x", "delay": 0.1, "tokens": 4}, stream_mode="updates")
    )
    gc.collect()
    (run,) = [r for r in lg_widgets.runs() if id(r) == run_id]
    await run
    assert run.status == "success" and run.values["done"] is True
    assert run in lg_widgets.runs()  # still referenced here
    del run
    gc.collect()
    assert run_id not in {id(r) for r in lg_widgets.runs()}  # finished and dropped: freed

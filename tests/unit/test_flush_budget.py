"""All views of a kernel share one message budget (view.widget.FlushScheduler): the rate to the
front end stays under MESSAGES_PER_S whatever the number of views, and nothing is lost."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from lg_widgets.run import Run
from lg_widgets.view.widget import MESSAGES_PER_S


class Clocked:
    """A comm stand-in that records when each message left, for every view sharing it."""

    def __init__(self, times: list[float]) -> None:
        self.times = times

    def __call__(self, content: dict[str, Any], buffers: Any = None) -> None:
        self.times.append(asyncio.get_running_loop().time())


def token(i: int, message: str) -> dict[str, Any]:
    chunk = {"content": f"t{i} ", "id": message, "type": "AIMessageChunk"}
    return {"event": "messages", "data": [chunk, {"langgraph_node": "n", "tags": []}]}


def most_in_any_second(times: list[float]) -> int:
    times = sorted(times)
    start, most = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


@pytest.mark.parametrize("views", [10, 40])
async def test_many_views_stay_within_the_kernels_budget_and_lose_nothing(views: int) -> None:
    times: list[float] = []
    runs = [Run.from_log(assistant_id=f"r{v}") for v in range(views)]
    shown = []
    for run in runs:
        view = run.view()
        view.send = Clocked(times)  # type: ignore[method-assign]
        view.observe(
            lambda _change: times.append(asyncio.get_running_loop().time()), "snapshot_zlib"
        )
        shown.append(view)
    for i in range(600):  # ~1.5 s of tokens on every run at once
        for v, run in enumerate(runs):
            run.add(token(i, f"m{v}"))
        if i % 4 == 0:
            await asyncio.sleep(0.01)
    for run in runs:
        run.finish("success")
    await asyncio.sleep(2 * views / MESSAGES_PER_S + 0.5)  # the deferred final flushes
    assert most_in_any_second(times) <= MESSAGES_PER_S
    for run, view in zip(runs, shown, strict=True):
        assert view.snapshot["header"]["status"] == "success"
        assert view.snapshot["messages"][0]["text"] == run.streamed_messages[0].text


async def test_pokes_while_a_flush_is_due_ride_along_and_a_later_poke_flushes_again() -> None:
    """Every event pokes its views: while a flush is due a poke is one check, and once the
    flush has gone the next poke schedules another (a view never stops updating)."""
    from lg_widgets.view.widget import Flusher

    flushed = asyncio.Event()
    count = [0]

    def flush() -> int:
        count[0] += 1
        flushed.set()
        return 1

    flusher = Flusher(flush, interval=0.01)
    for _ in range(1_000):
        flusher.poke()
    await asyncio.wait_for(flushed.wait(), 5)
    assert count[0] == 1
    flushed.clear()
    flusher.poke()
    await asyncio.wait_for(flushed.wait(), 5)
    assert count[0] == 2
    flusher.poke()  # due on this loop now; a poke from elsewhere (a thread) flushes at once
    await asyncio.to_thread(flusher.poke)
    assert count[0] == 3
    flushed.clear()
    flusher.poke()  # and a poke here after it is due again
    await asyncio.wait_for(flushed.wait(), 5)
    assert count[0] == 4
    flusher.poke()
    flusher.cancel()  # a closed view: nothing more goes, and a poke after it schedules again
    flusher.poke()
    flushed.clear()
    await asyncio.wait_for(flushed.wait(), 5)
    assert count[0] == 5

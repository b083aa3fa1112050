"""What the fault tests share: clients through the proxy, waiting on a run's own
notifications, watching the loop's responsiveness, and a view whose comm is a recorder."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient

import lg_widgets
from lg_widgets.run import Run
from tests.faults.proxy import FaultProxy

PACED = {"steps": 25, "burst": 4, "delay": 0.05}
MODES = ["custom", "updates", "values"]


def client_via(proxy: FaultProxy, server: lg_widgets.EmbeddedServer) -> LangGraphClient:
    """A client of `server` that goes through `proxy` (with the server's secret)."""
    key = server.token.reveal() if server.token is not None else None
    return get_client(url=proxy.url, api_key=key)


async def until(run: Run, predicate: Callable[[Run], bool], timeout: float, what: str) -> float:
    """Wait (on the run's own notifications) until `predicate(run)`; returns the seconds taken."""
    loop = asyncio.get_running_loop()
    start, reached = loop.time(), asyncio.Event()

    def check(r: Run, _event: Any) -> None:
        if predicate(r):
            reached.set()

    unsubscribe = run.on_change(check)
    try:
        if not predicate(run):
            await asyncio.wait_for(reached.wait(), timeout)
    except asyncio.TimeoutError:
        raise AssertionError(f"{what}: not within {timeout} s ({run!r})") from None
    finally:
        unsubscribe()
    return loop.time() - start


async def replayed(run: Run, server: lg_widgets.EmbeddedServer) -> list[tuple[str, Any, Any]]:
    """What the server stored for a resumable run: every event, as the ground truth."""
    client = server.client()
    try:
        again = lg_widgets.join(run.thread_id, run.run_id, replay=True, client=client)  # type: ignore[arg-type]
        await again
    finally:
        await client.http.client.aclose()
    assert again.status == "success", again.error
    return identities(again)


def identities(run: Run) -> list[tuple[str, Any, Any]]:
    return [(e.event, e.data, e.id) for e in run.events_between(0)]


class LoopWatch:
    """The longest the loop was kept from running a 20 ms timer while the watch was on."""

    def __init__(self) -> None:
        self.worst = 0.0

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(0.02)
            self.worst = max(self.worst, loop.time() - before - 0.02)


@contextlib.asynccontextmanager
async def loop_watch() -> AsyncIterator[LoopWatch]:
    watch = LoopWatch()
    task = asyncio.ensure_future(watch._tick())
    try:
        yield watch
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Recorder:
    """Stands in for a view's comm: keeps what would reach the front end."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def __call__(self, content: dict[str, Any], buffers: Any = None) -> None:
        self.messages.append(content)

    @property
    def headers(self) -> list[dict[str, Any]]:
        return [m["header"] for m in self.messages if m.get("type") == "delta" and "header" in m]


def recorded_view(run: Run) -> tuple[Any, Recorder]:
    view = run.view()
    recorder = Recorder()
    view.send = recorder
    return view, recorder


def answers(view: Any, recorder: Recorder) -> dict[str, Any]:
    """Ask the view for its newest events page, as the front end does; return its answer."""
    view._on_front_end_message(view, {"type": "events", "req": 99, "offset": -5, "limit": 5}, None)
    reply = recorder.messages[-1]
    assert reply.get("type") == "response" and reply.get("req") == 99, reply
    return reply

"""A resumed stream meets two identical parts with one id ("twins"): `RunTask` counts what the
server stored with a replay-only join, and keeps the second twin unless that count is proven.

The server is faked at `open_parts`: each connection the task opens gets the next scripted
stream, so what the replay-only read shows, and when it ends, is exactly what a test says.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from langgraph_sdk.schema import StreamPart

from lg_widgets.connection import Connection
from lg_widgets.run import task as task_module
from lg_widgets.run.model import Run
from lg_widgets.run.task import RunTask
from lg_widgets.transport import StreamRequest

A = StreamPart("custom", {"i": 0}, "100-0")
TWIN = StreamPart("custom", {"twin": True}, "101-0")
B = StreamPart("custom", {"i": 1}, "102-0")


class FakeServer:
    """`client.runs.get` answers `status`; `open_parts` hands out the scripted streams."""

    def __init__(self) -> None:
        self.streams: list[Callable[[], AsyncIterator[Any]]] = []
        self.status = "running"
        self.requests: list[StreamRequest] = []
        self.runs = self

    async def get(self, thread_id: str, run_id: str) -> dict[str, Any]:
        return {"status": self.status, "kwargs": {"resumable": True}}

    def open_parts(self, client: Any, request: StreamRequest, on_run_created: Any) -> Any:
        self.requests.append(request)
        return self.streams.pop(0)()


def broken_after(*parts: Any) -> Callable[[], AsyncIterator[Any]]:
    async def stream() -> AsyncIterator[Any]:
        for part in parts:
            yield part
        raise httpx.ReadError("connection reset")

    return stream


def ends_after(server: FakeServer, *parts: Any) -> Callable[[], AsyncIterator[Any]]:
    """A stream that ends with the run (the server ends a join when its run has ended)."""

    async def stream() -> AsyncIterator[Any]:
        for part in parts:
            yield part
        server.status = "success"

    return stream


def stored(
    *parts: Any, pause: float = 0.0, then: tuple[Any, ...] = ()
) -> Callable[[], AsyncIterator[Any]]:
    """A replay-only read: `parts`, then `pause` seconds of silence (forever when `then` is
    empty and the run goes on), then the parts of `then`."""

    async def stream() -> AsyncIterator[Any]:
        for part in parts:
            yield part
        if not then:
            await asyncio.Event().wait()
        await asyncio.sleep(pause)
        for part in then:
            yield part

    return stream


async def streamed(server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Stream a resumable run from `server`: the parts kept, as (name, data, id)."""
    monkeypatch.setattr(task_module, "open_parts", server.open_parts)
    request = StreamRequest(
        "stream",
        "thread-1",
        assistant_id="agent",
        stream_mode=["custom"],
        sdk_kwargs={"stream_resumable": True},
    )
    run = Run(thread_id="thread-1", run_id="run-1", request=request)
    task = RunTask(run, request, Connection("http://fake.invalid"), client=server)  # type: ignore[arg-type]
    assert await task._stream(server) == "success"  # type: ignore[arg-type]
    assert server.streams == [], "every scripted connection was opened"
    return [(e.mode, e.data, e.id) for e in run.events_between(0)]


EVERY_EVENT = [(p.event, p.data, p.id) for p in (A, TWIN, TWIN, B)]


async def test_twins_whose_replay_pauses_under_load_are_both_kept(monkeypatch):
    """The cut falls between the twins; the rejoin replays both, and the read that counts the
    stored ones is slow to deliver the second: it still counts both, as the later id proves
    that millisecond complete (it used to stop at the pause, count one, and drop a twin)."""
    server = FakeServer()
    server.streams = [
        broken_after(A, TWIN),
        ends_after(server, TWIN, TWIN, B),
        stored(TWIN, pause=0.5, then=(TWIN, B)),
    ]
    assert await streamed(server, monkeypatch) == EVERY_EVENT, "a twin was dropped"
    rejoin, read = server.requests[1:]
    assert rejoin.last_event_id == read.last_event_id == A.id


async def test_twins_are_kept_when_the_stored_count_stays_unproven(monkeypatch):
    """The read shows one twin and then nothing, neither a later id nor the run's end: the
    count is unknown, so the second twin is kept (shown twice at worst, never lost)."""
    monkeypatch.setattr(task_module, "_STORE_WAIT_S", 0.4, raising=False)
    server = FakeServer()
    server.streams = [broken_after(A, TWIN), ends_after(server, TWIN, TWIN, B), stored(TWIN)]
    assert await streamed(server, monkeypatch) == EVERY_EVENT, "a twin was dropped"


async def test_a_part_sent_again_after_the_replay_is_skipped_once_the_run_has_ended(monkeypatch):
    """The other side: a rejoin re-sends the last part live after replaying it, and the read
    ends with the run having stored it once; that proves it a repeat, so it is skipped."""
    server = FakeServer()
    lone = StreamPart("custom", {"last": True}, "103-0")
    server.streams = [
        broken_after(A, TWIN, TWIN, B),
        ends_after(server, B, lone, lone),
        ends_after(server, lone),
    ]
    assert await streamed(server, monkeypatch) == [*EVERY_EVENT, (lone.event, lone.data, lone.id)]

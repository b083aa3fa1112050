"""The Agent Protocol's two endpoints per thread: commands and the event stream.

`POST /threads/{id}/commands` takes `run.start` and `input.respond`; `POST
/threads/{id}/stream/events` is one SSE subscription to the thread's events, from a `since`
cursor. The SDK's own `ProtocolSseTransport` speaks both (one connection per subscription);
its `ThreadStream` on top is not used: its separate lifecycle watcher ends every iterator at an
interrupt before the tail of the run has been delivered. A run here reads one subscription
itself and ends on the root's terminal `lifecycle` event, since the stream never ends.

The protocol has no cancel command: a run is cancelled through the runs API (`transport.py`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from langgraph_sdk.client import LangGraphClient
from langgraph_sdk.stream.transport.base import EventStreamHandle
from langgraph_sdk.stream.transport.http import ProtocolSseTransport

from lg_widgets.protocol_events import CHANNELS


class ProtocolCommandError(Exception):
    """The server refused a command (its error envelope: `error`, `message`)."""

    def __init__(self, method: str, error: str, message: str) -> None:
        super().__init__(message or error)
        self.method, self.error, self.message = method, error, message


class ProtocolSession:
    """One thread's commands and subscriptions, over the SDK client's HTTP connection (so the
    client's headers, the embedded server's secret among them, go with every request)."""

    def __init__(self, client: LangGraphClient, thread_id: str) -> None:
        self.thread_id = thread_id
        self._transport = ProtocolSseTransport(client=client.http.client, thread_id=thread_id)
        self._ids = itertools.count(1)

    async def command(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Send a command; returns its reply (`result` and `meta`), or raises
        `ProtocolCommandError` with the server's message."""
        reply = await self._transport.send_command(
            {"id": next(self._ids), "method": method, "params": params}
        )
        if reply is None:
            return {}
        if reply.get("type") == "error":
            raise ProtocolCommandError(
                method, str(reply.get("error") or ""), str(reply.get("message") or "")
            )
        return reply

    async def start_run(self, assistant_id: str, input: Any, **params: Any) -> tuple[str, int]:
        """`run.start`: the run's id, and the thread's seq the start applied through (the
        cursor from which this run's events follow)."""
        given = {k: v for k, v in params.items() if v is not None}
        reply = await self.command(
            "run.start", {"assistant_id": assistant_id, "input": input, **given}
        )
        result = reply.get("result") or {}
        seq = (reply.get("meta") or {}).get("applied_through_seq")
        return str(result.get("run_id")), int(seq) if isinstance(seq, int) else 0

    async def respond(self, interrupt_id: str, namespace: Sequence[str], response: Any) -> None:
        """`input.respond`: answer an interrupt; the thread goes on with a new run."""
        await self.command(
            "input.respond",
            {"interrupt_id": interrupt_id, "namespace": list(namespace), "response": response},
        )

    def subscribe(
        self,
        *,
        since: int | None,
        namespaces: Sequence[Sequence[str]] | None = None,
        depth: int | None = None,
        channels: Sequence[str] = CHANNELS,
    ) -> EventStreamHandle:
        """One SSE subscription: events with `seq > since`, in the namespaces (prefixes) and
        depth asked, on these channels."""
        params: dict[str, Any] = {"channels": list(channels), "since": since}
        if namespaces is not None:
            params["namespaces"] = [list(n) for n in namespaces]
        if depth is not None:
            params["depth"] = depth
        return self._transport.open_event_stream(params)

    async def close(self) -> None:
        await self._transport.close()

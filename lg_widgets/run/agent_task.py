"""A run streamed through the Agent Protocol (`protocol="agent"`): the thread-centric source.

It is a `RunTask` whose stream is the thread's event subscription instead of `runs.stream`;
waiting, cancelling (through the runs API: the protocol has no cancel command), settling with
the server and the graph fetch are the run-centric task's. What differs:

- the subscription opens first, then the run starts with the `run.start` command, or
  continues an interrupted one with `input.respond` (`protocol_options["respond"]`); a
  thread's events are numbered across its runs and replayed to a new subscription, so the
  run's events count from its own root `running` lifecycle event (`synth:<run id>:...`),
  which also names a continued run;
- the stream never ends: the run ends on the root's terminal `lifecycle` event, `completed`,
  `failed` or `interrupted` (an interrupt when an `input.requested` came, else a cancel);
- a broken subscription resumes from the last `seq` received, with nothing lost or repeated;
  a cursor the server no longer holds is a warning that says what is missing;
- channels the server never used are named in `run.warnings` when the run ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from asyncio import FIRST_COMPLETED
from typing import TYPE_CHECKING, Any

import httpx

from lg_widgets.agent_protocol import ProtocolCommandError, ProtocolSession
from lg_widgets.connection import Connection
from lg_widgets.failures import registered_graphs
from lg_widgets.protocol_events import TERMINAL, ProtocolReader, is_root_terminal
from lg_widgets.run.model import Run
from lg_widgets.run.resume import Reconnect
from lg_widgets.run.task import (
    _FIRST_BACKOFF_S,
    _MAX_BACKOFF_S,
    _SERVER_WATCH_S,
    RunTask,
    _cause,
    _Ended,
    _transient,
    start_run,
)
from lg_widgets.transport import StreamRequest

if TYPE_CHECKING:
    from langgraph_sdk.stream.transport.base import EventStreamHandle

# what a run loses when the server leaves a channel silent (langgraph-api 0.16.7 sends no
# `updates`, `custom`, `tasks` or `checkpoints`)
_SILENT = {
    "updates": "no per-node updates: timeline rows come from values, without their node",
    "custom": "no custom data",
    "tasks": "no task starts and results",
    "checkpoints": "no checkpoint ids while streaming: fork targets come from the thread's "
    "history after the run",
    "tools": "no tool starts and ends: a tool's latency runs from its call's last argument",
}


def run_id_of(event: dict[str, Any]) -> str | None:
    """The run a root `running` lifecycle event announces (its id is `synth:<run id>:...`)."""
    params = event.get("params") or {}
    data = params.get("data") or {}
    if event.get("method") != "lifecycle" or params.get("namespace"):
        return None
    if not isinstance(data, dict) or data.get("event") != "running":
        return None
    event_id = str(event.get("event_id") or "")
    if not event_id.startswith("synth:"):
        return None
    return event_id.split(":", 2)[1] or None


class AgentProtocolTask(RunTask):
    """Drives one run over the Agent Protocol; the run reaches it through `Control`."""

    async def _stream(self, client: Any) -> str | None:
        request = self.request
        assert request.thread_id is not None
        session = ProtocolSession(client, request.thread_id)
        try:
            return await self._follow(session)
        finally:
            await session.close()

    async def _start(self, session: ProtocolSession) -> str | None:
        """Start the run, or continue an interrupted one; returns the run's id when known
        (a continued run's is read from its `running` event)."""
        request = self.request
        answers = request.protocol_options.get("respond")
        if answers:
            for answer in answers:
                await session.respond(answer["interrupt_id"], answer["namespace"], answer["value"])
            return None
        kwargs = request.sdk_kwargs
        run_id, _ = await session.start_run(
            request.assistant_id or "",
            request.input,
            config=kwargs.get("config"),
            metadata=kwargs.get("metadata"),
        )
        self._on_run_created({"run_id": run_id, "thread_id": request.thread_id})
        return run_id

    async def _follow(self, session: ProtocolSession) -> str | None:
        """Subscribe, start the run, and read its events until its root terminal lifecycle
        event, resuming a broken subscription from the last seq received.

        The subscription opens before the run starts: a `failed` event delivered live carries
        the exception's message, the same event replayed from the buffer does not (measured on
        langgraph-api 0.16.7). A thread's earlier events are replayed to a subscription with no
        cursor, so events count only from this run's own root `running` event on.
        """
        request, run = self.request, self.run
        options = request.protocol_options
        since: int | None = options.get("since")
        namespaces = options.get("namespaces")
        if namespaces is not None:  # the root always: its lifecycle says when the run ends
            namespaces = [(), *namespaces]
        elif options.get("depth") is not None:  # a depth counts from the namespaces named
            namespaces = [()]
        reader = ProtocolReader()
        budget, loop = request.reconnect_timeout, asyncio.get_running_loop()
        started = ours = False
        wanted: str | None = None
        while True:
            handle = session.subscribe(
                since=since, namespaces=namespaces, depth=options.get("depth")
            )
            failure: BaseException | None = None
            watch = self._watch_server(handle)
            try:
                await asyncio.wait({handle.ready, handle.done}, return_when=FIRST_COMPLETED)
                refused = handle.ready.exception() if handle.ready.done() else None
                self._check_server_alive()
                if refused is not None:
                    raise refused
                if not handle.ready.done():  # closed before its headers came
                    raise await handle.done or httpx.RemoteProtocolError("no response")
                self._close_reconnect()
                if not started:
                    started = True
                    wanted = await self._start(session)
                async for event in handle.events:
                    if event.get("type") == "error":  # e.g. a resume_gap: the cursor is gone
                        run.warn(_gap_warning(event, since))
                        continue
                    seq = event.get("seq")
                    if isinstance(seq, int):
                        if since is not None and seq <= since:
                            continue  # already received
                        since = seq
                    if not ours:
                        found = run_id_of(event)
                        if found is None or wanted not in (None, found):
                            continue  # an earlier run's, replayed
                        ours = True
                        if wanted is None:  # a continued run: its id is said here
                            self._on_run_created({"run_id": found, "thread_id": session.thread_id})
                    run.add(reader.part(event))
                    budget, self._backoff = request.reconnect_timeout, 0.0
                    if is_root_terminal(event):
                        return self._ended(event, reader)
                self._check_server_alive()  # before a failure a closed subscription says
                failure = await handle.done
            except httpx.HTTPError as exc:
                failure = exc
            finally:
                if watch is not None:
                    watch.cancel()
                await handle.close()
            if failure is not None and not (
                isinstance(failure, httpx.HTTPError) and _transient(failure)
            ):
                raise failure
            cause = (
                _cause(failure, request.heartbeat_timeout)
                if failure is not None
                else "the server closed the event stream"
            )
            began = loop.time()
            await self._pause(cause, budget)
            budget -= loop.time() - began

    def _watch_server(self, handle: EventStreamHandle) -> asyncio.Task[None] | None:
        """While a subscription is open, an embedded server that exits closes it at once: a
        dying server can keep a connection open and silent, or accept one and never answer."""
        server = self._server
        if server is None:
            return None

        async def watch() -> None:
            while server.running:
                await asyncio.sleep(_SERVER_WATCH_S)
            await handle.close()

        return asyncio.ensure_future(watch())

    async def _pause(self, cause: str, budget: float) -> None:
        """Before resubscribing: record the break, wait the backoff, give up past the budget
        (an embedded server that exited ends the run at once)."""
        run = self.run
        self._check_server_alive()
        if self._reconnecting is None:
            self._reconnecting = Reconnect(time.time(), cause, run.event_count - 1, None)
            self._reconnecting.replayed = True  # `since` replays what was sent meanwhile
            run.begin_reconnect(self._reconnecting)
        record = self._reconnecting
        if budget <= 0:
            raise _Ended(self._gave_up(record, cause))
        if self._backoff:
            await asyncio.sleep(min(self._backoff, budget))
        self._backoff = min(max(self._backoff * 2, _FIRST_BACKOFF_S), _MAX_BACKOFF_S)
        self._check_server_alive()
        record.attempts += 1
        run.notify()

    def _ended(self, event: dict[str, Any], reader: ProtocolReader) -> str | None:
        """The run's status from its root terminal lifecycle event."""
        data = (event.get("params") or {}).get("data") or {}
        status = TERMINAL[data["event"]]
        silent = [c for c in _SILENT if c not in reader.channels]
        if "tools" in silent and not len(self.run.tool_calls):
            silent.remove("tools")  # nothing to say about tools in a run that called none
        if silent:
            self.run.warn(
                f"The server sent nothing on the {', '.join(silent)} "
                f"channel{'s' if len(silent) > 1 else ''}: "
                + "; ".join(_SILENT[c] for c in silent)
                + "."
            )
        options = self.request.protocol_options
        if options.get("namespaces") is not None or options.get("depth") is not None:
            where = ", ".join(repr("|".join(n)) for n in options.get("namespaces") or [()])
            depth = options.get("depth")
            self.run.warn(
                f"Subscribed to the root and {where}"
                + ("" if depth is None else f" to depth {depth}")
                + ": events of other namespaces were left out on the server."
            )
        if status == "interrupted" and not reader.channels.get("input"):
            # no question was asked: the run was cancelled (the protocol says `interrupted`)
            self._cancel_requested = True
            return None
        return status

    def _can_rejoin(self) -> bool:
        return not self._cancel_requested

    def _describe(self, exc: BaseException) -> str:
        if isinstance(exc, ProtocolCommandError):
            if "Invalid assistant" in exc.message:
                graphs = registered_graphs(exc.message)
                have = f" This server has: {', '.join(graphs)}." if graphs else ""
                return f"Unknown assistant {self.run.assistant_id!r}.{have}"
            return f"The server refused {exc.method}: {exc.message or exc.error}"
        return super()._describe(exc)


def _gap_warning(event: dict[str, Any], since: int | None) -> str:
    message = str(event.get("message") or event.get("error") or "")
    with contextlib.suppress(Exception):
        message = message or str(event)
    return (
        f"The server no longer holds the events after seq {since} ({message}): events of "
        "this run sent before the subscription resumed are missing; run.values is read from "
        "the thread after the run."
    )


def start_agent_run(request: StreamRequest, connection: Connection, client: Any = None) -> Run:
    """A new `Run` streamed through the Agent Protocol, its task already scheduled."""
    return start_run(request, connection, client, AgentProtocolTask)

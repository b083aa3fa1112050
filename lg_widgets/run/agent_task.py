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

A subscription narrowed on the server (`depth=`, `namespaces=`) is widened by `run.open`,
live or after the run: a second subscription to the subtree replays it from the cursor before
the run's first event and follows it until its own terminal lifecycle event, or, once the run
has ended, until it has caught up. Every event joins the one run once (by its `seq`, whichever
subscription brought it). A narrowed run also follows the `lifecycle` and `input` channels of
every namespace, so it knows each agent left out (its name, what started it) and can offer it
to open, and an interrupt asked below its depth is not mistaken for a cancel.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from asyncio import FIRST_COMPLETED
from typing import TYPE_CHECKING, Any

import httpx

from lg_widgets import transport
from lg_widgets.agent_protocol import ProtocolCommandError, ProtocolSession
from lg_widgets.connection import Connection
from lg_widgets.errors import LgWidgetsError
from lg_widgets.events import Namespace
from lg_widgets.failures import registered_graphs
from lg_widgets.loops import call_on
from lg_widgets.protocol_events import CHANNELS as CHANNELS_ALL
from lg_widgets.protocol_events import TERMINAL, ProtocolReader, is_root_terminal, is_terminal
from lg_widgets.run.model import Run, holds
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
from lg_widgets.transport import StreamRequest, StreamWatch

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
# once the run has ended, a subtree's subscription has caught up when it stays this quiet (the
# server replays its buffer at once)
_CAUGHT_UP_IDLE_S = 0.3
# at the run's end, how long the subtrees opened may take to catch up before it settles
_OPENED_GRACE_S = 5.0
# what a narrowed run follows in every namespace: who started where, and the questions asked
_BOUNDARY = ("lifecycle", "input")


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

    def __init__(self, run: Run, *args: Any, **kwargs: Any) -> None:
        super().__init__(run, *args, **kwargs)
        self._reader = ProtocolReader()  # shared: a namespace's events come from one place
        self._seen: set[int] | None = None  # seqs received, once a second subscription exists
        self._first: int | None = None  # the cursor before this run's first event
        self._last: int | None = None  # the seq of its root terminal event
        # (asyncio's events bind to the loop that first waits on them: the run's)
        self._begun = asyncio.Event()  # set once `_first` is known
        self._over = asyncio.Event()  # set once the run has ended, however
        self._offset: float | None = None  # receive time minus server time, at the least
        self._stamped_at: float | None = None  # the time of the last event with a stamp
        self._opened: dict[Namespace, asyncio.Task[None]] = {}  # `run.open`'s subscriptions
        self._streaming: set[Namespace] = set()  # those of them still streaming
        self._boundary: asyncio.Task[None] | None = None
        self._left_out_warning: str | None = None
        self._named: asyncio.Task[None] | None = None  # the namespaces named, with no depth
        options = self.request.protocol_options
        namespaces, depth = options.get("namespaces"), options.get("depth")
        if namespaces is not None and depth is None:  # the root's own events, and those below
            run.held = [((), 0), *((tuple(p), None) for p in namespaces)]
        elif namespaces is not None or depth is not None:
            prefixes = [()] if namespaces is None else [(), *map(tuple, namespaces)]
            run.held = [(p, depth) for p in prefixes]

    # ---- opening a subtree (`run.open`) --------------------------------------------------------
    @property
    def opening(self) -> bool:
        return bool(self._streaming)

    def open(self, namespace: Namespace) -> None:
        run = self.run
        if holds(run.held, namespace):
            return  # held already: nothing more to subscribe to
        known = run.left_out
        if run.done and "|".join(namespace) not in known and any(":" in s for s in namespace):
            have = ", ".join(repr(n) for n in known) or "none"
            raise LgWidgetsError(
                f"This run has no agent in namespace {'|'.join(namespace)!r} left out; the "
                f"namespaces it can open are: {have}."
            )
        assert run.held is not None and self._loop is not None
        run.held.append((namespace, None))
        if self._left_out_warning is not None:  # an ended run: say what it holds now
            self._warn_left_out()

        self._streaming.add(namespace)

        def create() -> None:
            self._opened[namespace] = self._spawn(self._open(namespace))

        call_on(self._loop, create)
        run.notify()

    def close_opened(self, namespace: Namespace | None = None) -> None:
        for where, task in list(self._opened.items()):
            if namespace not in (None, where):
                continue
            if not task.done() and self._loop is not None:
                self._loop.call_soon_threadsafe(task.cancel)

    def cancel(self) -> None:
        self.close_opened()
        super().cancel()

    async def wait(self) -> None:
        await super().wait()
        if self.opening:
            await self._await_on(self._opened_done)

    def wait_sync(self, timeout: float | None) -> None:
        super().wait_sync(timeout)
        if self.opening:
            self._block_on(self._opened_done, timeout)

    async def _opened_done(self) -> None:
        tasks = [t for t in self._opened.values() if not t.done()]
        if tasks:
            await asyncio.wait([asyncio.shield(t) for t in tasks])

    async def _open(self, namespace: Namespace) -> None:
        """Follow one opened subtree; a failure is a warning, never the run's."""
        run = self.run
        where = "|".join(namespace)
        try:
            await self._subscription(CHANNELS_ALL, [namespace], None, namespace)
        except asyncio.CancelledError:
            self._unhold(namespace)
            run.warn(
                f"Stopped following the subtree {where!r} opened with run.open before all of "
                "it had arrived: its later events were not received (run.open opens it again)."
            )
            raise
        except Exception as exc:  # noqa: BLE001 - the run goes on without the subtree
            self._unhold(namespace)
            run.warn(
                f"The subscription to the subtree {where!r} opened with run.open failed "
                f"({_cause(exc, None)}); the events it received are kept (run.open opens it "
                "again)."
            )
        finally:
            self._streaming.discard(namespace)
            if run.ended_at is not None:
                run.settle_late()

    def _unhold(self, namespace: Namespace) -> None:
        """A subtree not followed to its end is left out again: it can be opened again (what
        came already is not repeated)."""
        held = self.run.held
        if held is not None and (namespace, None) in held:
            held.remove((namespace, None))
        if self._left_out_warning is not None:
            self._warn_left_out()

    async def _follow_boundary(self) -> None:
        """The lifecycle and the questions of every namespace, for a narrowed run: which
        agents were left out (named, with what started them), and an interrupt asked in one
        of them (without it, the run's end would read as a cancel)."""
        try:
            await self._subscription(_BOUNDARY, None, None, None)
        except Exception as exc:  # noqa: BLE001 - a warning: the run goes on without it
            self.run.warn(
                f"Lost the subscription to the lifecycle and the questions of the namespaces "
                f"left out ({_cause(exc, None)}): agents started there and interrupts "
                "asked there after that are not known."
            )

    async def _follow_named(self, namespaces: list[Namespace]) -> None:
        """The subtrees named with no depth, whole: the root's own subscription has depth 0
        (one subscription has one depth, and the root's, unbounded, would hold them all)."""
        try:
            await self._subscription(CHANNELS_ALL, namespaces, None, None)
        except Exception as exc:  # noqa: BLE001 - a warning: the root's events go on
            for namespace in namespaces:
                self._unhold(namespace)
            named = ", ".join(repr("|".join(n)) for n in namespaces)
            self.run.warn(
                f"Lost the subscription to {named} ({_cause(exc, None)}): their events after "
                "that were not received (run.open opens one again)."
            )

    async def _subscription(
        self,
        channels: tuple[str, ...],
        namespaces: list[Namespace] | None,
        depth: int | None,
        subtree: Namespace | None,
    ) -> None:
        """A second subscription of this run: from the cursor before the run's first event,
        until `subtree`'s own terminal lifecycle event or, the run over, until caught up;
        a break resumes from the last seq it received."""
        await self._begun.wait()
        if self._seen is None:  # from now on two subscriptions may bring the same event
            self._seen = {int(e.id) for e in self.run.events if e.id and e.id.isdigit()}
        since = self._first
        request, loop = self.request, asyncio.get_running_loop()
        budget, backoff = request.reconnect_timeout, 0.0
        client = self.connection.client() if self._owns_client else self._client
        assert client is not None and self.run.thread_id is not None
        # silence past the heartbeat timeout is a break here too (this task's requests only)
        transport.watch(client, StreamWatch(request.heartbeat_timeout))
        session = ProtocolSession(client, self.run.thread_id)
        try:
            while True:
                handle = session.subscribe(
                    since=since, namespaces=namespaces, depth=depth, channels=channels
                )
                reading = _Reading(handle, self._over)
                failure: BaseException | None = None
                try:
                    refused = await _answered(handle)
                    if refused is not None:
                        raise refused
                    while (event := await reading.next()) is not None:
                        if event.get("type") == "error":
                            self.run.warn(_gap_warning(event, since))
                            continue
                        seq = event.get("seq")
                        if isinstance(seq, int):
                            if since is not None and seq <= since:
                                continue
                            if self._last is not None and seq > self._last:
                                return  # a later run's: this run's part has all come
                            since = seq
                        self._deliver(event, replayed=True)
                        budget, backoff = request.reconnect_timeout, 0.0
                        if subtree is not None and is_terminal(event, subtree):
                            return
                    if self._over.is_set():
                        return  # caught up
                    failure = await handle.done
                except httpx.HTTPError as exc:
                    failure = exc
                finally:
                    await reading.close()
                    await handle.close()
                if failure is not None and not (
                    isinstance(failure, httpx.HTTPError) and _transient(failure)
                ):
                    raise failure
                if budget <= 0:
                    raise failure or httpx.RemoteProtocolError("the server closed the stream")
                began = loop.time()
                if backoff:
                    await asyncio.sleep(min(backoff, budget))
                backoff = min(max(backoff * 2, _FIRST_BACKOFF_S), _MAX_BACKOFF_S)
                budget -= loop.time() - began
        finally:
            await session.close()
            if client is not self._client:
                with contextlib.suppress(Exception):
                    await client.http.client.aclose()

    def _deliver(self, event: dict[str, Any], *, replayed: bool) -> None:
        """Fold one envelope into the run, unless another subscription brought it already.
        In a run that can be opened, every event keeps its own time, the server's, on this
        machine's clock (the smallest gap seen between the two on live events): a replayed
        subtree's events fall where they happened among those received live."""
        seq = event.get("seq")
        if self._seen is not None and isinstance(seq, int):
            if seq in self._seen:
                return
            self._seen.add(seq)
        if self.run.held is None:  # nothing can be opened: every event comes live, once
            self.run.add(self._reader.part(event))
            return
        stamp = _server_time(event)
        received = None
        if isinstance(stamp, int | float):
            if not replayed:
                gap = time.time() - stamp / 1000
                self._offset = gap if self._offset is None else min(self._offset, gap)
            if self._offset is not None:  # live or replayed, on one clock: the server's
                received = self._stamped_at = stamp / 1000 + self._offset
        elif replayed:
            received = self._stamped_at
        self.run.add(self._reader.part(event), received=received)

    async def _settle_opened(self) -> None:
        """The run ended: give the subtrees opened the time to catch up, then stop them."""
        self._over.set()
        tasks = [
            t for t in [self._boundary, self._named, *self._opened.values()] if t and not t.done()
        ]
        if tasks:
            await asyncio.wait(tasks, timeout=_OPENED_GRACE_S)
        for task in tasks:
            task.cancel()

    async def _stream(self, client: Any) -> str | None:
        request = self.request
        assert request.thread_id is not None
        session = ProtocolSession(client, request.thread_id)
        try:
            return await self._follow(session)
        finally:
            self._over.set()
            for task in [self._boundary, self._named, *self._opened.values()]:
                if task is not None and not task.done():
                    task.cancel()  # a run that failed or was cancelled takes them along
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
        namespaces, depth = options.get("namespaces"), options.get("depth")
        if namespaces is not None and depth is None:  # the root's own; the rest in `_named`
            namespaces, depth = [()], 0
        elif namespaces is not None:  # the root always: its lifecycle says when the run ends
            namespaces = [(), *namespaces]
        elif depth is not None:  # a depth counts from the namespaces named
            namespaces = [()]
        reader = self._reader
        budget, loop = request.reconnect_timeout, asyncio.get_running_loop()
        started = ours = False
        wanted: str | None = None
        while True:
            handle = session.subscribe(since=since, namespaces=namespaces, depth=depth)
            failure: BaseException | None = None
            watch = self._watch_server(handle)
            try:
                refused = await _answered(handle)
                self._check_server_alive()  # a watch that closed it: the server's exit says why
                if refused is not None:
                    raise refused
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
                        self._begin(seq)
                    self._deliver(event, replayed=False)
                    budget, self._backoff = request.reconnect_timeout, 0.0
                    if is_root_terminal(event):
                        self._last = seq if isinstance(seq, int) else None
                        await self._settle_opened()
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

    def _begin(self, seq: Any) -> None:
        """The run's first event: the cursor a subtree's subscription replays from; a
        narrowed run starts following the lifecycle and questions of every namespace."""
        self._first = seq - 1 if isinstance(seq, int) else None
        self._begun.set()
        if self.run.held is not None:
            self._boundary = self._spawn(self._follow_boundary())
        options = self.request.protocol_options
        if options.get("namespaces") and options.get("depth") is None:
            named = [tuple(n) for n in options["namespaces"]]
            self._named = self._spawn(self._follow_named(named))

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
        if "tools" in silent and not self.run.state.messages.calls_tools():
            silent.remove("tools")  # nothing to say about tools in a run that called none
        if silent:
            self.run.warn(
                f"The server sent nothing on the {', '.join(silent)} "
                f"channel{'s' if len(silent) > 1 else ''}: "
                + "; ".join(_SILENT[c] for c in silent)
                + "."
            )
        if self.run.held is not None:
            self._warn_left_out()
        if status == "interrupted" and not reader.channels.get("input"):
            # no question was asked: the run was cancelled (the protocol says `interrupted`)
            self._cancel_requested = True
            return None
        return status

    def _warn_left_out(self) -> None:
        """Say what the narrowed run holds, and what it left out (replacing what was said
        before a subtree was opened)."""
        options = self.request.protocol_options
        where = ", ".join(repr("|".join(n)) for n in options.get("namespaces") or [()])
        depth = options.get("depth")
        opened = [p for p, _ in (self.run.held or [])][1 + len(options.get("namespaces") or []) :]
        left = self.run.left_out
        text = (
            f"Subscribed to the root and {where}"
            + ("" if depth is None else f" to depth {depth}")
            + (f", and opened {', '.join(repr('|'.join(n)) for n in opened)}" if opened else "")
            + ": events of other namespaces were left out on the server"
            + (
                f" (the agents in {', '.join(map(repr, left))}: run.open(namespace) opens one)."
                if left
                else "."
            )
        )
        self.run.warn(text, replacing=self._left_out_warning)
        self._left_out_warning = text

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


class _Reading:
    """The events of one subscription, one at a time; once the run is `over`, the end is a
    quiet moment (the server has replayed all it holds and the run sends no more)."""

    def __init__(self, handle: EventStreamHandle, over: asyncio.Event) -> None:
        self._events = handle.events.__aiter__()
        self._over = over
        self._pending: asyncio.Future[Any] | None = None
        self._ending: asyncio.Future[Any] | None = None

    async def next(self) -> dict[str, Any] | None:
        while True:
            if self._pending is None:
                self._pending = asyncio.ensure_future(self._events.__anext__())
            if self._over.is_set():
                done, _ = await asyncio.wait({self._pending}, timeout=_CAUGHT_UP_IDLE_S)
                if not done:
                    return None
            else:
                if self._ending is None:
                    self._ending = asyncio.ensure_future(self._over.wait())
                await asyncio.wait({self._pending, self._ending}, return_when=FIRST_COMPLETED)
                if not self._pending.done():
                    continue
            pending, self._pending = self._pending, None
            try:
                return pending.result()  # type: ignore[no-any-return]
            except StopAsyncIteration:
                return None

    async def close(self) -> None:
        for task in (self._pending, self._ending):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task


async def _answered(handle: EventStreamHandle) -> BaseException | None:
    """Wait until a subscription answers: None once its headers came, else why not (refused,
    or closed before them). The refusal is read here, so asyncio never reports it unread."""
    await asyncio.wait({handle.ready, handle.done}, return_when=FIRST_COMPLETED)
    if handle.ready.done():
        return handle.ready.exception()
    return await handle.done or httpx.RemoteProtocolError("no response")


def _server_time(event: dict[str, Any]) -> float | None:
    """When the server recorded an event, in ms: its id's `<ms>-<n>` (a tool's result message
    is re-made when replayed, with the replay's `timestamp` but its first id), else the
    envelope's `timestamp`."""
    head = str(event.get("event_id") or "").partition("-")[0]
    if head.isdigit():
        return int(head)
    stamp = (event.get("params") or {}).get("timestamp")
    return stamp if isinstance(stamp, int | float) else None


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

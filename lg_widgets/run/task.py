"""`RunTask`: what drives a live run — its loop, asyncio task, SDK client, cancel and wait.

It consumes the transport's parts into the run's read model (`Run.add`), then gathers what the
server says about how the run ended and hands it to the pure `reducers.status.settle`. This is
the one place that owns I/O for a run, so reconnecting lives here too: when the stream breaks
(a network error, a cut, or silence longer than `heartbeat_timeout`) the run shows
`reconnecting`, and the task rejoins the run with `runs.join_stream(last_event_id=...)` so that
what was missed is replayed (`run.resume` skips what had already arrived), for up to
`reconnect_timeout` seconds of attempts. An embedded server that exited ends the run at once
with its exit code and log tail.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import signal
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx
from langgraph_sdk.errors import InternalServerError, NotFoundError, RateLimitError

from lg_widgets import transport
from lg_widgets.errors import LgWidgetsError
from lg_widgets.events import Namespace, part_identity, stateless_thread_id
from lg_widgets.failures import describe_failure, describe_graph_failure
from lg_widgets.loops import call_on, loop_for_new_run, running_loop
from lg_widgets.reducers.status import SERVER_RUN_GONE, Outcome, settle
from lg_widgets.run import registry
from lg_widgets.run.graph_cache import graph_or_failure
from lg_widgets.run.model import Run
from lg_widgets.run.resume import AMBIGUOUS, NEW, REPLAY_ALL, Reconnect, ResumeCursor
from lg_widgets.secret import redact_url
from lg_widgets.server import running_servers
from lg_widgets.transport import (
    StreamRequest,
    StreamWatch,
    active_run,
    open_parts,
    run_assistant,
)

if TYPE_CHECKING:
    from langgraph_sdk.client import LangGraphClient

    from lg_widgets.connection import Connection

_CANCEL_GRACE_S = 5.0
_SERVER_QUESTION_S = 10.0
_SERVER_WATCH_S = 0.1  # while a question is out: how often an embedded server is seen alive
_FIRST_BACKOFF_S = 0.25  # reconnect attempts: at once, then 0.25, 0.5, 1, 2, 2, ... s apart
_MAX_BACKOFF_S = 2.0
# A resumed connection re-sends what was published while the server set it up (it subscribes
# before it replays): such repeats come right after the replay, within this many seconds.
_OVERLAP_WINDOW_S = 2.0
# Reading the stored events: at most this long for the proof that one millisecond's events are
# all there (a later id, or the end of the run); a pause is no proof, a loaded server pauses too.
_STORE_WAIT_S = 2.0


class _Ended(Exception):
    """The stream cannot go on; the message is the one sentence that becomes `run.error`."""


def _transient(exc: BaseException) -> bool:
    """A break worth reconnecting after: the network, a timeout, or an overloaded server."""
    return isinstance(
        exc, httpx.TransportError | asyncio.TimeoutError | RateLimitError | InternalServerError
    )


def _cause(exc: BaseException, heartbeat_timeout: float | None) -> str:
    if isinstance(exc, httpx.ReadTimeout) and heartbeat_timeout is not None:
        return (
            f"nothing received for {heartbeat_timeout:g} s, not even the server's heartbeat "
            "(sent every 5 s)"
        )
    if isinstance(exc, asyncio.TimeoutError):
        return "the server did not answer in time"
    text = getattr(exc, "message", None) or str(exc)
    if not text:
        return f"the connection was closed or reset ({type(exc).__name__})"
    return f"{type(exc).__name__}: {text.splitlines()[0]}"


def _clock(epoch: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(epoch)) + f".{int(epoch % 1 * 1000):03d}"


_GRAPH_TIMEOUT_S = 30.0
_GRAPH_GRACE_S = 5.0  # how long `await run` waits for a graph still being fetched
GRAPH_XRAY = True  # subgraphs drawn as boxes of their nodes, so their activity shows in place


def start_run(
    request: StreamRequest,
    connection: Connection,
    client: LangGraphClient | None = None,
    task: type[RunTask] | None = None,
) -> Run:
    """A new `Run` whose task is already scheduled (on the running loop, else a background one);
    `task`: the kind of task that streams it (`RunTask`, for `runs.stream`, by default)."""
    run = Run(
        assistant_id=request.assistant_id,
        thread_id=None if request.thread_id == "new" else request.thread_id,
        run_id=request.run_id,
        url=redact_url(connection.url),
        stream_mode=request.modes,
        input=request.input,
        request=request,
        connection=connection,
        protocol=request.protocol,
    )
    (task or RunTask)(run, request, connection, client).start(loop_for_new_run())
    return run


class RunTask:
    """Drives one live run; the run reaches it through `Run`'s `Control` protocol."""

    def __init__(
        self,
        run: Run,
        request: StreamRequest,
        connection: Connection,
        client: LangGraphClient | None = None,
    ) -> None:
        self.run = run
        self.request = request
        self.connection = connection
        # the embedded server behind the URL, if this process started it: its exit ends the run
        self._server = next((s for s in running_servers() if s.url == connection.url), None)
        self._client = client
        self._owns_client = client is None
        self._cancel_requested = False
        self._leaving = False  # stop streaming, leave the server's run alone (`leave`)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._run_created: asyncio.Event | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._reconnecting: Reconnect | None = None
        self._backoff = 0.0  # seconds before the next reconnect attempt (0: at once)
        self._run_info: dict[str, Any] | None = None  # the server's last answer about the run
        self._stored_group: tuple[str, list[tuple[str, Any]] | None] | None = None
        self._ask_until = float("-inf")  # loop time until which re-sent parts are checked
        self._graph_task: asyncio.Task[None] | None = None
        self._late = False  # joined after the run began, without its earlier events
        run.attach(self)

    # ---- Control ----------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self._task is None or self._task.done()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel_requested

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        return self._loop

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Schedule the consuming task on `loop`."""
        self._loop = loop
        registry.track(self.run)

        def create() -> None:
            self._run_created = asyncio.Event()
            self._task = loop.create_task(self._consume(), name=f"lg-widgets {self.run!r}")

        call_on(loop, create)

    def cancel(self) -> None:
        if self.done or self._loop is None:
            return
        if running_loop() is self._loop:
            self._spawn(self._cancel())
        else:
            asyncio.run_coroutine_threadsafe(self._cancel(), self._loop)

    def leave(self) -> None:
        if self.done or self._loop is None or self._task is None:
            return
        self._leaving = True
        self._loop.call_soon_threadsafe(self._task.cancel)

    async def wait(self) -> None:
        task = self._task
        if task is None or (task.done() and self._graph_settled_already()):
            return
        try:
            await self._await_on(self._wait_on_own_loop)
        except asyncio.CancelledError:
            self.cancel()
            raise

    def wait_sync(self, timeout: float | None) -> None:
        if self.done:
            return
        self._block_on(self._wait_on_own_loop, timeout)

    async def _await_on(self, make: Any) -> None:
        """Await the coroutine `make()` on the run's loop, from it or from another loop."""
        if running_loop() is self._loop:
            await make()
            return
        assert self._loop is not None
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(make(), self._loop))

    def _block_on(self, make: Any, timeout: float | None) -> None:
        """Run the coroutine `make()` on the run's loop and block until it is done."""
        assert self._loop is not None
        running = running_loop()
        if running is self._loop or (not self._loop.is_running() and running is None):
            import nest_asyncio

            nest_asyncio.apply(self._loop)
            self._loop.run_until_complete(asyncio.wait_for(make(), timeout))
            return
        future = asyncio.run_coroutine_threadsafe(make(), self._loop)
        try:
            future.result(timeout)
        except concurrent.futures.TimeoutError as exc:
            raise TimeoutError(f"{self.run!r} still running after {timeout} s") from exc

    def open(self, namespace: Namespace) -> None:
        raise LgWidgetsError(
            "run.open widens a subscription narrowed on the server, so it needs a run streamed "
            "with protocol='agent' (runs.stream sends every namespace it was asked for: "
            "stream again with stream_subgraphs=True)."
        )

    @property
    def opening(self) -> bool:
        return False

    def close_opened(self, namespace: Namespace | None = None) -> None:
        """Stop the subscriptions `open` started (none here)."""

    async def _wait_on_own_loop(self) -> None:
        if self._task is not None:
            await asyncio.shield(self._task)
            await self._graph_settled()

    def _graph_settled_already(self) -> bool:
        return self._graph_task is None or self._graph_task.done()

    async def _graph_settled(self) -> None:
        """Waiting for the run also waits, briefly, for its graph, so that `run.graph` is there
        after `await run`; the stream itself never waits for it."""
        if not self._graph_settled_already():
            assert self._graph_task is not None
            await asyncio.wait({self._graph_task}, timeout=_GRAPH_GRACE_S)

    # ---- streaming --------------------------------------------------------------------------
    async def _consume(self) -> None:
        request, run = self.request, self.run
        client = self._client or self.connection.client()
        self._client = client
        transport.watch(client, StreamWatch(request.heartbeat_timeout, self._on_stream_open))
        cancelled = False
        failure: str | None = None
        server_status: str | None = None
        if request.kind == "join":  # the run exists already; a new one asks once it does
            self._start_graph_fetch()
        try:
            if request.kind == "stream" and request.thread_id == "new":
                thread = await client.threads.create()
                request.thread_id = thread["thread_id"]
                run.identify(thread_id=request.thread_id)
            if request.kind == "join" and request.run_id is None:
                await self._find_active_run(client)
            elif request.kind == "join":
                await self._note_late_join(client)
            if request.prepare is not None:
                await request.prepare(client, request)
            server_status = await self._stream(client)
        except asyncio.CancelledError:
            cancelled = True
            if self._leaving:
                run.warn("Stopped following this run here; it goes on on the server.")
            elif not self._cancel_requested:  # cancelled from outside: do not orphan the server run
                self._cancel_requested = True
                with contextlib.suppress(BaseException):
                    await asyncio.wait_for(self._cancel_on_server(), 3)
        except (_Ended, LgWidgetsError) as ended:  # a sentence already
            failure = str(ended)
        except Exception as exc:  # noqa: BLE001 - every failure becomes run.error
            failure = self._describe(exc)
        finally:
            self._close_reconnect()
            try:
                await self._settle(
                    client, cancelled or self._cancel_requested, failure, server_status
                )
            finally:
                if self._owns_client:
                    with contextlib.suppress(Exception):
                        await client.http.client.aclose()
                    self._client = None
                registry.release(run)

    def _describe(self, exc: BaseException) -> str:
        run, request = self.run, self.request
        return describe_failure(
            exc,
            url=run.url or "",
            assistant_id=run.assistant_id,
            thread_id=request.thread_id,
            run_id=run.run_id,
            stream_mode=request.stream_mode,
        )

    async def _stream(self, client: LangGraphClient) -> str | None:
        """Consume the run's stream, rejoining it after each break; returns the server's status
        of the run when it was asked (after a clean end of a thread run), else None."""
        request = self.request
        cursor = ResumeCursor(start=request.last_event_id)
        if cursor.resumed:  # a join that replays meets the same overlap as a rejoin
            self._ask_until = asyncio.get_running_loop().time() + _OVERLAP_WINDOW_S
        budget = request.reconnect_timeout
        while True:
            try:
                async for part in open_parts(client, request, self._on_run_created):
                    verdict = cursor.accept(part)
                    if verdict == AMBIGUOUS:
                        verdict = cursor.decide(
                            part, await self._stored_count(client, part, cursor)
                        )
                    if verdict == NEW:
                        self.run.add(part)
                        budget, self._backoff = self.request.reconnect_timeout, 0.0
                    elif self.run.reconnects:
                        self.run.reconnects[-1].duplicates += 1
                    self._close_reconnect()
            except httpx.HTTPError as exc:
                if not _transient(exc) or not self._can_rejoin():
                    raise self._unresumable(exc) from exc
                cause = _cause(exc, request.heartbeat_timeout)
            else:
                if self._cancel_requested or not self._can_rejoin() or self._graph_failed():
                    return None
                try:
                    status = await self._ask_run(client)
                except (httpx.HTTPError, asyncio.TimeoutError) as exc:
                    if not _transient(exc):
                        return None
                    cause = _cause(exc, request.heartbeat_timeout)
                else:
                    if status not in ("pending", "running"):
                        return status
                    cause = "the stream ended while the run was still running"
            rejoin, budget, status = await self._reconnect(client, cause, cursor, budget)
            if rejoin is None:
                return status
            request = rejoin
            cursor.new_connection()
            self._stored_group = None
            self._ask_until = asyncio.get_running_loop().time() + _OVERLAP_WINDOW_S

    async def _stored_count(
        self, client: LangGraphClient, part: Any, cursor: ResumeCursor
    ) -> int | None:
        """How many parts equal to `part` (id and content) the server stored; None when it is
        too late for a re-sent part (see `_OVERLAP_WINDOW_S`) or the server cannot say."""
        if asyncio.get_running_loop().time() > self._ask_until:
            return None
        event_id, name, data = part_identity(part)
        if self._stored_group is None or self._stored_group[0] != event_id:
            stored = await self._read_stored(client, event_id, cursor.before_last)  # type: ignore[arg-type]
            self._stored_group = (event_id, stored)
        keys = self._stored_group[1]
        return None if keys is None else keys.count((name, data))

    async def _read_stored(
        self, client: LangGraphClient, event_id: str, before: str | None
    ) -> list[tuple[str, Any]] | None:
        """The stored parts with id `event_id` (read from a second, replay-only join); None when
        the read fails or proves nothing within `_STORE_WAIT_S`.

        The server gives a part its id as it stores it, so once that millisecond is over the
        join replays all of them, but they are known to be all only once a part with a later
        id follows them, or the join ends (the server ends it when the run has ended: nothing
        more is stored). Stopping at a pause undercounts when the replay is slow to come, and
        an undercount drops a real event as a repeat; an unknown count keeps the part, which
        is at worst shown twice.
        """
        await asyncio.sleep(0.002)  # that millisecond is over: all of its events are stored
        request = StreamRequest(
            "join",
            self.run.thread_id,
            run_id=self.run.run_id,
            stream_mode=self._rejoin_modes(),
            last_event_id=before or REPLAY_ALL,
            heartbeat_timeout=self.request.heartbeat_timeout,
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _STORE_WAIT_S
        keys: list[tuple[str, Any]] = []
        parts = open_parts(client, request, lambda _meta: None)
        try:
            while True:
                part_id, name, data = part_identity(
                    await asyncio.wait_for(anext(parts), deadline - loop.time())  # type: ignore[arg-type]
                )
                if part_id is None:
                    continue
                if part_id > event_id:
                    return keys
                if part_id == event_id:
                    keys.append((name, data))
        except StopAsyncIteration:
            return keys
        except (asyncio.TimeoutError, httpx.HTTPError):
            return None
        finally:
            with contextlib.suppress(Exception):
                await parts.aclose()  # type: ignore[attr-defined]

    def _rejoin_modes(self) -> str | Sequence[str] | None:
        """A join narrows its modes; a stream's own join takes all the run's modes."""
        return self.request.stream_mode if self.request.kind == "join" else None

    def _can_rejoin(self) -> bool:
        """Only a thread run whose id is known can be joined again (stateless runs have no
        stream to come back to)."""
        return bool(self.run.thread_id and self.run.run_id) and not self._cancel_requested

    def _graph_failed(self) -> bool:
        return self.run.state.status.status == "error"

    def _unresumable(self, exc: BaseException) -> _Ended:
        sentence = self._describe(exc)
        if self.run.run_id and not self.run.thread_id and _transient(exc):
            sentence = sentence.rstrip(".") + (
                ". A stateless run (thread_id=None) cannot be resumed after a broken connection:"
                " stream it on a thread (thread_id='new') to survive one."
            )
        self._check_server_alive()
        return _Ended(sentence)

    async def _ask_run(self, client: LangGraphClient) -> str | None:
        answer = await asyncio.wait_for(
            client.runs.get(self.run.thread_id, self.run.run_id),  # type: ignore[arg-type]
            _SERVER_QUESTION_S,
        )
        self._run_info = answer
        return answer.get("status")

    # ---- reconnecting -----------------------------------------------------------------------
    async def _reconnect(
        self, client: LangGraphClient, cause: str, cursor: ResumeCursor, budget: float
    ) -> tuple[StreamRequest | None, float, str | None]:
        """Wait until the server answers again (within `budget` seconds), then return the join
        that resumes the stream, the budget left, and the run's status; a None join when the
        run ended meanwhile and there is nothing to replay."""
        run, loop = self.run, asyncio.get_running_loop()
        self._check_server_alive()
        record = self._reconnecting
        if record is None:
            record = Reconnect(time.time(), cause, run.event_count - 1, None)
            self._reconnecting = record
            run.begin_reconnect(record)
        started, last_error = loop.time(), cause
        while True:
            if self._backoff:
                await asyncio.sleep(min(self._backoff, max(0.0, budget - (loop.time() - started))))
            self._backoff = min(max(self._backoff * 2, _FIRST_BACKOFF_S), _MAX_BACKOFF_S)
            self._check_server_alive()
            left = budget - (loop.time() - started)
            if left <= 0:
                raise _Ended(self._gave_up(record, last_error))
            record.attempts += 1
            run.notify()
            try:
                status = await self._unless_server_dies(
                    self._ask_run(client), min(left, _SERVER_QUESTION_S)
                )
                break
            except NotFoundError as exc:
                raise _Ended(
                    f"After the connection broke ({cause}), {run.url} no longer knows run "
                    f"{run.run_id} (a restarted in-memory server forgets its runs); the "
                    f"{run.event_count} events received are kept."
                ) from exc
            except (httpx.HTTPError, asyncio.TimeoutError) as exc:
                if not _transient(exc):
                    raise
                last_error = _cause(exc, None)
        budget -= loop.time() - started
        resumable = self.request.resumable
        if resumable is None:
            kwargs = (self._run_info or {}).get("kwargs") or {}
            resumable = bool(kwargs.get("resumable")) or cursor.seen_ids
        resume_from = cursor.resume_from(resumable)
        record.last_event_id, record.replayed = resume_from, resume_from is not None
        if resume_from is None:
            self._warn_gap(record, status)
            if status not in ("pending", "running"):
                self._close_reconnect()
                return None, budget, status
        rejoin = StreamRequest(
            "join",
            run.thread_id,
            run_id=run.run_id,
            stream_mode=self._rejoin_modes(),
            last_event_id=resume_from,
            cancel_on_disconnect=self.request.cancel_on_disconnect
            or self.request.sdk_kwargs.get("on_disconnect") == "cancel",
            reconnect_timeout=self.request.reconnect_timeout,
            heartbeat_timeout=self.request.heartbeat_timeout,
        )
        return rejoin, budget, status

    def _on_stream_open(self) -> None:
        """A stream answered: a reconnect in progress has succeeded."""
        self._close_reconnect()

    def _close_reconnect(self) -> None:
        record = self._reconnecting
        if record is None:
            return
        self._reconnecting = None
        record.duration = max(0.0, time.time() - record.at)
        self.run.end_reconnect(record)

    def _warn_gap(self, record: Reconnect, status: str | None) -> None:
        after = f"after event #{record.after_seq}" if record.after_seq >= 0 else "before any event"
        ended = "" if status in ("pending", "running") else f" The run ended ({status}) meanwhile."
        self.run.warn(
            f"Events sent while the connection was down (from {_clock(record.at)}, {after}) "
            "were not received: the run was not created with stream_resumable=True, so the "
            f"server kept nothing to replay.{ended} run.values is read from the thread after "
            "the run."
        )

    def _gave_up(self, record: Reconnect, last_error: str) -> str:
        run = self.run
        return (
            f"Lost the connection to {run.url} at {_clock(record.at)} ({record.cause}) and could "
            f"not reconnect within {self.request.reconnect_timeout:g} s ({record.attempts} "
            f"attempt{'' if record.attempts == 1 else 's'}; last: {last_error}); "
            f"the {run.event_count} events received are kept. "
            f"If the run is still going on the server, lg_widgets.join({run.thread_id!r}, "
            f"{run.run_id!r}, replay=True) rejoins it."
        )

    async def _unless_server_dies(self, question: Any, timeout: float) -> Any:
        """Await `question` for at most `timeout` seconds, but end the run as soon as the
        embedded server exits: a dying server can accept a connection and never answer it, and
        its death must end the run within about a second, not after the question's timeout."""
        if self._server is None:
            return await asyncio.wait_for(question, timeout)
        loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(question)
        deadline = loop.time() + timeout
        try:
            while True:
                left = deadline - loop.time()
                if left <= 0:
                    raise asyncio.TimeoutError
                done, _ = await asyncio.wait({task}, timeout=min(_SERVER_WATCH_S, left))
                if done:
                    return task.result()
                self._check_server_alive()
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    def _check_server_alive(self) -> None:
        """An embedded server that exited ends the run at once, saying how and why."""
        server = self._server
        if server is None or server.running:
            return
        code = server.process.returncode
        how = f"exited with code {code}"
        if code is not None and code < 0:
            with contextlib.suppress(ValueError):
                how += f" (killed by {signal.Signals(-code).name})"
        tail = server.log_tail(6).strip()
        raise _Ended(
            f"The embedded LangGraph server ({server.url}) {how} while the run was streaming; "
            f"the {self.run.event_count} events received are kept."
            + (f" Its log ({server.log_path}) ends with:\n{tail}" if tail else "")
        )

    async def _find_active_run(self, client: LangGraphClient) -> None:
        """`join(thread_id)` without a run id: the thread's active run, replayed if resumable."""
        request, run = self.request, self.run
        thread_id = request.thread_id
        active, latest = await asyncio.wait_for(active_run(client, thread_id), _SERVER_QUESTION_S)  # type: ignore[arg-type]
        if active is None:
            if latest is None:
                raise _Ended(f"Nothing to join: thread {thread_id} has no runs.")
            raise _Ended(
                f"Nothing is running on thread {thread_id}: its latest run "
                f"{latest['run_id']} ended {latest.get('status')}. lg_widgets.join("
                f"{thread_id!r}, {latest['run_id']!r}, replay=True) replays it if it was "
                "created with stream_resumable=True."
            )
        kwargs = active.get("kwargs") or {}
        request.run_id = active["run_id"]
        if kwargs.get("resumable"):
            if request.last_event_id is None and request.replay is not False:
                request.last_event_id = REPLAY_ALL
        else:
            run.warn(
                f"Joined run {active['run_id']} while it was {active.get('status')}: it was not "
                "created with stream_resumable=True, so the events before now cannot be replayed."
            )
        modes = kwargs.get("stream_mode") or []
        graph = (active.get("metadata") or {}).get("graph_id")
        run.identify(
            run_id=request.run_id,
            assistant_id=graph or active.get("assistant_id"),
            stream_mode=[modes] if isinstance(modes, str) else list(modes),
        )

    async def _note_late_join(self, client: LangGraphClient) -> None:
        """A join of a run that began earlier says what of it is not here, and why; the
        run's state is then read from the thread after it (the values streamed are partial)."""
        request, run = self.request, self.run
        try:
            info = await asyncio.wait_for(
                client.runs.get(request.thread_id, request.run_id),  # type: ignore[arg-type]
                _SERVER_QUESTION_S,
            )
        except Exception:  # noqa: BLE001 - the stream itself will say what is wrong
            return
        resumable = bool((info.get("kwargs") or {}).get("resumable"))
        replaying = bool(request.last_event_id)
        if resumable and replaying:
            return  # every event is replayed
        why = (
            "pass replay=True to replay them"
            if resumable
            else "it was not created with stream_resumable=True, so the server kept none"
        )
        status = info.get("status")
        if status not in ("pending", "running"):
            run.warn(
                f"Run {request.run_id} had already ended ({status}) when it was joined, so no "
                f"events arrive ({why}); run.values is read from the thread."
            )
        else:
            run.warn(
                f"Joined run {request.run_id} while it was {status}: its earlier events are "
                f"not here ({why}); run.values is read from the thread after the run."
            )
        self._late = True

    def _on_run_created(self, meta: dict[str, Any]) -> None:
        self.run.identify(run_id=meta.get("run_id"), thread_id=meta.get("thread_id"))
        if self._run_created is not None:
            self._run_created.set()
        self._start_graph_fetch()
        if self._cancel_requested:
            self._spawn(self._cancel_on_server())

    async def _settle(
        self,
        client: LangGraphClient,
        cancelled: bool,
        failure: str | None,
        server_status: str | None,
    ) -> None:
        """Ask the server what the stream cannot show, then let `settle` decide."""
        run, kwargs = self.run, self.request.sdk_kwargs
        outcome = Outcome(
            received=run.state.status.settle(cancelled=False),
            failure=failure,
            cancelled=cancelled,
            had_events=run.event_count > 0,
            on_thread=bool(run.thread_id and run.run_id),
            joined_with_replay=self.request.kind == "join" and bool(self.request.last_event_id),
            breakpoints=bool(kwargs.get("interrupt_before") or kwargs.get("interrupt_after")),
            has_root_values=run.state.timeline.root_values() is not None,
            gap=self._late or any(not r.replayed for r in run.reconnects),
        )
        if server_status is None and outcome.ask_server_run:
            server_status = await self._server_status(client)
        provisional = settle(outcome, server_status).status
        thread_state = None
        if outcome.ask_thread_state(provisional):
            with contextlib.suppress(Exception):
                thread_state = await asyncio.wait_for(
                    client.threads.get_state(run.thread_id),  # type: ignore[arg-type]
                    _SERVER_QUESTION_S,
                )
        if outcome.on_thread and failure is None and not cancelled:
            await self._match_checkpoints(client)
        run.finish(settle(outcome, server_status, thread_state))

    async def _match_checkpoints(self, client: LangGraphClient) -> None:
        """Timeline rows learn their checkpoint from the thread's history when the stream had
        no `checkpoints`/`debug` events (a quick question; nothing is lost if unanswered)."""
        run = self.run
        timeline = run.state.timeline
        if not timeline.rows or timeline.checkpoints or not run.thread_id or not run.run_id:
            return
        with contextlib.suppress(Exception):
            history = await asyncio.wait_for(
                transport.run_checkpoints(client, run.thread_id, run.run_id), _SERVER_QUESTION_S
            )
            timeline.match_history(history, run.run_id)

    async def _server_status(self, client: LangGraphClient) -> str | None:
        """The server's status of the run; SERVER_RUN_GONE after a rollback; None if unknown."""
        try:
            return await self._ask_run(client)
        except NotFoundError:
            return SERVER_RUN_GONE
        except Exception:  # noqa: BLE001 - the stream already told us enough
            return None

    # ---- the assistant's graph ----------------------------------------------------------------
    def _start_graph_fetch(self) -> None:
        """Once the server has the run: asking earlier would compete with creating it (an
        embedded server is one process, and drawing a graph with xray compiles its subgraphs)."""
        if self._graph_task is None:
            self._graph_task = self._spawn(self._fetch_graph())

    async def _fetch_graph(self) -> None:
        """Fetch the assistant's graph beside the stream, on a client of its own: it never
        delays or breaks the stream, and a failure is one sentence in the graph panel."""
        run, request, own = self.run, self.request, self._owns_client
        assistant_id = run.assistant_id
        client = None
        try:
            client = self.connection.client() if own else self._client
            assert client is not None
            if assistant_id is None and request.thread_id and request.run_id:
                assistant_id = await asyncio.wait_for(
                    run_assistant(client, request.thread_id, request.run_id), _GRAPH_TIMEOUT_S
                )
            if assistant_id is None:
                return
            graph, error = await graph_or_failure(
                client, self.connection.url, assistant_id, GRAPH_XRAY, _GRAPH_TIMEOUT_S
            )
            run.set_graph(graph, xray=GRAPH_XRAY, error=error)
        except Exception as exc:  # noqa: BLE001 - shown in the graph panel; the run goes on
            run.set_graph(error=describe_graph_failure(exc, assistant_id), xray=GRAPH_XRAY)
        finally:
            if own and client is not None:
                with contextlib.suppress(Exception):
                    await client.http.client.aclose()

    # ---- cancelling -------------------------------------------------------------------------
    async def _cancel(self) -> None:
        if self._cancel_requested or self._task is None or self._task.done():
            return
        self._cancel_requested = True
        self.run.notify()
        if self.run.run_id is None and self._run_created is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._run_created.wait(), _CANCEL_GRACE_S)
        sent = self.run.run_id is not None and await self._cancel_on_server()
        if sent:  # after a server-side cancel the stream ends by itself within ~50 ms
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._task), _CANCEL_GRACE_S)
        if not self._task.done():  # closing the stream also stops an on_disconnect="cancel" run
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def thread_for_cancel(self) -> str | None:
        """The run's thread, or a stateless run's temporary one (named only in token metadata)."""
        return self.run.thread_id or stateless_thread_id(self.run.events_between(0))

    async def _cancel_on_server(self) -> bool:
        """Ask the server to cancel; True when it accepted (or the run had already ended)."""
        client, run_id = self._client, self.run.run_id
        thread_id = self.thread_for_cancel()
        if client is None or run_id is None or thread_id is None:
            return False
        try:
            await client.runs.cancel(thread_id, run_id)
        except NotFoundError:
            return True  # already finished
        except Exception as exc:  # noqa: BLE001 - reported, the local stream still stops
            self.run.warn(f"Cancelling on the server failed: {exc}")
            return False
        return True

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

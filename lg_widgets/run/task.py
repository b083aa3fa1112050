"""`RunTask`: what drives a live run — its loop, asyncio task, SDK client, cancel and wait.

It consumes the transport's parts into the run's read model (`Run.add`), then gathers what the
server says about how the run ended and hands it to the pure `reducers.status.settle`. This is
the one place that owns I/O for a run, so reconnecting will live here too.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from typing import TYPE_CHECKING, Any

from langgraph_sdk.errors import NotFoundError

from lg_widgets.events import stateless_thread_id
from lg_widgets.failures import describe_failure, describe_graph_failure
from lg_widgets.loops import loop_for_new_run, running_loop
from lg_widgets.reducers.status import SERVER_RUN_GONE, Outcome, settle
from lg_widgets.run import registry
from lg_widgets.run.graph_cache import graph_or_failure
from lg_widgets.run.model import Run
from lg_widgets.transport import StreamRequest, open_parts, run_assistant

if TYPE_CHECKING:
    from langgraph_sdk.client import LangGraphClient

    from lg_widgets.connection import Connection

_CANCEL_GRACE_S = 5.0
_SERVER_QUESTION_S = 10.0
_GRAPH_TIMEOUT_S = 30.0
_GRAPH_GRACE_S = 5.0  # how long `await run` waits for a graph still being fetched
GRAPH_XRAY = True  # subgraphs drawn as boxes of their nodes, so their activity shows in place


def start_run(
    request: StreamRequest, connection: Connection, client: LangGraphClient | None = None
) -> Run:
    """A new `Run` whose task is already scheduled (on the running loop, else a background one)."""
    run = Run(
        assistant_id=request.assistant_id,
        thread_id=None if request.thread_id == "new" else request.thread_id,
        run_id=request.run_id,
        url=connection.url,
        stream_mode=request.modes,
    )
    RunTask(run, request, connection, client).start(loop_for_new_run())
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
        self._client = client
        self._owns_client = client is None
        self._cancel_requested = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._run_created: asyncio.Event | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._graph_task: asyncio.Task[None] | None = None
        run.attach(self)

    # ---- Control ----------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self._task is None or self._task.done()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel_requested

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Schedule the consuming task on `loop`."""
        self._loop = loop
        registry.track(self.run)

        def create() -> None:
            self._run_created = asyncio.Event()
            self._task = loop.create_task(self._consume(), name=f"lg-widgets {self.run!r}")

        if running_loop() is loop:
            create()
        else:
            done = concurrent.futures.Future[None]()
            loop.call_soon_threadsafe(lambda: (create(), done.set_result(None)))
            done.result(timeout=10)

    def cancel(self) -> None:
        if self.done or self._loop is None:
            return
        if running_loop() is self._loop:
            self._spawn(self._cancel())
        else:
            asyncio.run_coroutine_threadsafe(self._cancel(), self._loop)

    async def wait(self) -> None:
        task = self._task
        if task is None or (task.done() and self._graph_settled_already()):
            return
        try:
            if running_loop() is self._loop:
                await asyncio.shield(task)
                await self._graph_settled()
            else:
                assert self._loop is not None
                await asyncio.wrap_future(
                    asyncio.run_coroutine_threadsafe(self._wait_on_own_loop(), self._loop)
                )
        except asyncio.CancelledError:
            self.cancel()
            raise

    def wait_sync(self, timeout: float | None) -> None:
        if self.done:
            return
        assert self._loop is not None
        running = running_loop()
        if running is self._loop or (not self._loop.is_running() and running is None):
            import nest_asyncio

            nest_asyncio.apply(self._loop)
            self._loop.run_until_complete(asyncio.wait_for(self._wait_on_own_loop(), timeout))
            return
        future = asyncio.run_coroutine_threadsafe(self._wait_on_own_loop(), self._loop)
        try:
            future.result(timeout)
        except concurrent.futures.TimeoutError as exc:
            raise TimeoutError(f"{self.run!r} still running after {timeout} s") from exc

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
        cancelled = False
        failure: str | None = None
        if request.kind == "join":  # the run exists already; a new one asks once it does
            self._start_graph_fetch()
        try:
            if request.kind == "stream" and request.thread_id == "new":
                thread = await client.threads.create()
                request.thread_id = thread["thread_id"]
                run.identify(thread_id=request.thread_id)
            async for part in open_parts(client, request, self._on_run_created):
                run.add(part)
        except asyncio.CancelledError:
            cancelled = True
            if not self._cancel_requested:  # cancelled from outside: do not orphan the server run
                self._cancel_requested = True
                with contextlib.suppress(BaseException):
                    await asyncio.wait_for(self._cancel_on_server(), 3)
        except Exception as exc:  # noqa: BLE001 - every failure becomes run.error
            failure = describe_failure(
                exc,
                url=run.url or "",
                assistant_id=run.assistant_id,
                thread_id=request.thread_id,
                run_id=run.run_id,
                stream_mode=request.stream_mode,
            )
        finally:
            try:
                await self._settle(client, cancelled or self._cancel_requested, failure)
            finally:
                if self._owns_client:
                    with contextlib.suppress(Exception):
                        await client.http.client.aclose()
                    self._client = None
                registry.release(run)

    def _on_run_created(self, meta: dict[str, Any]) -> None:
        self.run.identify(run_id=meta.get("run_id"), thread_id=meta.get("thread_id"), started=True)
        if self._run_created is not None:
            self._run_created.set()
        self._start_graph_fetch()
        if self._cancel_requested:
            self._spawn(self._cancel_on_server())

    async def _settle(self, client: LangGraphClient, cancelled: bool, failure: str | None) -> None:
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
        )
        server_status = await self._server_status(client) if outcome.ask_server_run else None
        provisional = settle(outcome, server_status).status
        thread_state = None
        if outcome.ask_thread_state(provisional):
            with contextlib.suppress(Exception):
                thread_state = await asyncio.wait_for(
                    client.threads.get_state(run.thread_id),  # type: ignore[arg-type]
                    _SERVER_QUESTION_S,
                )
        run.finish(settle(outcome, server_status, thread_state))

    async def _server_status(self, client: LangGraphClient) -> str | None:
        """The server's status of the run; SERVER_RUN_GONE after a rollback; None if unknown."""
        try:
            answer = await asyncio.wait_for(
                client.runs.get(self.run.thread_id, self.run.run_id),  # type: ignore[arg-type]
                _SERVER_QUESTION_S,
            )
        except NotFoundError:
            return SERVER_RUN_GONE
        except Exception:  # noqa: BLE001 - the stream already told us enough
            return None
        return answer.get("status")

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

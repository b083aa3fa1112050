"""`follow(thread_id)`: every run on a thread as it happens, in one view, whoever starts it.

A `Follower` listens to the thread's lifecycle stream (only its runs' starts and ends, see
`transport.thread_lifecycle`) and, for each run that starts, joins it (from its first event when
it was created resumable) and continues its `RunView` with it. A run this process streams
already (a resume from the view, `run.resume()` in a cell) is shown as that same `Run`, not
joined a second time. The stream is resumed from its last event id after a break, and a run that
was already going when the follower connected is joined too.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
from typing import TYPE_CHECKING, Any

import httpx
from langgraph_sdk.client import LangGraphClient
from langgraph_sdk.errors import NotFoundError

from lg_widgets import transport
from lg_widgets.connection import Connection
from lg_widgets.errors import LgWidgetsError
from lg_widgets.loops import call_on, loop_for_new_run, running_loop
from lg_widgets.run.model import Run
from lg_widgets.run.registry import runs as process_runs
from lg_widgets.streaming import HEARTBEAT_TIMEOUT_S, _connection_for, join, refuse_in_process
from lg_widgets.transport import StreamWatch

if TYPE_CHECKING:
    from lg_widgets.view.widget import RunView

FOLLOW_ORIGIN = "follow"
_FIRST_BACKOFF_S = 0.25
_MAX_BACKOFF_S = 5.0


class Follower:
    """Shows every run on one thread in one `RunView`; see `follow()`.

    `runs` lists the runs seen so far, oldest first; `await follower.wait_for_run(n)` waits for
    the n-th (from 0); `stop()` stops listening and streaming (the runs go on on the server).
    Displaying a follower shows its view (a placeholder line until the first run starts).
    """

    def __init__(
        self,
        thread_id: str,
        connection: Connection,
        client: LangGraphClient | None,
        view_options: dict[str, Any],
    ) -> None:
        self.thread_id = thread_id
        self.connection = connection
        self._client = client
        self._view_options = view_options
        self._runs: list[Run] = []
        self._run_ids: set[str] = set()
        self._view: RunView | None = None
        self._box: Any = None  # the displayed container: the view once there is a run
        self._changed = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._joins: set[asyncio.Task[None]] = set()
        self.error: str | None = None
        """Why following stopped on its own (the thread does not exist, the server refused)."""

    # ---- public -------------------------------------------------------------------------------
    @property
    def runs(self) -> list[Run]:
        """The runs seen on the thread since following began, oldest first."""
        return list(self._runs)

    @property
    def view(self) -> RunView | None:
        """The view showing the runs (None until the first run starts)."""
        return self._view

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def wait_for_run(self, index: int, timeout: float | None = None) -> Run:
        """The `index`-th run seen (0: the first), once it has started; from any loop (the
        follower lives on the notebook's, or on lg_widgets' background loop in a script)."""
        if self._loop is not None and running_loop() is not self._loop:
            future = asyncio.run_coroutine_threadsafe(self.wait_for_run(index, timeout), self._loop)
            return await asyncio.wrap_future(future)

        async def reached() -> Run:
            while len(self._runs) <= index:
                if not self.running:
                    raise LgWidgetsError(
                        f"Stopped following thread {self.thread_id} after {len(self._runs)} "
                        f"run(s){': ' + self.error if self.error else ''}."
                    )
                self._changed.clear()
                await self._changed.wait()
            return self._runs[index]

        return await asyncio.wait_for(reached(), timeout)

    def stop(self) -> asyncio.Future[None] | concurrent.futures.Future[None]:
        """Stop following: close the thread's stream and leave the runs being streamed (they go
        on on the server). Returns at once; await the result (or call its `.result()` outside
        an event loop) to wait until all has closed."""
        assert self._loop is not None
        caller = running_loop()
        if caller is self._loop:
            return asyncio.ensure_future(self._stop())
        future = asyncio.run_coroutine_threadsafe(self._stop(), self._loop)
        # awaitable on the caller's loop; from synchronous code, `.result()` waits
        return asyncio.wrap_future(future, loop=caller) if caller is not None else future

    def __repr__(self) -> str:
        state = "following" if self.running else "stopped"
        return f"<Follower thread={self.thread_id} {state} runs={len(self._runs)}>"

    # ---- display ------------------------------------------------------------------------------
    def _ipython_display_(self) -> None:
        """In a kernel, the view (in a box, so that it can appear with the first run); a
        terminal IPython has no front end for widgets and shows the repr."""
        from IPython import get_ipython
        from IPython.display import display

        if getattr(get_ipython(), "kernel", None) is None:
            display({"text/plain": repr(self)}, raw=True)
            return
        display(self._container())

    def _display_(self) -> Any:
        """marimo shows a cell's value through this (IPython never calls it). marimo shows no
        ipywidgets box to put the view in later, so: the view, once the first run has started
        (it goes on with every later run); before that, the line saying how to get it."""
        if self._view is not None:
            return self._view
        return (
            f"Following thread {self.thread_id}: no run yet. In marimo the view shows once one "
            "has started: `await follower.wait_for_run(0)` in the cell, then the follower."
        )

    def _container(self) -> Any:
        """An ipywidgets box: a line saying what it waits for, then the view."""
        if self._box is None:
            import ipywidgets

            waiting = ipywidgets.Label(f"Following thread {self.thread_id}: waiting for a run.")
            self._box = ipywidgets.VBox([self._view if self._view is not None else waiting])
        return self._box

    # ---- the follower's task ------------------------------------------------------------------
    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

        def create() -> None:
            self._changed = asyncio.Event()
            self._task = loop.create_task(self._follow(), name=f"lg-widgets {self!r}")

        call_on(loop, create)

    async def _follow(self) -> None:
        client = self._client or self.connection.client()
        last_id: str | None = None
        backoff = 0.0
        opened = asyncio.Event()
        transport.watch(client, StreamWatch(HEARTBEAT_TIMEOUT_S, on_open=opened.set))
        try:
            try:
                await transport.thread_record(client, self.thread_id)
            except NotFoundError:
                self.error = f"Thread {self.thread_id} does not exist on {self.connection.url}."
                return
            while True:
                opened.clear()
                catch_up = asyncio.ensure_future(self._join_active_once_open(client, opened))
                try:
                    parts = await transport.thread_lifecycle(client, self.thread_id, last_id)
                    async for part in parts:
                        last_id = getattr(part, "id", None) or last_id
                        run_id = transport.run_started(part)
                        if run_id is not None:
                            await self._start(client, run_id)
                        backoff = 0.0
                except (httpx.TransportError, asyncio.TimeoutError):
                    pass  # the connection broke: resume from the last event id
                finally:
                    catch_up.cancel()
                await asyncio.sleep(backoff)
                backoff = min(max(backoff * 2, _FIRST_BACKOFF_S), _MAX_BACKOFF_S)
        except Exception as exc:  # noqa: BLE001 - said in `error`; waiting callers are woken
            self.error = str(exc) or type(exc).__name__
        finally:
            if self._client is None:
                with contextlib.suppress(Exception):
                    await client.http.client.aclose()
            self._changed.set()  # last, with no await after: waiters find the task done

    async def _join_active_once_open(self, client: LangGraphClient, opened: asyncio.Event) -> None:
        """Once the stream answers, a run that started before it did (or during a break) is
        not in it: join the thread's active run, if any."""
        await opened.wait()
        with contextlib.suppress(httpx.HTTPError, asyncio.TimeoutError):
            active, _ = await transport.active_run(client, self.thread_id)
            if active is not None:
                await self._start(client, str(active["run_id"]))

    async def _start(self, client: LangGraphClient, run_id: str) -> None:
        """Show run `run_id`: this process's own `Run` of it if there is one, else a join."""
        if run_id in self._run_ids:
            return  # seen in the stream and by the catch-up, or repeated after a break
        self._run_ids.add(run_id)
        record: dict[str, Any] = {}
        with contextlib.suppress(httpx.HTTPError, NotFoundError):
            record = await transport.run_record(client, self.thread_id, run_id)
        # asked after the server's answer: a run this process started knows its id by then
        run = next((r for r in reversed(process_runs()) if r.run_id == run_id), None)
        if run is None:
            run = self._join(run_id, record)
        self._runs.append(run)
        # sent for the kernel's current request, not the cell that started following (whose
        # messages headless executors drop once it has finished): an empty context
        contextvars.Context().run(self._show, run)
        self._changed.set()

    def _show(self, run: Run) -> None:
        if self._view is None:
            self._view = run.view(**self._view_options)
            if self._box is not None:
                self._box.children = (self._view,)
        else:
            self._view.continue_with(run)

    def _join(self, run_id: str, record: dict[str, Any]) -> Run:
        """Join the run (replayed from its first event when it keeps its events)."""
        kwargs = record.get("kwargs") or {}
        modes = kwargs.get("stream_mode") or []
        graph = (record.get("metadata") or {}).get("graph_id")
        run = join(
            self.thread_id,
            run_id,
            replay=bool(kwargs.get("resumable")),
            assistant_id=graph or record.get("assistant_id"),
            client=self._client,
            url=self.connection.url,
            api_key_env=self.connection.api_key_env,
        )
        run.origin = FOLLOW_ORIGIN
        run.identify(stream_mode=[modes] if isinstance(modes, str) else list(modes))
        return run

    async def _stop(self) -> None:
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for run in self._runs:
            if run.origin == FOLLOW_ORIGIN and not run.done:
                run.leave()
        for run in self._runs:
            if run.origin == FOLLOW_ORIGIN:
                await run.wait()


def follow(
    thread_id: str,
    *,
    client: LangGraphClient | None = None,
    url: str | None = None,
    api_key_env: str | None = None,
    flush_interval: float | None = None,
) -> Follower:
    """Follow a thread: show every run on it as it happens, whoever starts it (another process,
    a chat UI, a cell), in one view that goes on from run to run. Returns a `Follower` at once;
    display it to see the view. `client` / `url` / `api_key_env`: which server (the default
    connection otherwise); `flush_interval`: the view's (see `RunView`)."""
    refuse_in_process(thread_id, "follow()")
    if not isinstance(thread_id, str) or not thread_id:
        raise LgWidgetsError("follow() needs the id of an existing thread (a string).")
    connection = _connection_for(client, url, api_key_env)
    options = {} if flush_interval is None else {"flush_interval": flush_interval}
    follower = Follower(thread_id, connection, client, options)
    follower.start(loop_for_new_run())
    return follower

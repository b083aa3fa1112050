"""`Run`: one streamed LangGraph run, live or finished, and everything it received as Python data.

The run's asyncio task consumes the SDK stream and folds each part into the pure reducers; views
(the widget, a terminal printer) subscribe with `on_change` and read the same data. A run that
errors or is cancelled does not raise: `status` and `error` say what happened.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd
from langgraph_sdk.errors import NotFoundError

from lg_widgets import registry
from lg_widgets.events import Event, MetadataInterner, normalize
from lg_widgets.failures import describe_failure
from lg_widgets.reducers import RunState
from lg_widgets.transport import StreamRequest, open_parts

if TYPE_CHECKING:
    from langgraph_sdk.client import LangGraphClient

    from lg_widgets.connection import Connection

Listener = Callable[["Run", "Event | None"], None]
FINAL_STATUSES = ("success", "error", "cancelled", "interrupted")
_CANCEL_GRACE_S = 5.0


def event_node(event: Event) -> str | None:
    """The graph node an event came from, where the part says so."""
    data = event.data
    if event.mode == "updates" and isinstance(data, dict) and data:
        return next(iter(data))
    if event.mode == "messages" and isinstance(data, list) and len(data) == 2:
        return (data[1] or {}).get("langgraph_node")
    if event.mode == "tasks" and isinstance(data, dict):
        return data.get("name")
    return None


def _to_datetime(seconds: pd.Series) -> pd.Series:
    return pd.to_datetime(seconds, unit="s", utc=True)


class Run:
    """A streamed run. Await it (`await run`) or call `run.wait_sync()` to wait for the end."""

    def __init__(
        self,
        request: StreamRequest | None,
        connection: Connection | None,
        *,
        assistant_id: str | None = None,
        client: LangGraphClient | None = None,
    ) -> None:
        self.request = request
        self.connection = connection
        self.url = connection.url if connection else None
        self.assistant_id = assistant_id or (request.assistant_id if request else None)
        self.thread_id: str | None = request.thread_id if request else None
        if self.thread_id == "new":
            self.thread_id = None
        self.stream_mode = request.modes if request else []
        self.started_at = time.time()
        self.ended_at: float | None = None
        self.warnings: list[str] = []
        self._run_id = request.run_id if request else None
        self._client = client
        self._events: list[Event] = []
        self._state = RunState(self.assistant_id or "run")
        self._interner = MetadataInterner()
        self._listeners: list[Listener] = []
        self._final_state: dict[str, Any] | None = None
        self._frames: dict[str, tuple[int, pd.DataFrame]] = {}
        self._cancel_requested = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._run_created: asyncio.Event | None = None
        self._background: set[asyncio.Task[Any]] = set()

    # ---- lifecycle --------------------------------------------------------------------------
    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Schedule the consuming task on `loop` (called once by `stream()`/`join()`)."""
        self._loop = loop
        registry.track(self)

        def create() -> None:
            self._run_created = asyncio.Event()
            self._task = loop.create_task(self._consume(), name=f"lg-widgets {self!r}")

        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            create()
        else:
            done = concurrent.futures.Future[None]()
            loop.call_soon_threadsafe(lambda: (create(), done.set_result(None)))
            done.result(timeout=10)

    async def _consume(self) -> None:
        assert self.request is not None and self.connection is not None
        request = self.request
        owned = self._client is None
        client = self._client or self.connection.client()
        self._client = client
        cancelled = False
        failure: str | None = None
        try:
            if request.kind == "stream" and request.thread_id == "new":
                thread = await client.threads.create()
                self.thread_id = request.thread_id = thread["thread_id"]
                self._notify(None)
            async for part in open_parts(client, request, self._on_run_created):
                self._ingest(part)
        except asyncio.CancelledError:
            cancelled = True
            if not self._cancel_requested:  # cancelled from outside: do not orphan the server run
                self._cancel_requested = True
                with contextlib.suppress(BaseException):
                    await asyncio.wait_for(self._cancel_on_server(), 3)
        except Exception as exc:  # noqa: BLE001 - every failure becomes run.error
            failure = describe_failure(
                exc,
                url=self.url or "",
                assistant_id=self.assistant_id,
                thread_id=request.thread_id,
                run_id=self._run_id,
                stream_mode=request.stream_mode,
            )
        finally:
            try:
                await self._settle(client, cancelled or self._cancel_requested, failure)
            finally:
                if owned:
                    with contextlib.suppress(Exception):
                        await client.http.client.aclose()
                self._client = None if owned else self._client
                registry.release(self)

    def _ingest(self, part: Any) -> None:
        event = normalize(part, len(self._events), interner=self._interner)
        self._events.append(event)
        self._state.apply(event)
        if event.mode == "metadata" and self._run_id is None:
            self._run_id = self._state.status.run_id
        self._notify(event)
        # after the reducers and views have read the full part: keep a token's content only
        compact = self._interner.compact(event)
        if compact is not None:
            self._events[event.seq] = compact

    def _on_run_created(self, meta: dict[str, Any]) -> None:
        self._run_id = meta.get("run_id") or self._run_id
        if meta.get("thread_id"):
            self.thread_id = meta["thread_id"]
        if self._state.status.status == "pending":
            self._state.status.status = "running"
        if self._run_created is not None:
            self._run_created.set()
        if self._cancel_requested:
            self._spawn(self._cancel_on_server())
        self._notify(None)

    async def _settle(self, client: LangGraphClient, cancelled: bool, failure: str | None) -> None:
        """Decide the final status: the stream's end alone does not say how the run ended."""
        status = self._state.status.settle(cancelled=cancelled)
        error = None
        if failure is not None:
            status, error = "error", failure
        elif status == "cancelled":
            error = "The run was cancelled."
        elif (
            self.request
            and self.request.kind == "join"
            and not self._events
            and self.request.last_event_id
        ):
            self.warnings.append(
                "No events were replayed: only runs created with stream_resumable=True "
                "keep their events for a later join."
            )
        if failure is None and not cancelled and self.thread_id and self._run_id:
            status, error = await self._check_server(client, status, error)
        kwargs = self.request.sdk_kwargs if self.request else {}
        may_have_stopped = status == "success" and bool(
            kwargs.get("interrupt_before") or kwargs.get("interrupt_after")
        )
        needs_values = self._state.timeline.root_values() is None
        if (
            failure is None
            and not cancelled
            and self.thread_id
            and (needs_values or may_have_stopped)
        ):
            # static breakpoints leave no trace in `values` mode: the thread's `next` tells
            with contextlib.suppress(Exception):
                state = await asyncio.wait_for(client.threads.get_state(self.thread_id), 10)
                if needs_values:
                    self._final_state = state.get("values") or None
                if may_have_stopped and state.get("next"):
                    status = "interrupted"
                    self._state.status.breakpoint = True
        self.ended_at = time.time()
        self._state.finish(status, error)
        self._notify(None)

    async def _check_server(
        self, client: LangGraphClient, status: str, error: str | None
    ) -> tuple[str, str | None]:
        """The server's word on how the run ended, for what the stream cannot show."""
        try:
            run = await asyncio.wait_for(
                client.runs.get(self.thread_id, self._run_id),  # type: ignore[arg-type]
                10,
            )
        except NotFoundError:
            if status == "success" and self._events:
                return "cancelled", "The run was rolled back on the server (it no longer exists)."
            return status, error
        except Exception:  # noqa: BLE001 - the stream already told us enough
            return status, error
        server_status = run.get("status")
        if server_status in ("pending", "running"):
            return "running", error
        if status == "success" and server_status == "interrupted":
            return "cancelled", (
                "The run was cancelled on the server (another client or a "
                "multitask strategy interrupted it)."
            )
        if status == "success" and server_status == "error":
            return "error", "The run failed on the server; its log has the details."
        return status, error

    # ---- control ----------------------------------------------------------------------------
    def cancel(self) -> None:
        """Cancel the run on the server and stop streaming; returns at once, safe to repeat."""
        if self._task is None or self._task.done() or self._loop is None:
            return
        try:
            same_loop = asyncio.get_running_loop() is self._loop
        except RuntimeError:
            same_loop = False
        if same_loop:
            self._spawn(self._cancel())
        else:
            asyncio.run_coroutine_threadsafe(self._cancel(), self._loop)

    async def _cancel(self) -> None:
        if self._cancel_requested or self._task is None or self._task.done():
            return
        self._cancel_requested = True
        self._notify(None)
        if self._run_id is None and self._run_created is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._run_created.wait(), _CANCEL_GRACE_S)
        sent = self._run_id is not None and await self._cancel_on_server()
        if sent:  # after a server-side cancel the stream ends by itself within ~50 ms
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._task), _CANCEL_GRACE_S)
        if not self._task.done():  # closing the stream also stops an on_disconnect="cancel" run
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _stateless_thread_id(self) -> str | None:
        """A stateless run's temporary thread, named only in token or task metadata."""
        for event in reversed(self._events):
            data = event.data
            if event.mode == "messages" and isinstance(data, list) and len(data) == 2:
                return (data[1] or {}).get("thread_id")
        return None

    async def _cancel_on_server(self) -> bool:
        """Ask the server to cancel; True when it accepted (or the run had already ended)."""
        client = self._client
        thread_id = self.thread_id or self._stateless_thread_id()
        if client is None or self._run_id is None or thread_id is None:
            return False
        try:
            await client.runs.cancel(thread_id, self._run_id)
        except NotFoundError:
            return True  # already finished
        except Exception as exc:  # noqa: BLE001 - reported, the local stream still stops
            self.warnings.append(f"Cancelling on the server failed: {exc}")
            return False
        return True

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ---- waiting ----------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self._task is None or self._task.done()

    async def wait(self) -> Run:
        """Wait for the end; if the wait is cancelled (a kernel interrupt), so is the run."""
        task = self._task
        if task is None or task.done():
            return self
        try:
            if asyncio.get_running_loop() is self._loop:
                await asyncio.shield(task)
            else:
                assert self._loop is not None
                await asyncio.wrap_future(
                    asyncio.run_coroutine_threadsafe(self._wait_on_own_loop(), self._loop)
                )
        except asyncio.CancelledError:
            self.cancel()
            raise
        return self

    async def _wait_on_own_loop(self) -> None:
        if self._task is not None:
            await asyncio.shield(self._task)

    def __await__(self) -> Any:
        return self.wait().__await__()

    def wait_sync(self, timeout: float | None = None) -> Run:
        """Block until the run ends, from synchronous code.

        From a script this waits on the background loop. Inside a notebook cell it re-enters
        the kernel's loop with nest_asyncio: widget updates keep flowing, but front-end messages
        (a Cancel click) wait until it returns. Prefer `await run` in notebooks.
        """
        if self.done:
            return self
        assert self._loop is not None
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop or (not self._loop.is_running() and running is None):
            import nest_asyncio

            nest_asyncio.apply(self._loop)
            self._loop.run_until_complete(asyncio.wait_for(self._wait_on_own_loop(), timeout))
        else:
            future = asyncio.run_coroutine_threadsafe(self._wait_on_own_loop(), self._loop)
            try:
                future.result(timeout)
            except concurrent.futures.TimeoutError as exc:
                raise TimeoutError(f"{self!r} still running after {timeout} s") from exc
        return self

    # ---- observing --------------------------------------------------------------------------
    def on_change(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(run, event)` per event and `listener(run, None)` on status changes.

        Listeners run on the run's loop and must be quick. Returns a function that unsubscribes.
        """
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _notify(self, event: Event | None) -> None:
        for listener in list(self._listeners):
            try:
                listener(self, event)
            except Exception as exc:  # noqa: BLE001 - a view must not break the stream
                self.warnings.append(f"listener {listener!r} failed: {exc!r}")

    # ---- data -------------------------------------------------------------------------------
    @property
    def run_id(self) -> str | None:
        return self._run_id

    @property
    def status(self) -> str:
        """pending, running, success, error, cancelled or interrupted."""
        if self._cancel_requested and self._state.status.status not in FINAL_STATUSES:
            return "cancelling"
        return self._state.status.status

    @property
    def error(self) -> str | None:
        """One sentence saying what went wrong, or None."""
        return self._state.status.error

    @property
    def error_data(self) -> dict[str, Any] | None:
        """The server's `error` event data (`{"error": class, "message": ...}`), if any."""
        return self._state.status.error_data

    @property
    def interrupts(self) -> list[dict[str, Any]]:
        """Interrupts raised by the graph, deduplicated by id."""
        return list(self._state.status.interrupts.values())

    @property
    def events(self) -> list[Event]:
        """Every part received, in order (a copy of the log)."""
        return list(self._events)

    @property
    def state(self) -> RunState:
        """The reducers' state, for views; treat it as read-only."""
        return self._state

    @property
    def values(self) -> dict[str, Any] | None:
        """The latest full state at the root.

        From the last root `values` event; else the thread's state read after the run; else
        (stateless, no `values` mode) the root `updates` merged in order, which ignores any
        reducers such as `operator.add`.
        """
        values = self._state.timeline.root_values()
        if values is not None:
            return values
        if self._final_state is not None:
            return self._final_state
        merged: dict[str, Any] = {}
        for row in self._state.timeline.rows:
            if row["namespace"] == "" and row["mode"] == "updates":
                merged.update(
                    {
                        k: row[k]
                        for k in self._state.timeline.state_keys
                        if k in row and k != "__interrupt__"
                    }
                )
        return merged or None

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Every LLM message streamed as tokens (or sent whole), merged by message id."""
        return [m.to_dict() for m in self._state.tokens.messages.values()]

    @property
    def tokens(self) -> dict[tuple[str, str | None], str]:
        """LLM text per `(namespace, node)`; the root namespace is `""`."""
        return self._state.tokens.text_by_source()

    def text(
        self,
        *,
        node: str | Iterable[str] | None = None,
        namespace: str | Iterable[str] | None = None,
        tags: str | Iterable[str] | None = None,
    ) -> str:
        """LLM text of the messages from these nodes/namespaces carrying all these tags."""
        return "\n\n".join(
            m.text for m in self._state.tokens.select(node=node, namespace=namespace, tags=tags)
        )

    @property
    def tree(self) -> dict[str, Any]:
        """The namespace tree as nested dicts: name, namespace, status, nodes, children..."""
        return self._state.tree.to_dict()

    def _cached_frame(self, key: str, size: int, build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        cached = self._frames.get(key)
        if cached is None or cached[0] != size:
            cached = (size, build())
            self._frames[key] = cached
        return cached[1]

    @property
    def timeline(self) -> pd.DataFrame:
        """One row per `values` event and per node of an `updates` event (see the README)."""
        rows = self._state.timeline.rows
        return self._cached_frame("timeline", len(rows), self._build_timeline)

    def _build_timeline(self) -> pd.DataFrame:
        from lg_widgets.reducers.timeline import BASE_COLUMNS

        columns = [*BASE_COLUMNS, *self._state.timeline.state_keys]
        frame = pd.DataFrame.from_records(self._state.timeline.rows, columns=columns)
        frame["time"] = _to_datetime(frame["time"])
        frame.insert(
            2,
            "elapsed",
            (frame["time"] - _to_datetime(pd.Series([self.started_at]))[0]).dt.total_seconds(),
        )
        frame["step"] = frame["step"].astype("Int64")
        return frame

    @property
    def events_df(self) -> pd.DataFrame:
        """`run.events` as a DataFrame: seq, time, elapsed, mode, namespace, node, id, data."""
        return self._cached_frame("events", len(self._events), self._build_events_df)

    def _build_events_df(self) -> pd.DataFrame:
        records = [
            (e.seq, e.time, e.mode, e.namespace_str, event_node(e), e.id, e.data)
            for e in self._events
        ]
        frame = pd.DataFrame.from_records(
            records, columns=["seq", "time", "mode", "namespace", "node", "id", "data"]
        )
        frame["time"] = _to_datetime(frame["time"])
        frame.insert(
            2,
            "elapsed",
            frame["seq"].map(lambda _: 0.0)
            if frame.empty
            else (frame["time"] - _to_datetime(pd.Series([self.started_at]))[0]).dt.total_seconds(),
        )
        return frame

    @property
    def tokens_df(self) -> pd.DataFrame:
        """One row per token chunk: seq, time, namespace, node, message_id, step, tags, text."""
        messages = self._state.tokens.messages.values()
        size = sum(len(m.piece_seqs) for m in messages)
        return self._cached_frame("tokens", size, self._build_tokens_df)

    def _build_tokens_df(self) -> pd.DataFrame:
        records = []
        for message in self._state.tokens.messages.values():
            texts = self._chunk_texts(message)
            for seq, when, text in zip(
                message.piece_seqs, message.piece_times, texts, strict=False
            ):
                records.append(
                    (
                        seq,
                        when,
                        message.namespace,
                        message.node,
                        message.id,
                        message.step,
                        message.tags,
                        text,
                    )
                )
        records.sort(key=lambda r: r[0])
        frame = pd.DataFrame.from_records(
            records,
            columns=["seq", "time", "namespace", "node", "message_id", "step", "tags", "text"],
        )
        frame["time"] = _to_datetime(frame["time"])
        frame["step"] = frame["step"].astype("Int64")
        return frame

    def _chunk_texts(self, message: Any) -> list[str]:
        """The text of each chunk, read back from the event log (reducers keep joined text)."""
        from lg_widgets.reducers.tokens import content_text

        texts = []
        previous = ""
        for seq in message.piece_seqs:
            event = self._events[seq]
            if event.mode == "messages":
                texts.append(content_text(event.data[0].get("content")))
            elif event.mode == "events":
                texts.append(content_text(event.data["data"]["chunk"].get("content")))
            else:  # accumulated `messages/partial`
                chunk = next((c for c in event.data if c.get("id") == message.id), {})
                full = content_text(chunk.get("content"))
                texts.append(full[len(previous) :] if full.startswith(previous) else full)
                previous = full
        return texts

    # ---- persistence and display -----------------------------------------------------------
    def save(self, path: str) -> None:
        """Write the event log (and what the server said at the end) as JSONL."""
        from lg_widgets.storage import save_run

        save_run(self, path)

    def view(self, **options: Any) -> Any:
        """A new live `RunView` of this run (options: flush_interval, snapshot_interval)."""
        from lg_widgets.widget import RunView

        return RunView(self, **options)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Displaying a run in a notebook shows its live view (in a terminal, its repr)."""
        from lg_widgets.widget import run_mimebundle

        return run_mimebundle(self, **kwargs)

    def summary(self) -> dict[str, Any]:
        return {
            "assistant_id": self.assistant_id,
            "thread_id": self.thread_id,
            "run_id": self.run_id,
            "status": self.status,
            "error": self.error,
            "events": len(self._events),
            "stream_mode": self.stream_mode,
            "url": self.url,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
        }

    def __repr__(self) -> str:
        return (
            f"<Run {self.assistant_id} status={self.status} events={len(self._events)} "
            f"thread={self.thread_id} run={self.run_id}>"
        )

"""`GraphTask`: drives a run of a compiled graph in this process (`lg_widgets.stream(graph)`).

It is a `RunTask` (same loop, waiting, cancel and `Control` protocol) whose source is
`inprocess.graph_parts` instead of a server: no connection, nothing to reconnect, and the
final status needs no server's word. Cancelling cancels the asyncio task that iterates
`graph.astream`, which LangGraph turns into cancelling the step's tasks (a sync node already
running in an executor thread finishes its call, and the graph stops before its next step).

The graph and the run's folding share one thread, so the parts are folded in batches of up to
`FOLD_BATCH`, each at most `FOLD_WAIT_S` after it arrived (with its arrival time): a batch
keeps the folding code warm in the CPU's caches, and a token costs about 15% less CPU than
folded between two steps of the graph. Everything received is folded before the run settles,
however it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from typing import Any

from lg_widgets import inprocess, transport
from lg_widgets.errors import LgWidgetsError
from lg_widgets.inprocess import GraphClient
from lg_widgets.loops import loop_for_new_run
from lg_widgets.reducers.status import Outcome, settle
from lg_widgets.run import registry
from lg_widgets.run.model import Run
from lg_widgets.run.task import GRAPH_XRAY, RunTask
from lg_widgets.transport import StreamRequest

FOLD_BATCH = 64  # parts folded together (measured: 256 holds enough to bring a full collection)
FOLD_WAIT_S = 0.005  # the longest a part waits to be folded: far below a view's flush interval


class GraphTask(RunTask):
    """Streams `request.graph` into `run` on the loop it is started on."""

    def __init__(self, run: Run, request: StreamRequest) -> None:
        self.run = run
        self.request = request
        self._cancel_requested = False
        self._leaving = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._run_created: asyncio.Event | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._graph_task: asyncio.Task[None] | None = None
        self._thread: str | None = None  # the checkpointer's thread (a stateless run's too)
        self._unfolded: list[tuple[Any, float]] = []  # parts received, with when
        self._fold_timer: asyncio.TimerHandle | None = None
        self._fold_error: BaseException | None = None  # folding failed in the timer: the run ends
        run.attach(self)

    def leave(self) -> None:
        """Nothing runs elsewhere to leave running: stopping here stops the graph."""
        self.cancel()

    async def _cancel(self) -> None:
        if self._cancel_requested or self._task is None or self._task.done():
            return
        self._cancel_requested = True
        self.run.notify()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _consume(self) -> None:
        run, request = self.run, self.request
        graph = request.graph
        client = GraphClient(graph)
        cancelled, failure = False, None
        self._draw(graph)
        try:
            self._thread = self._thread_for_run(graph)
            if request.prepare is not None:
                await request.prepare(client, request)  # type: ignore[arg-type]
            kwargs = dict(request.sdk_kwargs)
            kwargs.pop("stream_resumable", None)
            config = inprocess.run_config(
                kwargs.pop("config", None),
                run_id=str(run.run_id),
                thread_id=self._thread,
                checkpoint_id=kwargs.pop("checkpoint_id", None),
                metadata=kwargs.pop("metadata", None),
            )
            parts = inprocess.graph_parts(
                graph,
                inprocess.graph_input(request.input, kwargs.pop("command", None)),
                config,
                stream_mode=request.modes or ["values"],
                subgraphs=request.stream_subgraphs,
                run_id=str(run.run_id),
                **kwargs,
            )
            loop = asyncio.get_running_loop()
            # closed here whatever ends the loop: the graph's tasks stop with it, not when the
            # collector finds the generator
            async with contextlib.aclosing(parts):
                async for part in parts:
                    unfolded = self._unfolded
                    unfolded.append((part, time.time()))
                    if len(unfolded) >= FOLD_BATCH:
                        self._fold()
                    elif self._fold_timer is None:
                        self._fold_timer = loop.call_later(FOLD_WAIT_S, self._fold_later)
        except asyncio.CancelledError:
            cancelled = self._fold_error is None
            if self._fold_error is not None:
                failure = _fold_failure(self._fold_error)
        except _FoldFailed as exc:
            failure = _fold_failure(exc.__cause__)
        except LgWidgetsError as ended:
            failure = str(ended)
        except Exception as exc:  # noqa: BLE001 - every failure becomes run.error
            failure = _failure_sentence(exc)
        finally:
            try:
                try:
                    self._fold()
                except _FoldFailed as exc:
                    failure = failure or _fold_failure(exc.__cause__)
                await self._settle_here(client, cancelled or self._cancel_requested, failure)
            finally:
                registry.release(run)

    def _fold(self) -> None:
        """Fold the parts received so far into the run, each at the time it arrived."""
        if self._fold_timer is not None:
            self._fold_timer.cancel()
            self._fold_timer = None
        unfolded, self._unfolded = self._unfolded, []  # taken first: a failure repeats none
        add = self.run.add
        try:
            for part, received in unfolded:
                add(part, received=received)
        except Exception as exc:
            raise _FoldFailed from exc

    def _fold_later(self) -> None:
        """The timer's fold: a failure ends the run with it, as one in the loop would."""
        self._fold_timer = None
        try:
            self._fold()
        except _FoldFailed as exc:
            self._fold_error = exc.__cause__
            if self._task is not None:
                self._task.cancel()

    def _thread_for_run(self, graph: Any) -> str | None:
        """`"new"` names a fresh thread; a stateless run of a graph with a checkpointer gets a
        thread of its own that the run does not show (as a server's stateless runs do)."""
        thread_id = self.request.thread_id
        if thread_id == "new":
            thread_id = str(uuid.uuid4())
            self.request.thread_id = thread_id
            self.run.identify(thread_id=thread_id)
        if thread_id is None and inprocess.has_checkpointer(graph):
            return str(uuid.uuid4())
        return thread_id

    def _draw(self, graph: Any) -> None:
        try:
            self.run.set_graph(inprocess.drawable(graph, GRAPH_XRAY), xray=GRAPH_XRAY)
        except Exception as exc:  # noqa: BLE001 - shown in the graph panel; the run goes on
            self.run.set_graph(
                error=f"The graph could not be drawn: {type(exc).__name__}: {exc}",
                xray=GRAPH_XRAY,
            )

    async def _settle_here(self, client: GraphClient, cancelled: bool, failure: str | None) -> None:
        """The events say how the run ended; the checkpointer says the rest (static
        breakpoints, the final state of a run without root `values`, each step's checkpoint)."""
        run, kwargs = self.run, self.request.sdk_kwargs
        on_thread = run.thread_id is not None and inprocess.has_checkpointer(self.request.graph)
        outcome = Outcome(
            received=run.state.status.settle(cancelled=False),
            failure=failure,
            cancelled=cancelled,
            had_events=run.event_count > 0,
            on_thread=on_thread,
            breakpoints=bool(kwargs.get("interrupt_before") or kwargs.get("interrupt_after")),
            has_root_values=run.state.timeline.root_values() is not None,
        )
        thread_state = None
        if outcome.ask_thread_state(settle(outcome).status):
            with contextlib.suppress(Exception):
                thread_state = await client.threads.get_state(run.thread_id)  # type: ignore[arg-type]
        timeline = run.state.timeline
        if on_thread and outcome.clean and timeline.rows and not timeline.checkpoints:
            with contextlib.suppress(Exception):
                history = await transport.run_checkpoints(
                    client,  # type: ignore[arg-type]
                    run.thread_id,  # type: ignore[arg-type]
                    str(run.run_id),
                )
                timeline.match_history(history, str(run.run_id))
        run.finish(settle(outcome, None, thread_state))


class _FoldFailed(Exception):
    """Folding a received part into the run failed (its cause): a bug of lg_widgets, said as
    such, not as the graph's failure or the run's start."""


def _failure_sentence(exc: Exception) -> str:
    return f"The run could not start: {type(exc).__name__}: {exc}"


def _fold_failure(exc: BaseException | None) -> str:
    return (
        f"lg_widgets could not fold a part of the run ({type(exc).__name__}: {exc}), a bug of "
        "lg_widgets: the run stopped there and keeps the events before it."
    )


def start_graph_run(request: StreamRequest) -> Run:
    """A new `Run` of `request.graph`, already scheduled (on the running loop, else the
    background one)."""
    graph = request.graph
    run = Run(
        assistant_id=request.assistant_id or inprocess.graph_name(graph),
        thread_id=None if request.thread_id == "new" else request.thread_id,
        run_id=str(uuid.uuid4()),
        stream_mode=request.modes,
        input=request.input,
        request=request,
        protocol="in-process",
    )
    GraphTask(run, request).start(loop_for_new_run())
    return run

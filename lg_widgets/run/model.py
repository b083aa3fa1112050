"""`Run`: a read model over one run's event log, live or finished, as Python data.

Live runs, `lg_widgets.load()`, the tests and the benchmark all build it the same way:
`Run.from_log(...)`, then `run.add(part)` for each received part and `run.finish(...)` at the
end. What drives a live run (its loop, task, client, cancel and wait) is a separate `RunTask`
that the run only knows through the small `Control` protocol, so a loaded run is the same object
without one. A run that errors or is cancelled does not raise: `status` and `error` say how it
ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from lg_widgets.errors import LgWidgetsError
from lg_widgets.events import (
    Event,
    MetadataInterner,
    Namespace,
    StateInterner,
    namespace_key,
    normalize,
)
from lg_widgets.interrupts import InterruptInfo, read_interrupts
from lg_widgets.logfile import write_log
from lg_widgets.loops import running_loop
from lg_widgets.reducers import RunState
from lg_widgets.reducers.graph import GraphModel
from lg_widgets.reducers.messages import NamespaceFilter, StreamedMessage, namespace_set
from lg_widgets.reducers.status import FINAL_STATUSES, Settlement
from lg_widgets.run import frames
from lg_widgets.run.event_log import EventLog
from lg_widgets.run.resume import Reconnect

if TYPE_CHECKING:
    import pandas as pd

    from lg_widgets.connection import Connection
    from lg_widgets.transport import StreamRequest

Listener = Callable[["Run", "Event | None"], None]


class Control(Protocol):
    """What a live run's driver offers; a finished or loaded run has none."""

    @property
    def done(self) -> bool: ...

    @property
    def cancel_requested(self) -> bool: ...

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The loop the run streams on, where its listeners are called (None before start)."""

    def cancel(self) -> None: ...

    def leave(self) -> None: ...

    async def wait(self) -> None: ...

    def wait_sync(self, timeout: float | None) -> None: ...

    def open(self, namespace: Namespace) -> None:
        """Subscribe to a namespace subtree left out (raises `LgWidgetsError` if it cannot)."""

    @property
    def opening(self) -> bool:
        """A subtree opened with `open` is still streaming in."""

    def close_opened(self, namespace: Namespace | None = None) -> None:
        """Stop the subscriptions `open` started (or the one of `namespace`); what they
        brought stays."""


class ViewHooks(Protocol):
    """How runs are shown, registered by the view layer (the run never imports it)."""

    def view(self, run: Run, **options: Any) -> Any: ...

    def mimebundle(self, run: Run, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]: ...

    def show(self, run: Run) -> None: ...

    def html(self, run: Run) -> str: ...

    def reopened(self, run: Run) -> None:
        """An ended run gets events again (`open`): its views follow it again."""


class ThreadHooks(Protocol):
    """How a run is continued on its thread, registered by `lg_widgets.threads` (the run layer
    never imports the streaming layer that starts runs)."""

    def resume(self, run: Run, value: Any = None, **kwargs: Any) -> Run: ...

    def fork(
        self,
        run: Run,
        checkpoint_id: str,
        values: Any = None,
        as_node: str | None = None,
        input: Any = None,
        **kwargs: Any,
    ) -> Run: ...

    def replay(self, run: Run, checkpoint_id: str, **kwargs: Any) -> Run: ...


class Run:
    """A streamed run. Await it (`await run`) or call `run.wait_sync()` to wait for the end."""

    _view_hooks: ClassVar[ViewHooks | None] = None
    _thread_hooks: ClassVar[ThreadHooks | None] = None

    def __init__(
        self,
        *,
        assistant_id: str | None = None,
        thread_id: str | None = None,
        run_id: str | None = None,
        url: str | None = None,
        stream_mode: Sequence[str] = (),
        started_at: float | None = None,
        warnings: Iterable[str] = (),
        reconnects: Iterable[Reconnect] = (),
        input: Any = None,
        request: StreamRequest | None = None,
        connection: Connection | None = None,
        protocol: str = "runs",
    ) -> None:
        self.assistant_id = assistant_id
        self.thread_id = thread_id
        self.url = url
        self.stream_mode = list(stream_mode)
        self.protocol = protocol
        """How it streamed: "runs" (`runs.stream`), "agent" (the thread-centric Agent
        Protocol, `client.threads.stream`) or "in-process" (a graph object of this process)."""
        self.started_at = time.time() if started_at is None else started_at
        self.ended_at: float | None = None
        self.warnings: list[str] = list(warnings)
        self.reconnects: list[Reconnect] = list(reconnects)
        """Each break of the stream: when, why, for how long, from which event id it resumed."""
        self.origin: str | None = None
        """What started the run: "resume", "fork" or "replay" (continuing `previous`), a
        magic's name ("%%lgstream"), or None for the Python API."""
        self.previous: Run | None = None
        """The run this one continues on the same thread (resumed, forked or replayed)."""
        self.next: Run | None = None
        """The newest run that continues this one (`resume`, `fork`, `replay`, or an answer
        given in the view): after approving in the view, `run.next` is the run that went on."""
        self._run_id = run_id
        self._log = EventLog()
        self._state = RunState(assistant_id or "run")
        self._interner = MetadataInterner()
        self._states = StateInterner()
        self._listeners: tuple[Listener, ...] = ()  # replaced, never changed: per event, no copy
        self._final_values: dict[str, Any] | None = None
        self._frames: dict[str, tuple[int, pd.DataFrame]] = {}
        self._control: Control | None = None
        self._waiters = 0  # coroutines inside `await run` now (see `waiting`)
        self.input = input
        self.request = request  # what was asked of the server (None for a loaded run)
        self.connection = connection  # who was asked: url, key *variable*, headers
        if isinstance(input, dict) and input.get("messages"):
            self._state.messages.add_input(input["messages"], self.started_at)
        self._graph: GraphModel | None = None
        self._graph_source: dict[str, Any] | None = None  # what set_graph got, for save()
        # the namespace filters whose events the run holds, as (prefix, depth) pairs; None:
        # every namespace (a subscription narrowed on the server holds fewer, see `left_out`)
        self.held: list[tuple[Namespace, int | None]] | None = None

    # ---- building ---------------------------------------------------------------------------
    @classmethod
    def from_log(cls, events: Iterable[Event] = (), **identity: Any) -> Run:
        """A run over a recorded event log (`identity`: the keyword arguments of `Run`).

        The run stays open: `add()` more parts, and `finish()` it with its final status.
        Events may come compacted (a token's content plus its shared frame).
        """
        run = cls(**identity)
        for event in events:
            run._record(event)
        return run

    def add(self, part: Any, *, received: float | None = None) -> Event:
        """Fold one received SDK part (any format `events.normalize` reads) into the run;
        `received`: when it happened, if not now (an event replayed from the server's buffer)."""
        return self._record(
            normalize(part, len(self._log), received=received, interner=self._interner)
        )

    def _record(self, event: Event) -> Event:
        """Log `event` and fold it in; returns it as the reducers read it."""
        self._states.share(event)  # before anyone reads it: unchanged state shares objects
        compact = self._interner.compact(event)
        full = event
        if event.compacted:  # a loaded token: the reducers read the whole part once
            full = Event(event.seq, event.time, event.mode, event.namespace, event.data, event.id)
        self._log.append(event)
        self._state.apply(full)
        if full.mode == "metadata" and self._run_id is None:
            self._run_id = self._state.status.run_id
        self._notify(full)
        self._log.settle(event, compact)  # the reducers and views have read the whole part
        return full

    def identify(
        self,
        *,
        run_id: str | None = None,
        thread_id: str | None = None,
        assistant_id: str | None = None,
        stream_mode: Sequence[str] | None = None,
    ) -> None:
        """What is learned while streaming: the thread created first, then the run once the
        server has created it (it stays `pending` until a worker starts it: the `metadata`
        event), or a joined run's assistant and modes."""
        self._run_id = run_id or self._run_id
        self.thread_id = thread_id or self.thread_id
        self.assistant_id = self.assistant_id or assistant_id
        if stream_mode and not self.stream_mode:
            self.stream_mode = list(stream_mode)
        self._notify(None)

    def warn(self, text: str, *, replacing: str | None = None) -> None:
        """Add a warning, or put it in the place of an earlier one (`replacing`) that it
        supersedes (what was left out, once a subtree has been opened)."""
        if replacing is not None and replacing in self.warnings:
            self.warnings[self.warnings.index(replacing)] = text
        else:
            self.warnings.append(text)
        self._notify(None)

    def begin_reconnect(self, record: Reconnect) -> None:
        """The stream broke: the run is `reconnecting` until `end_reconnect`."""
        self.reconnects.append(record)
        self._notify(None)

    def end_reconnect(self, record: Reconnect) -> None:
        """The server answers again (`record.duration` is set)."""
        self._notify(None)

    def finish(
        self,
        settlement: Settlement | str,
        error: str | None = None,
        *,
        ended_at: float | None = None,
    ) -> None:
        """Close the run: `run.finish("success")`, or with the task's `Settlement` (see
        `reducers.status.settle`), which may also carry warnings and the thread's final state."""
        if isinstance(settlement, str):
            settlement = Settlement(settlement, error)
        self.warnings.extend(settlement.warnings)
        if settlement.final_values is not None:
            self._final_values = settlement.final_values
        self.ended_at = time.time() if ended_at is None else ended_at
        self._state.finish(settlement.status, settlement.error, breakpoint=settlement.breakpoint)
        self._notify(None)

    def set_graph(
        self, data: Any = None, *, xray: bool | int = True, error: str | None = None
    ) -> None:
        """The assistant's graph as the server describes it (`assistants.get_graph` output),
        or `error`: one sentence saying why there is none. Set once by a live run's driver (or
        by `load`); what happens on it is folded from the events either way."""
        if error is not None:
            self._graph = GraphModel.unavailable(error, assistant_id=self.assistant_id, xray=xray)
        else:
            self._graph = GraphModel.from_server(data, assistant_id=self.assistant_id, xray=xray)
        self._graph_source = {"data": data, "xray": xray, "error": error}
        self._notify(None)

    @property
    def graph_model(self) -> GraphModel | None:
        """The graph as drawn (None until fetched); read by the view."""
        return self._graph

    @property
    def graph(self) -> dict[str, Any] | None:
        """The assistant's graph as plain data, with what ran on it: `nodes` (id, name,
        parent subgraph, kind, tools, metadata, and status, visits, seconds, running,
        parallel), `subgraphs`, `edges` (source, target, conditional, label) and `note` (what
        could not be had or drawn). None until the graph has been fetched."""
        if self._graph is None:
            return None
        return self._graph.to_dict(self._state.graph.project(self._graph))

    def attach(self, control: Control) -> None:
        """Called once by the driver of a live run."""
        self._control = control

    @classmethod
    def register_view(cls, hooks: ViewHooks) -> None:
        """The view layer says how runs are shown (`run.view()`, display in a notebook)."""
        cls._view_hooks = hooks

    @classmethod
    def register_threads(cls, hooks: ThreadHooks) -> None:
        """`lg_widgets.threads` says how a run is resumed, forked and replayed."""
        cls._thread_hooks = hooks

    # ---- the thread goes on (lg_widgets.threads does the work) ------------------------------
    @property
    def latest(self) -> Run:
        """The end of the chain of runs that continue this one (`next`, then its `next`...):
        the run to read after answering interrupts in the view; this run if none continued."""
        run = self
        while run.next is not None:
            run = run.next
        return run

    def _threads(self) -> ThreadHooks:
        if Run._thread_hooks is None:
            raise RuntimeError("lg_widgets.threads is not loaded; `import lg_widgets` loads it")
        return Run._thread_hooks

    def resume(self, value: Any = None, **stream_kwargs: Any) -> Run:
        """Answer this run's pending interrupts and return the next run on the thread at once.

        `value`: a list of decisions for HumanInTheLoopMiddleware / Agent Inbox requests
        (`"approve"`, `{"type": "edit", "args": {...}}`, `{"type": "reject", "message": ...}`,
        `{"type": "respond", "message": ...}`), in the order of the pending actions; a map of
        interrupt id to value (several interrupts answered together); or a plain value for the
        one pending interrupt. A wrong answer raises `LgWidgetsError` before anything is sent.
        """
        return self._threads().resume(self, value, **stream_kwargs)

    def fork(
        self,
        checkpoint_id: str,
        values: Any = None,
        as_node: str | None = None,
        input: Any = None,
        **stream_kwargs: Any,
    ) -> Run:
        """Run again from a checkpoint of this thread, after writing `values` there (as if
        `as_node` had returned them) when given; returns the new run at once."""
        return self._threads().fork(self, checkpoint_id, values, as_node, input, **stream_kwargs)

    def replay(self, checkpoint_id: str, **stream_kwargs: Any) -> Run:
        """Re-run from a checkpoint of this thread unchanged; returns the new run at once."""
        return self._threads().replay(self, checkpoint_id, **stream_kwargs)

    # ---- control (a live run's driver does the work) ----------------------------------------
    def cancel(self) -> None:
        """Cancel the run on the server and stop streaming; returns at once, safe to repeat."""
        if self._control is not None:
            self._control.cancel()

    def open(self, namespace: str | Sequence[str]) -> Run:
        """Subscribe to a namespace subtree that a narrowed subscription left out
        (`stream(..., protocol="agent", depth=N)` or `namespaces=`), live or after the run.

        `namespace`: an agent's namespace, as in `run.left_out` (the `"|"`-joined string or the
        tuple), or a prefix whose segments name nodes only (`"tools"`: every subtree under the
        root's `tools` node). A second subscription replays the subtree's events from the
        run's start and follows it until the run ends; they join this run (events, messages,
        tool calls, agents, the view), each once. Returns the run at once: `await run` waits
        until the subtree has arrived too. A break resumes where it stopped; a failure is a
        warning, never the run's; `cancel()` or closing the view stops it.
        """
        if self._control is None:
            raise LgWidgetsError(
                "This run was loaded from a file: there is no server subscription to widen; "
                "stream it again with lg_widgets.stream(..., protocol='agent')."
            )
        self._control.open(namespace_key(namespace))
        if self.ended_at is not None and Run._view_hooks is not None:
            Run._view_hooks.reopened(self)
        return self

    @property
    def opening(self) -> bool:
        """Whether a subtree opened with `open` is still streaming in."""
        return self._control is not None and self._control.opening

    def close_opened(self, namespace: str | Sequence[str] | None = None) -> None:
        """Stop the subscriptions `open` started, or the one of `namespace` (a view closed
        stops those it opened); what they brought stays, `run.warnings` says what was cut
        short, and the subtree is left out again (`open` opens it again)."""
        if self._control is not None:
            self._control.close_opened(None if namespace is None else namespace_key(namespace))

    def settle_late(self) -> None:
        """Events that arrived after the run ended (a subtree opened then): what they left
        running shares the run's end."""
        if self.ended_at is not None:
            self._state.tree.finish(self.status)
            self._state.messages.finish()
        self._notify(None)

    def holds(self, namespace: str | Sequence[str]) -> bool:
        """Whether the run holds the events of `namespace` (False: the server left them out)."""
        return holds(self.held, namespace_key(namespace))

    @property
    def left_out(self) -> list[str]:
        """The namespaces of agents this run knows of (a lifecycle event said they started)
        whose own events were left out on the server: what `run.open` can open."""
        return ["|".join(ns) for ns in self._state.agents.instances if not holds(self.held, ns)]

    def leave(self) -> None:
        """Stop streaming the run but let it go on on the server (a follower that stops
        watching someone else's run); it ends here as cancelled, with a warning saying so."""
        if self._control is not None:
            self._control.leave()

    @property
    def done(self) -> bool:
        """Ended: a live run's task has finished; a recorded one has been `finish()`ed."""
        return self.ended_at is not None if self._control is None else self._control.done

    async def wait(self) -> Run:
        """Wait for the end; if the wait is cancelled (a kernel interrupt), so is the run."""
        if self._control is None:
            return self
        if running_loop() is not self._control.loop:  # awaited from another loop or thread
            await self._control.wait()
            return self
        with self._waited_on():
            await self._control.wait()
        return self

    def __await__(self) -> Any:
        return self.wait().__await__()

    def wait_sync(self, timeout: float | None = None) -> Run:
        """Block until the run ends, from synchronous code.

        From a script this waits on the background loop. Inside a notebook cell it re-enters
        the kernel's loop with nest_asyncio: widget updates keep flowing, but front-end messages
        (a Cancel click) wait until it returns. Prefer `await run` in notebooks.
        """
        if self._control is not None:
            self._control.wait_sync(timeout)
        return self

    @property
    def waiting(self) -> int:
        """How many coroutines are inside `await run` (or `await run.wait()`) now. A front end
        that handles widget messages only between cells (marimo) holds the view's clicks while a
        cell awaits the run: the view says so when Cancel is clicked."""
        return self._waiters

    @contextlib.contextmanager
    def _waited_on(self) -> Iterator[None]:
        self._waiters += 1
        self._notify(None)
        try:
            yield
        finally:
            self._waiters -= 1
            self._notify(None)

    # ---- observing --------------------------------------------------------------------------
    def on_change(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(run, event)` per event and `listener(run, None)` on status changes.

        Listeners run on the run's loop and must be quick. Returns a function that unsubscribes.
        """
        self._listeners = (*self._listeners, listener)

        def unsubscribe() -> None:
            listeners = list(self._listeners)
            if listener in listeners:
                listeners.remove(listener)
                self._listeners = tuple(listeners)

        return unsubscribe

    def notify(self) -> None:
        """Tell listeners that something other than an event changed (cancelling, a reconnect
        attempt)."""
        self._notify(None)

    def _notify(self, event: Event | None) -> None:
        for listener in self._listeners:
            try:
                listener(self, event)
            except Exception as exc:  # noqa: BLE001 - a view must not break the stream
                self.warnings.append(f"listener {listener!r} failed: {exc!r}")

    # ---- identity and status ----------------------------------------------------------------
    @property
    def run_id(self) -> str | None:
        return self._run_id

    @property
    def status(self) -> str:
        """pending, running, reconnecting, cancelling, success, error, cancelled or interrupted."""
        status = self._state.status.status
        if status in FINAL_STATUSES:
            return status
        if self._control and self._control.cancel_requested:
            return "cancelling"
        if self.reconnects and self.reconnects[-1].ongoing:
            return "reconnecting"
        return status

    @property
    def reconnect_attempt(self) -> int | None:
        """While `reconnecting`: the attempt under way (1, 2, ...); else None."""
        if self.status != "reconnecting":
            return None
        return self.reconnects[-1].attempts

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
    def interrupt_info(self) -> list[InterruptInfo]:
        """The interrupts read as `InterruptInfo` (kind, actions and their allowed decisions)."""
        return read_interrupts(self._state.status.interrupts.values())

    # ---- the event log ----------------------------------------------------------------------
    @property
    def events(self) -> list[Event]:
        """Every part received, in order (a copy of the log)."""
        return self._log.between(0)

    @property
    def event_count(self) -> int:
        return len(self._log)

    def event_at(self, seq: int) -> Event:
        """One event of the log, without copying the log."""
        return self._log[seq]

    def events_between(self, start: int, stop: int | None = None) -> list[Event]:
        """A slice of the log (only the slice is copied)."""
        return self._log.between(start, stop)

    def event_seqs(self, mode: str) -> Sequence[int]:
        """The seqs of this run's events of `mode`, in order (kept as they come; read-only)."""
        return self._log.seqs(mode)

    def event_counts(self) -> dict[str, int]:
        """How many events of each mode the run received."""
        return self._log.counts()

    @property
    def state(self) -> RunState:
        """The reducers' state; treat it as read-only."""
        return self._state

    # ---- projections --------------------------------------------------------------------------
    @property
    def values(self) -> dict[str, Any] | None:
        """The latest full state at the root.

        From the last root `values` event; else the thread's state read after the run; else
        (stateless, no `values` mode) the root `updates` merged in order, which ignores any
        reducers such as `operator.add`. After a gap in the stream (a reconnect that could not
        replay), the thread's state read after the run comes first.
        """
        timeline = self._state.timeline
        if self._final_values is not None and any(not r.replayed for r in self.reconnects):
            return self._final_values
        values = timeline.root_values()
        if values is not None:
            return values
        if self._final_values is not None:
            return self._final_values
        last = timeline.last_row("")
        return (timeline.state_at(last)[0] or None) if last is not None else None

    @property
    def final_values(self) -> dict[str, Any] | None:
        """The thread's state as read after the run (only when the stream had no root values)."""
        return self._final_values

    def state_at(self, index: int) -> tuple[dict[str, Any], bool]:
        """The graph state as of timeline row `index`, and whether it is approximate (merged
        from updates, ignoring the graph's reducers); the view shows the same answer."""
        return self._state.timeline.state_at(index)

    @property
    def streamed_messages(self) -> list[StreamedMessage]:
        """The message objects behind `messages` (live; treat them as read-only)."""
        return list(self._state.messages.messages.values())

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Every message of the run, in order of first appearance, whatever its role: the
        input, LLM messages merged from their chunks (text, content blocks, tool calls, usage),
        tool results, and messages of the state that no token stream showed; each with the
        `agent` that wrote it (the agent of its namespace)."""
        messages = self.streamed_messages
        agent_of = frames.agent_namer(self._state.agents)
        owner = frames.owners(messages, self._state.agents)
        return [m.to_dict(agent_of(owner[m.id])) for m in messages]

    @property
    def tokens(self) -> dict[tuple[str, str | None], str]:
        """LLM text per `(namespace, node)`; the root namespace is `""`. Tool results, the
        input and other non-AI messages are not LLM text."""
        return self._state.messages.text_by_source()

    def text(
        self,
        *,
        node: str | Iterable[str] | None = None,
        namespace: NamespaceFilter = None,
        tags: str | Iterable[str] | None = None,
        agent: str | Iterable[str] | None = None,
    ) -> str:
        """LLM text of the messages from these nodes / namespaces / agents carrying all these
        tags. A namespace is the SDK's tuple or its `"|"`-joined string (`()` or `""`: the
        root). In a finished run, a filter that names nothing the run has is a `ValueError`
        that lists what it has."""
        self._check_filters(node=node, namespace=namespace, agent=agent)
        namespaces = namespace_set(namespace)
        if agent is not None:
            wanted = {agent} if isinstance(agent, str) else set(agent)
            agent_of = frames.agent_namer(self._state.agents)
            mine = {m.namespace for m in self.streamed_messages if agent_of(m.namespace) in wanted}
            namespaces = mine if namespaces is None else namespaces & mine
        return self._state.messages.text(node=node, namespace=namespaces, tags=tags)

    def _check_filters(
        self,
        *,
        node: str | Iterable[str] | None,
        namespace: NamespaceFilter,
        agent: str | Iterable[str] | None,
    ) -> None:
        """A finished run answers a filter that matches nothing with what it has instead."""
        if not self.done:
            return  # a live run may yet show the node, namespace or agent asked for
        messages = self.streamed_messages
        agents = self._state.agents.instances.values()
        has = {
            "node": {m.node for m in messages if m.node} | set(self._tree_nodes()),
            "namespace": {m.namespace for m in messages} | {"|".join(a.namespace) for a in agents},
            "agent": {a.agent for a in agents},
        }
        asked = {"node": node, "namespace": namespace_set(namespace), "agent": agent}
        for kind, value in asked.items():
            if value is None:
                continue
            wanted = {value} if isinstance(value, str) else set(value)
            if not wanted & has[kind]:
                names = ", ".join(repr(n) for n in sorted(has[kind])) or "none"
                raise ValueError(
                    f"This run has no {kind} {', '.join(repr(w) for w in sorted(wanted))}; "
                    f"its {kind}s are: {names}."
                )

    def _tree_nodes(self) -> list[str]:
        nodes: list[str] = []
        pending = [self._state.tree.root] if self._state.tree.root else []
        while pending:
            where = pending.pop()
            nodes.extend(where.nodes)
            pending.extend(where.children.values())
        return nodes

    def _messages_size(self) -> int:
        """Grows whenever a message does (the cache key of the frames built from them)."""
        return sum(m.last_seq for m in self._state.messages.messages.values())

    @property
    def tool_calls(self) -> pd.DataFrame:
        """One row per tool call, with its result, the agent that made it and the agent it
        started (see the docs' tool calls page)."""
        agents = self._state.agents
        return self._frame(
            "tool_calls",
            self._messages_size() + agents.version,
            lambda: frames.tool_calls(self.streamed_messages, agents, frames.agent_namer(agents)),
        )

    @property
    def usage(self) -> pd.DataFrame:
        """Tokens in/out/total per agent, model and node, where the provider reported them."""
        agents = self._state.agents
        return self._frame(
            "usage",
            self._messages_size() + agents.version,
            lambda: frames.usage(self.streamed_messages, frames.agent_namer(agents)),
        )

    @property
    def agents(self) -> pd.DataFrame:
        """One row per agent instance (the root and each subgraph the stream showed): its name,
        namespace, parent, what started it (`cause`, `tool_call_id`), status, times, and its
        messages, tool calls and tokens (see the docs' agents page)."""
        state = self._state
        return self._frame(
            "agents",
            self._messages_size() + state.agents.version + len(self._log),
            lambda: frames.agents(state.agents, state.tree, self.streamed_messages),
        )

    @property
    def handoffs(self) -> pd.DataFrame:
        """One row per handoff between agents (a supervisor's, a swarm's): from, to, the call."""
        return self._frame(
            "handoffs", self._state.agents.version, lambda: frames.handoffs(self._state.agents)
        )

    @property
    def tree(self) -> dict[str, Any]:
        """The namespace tree as nested dicts: name, namespace, the agent running there (and
        what started it: `cause`, `tool_call_id`, and for a handoff who handed off with which
        tool, `handoff`), status, nodes, children..."""
        agents = self._state.agents
        tokens: dict[str, int] = {}
        for message in self._state.messages.messages.values():
            if message.usage:
                total = int(message.usage.get("total_tokens") or 0)
                tokens[message.namespace] = tokens.get(message.namespace, 0) + total

        def annotate(namespace: tuple[str, ...]) -> dict[str, Any]:
            found = agents.instances.get(namespace)
            return {
                "agent": agents.agent_of(namespace),
                "cause": found.cause if found else "node",
                "tool_call_id": found.tool_call_id if found else None,
                "handoff": found.handoff.started() if found and found.handoff else None,
                "tokens": tokens.get("|".join(namespace), 0),
                "left_out": not holds(self.held, namespace),
            }

        return self._state.tree.to_dict(annotate)

    def _frame(self, key: str, size: int, build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """A DataFrame built once and cached until its source grows."""
        cached = self._frames.get(key)
        if cached is None or cached[0] != size:
            cached = (size, build())
            self._frames[key] = cached
        return cached[1]

    @property
    def timeline(self) -> pd.DataFrame:
        """One row per `values` event and per node of an `updates` event (see "Timeline shape"
        in the docs' streaming page)."""
        timeline, agents = self._state.timeline, self._state.agents
        return self._frame(
            "timeline",
            len(timeline.rows) + agents.version,
            lambda: frames.timeline(timeline, self.started_at, frames.agent_namer(agents)),
        )

    @property
    def events_df(self) -> pd.DataFrame:
        """`run.events` as a DataFrame: seq, time, elapsed, mode, namespace, node, id, data."""
        return self._frame(
            "events", len(self._log), lambda: frames.events(self._log.between(0), self.started_at)
        )

    @property
    def tokens_df(self) -> pd.DataFrame:
        """One row per token chunk: seq, time, namespace, agent, node, message_id, step, tags,
        text."""
        agents = self._state.agents
        size = sum(len(m.piece_seqs) for m in self._state.messages.messages.values())
        return self._frame(
            "tokens",
            size + agents.version,
            lambda: frames.tokens(
                self.streamed_messages, self.event_at, frames.agent_namer(agents)
            ),
        )

    # ---- persistence and display ------------------------------------------------------------
    def save(self, path: str) -> None:
        """Write the event log (and what the server said at the end) as JSONL."""
        header = {
            **self.summary(),
            "error_data": self.error_data,
            "final_state": self._final_values,
            "warnings": self.warnings,
            "reconnects": [r.to_json() for r in self.reconnects],
            "input": self.input,
            "graph": self._graph_source,
            "checkpoints_matched": self._state.timeline.matches(),
            "held": None if self.held is None else [[list(p), d] for p, d in self.held],
        }
        write_log(path, header, self._log)

    def view(self, **options: Any) -> Any:
        """A new live `RunView` of this run (options: flush_interval, snapshot_interval)."""
        if Run._view_hooks is None:
            raise RuntimeError("lg_widgets.view is not loaded; `import lg_widgets` loads it")
        return Run._view_hooks.view(self, **options)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Displaying a run in a notebook shows its live view (in a terminal, its repr)."""
        if Run._view_hooks is None:
            return {"text/plain": repr(self)}, {}
        return Run._view_hooks.mimebundle(self, **kwargs)

    def _display_(self) -> Any:
        """marimo shows a cell's value through this (IPython never calls it): the live view,
        with no import of marimo."""
        if Run._view_hooks is None:
            return repr(self)
        return Run._view_hooks.view(self)

    def _ipython_display_(self) -> None:
        """IPython calls this before `_repr_mimebundle_`: the view publishes the run itself, so
        that it can replace the output with the final result when the run ends."""
        if Run._view_hooks is None:
            from IPython.display import display

            display({"text/plain": repr(self)}, raw=True)
            return
        Run._view_hooks.show(self)

    def to_html(self, path: str | os.PathLike[str] | None = None) -> str:
        """One self-contained HTML file showing this run's view read-only in any browser (no
        kernel, server or network): returns the document, and writes it to `path` if given."""
        if Run._view_hooks is None:
            raise RuntimeError("lg_widgets.view is not loaded; `import lg_widgets` loads it")
        document = Run._view_hooks.html(self)
        if path is not None:
            with open(path, "w", encoding="utf-8") as out:
                out.write(document)
        return document

    def summary(self) -> dict[str, Any]:
        return {
            "assistant_id": self.assistant_id,
            "thread_id": self.thread_id,
            "run_id": self.run_id,
            "status": self.status,
            "error": self.error,
            "events": len(self._log),
            "stream_mode": self.stream_mode,
            "protocol": self.protocol,
            "url": self.url,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
        }

    def __repr__(self) -> str:
        return (
            f"<Run {self.assistant_id} status={self.status} events={len(self._log)} "
            f"thread={self.thread_id} run={self.run_id}>"
        )


def holds(held: Sequence[tuple[Namespace, int | None]] | None, namespace: Namespace) -> bool:
    """Whether a subscription to these (prefix, depth) filters receives `namespace`'s events,
    matched as the server matches them: a prefix segment without `:` names a node (any task
    of it), one with `:` a single task; a depth counts from the prefix."""
    if held is None:
        return True
    return any(
        len(namespace) >= len(prefix)
        and all(
            want == got or (":" not in want and got.partition(":")[0] == want)
            for want, got in zip(prefix, namespace, strict=False)
        )
        and (depth is None or len(namespace) - len(prefix) <= depth)
        for prefix, depth in held
    )

"""A thread goes on: resume an interrupted run, fork or replay from a checkpoint, read history.

`run.resume(...)`, `run.fork(...)` and `run.replay(...)` land here (registered on `Run`, whose
layer never imports this one). Each starts the next run on the same thread, with the same
assistant, stream modes, subgraph streaming and config as the run it continues, and returns it at
once: `new.previous` is that run, `new.origin` says how it continues it. Answers that cannot be
right (no pending interrupt, a decision the interrupt does not allow, a checkpoint inside a
subgraph, a run still going) raise `LgWidgetsError` before anything is sent; what only the server
can tell (the thread is busy, the checkpoint is a subgraph's) becomes the new run's error.

`history()` and `thread_state()` are synchronous (a DataFrame / dict at once): their requests go
to lg_widgets' background loop, which never waits on the caller's loop.
"""

from __future__ import annotations

import asyncio
import reprlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import pandas as pd
from langgraph_sdk.client import LangGraphClient

from lg_widgets import inprocess, transport
from lg_widgets.connection import copy_client
from lg_widgets.defaults import current_connection
from lg_widgets.errors import LgWidgetsError
from lg_widgets.interrupts import DECISIONS, INBOX_TYPES, InterruptInfo, answer
from lg_widgets.loops import background_loop, running_loop
from lg_widgets.run.agent_task import start_agent_run
from lg_widgets.run.graph_task import start_graph_run
from lg_widgets.run.model import Run
from lg_widgets.run.task import start_run
from lg_widgets.streaming import (
    HEARTBEAT_TIMEOUT_S,
    RECONNECT_TIMEOUT_S,
    check_sdk_kwargs,
    check_timeouts,
)
from lg_widgets.transport import StreamRequest

T = TypeVar("T")
# what the next run keeps of the run it continues, unless given again
CARRIED = ("config", "context", "interrupt_before", "interrupt_after", "stream_resumable")
IDLE_TIMEOUT_S = 60.0  # how long a fork/replay waits for the thread's active run to end
HISTORY_PAGE = 100
HISTORY_COLUMNS = (
    "checkpoint_id",
    "parent_checkpoint_id",
    "step",
    "source",
    "next",
    "writes",
    "interrupts",
    "created_at",
    "run_id",
    "checkpoint_ns",
    "preview",
)
_preview = reprlib.Repr()
_preview.maxstring, _preview.maxother, _preview.maxlevel = 40, 40, 2


# ---- sentences --------------------------------------------------------------------------------
def _stateless(action: str, run: Run | None = None) -> LgWidgetsError:
    graph = run.request.graph if run is not None and run.request is not None else None
    if graph is not None and not inprocess.has_checkpointer(graph):
        return LgWidgetsError(inprocess.NEEDS_CHECKPOINTER.format(action=action))
    return LgWidgetsError(
        f"This run has no thread, so there is nothing to {action}: start it with "
        "thread_id='new' to keep its state."
    )


def _still_going(run: Run, action: str) -> LgWidgetsError:
    return LgWidgetsError(
        f"Run {run.run_id} is still {run.status}: wait for it (`await run`) or cancel it "
        f"before you {action}."
    )


def subgraph_checkpoint(checkpoint_id: str, namespace: str) -> LgWidgetsError:
    """The sentence for a checkpoint inside a subgraph (the view shows it too)."""
    return LgWidgetsError(
        f"Checkpoint {checkpoint_id} is inside subgraph {namespace!r}: fork or replay from a "
        "checkpoint of the parent graph (checkpoint_ns ''), the server cannot restart a "
        "subgraph on its own."
    )


def not_a_root_checkpoint(checkpoint_id: str, thread_id: str) -> LgWidgetsError:
    return LgWidgetsError(
        f"Checkpoint {checkpoint_id} is not one of the parent graph's checkpoints on thread "
        f"{thread_id} (a subgraph's, or another thread's): pick one from "
        "lg_widgets.history(thread_id)."
    )


# ---- resume -------------------------------------------------------------------------------------
def resume(run: Run, value: Any = None, **kwargs: Any) -> Run:
    """Answer the run's pending interrupts (see `Run.resume`) and stream the next run."""
    if run.thread_id is None:
        raise _stateless("resume", run)
    if not run.done:
        raise _still_going(run, "resume it")
    pending = run.interrupt_info
    if not pending:
        if run.state.status.breakpoint:  # a static interrupt_before/after stop: go on
            return _next_run(run, "resume", input=value, **kwargs)
        raise LgWidgetsError(
            f"Run {run.run_id} has no pending interrupt to resume (it ended {run.status})."
        )
    payload = resume_payload(pending, value)
    if run.protocol == "agent":  # answered with input.respond, one interrupt at a time
        by_id = payload if len(pending) > 1 or pending[0]["id"] is not None else {None: payload}
        namespaces = {info["id"]: info["namespace"] for info in pending}
        answers = [
            {"interrupt_id": key, "namespace": namespaces.get(key) or [], "value": given}
            for key, given in by_id.items()
        ]
        return _next_run(run, "resume", respond=answers, **kwargs)
    return _next_run(run, "resume", command={"resume": payload}, **kwargs)


def resume_payload(pending: Sequence[InterruptInfo], value: Any) -> Any:
    """What `Command(resume=...)` gets for `value` (see `Run.resume`): a map interrupt id ->
    resume value when the interrupts have ids, each checked against what it allows."""
    ids = [info["id"] for info in pending]
    if isinstance(value, Mapping) and value and all(key in ids for key in value):
        by_id = {info["id"]: info for info in pending}
        return {key: answer(by_id[key], given) for key, given in value.items()}
    if isinstance(value, Mapping) and any(key in ids for key in value):
        unknown = [key for key in value if key not in ids]
        raise LgWidgetsError(
            f"No pending interrupt has id {unknown[0]!r}; pending: {', '.join(map(str, ids))}."
        )
    if len(pending) > 1 and _is_decision_list(value):
        return _split_decisions(pending, value)
    if len(pending) > 1:
        raise LgWidgetsError(
            f"{len(pending)} interrupts are pending: answer them by id, "
            f"run.resume({{{', '.join(repr(i) + ': ...' for i in ids)}}})."
        )
    info = pending[0]
    resumed = answer(info, value)
    return {info["id"]: resumed} if info["id"] is not None else resumed


def _is_decision_list(value: Any) -> bool:
    names = (*DECISIONS, *INBOX_TYPES.values())
    return (
        isinstance(value, list)
        and bool(value)
        and all(
            (isinstance(e, str) and e in names) or (isinstance(e, Mapping) and "type" in e)
            for e in value
        )
    )


def _split_decisions(pending: Sequence[InterruptInfo], decisions: list[Any]) -> dict[Any, Any]:
    """One list of decisions for several standard interrupts, taken in order of their actions."""
    if any(info["kind"] == "value" or info["id"] is None for info in pending):
        raise LgWidgetsError(
            "Decisions in one list need every pending interrupt to be a review request with an "
            "id: answer them by id instead, run.resume({id: value, ...})."
        )
    wanted = sum(len(info["actions"]) for info in pending)
    if len(decisions) != wanted:
        names = ", ".join(a["name"] for info in pending for a in info["actions"])
        raise LgWidgetsError(
            f"The pending interrupts ask for {wanted} decision(s) ({names}), "
            f"{len(decisions)} given."
        )
    out: dict[Any, Any] = {}
    start = 0
    for info in pending:
        count = len(info["actions"])
        out[info["id"]] = answer(info, decisions[start : start + count])
        start += count
    return out


# ---- fork and replay ----------------------------------------------------------------------------
def fork(
    run: Run,
    checkpoint_id: str,
    values: Any = None,
    as_node: str | None = None,
    input: Any = None,
    **kwargs: Any,
) -> Run:
    """Write `values` at the checkpoint (when given) and stream from there (see `Run.fork`)."""
    _check_travel(run, checkpoint_id, "fork")
    thread_id = run.thread_id
    assert thread_id is not None
    edit = values is not None or as_node is not None

    async def prepare(client: LangGraphClient, request: StreamRequest) -> None:
        await _wait_idle(client, thread_id, checkpoint_id)
        start = checkpoint_id
        if edit:
            written = await transport.update_state(
                client, thread_id, values, as_node=as_node, checkpoint_id=checkpoint_id
            )
            start = written or checkpoint_id
        request.sdk_kwargs["checkpoint_id"] = start

    return _next_run(run, "fork", input=input, prepare=prepare, **kwargs)


def replay(run: Run, checkpoint_id: str, **kwargs: Any) -> Run:
    """Re-run from the checkpoint unchanged (see `Run.replay`)."""
    _check_travel(run, checkpoint_id, "replay")
    thread_id = run.thread_id
    assert thread_id is not None

    async def prepare(client: LangGraphClient, request: StreamRequest) -> None:
        await _wait_idle(client, thread_id, checkpoint_id)
        request.sdk_kwargs["checkpoint_id"] = checkpoint_id

    return _next_run(run, "replay", prepare=prepare, **kwargs)


def travel_refusal(run: Run, checkpoint_id: str | None, action: str) -> str | None:
    """Why `run.fork`/`run.replay` (`action`) from this checkpoint would be refused before
    anything is sent, as one sentence; None when it can be tried (the view shows the same)."""
    if run.thread_id is None:
        return str(_stateless(action, run))
    if not isinstance(checkpoint_id, str) or not checkpoint_id:
        return (
            f"{action} needs a checkpoint id: a row's checkpoint_id in run.timeline, or "
            "lg_widgets.history(thread_id).checkpoint_id."
        )
    if not run.done:
        return str(_still_going(run, action))
    namespace = run.state.timeline.checkpoint_ns(checkpoint_id)
    if namespace:
        return str(subgraph_checkpoint(checkpoint_id, namespace))
    return None


def _check_travel(run: Run, checkpoint_id: str, action: str) -> None:
    refusal = travel_refusal(run, checkpoint_id, action)
    if refusal is not None:
        raise LgWidgetsError(refusal)


async def _wait_idle(client: LangGraphClient, thread_id: str, checkpoint_id: str) -> None:
    """Until the thread's active run (if any) has ended; then refuse a subgraph checkpoint."""
    active, _ = await transport.active_run(client, thread_id)
    if active is not None:
        try:
            await asyncio.wait_for(
                transport.wait_for_run(client, thread_id, active["run_id"]), IDLE_TIMEOUT_S
            )
        except asyncio.TimeoutError:
            raise LgWidgetsError(
                f"Thread {thread_id} is still busy with run {active['run_id']} after "
                f"{IDLE_TIMEOUT_S:.0f} s: wait for it to end (or cancel it), then try again."
            ) from None
    # The server looks the id up among the parent graph's checkpoints only: a subgraph's (or
    # another thread's) comes back as an empty state without metadata.
    state = await transport.get_state(client, thread_id, checkpoint_id)
    if not state.get("metadata"):
        raise not_a_root_checkpoint(checkpoint_id, thread_id)


# ---- the next run -------------------------------------------------------------------------------
def _next_run(
    run: Run,
    origin: str,
    *,
    input: Any = None,
    prepare: Callable[[LangGraphClient, StreamRequest], Awaitable[None]] | None = None,
    stream_mode: str | Sequence[str] | None = None,
    stream_subgraphs: bool | None = None,
    reconnect_timeout: float | None = None,
    heartbeat_timeout: float | None = HEARTBEAT_TIMEOUT_S,
    respond: list[dict[str, Any]] | None = None,
    **sdk_kwargs: Any,
) -> Run:
    before = run.request
    if run.protocol == "agent":
        return _next_agent_run(
            run, origin, respond, reconnect_timeout, heartbeat_timeout, sdk_kwargs
        )
    check_sdk_kwargs(sdk_kwargs)
    reconnect_timeout = (
        reconnect_timeout
        if reconnect_timeout is not None
        else (before.reconnect_timeout if before else RECONNECT_TIMEOUT_S)
    )
    check_timeouts(reconnect_timeout, heartbeat_timeout)
    carried = {k: v for k, v in (before.sdk_kwargs if before else {}).items() if k in CARRIED}
    carried.setdefault("stream_resumable", True)
    modes = stream_mode if stream_mode is not None else (run.stream_mode or "values")
    subgraphs = (
        stream_subgraphs
        if stream_subgraphs is not None
        else bool(before and before.stream_subgraphs)
    )
    request = StreamRequest(
        "stream",
        run.thread_id,
        assistant_id=run.assistant_id,
        input=input,
        stream_mode=modes,
        stream_subgraphs=subgraphs,
        sdk_kwargs={**carried, **sdk_kwargs},
        reconnect_timeout=reconnect_timeout,
        heartbeat_timeout=heartbeat_timeout,
        prepare=prepare,
    )
    if before is not None and before.graph is not None:  # a graph of this process goes on here
        request.graph = before.graph
        request.assistant_id = before.assistant_id
        new = start_graph_run(request)
    else:
        new = start_run(request, run.connection or current_connection())
    new.previous, new.origin = run, origin
    run.next = new
    return new


def _next_agent_run(
    run: Run,
    origin: str,
    respond: list[dict[str, Any]] | None,
    reconnect_timeout: float | None,
    heartbeat_timeout: float | None,
    run_kwargs: dict[str, Any],
) -> Run:
    """The next run of a thread streamed through the Agent Protocol: an answer to its
    interrupts (`input.respond`), read from where the previous run's events stopped."""
    if respond is None:
        raise LgWidgetsError(
            f"{origin} is not available for a run streamed with protocol='agent' yet: "
            "use lg_widgets.stream(..., thread_id=run.thread_id, ...) with protocol='runs'."
        )
    before = run.request
    timeout = reconnect_timeout if reconnect_timeout is not None else RECONNECT_TIMEOUT_S
    check_timeouts(timeout, heartbeat_timeout)
    last = run.events_between(max(run.event_count - 1, 0))
    since = int(last[-1].id) if last and str(last[-1].id).isdigit() else None
    options = dict(before.protocol_options) if before else {}
    request = StreamRequest(
        "stream",
        run.thread_id,
        assistant_id=run.assistant_id,
        stream_mode=None,
        sdk_kwargs=run_kwargs,
        reconnect_timeout=timeout,
        heartbeat_timeout=heartbeat_timeout,
        protocol="agent",
        protocol_options={**options, "since": since, "respond": respond},
    )
    new = start_agent_run(request, run.connection or current_connection())
    new.previous, new.origin = run, origin
    run.next = new
    return new


class _Hooks:
    """`Run.resume/fork/replay` land here."""

    def resume(self, run: Run, value: Any = None, **kwargs: Any) -> Run:
        return resume(run, value, **kwargs)

    def fork(
        self,
        run: Run,
        checkpoint_id: str,
        values: Any = None,
        as_node: str | None = None,
        input: Any = None,
        **kwargs: Any,
    ) -> Run:
        return fork(run, checkpoint_id, values, as_node, input, **kwargs)

    def replay(self, run: Run, checkpoint_id: str, **kwargs: Any) -> Run:
        return replay(run, checkpoint_id, **kwargs)


Run.register_threads(_Hooks())


# ---- history and state --------------------------------------------------------------------------
def _client_factory(
    client: LangGraphClient | None, url: str | None, key: str | None, graph: Any = None
) -> Callable[[], LangGraphClient]:
    """Where the requests go. A client given is copied: its own HTTP pool belongs to the loop
    that uses it, and these requests run on the background loop. A graph of this process
    answers from its checkpointer instead."""
    if graph is not None:
        problem = inprocess.graph_problem(graph)
        if problem is not None:
            raise TypeError(problem.replace("stream() takes", "graph= is"))
        if not inprocess.has_checkpointer(graph):
            raise LgWidgetsError(inprocess.NEEDS_CHECKPOINTER.format(action="read"))
        if client is not None or url is not None or key is not None:
            raise TypeError(
                "graph= reads a graph of this process; client, url and "
                "api_key_env name a server instead."
            )
        return lambda: inprocess.GraphClient(graph)  # type: ignore[return-value]
    if client is None:
        return current_connection(url, api_key_env=key).client
    return lambda: copy_client(client)


def _call(make_client: Callable[[], LangGraphClient], work: Callable[[Any], Awaitable[T]]) -> T:
    """Run `work` with a fresh client on the background loop and wait for its answer."""

    async def call() -> T:
        client = make_client()
        try:
            return await work(client)
        finally:
            await client.aclose()

    loop = background_loop()
    if running_loop() is loop:  # waiting here would stop the loop that must answer
        raise LgWidgetsError(
            "history() and thread_state() wait for the server: call them from a cell or a "
            "script, not from a run's listener."
        )
    return asyncio.run_coroutine_threadsafe(call(), loop).result()


def history(
    thread_id: str,
    limit: int | None = None,
    *,
    page_size: int = HISTORY_PAGE,
    client: LangGraphClient | None = None,
    url: str | None = None,
    api_key_env: str | None = None,
    graph: Any = None,
) -> pd.DataFrame:
    """The thread's checkpoints, oldest first (the newest `limit` of them, or all), one row
    each: checkpoint_id, parent_checkpoint_id, step, source, next (nodes to run), writes (what
    each task of the step before returned, `[{node: update}, ...]`), interrupts, created_at,
    run_id, checkpoint_ns and a short preview of the values. Pages through
    `threads.get_history`, `page_size` at a time. `thread_state(thread_id, checkpoint_id)` has
    the whole state at one of them. `graph=` reads a thread of a compiled graph of this
    process from its checkpointer (`aget_state_history`) instead of a server."""
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be a positive number of checkpoints, not {limit!r}")
    if page_size < 1:
        raise ValueError(f"page_size must be >= 1, not {page_size!r}")
    make_client = _client_factory(client, url, api_key_env, graph)

    async def fetch(sdk: LangGraphClient) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        before: str | None = None
        while limit is None or len(found) < limit:
            want = page_size if limit is None else min(page_size, limit - len(found))
            page = await transport.history_page(sdk, thread_id, want, before)
            found.extend(page)
            if len(page) < want:
                break
            before = page[-1]["checkpoint"]["checkpoint_id"]
        return found

    return history_frame(_call(make_client, fetch))


def history_frame(checkpoints: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """`history()`'s frame from `threads.get_history` entries (newest first, as it sends them)."""
    by_id = {c["checkpoint"]["checkpoint_id"]: c for c in checkpoints}
    rows = []
    for entry in reversed(checkpoints):
        checkpoint = entry.get("checkpoint") or {}
        parent_id = (entry.get("parent_checkpoint") or {}).get("checkpoint_id")
        metadata = entry.get("metadata") or {}
        parent = by_id.get(parent_id) if parent_id else None
        rows.append(
            {
                "checkpoint_id": checkpoint.get("checkpoint_id"),
                "parent_checkpoint_id": parent_id,
                "step": metadata.get("step"),
                "source": metadata.get("source"),
                "next": list(entry.get("next") or []),
                "writes": _writes(parent) if parent is not None else None,
                "interrupts": list(entry.get("interrupts") or []),
                "created_at": entry.get("created_at"),
                "run_id": metadata.get("run_id"),
                "checkpoint_ns": checkpoint.get("checkpoint_ns") or "",
                "preview": _preview.repr(entry.get("values")),
            }
        )
    frame = pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))
    frame["step"] = frame["step"].astype("Int64")
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
    return frame


def _writes(parent: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What the step after `parent` wrote: `{node: result}` per task (a node may run twice)."""
    return [
        {task.get("name"): task.get("result")}
        for task in parent.get("tasks") or []
        if task.get("result") is not None
    ]


def thread_state(
    thread_id: str,
    checkpoint_id: str | None = None,
    *,
    client: LangGraphClient | None = None,
    url: str | None = None,
    api_key_env: str | None = None,
    graph: Any = None,
) -> dict[str, Any]:
    """The thread's state now, or at a checkpoint: `values`, `next`, `tasks`, `checkpoint`,
    `parent_checkpoint`, `metadata`, `interrupts`, `created_at` (as `threads.get_state`);
    `graph=` asks a compiled graph of this process (`aget_state`) instead of a server."""
    make_client = _client_factory(client, url, api_key_env, graph)
    return _call(make_client, lambda sdk: transport.get_state(sdk, thread_id, checkpoint_id))

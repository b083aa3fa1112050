"""`stream()` and `join()`: start consuming a run and return its `Run` at once."""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Sequence
from functools import cache
from typing import Any

from langgraph_sdk.client import LangGraphClient, RunsClient

from lg_widgets import inprocess
from lg_widgets.connection import Connection
from lg_widgets.defaults import current_connection
from lg_widgets.errors import LgWidgetsError
from lg_widgets.events import namespace_key
from lg_widgets.run.agent_task import start_agent_run
from lg_widgets.run.graph_task import start_graph_run
from lg_widgets.run.model import Run
from lg_widgets.run.registry import runs
from lg_widgets.run.resume import REPLAY_ALL
from lg_widgets.run.task import start_run
from lg_widgets.transport import StreamRequest

StreamMode = str | Sequence[str]
RECONNECT_TIMEOUT_S = 30.0
HEARTBEAT_TIMEOUT_S = 20.0  # the server sends a heartbeat every 5 s while a stream is idle


@cache
def _sdk_stream_arguments() -> frozenset[str]:
    parameters = inspect.signature(RunsClient.stream).parameters
    return frozenset(name for name, p in parameters.items() if p.kind is p.KEYWORD_ONLY)


def check_sdk_kwargs(kwargs: dict[str, Any]) -> None:
    """Reject a misspelt argument here, with a suggestion, rather than deep in the task."""
    known = _sdk_stream_arguments()
    for name in kwargs:
        if name in ("on_run_created", "version"):
            raise TypeError(f"stream() sets {name!r} itself; it cannot be passed through")
        if name not in known:
            close = difflib.get_close_matches(name, [*known, "thread_id", "url", "client"], n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise TypeError(
                f"stream() got an unexpected keyword argument {name!r}.{hint} "
                "Other arguments are those of langgraph_sdk's client.runs.stream."
            )


def _connection_for(
    client: LangGraphClient | None, url: str | None, api_key_env: str | None
) -> Connection:
    if client is not None:
        return Connection(str(client.http.client.base_url).rstrip("/"))
    return current_connection(url, api_key_env=api_key_env)


def stream(
    assistant_id: str | Any,
    input: Any = None,
    *,
    thread_id: str | None = None,
    stream_mode: StreamMode = "values",
    stream_subgraphs: bool = False,
    client: LangGraphClient | None = None,
    url: str | None = None,
    api_key_env: str | None = None,
    reconnect_timeout: float = RECONNECT_TIMEOUT_S,
    heartbeat_timeout: float | None = HEARTBEAT_TIMEOUT_S,
    protocol: str = "runs",
    namespaces: Sequence[Sequence[str] | str] | None = None,
    depth: int | None = None,
    **runs_stream_kwargs: Any,
) -> Run:
    """Start a run and stream it; returns the `Run` at once.

    `assistant_id` names an assistant (or graph) of a LangGraph server, or is a compiled graph
    of this process (`builder.compile()`): that graph is streamed here, with no server (see
    `stream_graph`).
    `thread_id` is None (stateless), "new" (create a thread first) or an existing thread id.
    Thread runs are created with `stream_resumable=True` unless told otherwise, so that a broken
    connection is resumed without losing events; the server then keeps the run's events
    (in memory for the embedded server) until it restarts. After a break the run is
    `reconnecting` for up to `reconnect_timeout` seconds of attempts; a connection silent for
    `heartbeat_timeout` seconds (None: never) counts as broken.
    Other keyword arguments are passed to `client.runs.stream` under the SDK's names
    (config, context, command, checkpoint_id, interrupt_before, stream_resumable,
    on_disconnect, multitask_strategy, metadata, ...).

    `protocol="agent"` streams through the thread-centric Agent Protocol instead
    (`client.threads.stream`): every channel, on a thread (`None` makes a new one), with
    `config` and `metadata` the only run arguments; `namespaces` (prefixes) and `depth`
    narrow the subscription on the server.
    """
    if not isinstance(assistant_id, str):
        if client is not None or url is not None or api_key_env is not None:
            raise TypeError(
                "client, url and api_key_env choose a server; a graph object streams in this "
                "process without one."
            )
        if protocol != "runs" or namespaces is not None or depth is not None:
            raise TypeError(
                "protocol=, namespaces= and depth= choose how a server streams; a graph "
                "object streams in this process."
            )
        return stream_graph(
            assistant_id,
            input,
            thread_id=thread_id,
            stream_mode=stream_mode,
            stream_subgraphs=stream_subgraphs,
            **runs_stream_kwargs,
        )
    check_timeouts(reconnect_timeout, heartbeat_timeout)
    if protocol == "agent":
        return _stream_agent(
            assistant_id, input, thread_id=thread_id, stream_mode=stream_mode,
            stream_subgraphs=stream_subgraphs, client=client, url=url, api_key_env=api_key_env,
            reconnect_timeout=reconnect_timeout, heartbeat_timeout=heartbeat_timeout,
            namespaces=namespaces, depth=depth, run_kwargs=runs_stream_kwargs,
        )  # fmt: skip
    if protocol != "runs":
        raise ValueError(f"protocol must be 'runs' or 'agent', not {protocol!r}")
    if namespaces is not None or depth is not None:
        raise TypeError(
            "namespaces= and depth= narrow an Agent Protocol subscription: pass "
            "protocol='agent' (runs.stream filters with stream_subgraphs=)."
        )
    check_sdk_kwargs(runs_stream_kwargs)
    if thread_id is None:
        # Nobody can join a stateless run, so a closed connection should stop it: this is how
        # run.cancel() reaches a run that has no thread.
        runs_stream_kwargs.setdefault("on_disconnect", "cancel")
    else:
        runs_stream_kwargs.setdefault("stream_resumable", True)
    connection = _connection_for(client, url, api_key_env)
    request = StreamRequest(
        "stream",
        thread_id,
        assistant_id=assistant_id,
        input=input,
        stream_mode=stream_mode,
        stream_subgraphs=stream_subgraphs,
        sdk_kwargs=runs_stream_kwargs,
        reconnect_timeout=reconnect_timeout,
        heartbeat_timeout=heartbeat_timeout,
    )
    return start_run(request, connection, client)


AGENT_RUN_ARGUMENTS = ("config", "metadata")  # what the protocol's `run.start` takes


def _stream_agent(
    assistant_id: str,
    input: Any,
    *,
    thread_id: str | None,
    stream_mode: StreamMode,
    stream_subgraphs: bool,
    client: LangGraphClient | None,
    url: str | None,
    api_key_env: str | None,
    reconnect_timeout: float,
    heartbeat_timeout: float | None,
    namespaces: Sequence[Sequence[str] | str] | None,
    depth: int | None,
    run_kwargs: dict[str, Any],
) -> Run:
    for name in run_kwargs:
        if name not in AGENT_RUN_ARGUMENTS:
            raise TypeError(
                f"stream(protocol='agent') got {name!r}: the Agent Protocol's run.start takes "
                f"{' and '.join(AGENT_RUN_ARGUMENTS)} only ({name!r} is a runs.stream argument)."
            )
    if stream_mode != "values" or stream_subgraphs:
        raise TypeError(
            "stream(protocol='agent') streams every channel of every namespace: narrow it "
            "with namespaces= (prefixes) and depth= instead of stream_mode / stream_subgraphs."
        )
    if depth is not None and (not isinstance(depth, int) or depth < 0):
        raise ValueError(f"depth must be a whole number >= 0, not {depth!r}")
    prefixes = None if namespaces is None else [namespace_key(n) for n in namespaces]
    request = StreamRequest(
        "stream",
        thread_id or "new",  # the protocol is thread-centric: a run without one gets one
        assistant_id=assistant_id,
        input=input,
        stream_mode=None,
        sdk_kwargs=run_kwargs,
        reconnect_timeout=reconnect_timeout,
        heartbeat_timeout=heartbeat_timeout,
        protocol="agent",
        protocol_options={"namespaces": prefixes, "depth": depth},
    )
    return start_agent_run(request, _connection_for(client, url, api_key_env), client)


def check_graph_kwargs(kwargs: dict[str, Any]) -> None:
    """Only what `graph.astream` can do: a misspelt or server-only argument says so here."""
    for name in kwargs:
        if name not in inprocess.GRAPH_KWARGS:
            close = difflib.get_close_matches(name, [*inprocess.GRAPH_KWARGS, "thread_id"], n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise TypeError(
                f"stream() of a graph object got an unexpected keyword argument {name!r}.{hint} "
                f"A graph in this process takes {', '.join(sorted(inprocess.GRAPH_KWARGS))}."
            )


def stream_graph(
    graph: Any,
    input: Any = None,
    *,
    thread_id: str | None = None,
    stream_mode: StreamMode = "values",
    stream_subgraphs: bool = False,
    **graph_kwargs: Any,
) -> Run:
    """Stream a compiled graph of this process (`graph.astream(...)`) into a `Run`, on the
    running loop (a notebook's) or lg_widgets' background loop; returns the `Run` at once.

    The run is the same read model as a server run's (the parts are what a server would
    send). `thread_id` needs a checkpointer on the graph: any string names a thread, "new"
    makes a fresh one. Keyword arguments use the SDK's names: config, context, command,
    checkpoint_id, interrupt_before, interrupt_after, durability, metadata.
    """
    problem = inprocess.graph_problem(graph)
    if problem is not None:
        raise TypeError(problem)
    check_graph_kwargs(graph_kwargs)
    modes = [stream_mode] if isinstance(stream_mode, str) else list(stream_mode)
    inprocess.graph_modes(modes)  # an unknown mode is refused now, not inside the task
    if thread_id is not None and not inprocess.has_checkpointer(graph):
        raise LgWidgetsError(inprocess.NEEDS_CHECKPOINTER.format(action="stream on"))
    request = StreamRequest(
        "stream",
        thread_id,
        input=input,
        stream_mode=modes,
        stream_subgraphs=stream_subgraphs,
        sdk_kwargs=graph_kwargs,
        graph=graph,
    )
    return start_graph_run(request)


def check_timeouts(reconnect_timeout: float, heartbeat_timeout: float | None) -> None:
    if not reconnect_timeout >= 0:
        raise ValueError(f"reconnect_timeout must be >= 0 seconds, not {reconnect_timeout!r}")
    if heartbeat_timeout is not None and not heartbeat_timeout > 0:
        raise ValueError(
            f"heartbeat_timeout must be > 0 seconds (or None to never time out), not "
            f"{heartbeat_timeout!r}"
        )


def refuse_in_process(thread_id: Any, what: str) -> None:
    """`join`/`follow` read a server's runs: a graph object, or a thread that only a graph of
    this process keeps, has none to read; say so in one sentence."""
    in_process = inprocess.is_graph(thread_id) or any(
        run.request is not None and run.request.graph is not None and run.thread_id == thread_id
        for run in runs()
    )
    if in_process:
        raise LgWidgetsError(inprocess.NEEDS_SERVER.format(what=what))


def join(
    thread_id: str,
    run_id: str | None = None,
    *,
    stream_mode: StreamMode | None = None,
    replay: bool | None = None,
    last_event_id: str | None = None,
    cancel_on_disconnect: bool = False,
    assistant_id: str | None = None,
    client: LangGraphClient | None = None,
    url: str | None = None,
    api_key_env: str | None = None,
    reconnect_timeout: float = RECONNECT_TIMEOUT_S,
    heartbeat_timeout: float | None = HEARTBEAT_TIMEOUT_S,
) -> Run:
    """Join a run that is already going (a background run from `runs.create`, say).

    Without `run_id`, joins the thread's active run (after a kernel restart, say) and replays
    it from its first event when it was created resumable; the run ends as an error saying so
    when nothing is running on the thread. `replay=True` replays a resumable run
    (`stream_resumable=True`) from its first event; otherwise only events produced after
    joining arrive. `stream_mode` may list several modes; it can only narrow the modes the run
    was created with. `reconnect_timeout` and `heartbeat_timeout` are as for `stream()`.
    """
    refuse_in_process(thread_id, "join()")
    check_timeouts(reconnect_timeout, heartbeat_timeout)
    if replay and last_event_id is None:
        last_event_id = REPLAY_ALL
    connection = _connection_for(client, url, api_key_env)
    request = StreamRequest(
        "join",
        thread_id,
        assistant_id=assistant_id,
        run_id=run_id,
        stream_mode=stream_mode,
        last_event_id=last_event_id,
        replay=replay,
        cancel_on_disconnect=cancel_on_disconnect,
        reconnect_timeout=reconnect_timeout,
        heartbeat_timeout=heartbeat_timeout,
    )
    return start_run(request, connection, client)

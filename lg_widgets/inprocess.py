"""A compiled graph in this process as a run's source: `graph.astream(...)` instead of a server.

The other source is `transport` (a LangGraph server through the SDK). This module is where an
in-process run differs from a server run, and only here: it turns what `astream` yields into
the parts a server would have sent (`(event name, JSON data, id)`, with `mode|ns1|ns2` names),
serialising langchain messages, interrupts and `Send`s to plain JSON as the LangGraph API
server does (`model_dump`, dataclasses, named tuples, sets as lists, ...), so that
`events.normalize`, the reducers, views and exports read one format.

`GraphClient` answers the few SDK calls that threads need (state, history, update_state, the
thread's runs) from the graph's own checkpointer, in the server's shapes, so that
`transport`'s thread functions and `lg_widgets.threads` work unchanged on either source.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import ipaddress
import pathlib
import re
import uuid
from collections import deque
from collections.abc import AsyncIterator, Sequence
from typing import Any

import orjson

# what `stream()` passes on to `graph.astream` (SDK names, as for a server run)
GRAPH_KWARGS = frozenset(
    {
        "config",
        "context",
        "command",
        "checkpoint_id",
        "interrupt_before",
        "interrupt_after",
        "durability",
        "metadata",
        "stream_resumable",  # kept by continued runs; an in-process run keeps every event anyway
    }
)
GRAPH_MODES = ("values", "updates", "messages", "messages-tuple", "custom", "debug", "tasks")
GRAPH_MODES += ("checkpoints",)
NEEDS_CHECKPOINTER = (
    "This graph has no checkpointer, so it keeps no thread to {action}: compile it with one, "
    "e.g. builder.compile(checkpointer=InMemorySaver()) "
    "(from langgraph.checkpoint.memory import InMemorySaver)."
)
NEEDS_SERVER = (
    "{what} needs a LangGraph server: runs of a graph object in this process can only be "
    "watched through the Run that lg_widgets.stream(graph, ...) returned."
)
_TASK_NOTE = re.compile(r"During task with name '([^']*)'")


# ---- what counts as a graph ----------------------------------------------------------------
def is_graph(obj: Any) -> bool:
    """A compiled LangGraph graph (Pregel, CompiledStateGraph, create_agent, deepagents)."""
    return callable(getattr(obj, "astream", None)) and callable(getattr(obj, "get_graph", None))


def meant_as_graph(obj: Any) -> bool:
    """A graph, or a builder whose `.compile()` was forgotten: a notebook variable that the
    user names in place of an assistant. Any other value (a `Run` bound by `-o team`, a str)
    does not shadow the assistant of the same name."""
    return is_graph(obj) or callable(getattr(obj, "compile", None))


def graph_problem(obj: Any) -> str | None:
    """Why `obj` cannot be streamed in this process, as one sentence; None for a graph."""
    if is_graph(obj):
        return None
    takes = (
        "stream() takes an assistant id or graph name of a LangGraph server (a str), or a "
        "compiled LangGraph graph (an object with astream and get_graph)"
    )
    if callable(getattr(obj, "compile", None)):
        return (
            f"{takes}; this {type(obj).__name__} is a builder that was not compiled: "
            "pass builder.compile() (with checkpointer=InMemorySaver() to keep threads)."
        )
    if obj is None:
        return f"{takes}, not None."
    if callable(obj):
        name = getattr(obj, "__name__", type(obj).__name__)
        return (
            f"{takes}; {name!r} is a function: build a graph from it (a StateGraph node, or "
            "@entrypoint from langgraph.func) and compile it."
        )
    return f"{takes}, not {type(obj).__name__}."


def has_checkpointer(graph: Any) -> bool:
    return getattr(graph, "checkpointer", None) not in (None, False)


def graph_name(graph: Any) -> str:
    return str(getattr(graph, "name", None) or type(graph).__name__)


# ---- JSON as the server sends it -----------------------------------------------------------
def _plain(obj: Any) -> Any:
    """What orjson cannot write by itself, written the way the LangGraph API server writes it
    (its `serde.default`): pydantic models and messages by `model_dump`, named tuples by
    field, `Send` as `{node, args}`, an exception as `{error, message}`."""
    if _dumps_as_fields(type(obj)):  # a langchain message: every token is one
        extra = obj.__pydantic_extra__
        return {**obj.__dict__, **extra} if extra else obj.__dict__
    if type(obj).__name__ == "Send" and hasattr(obj, "node") and hasattr(obj, "arg"):
        return {"node": obj.node, "args": obj.arg}
    if not isinstance(obj, type):
        for method in ("model_dump", "dict", "_asdict"):
            dump = getattr(obj, method, None)
            if callable(dump):
                return dump()
    if isinstance(obj, BaseException):
        return {"error": type(obj).__name__, "message": str(obj)}
    if isinstance(obj, set | frozenset | deque):
        return list(obj)
    if isinstance(obj, datetime.timezone):
        return obj.tzname(None)
    if isinstance(obj, datetime.timedelta):
        return obj.total_seconds()
    if isinstance(obj, decimal.Decimal):
        return int(obj) if obj == obj.to_integral_value() else float(obj)
    if isinstance(obj, uuid.UUID | pathlib.PurePath | ipaddress._BaseAddress):
        return str(obj)
    if isinstance(obj, re.Pattern):
        return obj.pattern
    if isinstance(obj, bytes | bytearray):
        return base64.b64encode(obj).decode()
    return None  # the server writes null for what it cannot serialise


_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
_FIELDS_DUMPED: dict[type, bool] = {}


def _dumps_as_fields(cls: type) -> bool:
    """Whether `model_dump()` of a `cls` is its fields as they are (then extras): true of
    langchain-core's messages, whose fields hold JSON, lists, dicts and nested models (which
    orjson hands to `_plain` in turn), with no serializer of their own. Reading `__dict__`
    instead costs a third of `model_dump` per streamed token."""
    known = _FIELDS_DUMPED.get(cls)
    if known is None:
        decorators = getattr(cls, "__pydantic_decorators__", None)
        known = _FIELDS_DUMPED[cls] = (
            cls.__module__.startswith("langchain_core.messages")
            and decorators is not None
            and not decorators.field_serializers
            and not decorators.model_serializers
            and not getattr(cls, "__pydantic_computed_fields__", None)
        )
    return known


def to_wire(obj: Any) -> Any:
    """`obj` as the JSON value a server would have sent for it (tuples become lists)."""
    try:
        return orjson.loads(orjson.dumps(obj, default=_plain, option=_OPTIONS))
    except TypeError:  # lone surrogates in a string: replaced, as the server does
        return orjson.loads(orjson.dumps(_no_surrogates(obj), default=_plain, option=_OPTIONS))


def _no_surrogates(obj: Any) -> Any:
    if isinstance(obj, str):
        return re.sub(r"[\ud800-\udfff]", "?", obj)
    if isinstance(obj, dict):
        return {_no_surrogates(k): _no_surrogates(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_no_surrogates(v) for v in obj]
    return obj


# ---- the stream -------------------------------------------------------------------------------
Part = tuple[str, Any, None]


def graph_modes(stream_mode: Sequence[str]) -> list[str]:
    """The modes `astream` is asked for: `messages-tuple` (the server's name) is `messages`."""
    unknown = [m for m in stream_mode if m not in GRAPH_MODES]
    if unknown:
        raise ValueError(
            f"stream_mode {unknown[0]!r} cannot be streamed from a graph in this process; "
            f"choose from {', '.join(GRAPH_MODES)}."
        )
    return sorted({"messages" if m == "messages-tuple" else m for m in stream_mode})


def run_config(
    config: dict[str, Any] | None,
    *,
    run_id: str,
    thread_id: str | None,
    checkpoint_id: str | None,
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The config the graph runs with: the caller's, plus the thread, the checkpoint to start
    from, and the run id in the metadata (as the server does, so checkpoints name their run)."""
    config = dict(config or {})
    configurable = dict(config.get("configurable") or {})
    if thread_id is not None:
        configurable["thread_id"] = thread_id
    if checkpoint_id is not None:
        configurable["checkpoint_id"] = checkpoint_id
    config["configurable"] = configurable
    config["metadata"] = {**(config.get("metadata") or {}), **(metadata or {}), "run_id": run_id}
    if thread_id is not None:
        config["metadata"]["thread_id"] = thread_id
    config["run_id"] = uuid.UUID(run_id)
    return config


def graph_input(input: Any, command: Any) -> Any:
    """A server's `command={"resume": ...}` (or a `Command`) becomes the graph's `Command`."""
    if command is None:
        return input
    from langgraph.types import Command

    if isinstance(command, Command):
        return command
    return Command(**dict(command))


async def graph_parts(
    graph: Any,
    input: Any,
    config: dict[str, Any],
    *,
    stream_mode: Sequence[str],
    subgraphs: bool,
    run_id: str,
    **astream_kwargs: Any,
) -> AsyncIterator[Part]:
    """The parts a server would send for this run: `metadata` first, then one per `astream`
    chunk, and an `error` part (`{error, message, node}`) if the graph raised."""
    wanted = set(stream_mode)
    tuples = "messages-tuple" in wanted
    merged: dict[str, Any] = {}  # `messages` mode: each message's chunks so far, by id
    metadata: Any = None  # a `messages` token's metadata: one dict per LLM call, and its JSON
    wired: Any = None
    yield ("metadata", {"run_id": run_id, "attempt": 1}, None)
    try:
        async for chunk in graph.astream(
            input,
            config,
            stream_mode=graph_modes(stream_mode),
            subgraphs=subgraphs,
            **astream_kwargs,
        ):
            namespace, mode, data = chunk if subgraphs else ((), *chunk)
            suffix = "|" + "|".join(namespace) if subgraphs and namespace else ""
            if mode == "messages" and not tuples:
                for name, payload in _whole_messages(data, merged):
                    yield (name + suffix, payload, None)
                continue
            if mode == "messages":  # a token: its call's metadata is written once
                if data[1] is not metadata:
                    metadata, wired = data[1], to_wire(data[1])
                yield (mode + suffix, [to_wire(data[0]), wired], None)
                continue
            if mode == "debug":
                data = _debug_payload(data)
            yield (mode + suffix, to_wire(data), None)
    except Exception as exc:  # noqa: BLE001 - the run ends `error` with the graph's message
        yield ("error", failure_data(exc), None)


def failure_data(exc: BaseException) -> dict[str, Any]:
    """The `error` part for a graph's exception: its type, its own message, the failing node
    (LangGraph notes it on the exception)."""
    data: dict[str, Any] = {"error": type(exc).__name__, "message": str(exc)}
    for note in getattr(exc, "__notes__", None) or ():
        found = _TASK_NOTE.search(str(note))
        if found:
            data["node"] = found.group(1)
            break
    return data


def _whole_messages(data: Any, merged: dict[str, Any]) -> list[tuple[str, Any]]:
    """`messages` mode as the server sends it: `messages/metadata` once per message, then the
    message so far (`messages/partial`) or whole (`messages/complete`)."""
    message, metadata = data
    out: list[tuple[str, Any]] = []
    key = getattr(message, "id", None) or str(id(message))
    if key in merged:
        merged[key] = merged[key] + message
    else:
        merged[key] = message
        out.append(("messages/metadata", to_wire({key: {"metadata": metadata}})))
    partial = type(message).__name__.endswith("Chunk")
    out.append(("messages/partial" if partial else "messages/complete", to_wire([merged[key]])))
    return out


def _debug_payload(data: Any) -> Any:
    """A `debug` checkpoint says its checkpoint and parent as `{thread_id, checkpoint_ns,
    checkpoint_id, ...}` and its tasks' subgraph state as `checkpoint`, as the server sends."""
    if not isinstance(data, dict) or data.get("type") != "checkpoint":
        return data
    payload = dict(data.get("payload") or {})
    payload["checkpoint"] = _checkpoint_of(payload.get("config"))
    payload["parent_checkpoint"] = _checkpoint_of(payload.get("parent_config"))
    tasks = []
    for task in payload.get("tasks") or []:
        state = task.get("state") if isinstance(task, dict) else None
        if isinstance(state, dict) and state.get("configurable"):
            task = {k: v for k, v in task.items() if k != "state"}
            task["checkpoint"] = state["configurable"]
        tasks.append(task)
    payload["tasks"] = tasks
    return {**data, "payload": payload}


def _checkpoint_of(config: Any) -> dict[str, Any] | None:
    configurable = (config or {}).get("configurable") or {} if isinstance(config, dict) else {}
    if not configurable.get("thread_id") or not configurable.get("checkpoint_id"):
        return None
    keys = ("checkpoint_id", "thread_id", "checkpoint_ns", "checkpoint_map")
    found = {k: configurable[k] for k in keys if k in configurable}
    if "checkpoint_ns" in found:
        found["checkpoint_ns"] = found["checkpoint_ns"] or ""
    return found


def drawable(graph: Any, xray: bool | int) -> dict[str, Any]:
    """The graph as `assistants.get_graph` answers it: nodes and edges as JSON."""
    data = to_wire(graph.get_graph(xray=xray).to_json())
    for node in data.get("nodes", []):
        if isinstance(node.get("data"), dict):
            node["data"].pop("id", None)
    return data


# ---- threads ----------------------------------------------------------------------------------
def thread_state(snapshot: Any) -> dict[str, Any]:
    """A `StateSnapshot` as the server's `threads.get_state` answers it."""
    config, parent = snapshot.config, snapshot.parent_config
    tasks = []
    for task in snapshot.tasks:
        state = task.state  # a subgraph's: its StateSnapshot, or only the config to fetch it
        nested = state if hasattr(state, "parent_config") else None
        tasks.append(
            {
                "id": task.id,
                "name": task.name,
                "path": task.path,
                "error": task.error,
                "interrupts": [_interrupt(i) for i in task.interrupts],
                "checkpoint": state["configurable"] if isinstance(state, dict) else None,
                "state": thread_state(nested) if nested is not None else None,
                "result": getattr(task, "result", None),
            }
        )
    return to_wire(
        {
            "values": snapshot.values,
            "next": list(snapshot.next),
            "tasks": tasks,
            "metadata": snapshot.metadata,
            "created_at": snapshot.created_at,
            "checkpoint": _checkpoint_of(config),
            "parent_checkpoint": _checkpoint_of(parent),
            "interrupts": [_interrupt(i) for i in getattr(snapshot, "interrupts", ())],
            "checkpoint_id": ((config or {}).get("configurable") or {}).get("checkpoint_id"),
            "parent_checkpoint_id": ((parent or {}).get("configurable") or {}).get("checkpoint_id"),
        }
    )


def _interrupt(interrupt: Any) -> dict[str, Any]:
    found = {"id": getattr(interrupt, "id", None), "value": getattr(interrupt, "value", None)}
    schema = getattr(interrupt, "response_schema", None)
    if schema is not None:
        found["response_schema"] = schema
    return found


class _Threads:
    def __init__(self, graph: Any) -> None:
        self._graph = graph

    def _config(self, thread_id: str, checkpoint_id: str | None = None) -> dict[str, Any]:
        configurable = {"thread_id": thread_id, "checkpoint_ns": ""}
        if checkpoint_id:
            configurable["checkpoint_id"] = checkpoint_id
        return {"configurable": configurable}

    async def get_state(
        self, thread_id: str, checkpoint_id: str | None = None, **_: Any
    ) -> dict[str, Any]:
        snapshot = await self._graph.aget_state(self._config(thread_id, checkpoint_id))
        return thread_state(snapshot)

    async def get_history(
        self, thread_id: str, *, limit: int = 10, before: Any = None, **_: Any
    ) -> list[dict[str, Any]]:
        found = []
        async for snapshot in self._graph.aget_state_history(
            self._config(thread_id), limit=limit, before=before
        ):
            found.append(thread_state(snapshot))
        return found

    async def update_state(
        self,
        thread_id: str,
        values: Any,
        *,
        as_node: str | None = None,
        checkpoint_id: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        written = await self._graph.aupdate_state(
            self._config(thread_id, checkpoint_id), values, as_node=as_node
        )
        return {"checkpoint": _checkpoint_of(written)}

    async def get(self, thread_id: str) -> dict[str, Any]:
        state = await self.get_state(thread_id)
        status = "interrupted" if state["interrupts"] or state["next"] else "idle"
        return {"thread_id": thread_id, "status": status}


class _Runs:
    async def list(self, thread_id: str, **_: Any) -> list[dict[str, Any]]:
        """A graph in this process keeps no runs; a run still going refuses travel itself."""
        return []


class GraphClient:
    """The SDK calls of a thread answered by a graph's checkpointer (see the module doc)."""

    def __init__(self, graph: Any) -> None:
        self.graph = graph
        self.threads = _Threads(graph)
        self.runs = _Runs()

    async def aclose(self) -> None:
        """Nothing to close: there is no connection."""

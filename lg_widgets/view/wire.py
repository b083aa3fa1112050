"""The wire contract between the kernel and RunView's front end, declared once.

Every message either way is a TypedDict here, mirrored field for field in `js/src/types.ts`;
`tests/unit/test_wire_contract.py` fails when the two drift. One vocabulary on both sides:
`namespace` (segments joined by "|", root ""), `time` (epoch seconds), `message`, and the status
values of `reducers.status`. The builders below are the only code that shapes these records.

No `from __future__ import annotations` here: TypedDict reads `NotRequired` from evaluated
annotations only.
"""

import reprlib
from typing import Any, Literal, TypedDict

import orjson

from lg_widgets.events import Event, event_node, event_summary_source
from lg_widgets.interrupts import InterruptAction, InterruptInfo  # noqa: F401 - wire records
from lg_widgets.reducers.graph import GraphModel
from lg_widgets.reducers.timeline import BASE_COLUMNS, state_column

try:  # Python >= 3.11
    from typing import NotRequired
except ImportError:  # pragma: no cover - Python 3.10
    from typing_extensions import NotRequired

PREVIEW_CHARS = 160
KEY_PREVIEW_CHARS = 60  # one state key's value in a timeline row's preview

ROLES = ("human", "ai", "tool", "system")

RunStatus = Literal[
    "pending",
    "running",
    "reconnecting",
    "cancelling",
    "success",
    "error",
    "cancelled",
    "interrupted",
]
TreeStatus = Literal["running", "success", "error", "cancelled", "interrupted"]
NodeStatus = Literal["running", "success", "error", "interrupted", "cancelled"]
GraphNodeKind = Literal["start", "end", "node"]
InterruptKind = Literal["hitl", "inbox", "value"]  # `interrupts.InterruptInfo.kind`
DecisionType = Literal["approve", "edit", "reject", "respond"]  # `interrupts.DECISIONS`


class ThreadRun(TypedDict):
    """One run of the chain a view shows on its thread, oldest first."""

    run_id: str | None
    status: RunStatus
    origin: str  # what started it: "resume", "fork", "replay", "follow", a magic, "python"
    started_at: float


class Header(TypedDict):
    assistant_id: str | None
    thread_id: str | None
    run_id: str | None
    status: RunStatus
    error: str | None
    interrupts: list[InterruptInfo]  # of the run the view follows now
    started_at: float
    ended_at: float | None
    stream_mode: list[str]
    live: bool
    warnings: list[str]
    reconnect_attempt: int | None  # while "reconnecting": the attempt under way
    reconnects: int  # breaks of the stream so far (each resumed or ended the run)
    runs: list[ThreadRun]  # the chain of runs the view shows (resume, fork, ...), oldest first


MessageRole = Literal["human", "ai", "tool", "system", "other"]
ToolStatus = Literal["success", "error"]


class Usage(TypedDict):
    input_tokens: int
    output_tokens: int
    total_tokens: int


class ToolCallInfo(TypedDict):
    """A call as the front end first learns it. Its timing travels with its result
    (`MessageInfo.latency`, `.waited`) and its start in `Delta.tool_starts`, so a call's timing
    costs nothing on the wire until its tool starts."""

    index: int  # the call's index within its message: the key of its argument pieces
    id: str | None  # links the tool's result (its message's `tool_call_id`)
    name: str | None  # known from the first chunk
    args_text: NotRequired[str]  # snapshot only: the whole raw argument string


class ToolCallUpdate(TypedDict):
    """What changed in one call of a known message (a new call comes whole)."""

    index: int  # which call: `ToolCallInfo.index`
    id: NotRequired[str | None]
    name: NotRequired[str | None]


class MessageInfo(TypedDict):
    """A message as the front end first learns it (whole in snapshots). A field whose value is
    its `MESSAGE_DEFAULTS` value is left out: most messages are AI replies at the root with no
    tool fields, and this record goes out once per message and again in the final snapshot."""

    id: str
    # the view's short handle for the message: deltas key its pieces and updates by it, not by
    # its ~44-character id (one per message and view, never reused)
    key: str
    namespace: NotRequired[str]
    node: str | None
    tags: NotRequired[list[str]]
    complete: NotRequired[bool]
    role: NotRequired[MessageRole]
    name: NotRequired[str | None]  # a tool message's tool
    tool_call_id: NotRequired[str | None]  # a tool message: the call it answers
    status: NotRequired[ToolStatus | None]  # a tool message: success / error
    # a tool message: the tool's own seconds, from its start (where the stream says, else its
    # call's last argument chunk) to its end
    latency: NotRequired[float | None]
    # a tool message: seconds from its call's last argument chunk to the tool's start (a
    # person's approval), where the stream says when the tool started
    waited: NotRequired[float | None]
    usage: NotRequired[Usage | None]
    tool_calls: list[ToolCallInfo]
    first_time: float
    input: NotRequired[bool]  # the user's input, not streamed
    # written by a framework in an agent's name ("Transferring back to supervisor"), not its LLM's
    synthetic: NotRequired[bool]
    # the namespace of the agent it speaks for when not its own (a synthetic message: the agent
    # whose node wrote it), as `run.messages[i]["agent"]` reads it
    owner: NotRequired[str | None]
    text: NotRequired[str]  # snapshot only: the whole text (a tool's result for a tool message)
    reasoning: NotRequired[str]  # snapshot only: the whole reasoning text


class MessageUpdate(TypedDict):
    """A known message's changed fields: only those sent, so a second tool call or the
    completion does not re-send the whole `MessageInfo`."""

    key: str
    complete: NotRequired[bool]
    name: NotRequired[str | None]
    tool_call_id: NotRequired[str | None]
    status: NotRequired[ToolStatus | None]
    latency: NotRequired[float | None]
    waited: NotRequired[float | None]
    usage: NotRequired[Usage | None]
    tool_calls: NotRequired[list[ToolCallUpdate]]  # new calls whole, known ones by `index`
    node: NotRequired[str | None]
    namespace: NotRequired[str]
    tags: NotRequired[list[str]]
    role: NotRequired[MessageRole]
    first_time: NotRequired[float]
    input: NotRequired[bool]
    synthetic: NotRequired[bool]
    owner: NotRequired[str | None]


class TimelineRow(TypedDict):
    index: int
    seq: int
    time: float
    mode: str
    namespace: str
    node: str | None
    step: int | None
    changed: list[str]
    preview: str
    checkpoint_id: str | None  # the checkpoint written after this row's step, once known


AgentCause = Literal["run", "node", "tool_call", "send", "handoff"]  # `AgentInstance.cause`


class TreeHandoff(TypedDict):
    """Who handed off to an agent, and with which call (`run.handoffs`' row, said once per
    agent a handoff started): `back` when a framework handed back ("Transferring back to ...",
    langgraph-supervisor), to whoever the parent runs next."""

    from_agent: str | None
    from_namespace: str | None
    tool: str | None  # the handoff tool ("transfer_to_researcher")
    back: bool


class TreeNode(TypedDict):
    namespace: str
    name: str
    agent: str  # the agent running in this namespace (`run.agents`)
    cause: AgentCause  # what started it
    tool_call_id: str | None  # the tool call (or handoff) that started it, where the stream says
    handoff: TreeHandoff | None  # cause "handoff": who handed off, with which tool
    tokens: int  # total tokens its own messages reported
    task_id: str | None
    status: TreeStatus
    events: int
    nodes: dict[str, int]
    first_time: float
    last_time: float
    left_out: bool  # its events were left out on the server (a narrowed subscription): "open"
    children: list["TreeNode"]


class EventRow(TypedDict):
    seq: int
    time: float
    mode: str
    namespace: str
    node: str | None
    preview: str


class GraphNode(TypedDict):
    id: str  # with xray a subgraph's node is "parent:child"
    name: str
    parent: str | None  # the subgraph box it is drawn in
    kind: GraphNodeKind
    tools: list[str]


class GraphGroup(TypedDict):
    id: str
    name: str
    parent: str | None


class GraphEdge(TypedDict):
    source: str
    target: str
    conditional: bool
    label: str | None


class GraphInfo(TypedDict):
    """The assistant's graph as drawn, sent once; `note` says in one line what is missing."""

    assistant_id: str | None
    nodes: list[GraphNode]
    groups: list[GraphGroup]
    edges: list[GraphEdge]
    note: str | None


class NodeActivity(TypedDict):
    """What ran on one drawn node or subgraph box; deltas carry only the changed ones."""

    id: str
    status: NodeStatus | None
    visits: int
    seconds: float
    running: int
    parallel: int
    latest: bool


class Snapshot(TypedDict):
    seq: int
    header: Header
    messages: list[MessageInfo]
    rows: list[TimelineRow]
    tree: TreeNode | dict[str, Any]  # {} before the first event
    counts: dict[str, int]
    events_tail: list[EventRow]
    graph: GraphInfo | None  # None until fetched
    graph_activity: list[NodeActivity]
    # tool call id -> when its tool started, where the stream says (a card runs from there)
    tool_starts: NotRequired[dict[str, float]]


class Delta(TypedDict):
    type: Literal["delta"]
    seq: int
    header: NotRequired[Header]
    messages: NotRequired[list[MessageInfo]]  # messages new to the front end, whole
    message_updates: NotRequired[list[MessageUpdate]]  # known messages: what changed
    text: NotRequired[dict[str, str]]  # message key -> text appended since the last delta
    reasoning: NotRequired[dict[str, str]]  # message key -> reasoning text appended
    tool_args: NotRequired[dict[str, dict[str, str]]]  # message key -> call index -> args appended
    rows: NotRequired[list[TimelineRow]]
    checkpoints: NotRequired[dict[str, str]]  # row index -> the checkpoint it got since sent
    steps: NotRequired[dict[str, int]]  # row index -> the step its checkpoint gave it since sent
    tree: NotRequired[TreeNode | dict[str, Any]]
    counts: NotRequired[dict[str, int]]
    graph: NotRequired[GraphInfo]
    graph_activity: NotRequired[list[NodeActivity]]
    tool_starts: NotRequired[dict[str, float]]  # tools that started since the last delta


# ---- front end -> kernel ----------------------------------------------------------------------
# Our own request/response over custom messages rather than anywidget's experimental invoke: its
# default 3 s timeout and its commands on the kernel's shell thread do not fit answers computed
# on the run's loop while a run streams.


class CancelRequest(TypedDict):
    type: Literal["cancel"]


class ResyncRequest(TypedDict):
    type: Literal["resync"]


class RowRequest(TypedDict):
    type: Literal["row"]
    req: str
    index: int


class EventsRequest(TypedDict):
    type: Literal["events"]
    req: str
    modes: list[str] | None
    offset: int
    limit: int


class EventRequest(TypedDict):
    type: Literal["event"]
    req: str
    seq: int


class ResumeRequest(TypedDict):
    """Answer the pending interrupts: interrupt id -> the resume value the front end built."""

    type: Literal["resume"]
    req: str
    answers: dict[str, Any]


class ForkRequest(TypedDict):
    """Run again from the checkpoint of timeline row `index`, with `values` written there."""

    type: Literal["fork"]
    req: str
    index: int
    values: dict[str, Any] | None


class ReplayRequest(TypedDict):
    type: Literal["replay"]
    req: str
    index: int


class OpenRequest(TypedDict):
    """Subscribe to a namespace subtree left out on the server (`run.open`)."""

    type: Literal["open"]
    req: str
    namespace: str


Request = (
    CancelRequest
    | ResyncRequest
    | RowRequest
    | EventsRequest
    | EventRequest
    | ResumeRequest
    | ForkRequest
    | ReplayRequest
    | OpenRequest
)


# ---- kernel -> front end answers: {"type": "response", "req": ...} plus one of these ----------


class StateChange(TypedDict):
    key: str
    kind: Literal["added", "removed", "changed"]
    before: Any
    after: Any


class RowActions(TypedDict):
    """The Python lines that fork or replay from a row (the front end adds `values=...`), or
    the sentence saying why that cannot be done from it."""

    fork: str | None
    replay: str | None
    refused: str | None


class RowDetail(TypedDict):
    index: int
    previous: int | None
    row: TimelineRow
    update: dict[str, Any]
    state: dict[str, Any]
    approximate: bool
    diff: list[StateChange]
    checkpoint_id: str | None
    checkpoint_ns: str
    actions: RowActions


class Continued(TypedDict):
    """A resume, fork or replay started the next run on the thread; the view continues with
    it. The answer waits for the server's run id (None only outside an event loop)."""

    ok: Literal[True]
    run_id: str | None


class Opened(TypedDict):
    """The subtree's subscription has started; its events join the run as they come."""

    ok: Literal[True]


class EventsPage(TypedDict):
    total: int
    offset: int
    rows: list[EventRow]


class EventDetail(EventRow):
    id: str | None
    data: Any


class RequestError(TypedDict):
    error: str


class ResponseEnvelope(TypedDict):
    type: Literal["response"]
    req: str


# ---- a run embedded in a standalone HTML file (view/export.py, js/src/local.ts) ------------------
# No kernel answers there: the file carries the snapshot and what the requests above would fetch.


class EmbeddedFrame(TypedDict):
    """What a message's token events share (`events.ChunkFrame.to_json`): its chunk is `keys`
    zipped with `values`, the event's own content in place of `content`; then the metadata."""

    keys: list[str]
    values: list[Any]
    metadata: Any


class EmbeddedEvents(TypedDict):
    """The event log as a table. `rows` holds one array per event: `[time - started_at, mode,
    namespace, node, preview, id, data, frame]` where mode, namespace and node index the lists
    below, `preview` is null when it is the token's content, and a token event (`frame` >= 0)
    stores its content as `data`."""

    started_at: float
    modes: list[str]
    namespaces: list[str]
    nodes: list[str | None]
    frames: list[EmbeddedFrame]
    rows: list[list[Any]]


class EmbeddedRun(TypedDict):
    format: Literal["lg_widgets.html/1"]
    snapshot: Snapshot
    row_details: list[RowDetail | RequestError]  # the answer to a RowRequest, per timeline row
    events: EmbeddedEvents


# ---- builders ---------------------------------------------------------------------------------

_short = reprlib.Repr()
_short.maxstring = KEY_PREVIEW_CHARS
_short.maxother = KEY_PREVIEW_CHARS
_short.maxlist = _short.maxtuple = _short.maxdict = 4
_short.maxlevel = 2


def preview(value: Any, limit: int = PREVIEW_CHARS) -> str:
    """A bounded one-line repr of at most `limit` characters: cost and size do not grow with
    the value (reprlib cuts containers; a string is cut before it is copied)."""
    text = value[:limit] if isinstance(value, str) else _short.repr(value)
    if isinstance(value, str) and len(value) > limit or len(text) > limit:
        return text[: limit - 1] + "…"
    return text


def dumps(value: Any) -> bytes:
    """JSON bytes for the comm, whatever the value: anything odd becomes its repr, and what
    JSON cannot carry (a lone surrogate, a tuple as a key: possible in a run built in Python)
    is shown escaped instead of failing the send."""
    try:
        return orjson.dumps(value, default=repr, option=orjson.OPT_NON_STR_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        return orjson.dumps(_plain(value), default=repr)


def _plain(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_plain_key(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _plain_key(key: Any) -> str:
    if isinstance(key, str):
        return _plain(key)
    if key is None or isinstance(key, bool | int | float):
        return orjson.dumps(key).decode()
    return repr(key)


def jsonable(value: Any) -> Any:
    """Plain JSON data for the comm (anything odd becomes its repr instead of failing a send)."""
    return orjson.loads(dumps(value))


def event_row(event: Event, seq: int | None = None) -> EventRow:
    """The compact line the events panel shows; the payload itself is fetched on demand.
    `seq`: the event's number in the view (across a chain of runs), if not its own."""
    return {
        "seq": event.seq if seq is None else seq,
        "time": event.time,
        "mode": event.mode,
        "namespace": event.namespace_str,
        "node": event_node(event),
        "preview": preview(event_summary_source(event)),
    }


def timeline_row(index: int, row: dict[str, Any], seq_base: int = 0) -> TimelineRow:
    """A timeline row with a short preview of the keys it changed, not their values
    (`seq_base`: where its run's events start in the view's numbering)."""
    keys = row["changed"] or [k for k in row if k not in BASE_COLUMNS]
    shown = [f"{key}={preview(row.get(state_column(key)), KEY_PREVIEW_CHARS)}" for key in keys[:4]]
    return {
        "index": index,
        "seq": seq_base + row["seq"],
        "time": row["time"],
        "mode": row["mode"],
        "namespace": row["namespace"],
        "node": row["node"],
        "step": row["step"],
        "changed": [str(k) for k in row["changed"]],
        "preview": preview(", ".join(shown)),
        "checkpoint_id": row.get("checkpoint_id"),
    }


# the values a MessageInfo leaves out (js/src/store.ts fills them back in)
MESSAGE_DEFAULTS: dict[str, Any] = {
    "namespace": "",
    "tags": [],
    "complete": False,
    "role": "ai",
    "name": None,
    "tool_call_id": None,
    "status": None,
    "latency": None,
    "waited": None,
    "usage": None,
    "input": False,
    "synthetic": False,
    "owner": None,
}


def _without_defaults(record: dict[str, Any], defaults: dict[str, Any]) -> Any:
    return {
        key: value
        for key, value in record.items()
        if key not in defaults or value != defaults[key] or type(value) is not type(defaults[key])
    }


def message_info(
    message: Any,
    key: str,
    calls: list[dict[str, Any]],
    latency: float | None = None,
    waited: float | None = None,
    owner: str | None = None,
) -> MessageInfo:
    """What the view shows of a message besides its growing text (`message`: a
    `reducers.messages.StreamedMessage`; `key`: the view's handle for it; `calls`: its
    `tool_calls`, read once per flush by the caller; `latency` and `waited`: a tool result's
    own time and the wait before its tool started, if known; `owner`: the namespace of the
    agent it speaks for, when not its own)."""
    usage = message.usage
    info = {
        "id": message.id,
        "key": key,
        "namespace": message.namespace,
        "node": message.node,
        "tags": list(message.tags),
        "complete": message.complete,
        "role": message.role if message.role in ROLES else "other",
        "name": message.name,
        "tool_call_id": message.tool_call_id,
        "status": message.status if message.status in ("success", "error") else None,
        "latency": None if latency is None else round(latency, 3),
        "waited": None if waited is None else round(waited, 3),
        "usage": {
            "input_tokens": int(usage.get("input_tokens") or 0),
            "output_tokens": int(usage.get("output_tokens") or 0),
            "total_tokens": int(usage.get("total_tokens") or 0),
        }
        if usage
        else None,
        "tool_calls": [
            {
                "index": call["index"] if isinstance(call["index"], int) else i,
                "id": call["id"],
                "name": call["name"],
            }
            for i, call in enumerate(calls)
        ],
        "first_time": message.first_time,
        "input": message.input,
        "synthetic": message.synthetic,
        "owner": owner,
    }
    return _without_defaults(info, MESSAGE_DEFAULTS)  # type: ignore[no-any-return]


def message_update(before: MessageInfo, after: MessageInfo) -> MessageUpdate | None:
    """The fields of `after` that differ from `before` (the same message's info), calls by
    `index` with only their changed fields; None when nothing changed."""
    update: dict[str, Any] = _changed(before, after, MESSAGE_DEFAULTS)
    update.pop("tool_calls", None)
    known = {call["index"]: call for call in before["tool_calls"]}
    calls: list[dict[str, Any]] = []
    for call in after["tool_calls"]:
        old = known.get(call["index"])
        if old is None:
            calls.append(dict(call))
        elif old != call:
            calls.append({"index": call["index"], **_changed(old, call, {})})
    if calls:
        update["tool_calls"] = calls
    if not update:
        return None
    return {"key": after["key"], **update}  # type: ignore[typeddict-item]


def _changed(before: Any, after: Any, defaults: dict[str, Any]) -> dict[str, Any]:
    """`after`'s values that differ from `before`'s; a field left out again (back to its
    default) is sent with its default."""
    out = {k: v for k, v in after.items() if k not in before or before[k] != v}
    out.update({k: defaults[k] for k in before if k not in after and k in defaults})
    return out


def graph_info(model: GraphModel) -> GraphInfo:
    """The drawn part of the graph (`GraphModel` caps what is drawn and says so in `note`)."""
    drawn = model.drawn_ids
    return {
        "assistant_id": model.assistant_id,
        "nodes": [
            {
                "id": n.id,
                "name": n.name,
                "parent": n.parent,
                "kind": n.kind,  # type: ignore[typeddict-item]
                "tools": list(n.tools),
            }
            for n in model.nodes
            if n.id in drawn
        ],
        "groups": [
            {"id": g.id, "name": g.name, "parent": g.parent} for g in model.groups if g.id in drawn
        ],
        "edges": [
            {
                "source": e.source,
                "target": e.target,
                "conditional": e.conditional,
                "label": e.label,
            }
            for e in model.edges
            if e.source in drawn and e.target in drawn
        ],
        "note": model.note,
    }


def node_activity(entry: dict[str, Any]) -> NodeActivity:
    """One node's activity (`GraphActivity.project`), times to the millisecond."""
    return {
        "id": entry["id"],
        "status": entry["status"],
        "visits": entry["visits"],
        "seconds": round(entry["seconds"], 3),
        "running": entry["running"],
        "parallel": entry["parallel"],
        "latest": entry["latest"],
    }

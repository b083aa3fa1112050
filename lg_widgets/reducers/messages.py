"""Messages as they stream, merged by message id the way langchain-core merges them.

Sources. `messages-tuple` parts (event `messages`, data `[chunk, metadata]`) and the
`on_chat_model_stream` events of `events` mode carry *deltas*: chunks folded with the semantics
of langchain-core's `AIMessageChunk.__add__` (content strings appended, content blocks and
`tool_call_chunks` merged by `index`, `usage_metadata` summed, `response_metadata` and
`additional_kwargs` merged key by key). `messages/partial` and `messages/complete` carry the
message *so far*, so they replace, never append. Whole (non-chunk) messages replace too: a
`ToolMessage` from the `tools` node (`messages-tuple`), `on_tool_end` outputs (`events`), a node
returning an `AIMessage`. A run streaming several of these modes sees each message several
times; a message keeps the source it was first seen in, so nothing is counted twice. Where
langchain-core would raise (two chunks disagreeing on a value's type) the first value is kept:
the reducer never raises on what a server sends.

Text. `text` is the LLM's text: the text (string content or `text` blocks) of an AI message.
Human, system and tool messages have `text == ""`; their content is `content_text`. So a tool's
result is not LLM text: it never joins `text_by_source()`, `text()` or the token pieces, and
`text_by_source()` lists only sources that produced some LLM text, one blank line between two
messages that have text (a message that only calls tools adds no separator).

Tool calls. `tool_call_chunks` are folded per `index`; the arguments stay a list of string
pieces and are parsed only when read, the parse cached until the text grows: leniently (a
partial JSON object, closed where it stops) while the message streams, strictly with `json`
once it is complete. `valid_args` says whether the arguments parse to an object; when they do
not, `args` is None and `args_text` keeps the raw text. langchain-core parses leniently even at
the end, so a truncated `{"a": 1` is a valid call there and `valid_args=False` here. From
`messages/partial` and whole messages the server's parsed `tool_calls` are taken as they are
(`args_text` is their JSON) and its `invalid_tool_calls` keep their raw text.

Completion. `complete` is set by a chunk with `chunk_position: "last"`, a whole message,
`messages/complete`, an `on_chat_model_end` event, a `messages/partial` whose
`response_metadata` names a finish or stop reason, or `finish()` (the run ended).

Work per event is O(1) amortized for deltas: strings grow as piece lists, joined on read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from lg_widgets.events import Event, content_text, namespace_key
from lg_widgets.reducers.agents import HANDOFF_BACK
from lg_widgets.reducers.merging import (
    Content,
    FoldedDict,
    FoldedList,
    Pieces,
    add_usage,
    parse_json,
    unfold,
)

# --- messages -------------------------------------------------------------------------------


_ROLES = {
    "ai": "ai",
    "assistant": "ai",
    "human": "human",
    "user": "human",
    "tool": "tool",
    "system": "system",
    "developer": "system",
    "function": "function",
    "remove": "remove",
}
_FINISH_KEYS = ("finish_reason", "stop_reason", "done_reason")


def message_role(chunk: dict[str, Any]) -> str | None:
    """`AIMessageChunk` / `ai` -> "ai", `HumanMessage` / `human` -> "human", and so on."""
    kind = str(chunk.get("type") or "")
    base = kind.removesuffix("Chunk").removesuffix("Message").lower() or None
    if base == "chat":
        base = str(chunk.get("role") or "") or None
    return _ROLES.get(base, base) if base else None


class StreamedMessage:
    """One message as it streamed: merged content, tool calls, usage; where and when it came."""

    __slots__ = (
        "id",
        "namespace",
        "node",
        "tags",
        "step",
        "type",
        "role",
        "name",
        "source",
        "metadata",
        "first_seq",
        "first_time",
        "last_seq",
        "last_time",
        "complete",
        "piece_seqs",
        "piece_times",
        "tool_call_id",
        "status",
        "usage",
        "_content",
        "_calls",
        "_given_calls",
        "_response_metadata",
        "_additional_kwargs",
        "_text_size",
        "_started",
        "_call_times",
        "input",
        "synthetic",
    )

    def __init__(
        self,
        id: str,
        *,
        namespace: str,
        node: str | None,
        tags: tuple[str, ...],
        step: int | None,
        type: str | None,
        role: str | None,
        source: str,
        metadata: dict[str, Any],
        seq: int,
        time: float,
    ) -> None:
        self.id = id
        self.namespace = namespace
        self.node = node
        self.tags = tags
        self.step = step
        self.type = type
        self.role = role
        self.name: str | None = None
        self.source = source
        self.metadata = metadata
        self.first_seq = self.last_seq = seq
        self.first_time = self.last_time = time
        self.complete = False
        self.piece_seqs: list[int] = []
        self.piece_times: list[float] = []
        self.tool_call_id: str | None = None
        self.status: str | None = None
        self.usage: dict[str, Any] | None = None
        self._content = Content()
        self._calls = FoldedList()
        self._given_calls: list[dict[str, Any]] | None = None
        self._response_metadata = FoldedDict({})
        self._additional_kwargs = FoldedDict({})
        self._text_size = 0
        self._started = False
        self._call_times: dict[Any, list[float]] = {}  # call index -> [first, last] chunk time
        self.input = False  # the user's input (the run's input or the state's first messages)
        # written by a framework, not an LLM (langgraph-supervisor's "Transferring back to ...")
        self.synthetic = False

    # -- what callers read --
    @property
    def text(self) -> str:
        """The LLM's text: an AI message's text content; "" for other roles and for what a
        framework wrote in an agent's name (`synthetic`)."""
        return self._content.text() if self.role == "ai" and not self.synthetic else ""

    @property
    def content_text(self) -> str:
        """The text of the content whatever the role (a tool's result, a human's question)."""
        return self._content.text()

    @property
    def content(self) -> str | list[Any]:
        """The merged `content`, exactly as langchain-core would have it."""
        return self._content.value()

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return self._content.blocks()

    @property
    def reasoning(self) -> str:
        """Text of the `reasoning` / `thinking` blocks."""
        return self._content.reasoning()

    @property
    def response_metadata(self) -> dict[str, Any]:
        return self._response_metadata.value()

    @property
    def additional_kwargs(self) -> dict[str, Any]:
        return self._additional_kwargs.value()

    @property
    def has_tool_calls(self) -> bool:
        """Whether `tool_calls` is non-empty, without parsing the arguments."""
        if self._given_calls is not None:
            return bool(self._given_calls)
        return any(isinstance(node, FoldedDict) for node in self._calls.items)

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        """`{id, name, args, args_text, index, valid_args, first_time, args_time}` per call, in
        the order they began (`args`: the text parsed, leniently while it streams)."""
        return self._call_records(parse=True)

    @property
    def call_texts(self) -> list[dict[str, Any]]:
        """`tool_calls` without `args` and `valid_args`: the arguments' text is not parsed (a
        view reads this on every flush while the text grows, and parsing it each time would
        cost O(arguments so far) a flush)."""
        return self._call_records(parse=False)

    def _call_records(self, *, parse: bool) -> list[dict[str, Any]]:
        if self._given_calls is not None:
            return [dict(call) for call in self._given_calls]
        calls = []
        for node in self._calls.items:
            if not isinstance(node, FoldedDict):
                continue
            raw = node.node("args")
            args: Any = None
            if isinstance(raw, Pieces):
                text = raw.value
                if parse:
                    args = raw.parsed(strict=self.complete) if text else {}
            elif type(raw) is str:  # arguments that came in one piece
                text = raw
                if parse:
                    args = parse_json(text, strict=self.complete) if text else {}
            elif raw is None:
                text, args = "", {}
            else:  # arguments that came as an object, not as JSON text
                args = unfold(raw)
                text = json.dumps(args)
            times = self._call_times.get(node.get("index"), (self.first_time, self.last_time))
            call: dict[str, Any] = {"id": node.get("id"), "name": node.get("name")}
            if parse:
                call["args"] = args if isinstance(args, dict) else None
            call["args_text"], call["index"] = text, node.get("index")
            if parse:
                call["valid_args"] = isinstance(args, dict)
            call["first_time"], call["args_time"] = times
            calls.append(call)
        return calls

    def to_dict(self, agent: str | None = None) -> dict[str, Any]:
        """The message as plain data; `agent`: who wrote it, as the run's agents say."""
        return {
            "id": self.id,
            "namespace": self.namespace,
            "agent": agent,
            "node": self.node,
            "tags": list(self.tags),
            "step": self.step,
            "type": self.type,
            "role": self.role,
            "name": self.name,
            "text": self.text,
            "content": self.content,
            "blocks": self.blocks,
            "reasoning": self.reasoning,
            "tool_calls": self.tool_calls,
            "tool_call_id": self.tool_call_id,
            "status": self.status,
            "usage": self.usage,
            "response_metadata": self.response_metadata,
            "additional_kwargs": self.additional_kwargs,
            "chunks": len(self.piece_seqs),
            "complete": self.complete,
            "source": self.source,
            "input": self.input,
            "synthetic": self.synthetic,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "first_time": self.first_time,
            "last_time": self.last_time,
        }

    def __repr__(self) -> str:
        return (
            f"StreamedMessage(id={self.id!r}, role={self.role!r}, node={self.node!r}, "
            f"text={self.text[:40]!r}, tool_calls={len(self.tool_calls)}, "
            f"complete={self.complete})"
        )

    # -- folding --
    def _note_text(self, event: Event, added: int) -> None:
        """Remember the event as a token piece if it added LLM text."""
        if added > 0 and self.role == "ai":
            self.piece_seqs.append(event.seq)
            self.piece_times.append(event.time)
            self._text_size += added

    def _take_common(self, chunk: dict[str, Any]) -> None:
        if self.name is None and isinstance(chunk.get("name"), str):
            self.name = chunk["name"]
        if chunk.get("tool_call_id") is not None:
            self.tool_call_id = chunk["tool_call_id"]
        if chunk.get("status") is not None:
            self.status = chunk["status"]
        elif self.role == "tool" and self.status is None:
            self.status = "success"  # langchain-core's default for a ToolMessage

    def _add_chunk(self, chunk: dict[str, Any], event: Event) -> None:
        """Add a delta chunk (`AIMessageChunk.__add__`). What an AI chunk leaves empty (empty
        content, no name, metadata or usage: most chunks of a tool call) is skipped without a
        call, since merging it would change nothing."""
        if not self._started:  # the first chunk is taken as it is, like the left operand
            self._started = True
            self._take_snapshot(chunk, event)
            self.complete = chunk.get("chunk_position") == "last"
            return
        get = chunk.get
        if (
            get("name") is not None
            or get("tool_call_id") is not None
            or get("status") is not None
            or self.role == "tool"
        ):
            self._take_common(chunk)
        content = get("content", "")
        if content != "" or type(content) is not str:  # "" adds nothing, text or blocks
            self._content.add(content)
            self._note_text(event, len(content_text(content)))
        tool_call_chunks = get("tool_call_chunks")
        if tool_call_chunks and isinstance(tool_call_chunks, list):
            if self._given_calls is not None:  # parsed calls, then chunks: merge as chunks
                self._calls = FoldedList([_as_chunk(call) for call in self._given_calls])
                self._given_calls = None
            calls = self._calls
            for element in tool_call_chunks:
                if not calls.add_args(element):
                    calls.merge([element])
            self._note_call_times(tool_call_chunks, event.time)
        metadata = get("response_metadata")
        if metadata and isinstance(metadata, dict):  # merging {} changes nothing
            self._response_metadata.merge(metadata)
        kwargs = get("additional_kwargs")
        if kwargs and isinstance(kwargs, dict):
            self._additional_kwargs.merge(kwargs)
        usage = get("usage_metadata")
        if isinstance(usage, dict):
            self.usage = add_usage(self.usage, usage)
        if get("chunk_position") == "last":
            self.complete = True

    def _note_call_times(self, chunks: list[Any], when: float) -> None:
        """When each call began and when its arguments last grew (the latency's start)."""
        for chunk in chunks:
            if isinstance(chunk, dict):
                index = chunk.get("index")
                times = self._call_times.get(index)
                if times is None:
                    self._call_times[index] = [when, when]
                else:
                    times[1] = when

    def _take_snapshot(self, chunk: dict[str, Any], event: Event) -> None:
        """Take a message as it is now (accumulated, or whole)."""
        self._started = True
        self._take_common(chunk)
        self._content = Content(chunk.get("content", ""))
        tool_call_chunks = chunk.get("tool_call_chunks")
        if isinstance(tool_call_chunks, list) and tool_call_chunks:
            self._calls, self._given_calls = FoldedList(tool_call_chunks), None
            self._note_call_times(tool_call_chunks, event.time)
        elif chunk.get("tool_calls") or chunk.get("invalid_tool_calls"):
            self._calls, self._given_calls = FoldedList(), _given_calls(chunk, event.time)
        else:
            self._calls, self._given_calls = FoldedList(), None
        metadata = chunk.get("response_metadata")
        self._response_metadata = FoldedDict(metadata if isinstance(metadata, dict) else {})
        self.synthetic = isinstance(metadata, dict) and bool(metadata.get(HANDOFF_BACK))
        kwargs = chunk.get("additional_kwargs")
        self._additional_kwargs = FoldedDict(kwargs if isinstance(kwargs, dict) else {})
        usage = chunk.get("usage_metadata")
        self.usage = dict(usage) if isinstance(usage, dict) else None
        size = len(self._content.text())  # O(message) per accumulated event, as the event is
        self._note_text(event, size - self._text_size)
        self._text_size = size


def _as_chunk(call: dict[str, Any]) -> dict[str, Any]:
    """A parsed call as the chunk langchain-core makes of it (`args` as JSON, no index)."""
    return {"name": call["name"], "args": call["args_text"], "id": call["id"], "index": None}


def _given_calls(chunk: dict[str, Any], when: float) -> list[dict[str, Any]]:
    """Tool calls already parsed by the sender, then the ones it could not parse."""
    calls = []
    for call in chunk.get("tool_calls") or ():
        if isinstance(call, dict):
            args = call.get("args")
            valid = isinstance(args, dict)
            calls.append(
                {
                    "id": call.get("id"),
                    "name": call.get("name"),
                    "args": args if valid else None,
                    "args_text": json.dumps(args) if valid else str(args or ""),
                    "index": len(calls),
                    "valid_args": valid,
                    "first_time": when,
                    "args_time": when,
                }
            )
    for call in chunk.get("invalid_tool_calls") or ():
        if isinstance(call, dict):
            args = call.get("args")
            calls.append(
                {
                    "id": call.get("id"),
                    "name": call.get("name"),
                    "args": None,
                    "args_text": args if isinstance(args, str) else "",
                    "index": len(calls),
                    "valid_args": False,
                    "first_time": when,
                    "args_time": when,
                }
            )
    return calls


def _input_message(given: Any) -> dict[str, Any] | None:
    """A message as users pass it in an input: a dict with `role`/`type`, a (role, content)
    pair, or a bare string (a human message)."""
    if isinstance(given, str):
        return {"type": "human", "content": given}
    if isinstance(given, (list, tuple)) and len(given) == 2 and isinstance(given[0], str):
        role = _ROLES.get(given[0], "human")
        return {"type": role, "content": given[1]}
    if isinstance(given, dict) and "content" in given:
        role = _ROLES.get(str(given.get("type") or given.get("role") or "human"), "human")
        return {**given, "type": role}
    return None


def _parent_namespace(checkpoint_ns: str | None) -> str:
    """`a:1|b:2` (the emitting node's own namespace) -> `a:1` (the graph it runs in)."""
    if not checkpoint_ns:
        return ""
    return checkpoint_ns.rpartition("|")[0]


def _tool_result(data: dict[str, Any]) -> dict[str, Any] | None:
    """The tool message a `tools` channel `tool-finished` carries: its output, or for a tool
    that returned a `Command` (deepagents' `task`), the update's message answering the call."""
    if data.get("event") != "tool-finished":
        return None
    output, call_id = data.get("output"), data.get("tool_call_id")
    if isinstance(output, dict) and output.get("type") == "tool":
        found: Any = output
    elif isinstance(output, dict) and isinstance(output.get("update"), dict):
        answers = output["update"].get("messages")
        found = next(
            (
                m
                for m in (answers if isinstance(answers, list) else ())
                if isinstance(m, dict) and m.get("tool_call_id") == call_id
            ),
            None,
        )
    else:
        return None
    if not isinstance(found, dict) or "content" not in found:
        return None
    return {**found, "id": found.get("id") or f"tool-{call_id}", "tool_call_id": call_id}


def _finished(chunk: dict[str, Any]) -> bool:
    metadata = chunk.get("response_metadata")
    return isinstance(metadata, dict) and any(metadata.get(key) for key in _FINISH_KEYS)


class MessageReducer:
    """Folds message events into `StreamedMessage`s, in order of first appearance."""

    def __init__(self) -> None:
        self.messages: dict[str, StreamedMessage] = {}
        self._pending_metadata: dict[str, dict[str, Any]] = {}
        self._unmatched_input: list[StreamedMessage] = []
        self._input_ids: set[str] = set()  # state ids of the input messages
        self._answered: set[str] = set()  # the tool calls a tool message answers
        self._streaming_tools: dict[str, StreamedMessage] = {}  # by call id, while it runs

    def calls_tools(self) -> bool:
        """Whether an AI message called a tool: `len(run.tool_calls)` without building the
        frame (asked at the end of every Agent Protocol run)."""
        return any(m.role == "ai" and m.has_tool_calls for m in self.messages.values())

    @property
    def input_ids(self) -> frozenset[str]:
        """The state's ids of the input messages (shown under `input-<i>`, not as themselves)."""
        return frozenset(self._input_ids)

    def apply(self, event: Event) -> StreamedMessage | None:
        """Fold one event; returns the message it touched, if any."""
        mode = event.mode
        if mode == "messages":
            data = event.data
            if isinstance(data, list) and len(data) == 2 and isinstance(data[0], dict):
                metadata = data[1] if isinstance(data[1], dict) else {}
                return self._add(event, data[0], metadata, source="messages-tuple")
        elif mode == "messages/metadata" and isinstance(event.data, dict):
            for message_id, info in event.data.items():
                if isinstance(info, dict) and isinstance(info.get("metadata"), dict):
                    self._pending_metadata[message_id] = info["metadata"]
        elif mode in ("messages/partial", "messages/complete") and isinstance(event.data, list):
            touched = None
            for chunk in event.data:
                if isinstance(chunk, dict):
                    metadata = self._pending_metadata.get(str(chunk.get("id") or ""), {})
                    complete = mode == "messages/complete" or _finished(chunk)
                    touched = self._add(
                        event, chunk, metadata, source="messages", snapshot=True, done=complete
                    )
            return touched
        elif mode == "events" and isinstance(event.data, dict):
            return self._apply_langchain_event(event, event.data)
        elif mode == "tools" and isinstance(event.data, dict):
            return self._apply_tool_event(event, event.data)
        elif mode == "values" and isinstance(event.data, dict):
            return self._from_state(event, event.data.get("messages"), None)
        elif mode == "updates" and isinstance(event.data, dict):
            touched = None
            for node, update in event.data.items():
                if isinstance(update, dict) and "messages" in update:
                    touched = self._from_state(event, update["messages"], node) or touched
            return touched
        return None

    def add_input(self, messages: Any, when: float) -> None:
        """The run's input messages (`{"messages": [...]}`), shown before what streams.

        They have no ids until the graph stores them, so a human message of the state with the
        same text is taken to be the same message, not a new one.
        """
        for i, given in enumerate(messages if isinstance(messages, list) else [messages]):
            chunk = _input_message(given)
            if chunk is None:
                continue
            message = StreamedMessage(
                f"input-{i}",
                namespace="",
                node=None,
                tags=(),
                step=None,
                type=chunk["type"],
                role=message_role(chunk),
                source="input",
                metadata={},
                seq=-1,
                time=when,
            )
            message._take_common(chunk)
            message._content = Content(chunk.get("content", ""))
            message.complete = message.input = True
            self.messages[message.id] = message
            self._unmatched_input.append(message)

    def _from_state(self, event: Event, messages: Any, node: str | None) -> StreamedMessage | None:
        """Whole messages of the graph's state (`messages` key of values or of a node's
        update): the ones no token stream showed, such as the user's input and tool results
        when only `values`/`updates` are streamed. O(messages in the event)."""
        touched = None
        for given in messages if isinstance(messages, list) else [messages]:
            if not isinstance(given, dict) or "content" not in given:
                continue
            call_id = given.get("tool_call_id")
            if isinstance(call_id, str) and message_role(given) == "tool":
                if call_id in self._answered:
                    continue  # the call's result, already known (ids differ across updates)
                if not given.get("id"):  # a handoff's result, written by a Command with no id
                    given = {**given, "id": f"tool-{call_id}"}
            if not given.get("id"):
                continue
            given_id = str(given["id"])
            if given_id in self.messages or given_id in self._input_ids:
                continue
            if self._matches_input(given):
                self._input_ids.add(given_id)  # the same input message in every later state
                continue
            metadata = {"langgraph_node": node} if node else {}
            touched = self._add(event, given, metadata, source="state")
            if touched is not None and touched.role == "human":
                touched.input = True
        return touched

    def _matches_input(self, given: dict[str, Any]) -> bool:
        if message_role(given) != "human":
            return False
        text = content_text(given.get("content"))
        for message in self._unmatched_input:
            if message.content_text == text:
                self._unmatched_input.remove(message)
                return True
        return False

    def _apply_tool_event(self, event: Event, data: dict[str, Any]) -> StreamedMessage | None:
        """The Agent Protocol's `tools` channel: output a tool streams while it runs
        (`tool-output-delta`) grows its result, piece by piece as a `ToolMessageChunk` would
        (O(piece), however long the output); `tool-finished` carries the result whole."""
        call_id = data.get("tool_call_id")
        streamed = self._streaming_tools.get(call_id) if isinstance(call_id, str) else None
        if data.get("event") == "tool-output-delta" and isinstance(call_id, str):
            delta = data.get("delta")
            text = delta if isinstance(delta, str) else str((delta or {}).get("text") or "")
            chunk = {"type": "ToolMessageChunk", "id": f"tool-{call_id}", "tool_call_id": call_id,
                     "content": text}  # fmt: skip
            message = self._add(event, chunk, {}, source="tools")
            if message is not None:
                self._streaming_tools[call_id] = message
            return message
        result = _tool_result(data)
        if result is None:
            return None
        if streamed is not None:  # the streamed result, now whole
            result = {**result, "id": streamed.id}
            self._streaming_tools.pop(call_id, None)
        return self._add(event, result, {}, source="tools")

    def _apply_langchain_event(self, event: Event, data: dict[str, Any]) -> StreamedMessage | None:
        kind = data.get("event")
        payload = data.get("data") if isinstance(data.get("data"), dict) else {}
        if kind == "on_chat_model_stream":
            message = payload.get("chunk")
        elif kind in ("on_tool_end", "on_chat_model_end"):
            message = payload.get("output")
        else:
            return None
        if not isinstance(message, dict):
            return None
        if kind == "on_chat_model_end":  # the end of a streamed message; its content is known
            known = self.messages.get(str(message.get("id") or ""))
            if known is not None and known.source == "events":
                known.complete = True
                known.last_seq, known.last_time = event.seq, event.time
            return known
        if kind == "on_tool_end" and message_role(message) != "tool":
            return None
        tags = [t for t in data.get("tags") or () if not str(t).startswith("seq:step:")]
        metadata = {**(data.get("metadata") or {}), "tags": tags}
        return self._add(event, message, metadata, source="events")

    def _add(
        self,
        event: Event,
        chunk: dict[str, Any],
        metadata: dict[str, Any],
        *,
        source: str,
        snapshot: bool = False,
        done: bool = False,
    ) -> StreamedMessage | None:
        message_id = str(chunk.get("id") or f"seq-{event.seq}")
        message = self.messages.get(message_id)
        if message is not None and message.source != source:
            return None  # the same message, already followed through another mode
        call_id = chunk.get("tool_call_id")
        if message is None and call_id in self._answered and message_role(chunk) == "tool":
            return None  # the call's result, known under another id (a streamed result's)
        is_delta = not snapshot and "Chunk" in str(chunk.get("type") or "")
        if message is None:
            namespace = (
                event.namespace_str
                if source in ("messages-tuple", "state", "tools")
                else _parent_namespace(metadata.get("langgraph_checkpoint_ns"))
            )
            message = StreamedMessage(
                message_id,
                namespace=namespace,
                node=metadata.get("langgraph_node"),
                tags=tuple(metadata.get("tags") or ()),
                step=metadata.get("langgraph_step"),
                type=chunk.get("type"),
                role=message_role(chunk),
                source=source,
                metadata=metadata,
                seq=event.seq,
                time=event.time,
            )
            self.messages[message_id] = message
            self._pending_metadata.pop(message_id, None)
        if is_delta:
            message._add_chunk(chunk, event)
        else:
            message._take_snapshot(chunk, event)
            message.complete = message.complete or done or not snapshot
        message.last_seq, message.last_time = event.seq, event.time
        if message.tool_call_id is not None and message.role == "tool":
            self._answered.add(message.tool_call_id)
        return message

    def finish(self) -> None:
        """The run ended: no message will grow any more."""
        for message in self.messages.values():
            message.complete = True

    def select(
        self,
        *,
        node: str | Iterable[str] | None = None,
        namespace: NamespaceFilter = None,
        tags: str | Iterable[str] | None = None,
        role: str | Iterable[str] | None = None,
    ) -> list[StreamedMessage]:
        """Messages from any of the given nodes / namespaces / roles, carrying all given tags."""
        nodes, namespaces, roles = _as_set(node), namespace_set(namespace), _as_set(role)
        wanted_tags = _as_set(tags)
        return [
            m
            for m in self.messages.values()
            if (nodes is None or m.node in nodes)
            and (namespaces is None or m.namespace in namespaces)
            and (roles is None or m.role in roles)
            and (wanted_tags is None or wanted_tags <= set(m.tags))
        ]

    def text(
        self,
        *,
        node: str | Iterable[str] | None = None,
        namespace: NamespaceFilter = None,
        tags: str | Iterable[str] | None = None,
    ) -> str:
        """LLM text of the selected messages, a blank line between messages that have text."""
        texts = (m.text for m in self.select(node=node, namespace=namespace, tags=tags))
        return "\n\n".join(text for text in texts if text)

    def text_by_source(self) -> dict[tuple[str, str | None], str]:
        """`{(namespace, node): LLM text}` for the sources that produced text."""
        grouped: dict[tuple[str, str | None], list[str]] = {}
        for message in self.messages.values():
            text = message.text
            if text:
                grouped.setdefault((message.namespace, message.node), []).append(text)
        return {source: "\n\n".join(texts) for source, texts in grouped.items()}


def _as_set(value: str | Iterable[str] | None) -> set[str] | None:
    if value is None:
        return None
    return {value} if isinstance(value, str) else set(value)


NamespaceFilter = str | tuple[str, ...] | Iterable[str | tuple[str, ...]] | None


def namespace_set(namespace: NamespaceFilter) -> set[str] | None:
    """The `"|"`-joined namespaces a filter names. One namespace is a string or the SDK's tuple
    (`()` and `""` are the root); several are a list or set of those."""
    if namespace is None:
        return None
    if isinstance(namespace, (str, tuple)):
        return {"|".join(namespace_key(namespace))}
    return {"|".join(namespace_key(one)) for one in namespace}

"""The Agent Protocol's thread-centric events, read as the parts of the run-centric stream.

`client.threads.stream` (`POST /threads/{id}/stream/events`) sends one envelope per event:
`{seq, event_id, method, params: {namespace, timestamp, data}}`. The run's read model folds
run-centric parts, so each envelope becomes exactly one part of that shape here, and nothing
downstream asks which protocol a run spoke:

- `messages`: the protocol streams a message as `message-start` (its id and role, only there),
  `content-block-start/-delta/-finish` (by block index) and `message-finish` (usage, finish
  reason, model name). Each becomes a `messages-tuple` chunk of that message: text deltas as
  content, tool-call deltas as `tool_call_chunks` by index, the finish as the last chunk with
  its usage. A tool's result streams in a namespace of its own, `tools:<tool call id>`, which is
  no subgraph: it is read in the calling agent's namespace, as `ToolMessageChunk`s.
- `values`: AI messages come in LangChain's v1 content blocks; text and tool-call blocks are
  read back as the string content the run-centric stream sends.
- `input.requested`: an interrupt, read as the run-centric `{"__interrupt__": [...]}` update
  (the payload is the interrupt's `value`).
- `lifecycle` and `tools` keep their own modes (the read model folds them), as do `updates`,
  `custom`, `tasks` and `checkpoints` should a server send them.

The protocol's `seq` becomes the part's id (the cursor a reconnect resumes from).
"""

from __future__ import annotations

from typing import Any

from lg_widgets.events import Namespace

# every channel a subscription can name (langgraph-api 0.16.7 rejects others, `debug` too)
CHANNELS = (
    "values", "updates", "messages", "tools", "lifecycle", "input", "checkpoints", "tasks",
    "custom",
)  # fmt: skip
# the channels the method of an event belongs to
CHANNEL_OF = {"input.requested": "input"}
TERMINAL = {"completed": "success", "failed": "error", "interrupted": "interrupted"}


def channel_of(method: str) -> str:
    if method.startswith("custom:"):
        return "custom"
    return CHANNEL_OF.get(method, method)


def is_terminal(event: dict[str, Any], namespace: Namespace) -> bool:
    """The last event of `namespace`: its `lifecycle` completed, failed or interrupted."""
    if event.get("method") != "lifecycle":  # asked of every event: most are not
        return False
    params = event.get("params") or {}
    data = params.get("data") or {}
    return (
        tuple(params.get("namespace") or ()) == namespace
        and isinstance(data, dict)
        and data.get("event") in TERMINAL
    )


def is_root_terminal(event: dict[str, Any]) -> bool:
    """The end of a run: the root's terminal `lifecycle` (the stream itself never ends)."""
    return is_terminal(event, ())


class ProtocolReader:
    """Turns each protocol envelope into one run-centric part (`(event name, data, id)`, the
    SDK's StreamPart as a tuple: `events.normalize` reads it without a dict lookup).

    Stateful per subscription: a message's id and role are said only by its `message-start`,
    so the message streaming in each namespace is remembered until its `message-finish`.
    """

    def __init__(self) -> None:
        self._open: dict[Namespace, dict[str, Any]] = {}  # namespace -> the message streaming
        self._tool_namespaces: set[Namespace] = set()  # `tools:<call id>`: a result's own
        self.channels: dict[str, int] = {}  # events received per channel
        # the metadata of every message part (the protocol says none): one dict per run, so
        # that the run's interner and reducers know it by identity
        self._no_metadata: dict[str, Any] = {}

    def part(self, event: dict[str, Any]) -> tuple[str, Any, str]:
        method = event.get("method")
        if type(method) is not str:
            method = str(method or "")
        params = event.get("params")
        if type(params) is not dict:
            params = {}
        found = params.get("namespace")
        namespace: Namespace = tuple(found) if found else ()
        data = params.get("data")
        channel = channel_of(method)
        channels = self.channels
        channels[channel] = channels.get(channel, 0) + 1
        mode = channel
        if method == "messages" and isinstance(data, dict):
            namespace, data = self._message(namespace, data)
        elif method == "values" and isinstance(data, dict):
            data = _run_centric_values(data)
        elif method == "input.requested" and isinstance(data, dict):
            mode = "updates"
            interrupt = {"id": data.get("interrupt_id"), "value": data.get("payload")}
            data = {"__interrupt__": [interrupt]}
        name = "|".join((mode, *namespace)) if namespace else mode
        return (name, data, str(event.get("seq")))

    # -- messages --------------------------------------------------------------------------------
    def _message(self, namespace: Namespace, data: dict[str, Any]) -> tuple[Namespace, Any]:
        kind = data.get("event")
        if kind == "message-start":
            call_id = data.get("tool_call_id")
            if data.get("role") == "tool" and namespace and namespace[-1] == f"tools:{call_id}":
                self._tool_namespaces.add(namespace)
            self._open[namespace] = {
                "id": data.get("id"),
                "role": data.get("role"),
                "tool_call_id": call_id,
            }
        message = self._open.get(namespace) or {"id": None, "role": "ai"}
        home = namespace[:-1] if namespace in self._tool_namespaces else namespace
        if kind == "message-finish":
            self._open.pop(namespace, None)
            self._tool_namespaces.discard(namespace)
        if message["role"] == "tool":
            return home, [_tool_chunk(message, data), self._no_metadata]
        return home, [_ai_chunk(message["id"], data), self._no_metadata]


def _ai_chunk(message_id: Any, data: dict[str, Any]) -> dict[str, Any]:
    """One protocol message event as the `AIMessageChunk` langchain-core would stream."""
    chunk: dict[str, Any] = {"type": "AIMessageChunk", "id": message_id, "content": ""}
    kind, index = data.get("event"), data.get("index")
    if kind == "content-block-start":
        block = data.get("content") or {}
        if block.get("type") == "tool_call_chunk":
            chunk["tool_call_chunks"] = [
                {
                    "name": block.get("name"),
                    "args": block.get("args") or "",
                    "id": block.get("id"),
                    "index": block.get("index", index),
                    "type": "tool_call_chunk",
                }
            ]
    elif kind == "content-block-delta":
        delta = data.get("delta") or {}
        if delta.get("type") == "text-delta":
            chunk["content"] = str(delta.get("text") or "")
        elif delta.get("type") == "tool-call-delta":
            chunk["tool_call_chunks"] = [
                {"name": None, "args": delta.get("args") or "", "id": None, "index": index}
            ]
        elif delta.get("type") == "reasoning-delta":
            reasoning = str(delta.get("reasoning") or delta.get("text") or "")
            chunk["additional_kwargs"] = {"reasoning_content": reasoning}
    elif kind == "message-finish":
        if isinstance(data.get("usage"), dict):
            chunk["usage_metadata"] = data["usage"]
        if isinstance(data.get("metadata"), dict):
            chunk["response_metadata"] = data["metadata"]
        chunk["chunk_position"] = "last"
    return chunk


def _tool_chunk(message: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """One protocol event of a tool's result as the `ToolMessageChunk` it adds: a text
    delta's piece, else nothing (`content-block-finish` repeats the block whole); the
    `message-finish` is the last chunk, as for an AI message."""
    kind, text = data.get("event"), ""
    if kind == "content-block-delta":
        block = data.get("content") or data.get("delta") or {}
        text = str(block.get("text") or "")
    chunk = {
        "type": "ToolMessageChunk",
        "id": message["id"],
        "tool_call_id": message.get("tool_call_id"),
        "content": text,
    }
    if kind == "message-finish":
        chunk["chunk_position"] = "last"
    return chunk


def _run_centric_values(state: dict[str, Any]) -> dict[str, Any]:
    messages = state.get("messages")
    if not isinstance(messages, list):
        return state
    return {**state, "messages": [_string_content(m) for m in messages]}


def _string_content(message: Any) -> Any:
    """An AI message whose content is v1 blocks of text and tool calls only, with the string
    content the run-centric stream sends (the tool calls are in `tool_calls` already)."""
    if not isinstance(message, dict) or message.get("type") != "ai":
        return message
    content = message.get("content")
    if not isinstance(content, list) or not all(
        isinstance(b, dict) and b.get("type") in ("text", "tool_call") for b in content
    ):
        return message
    text = "".join(str(b.get("text") or "") for b in content if b.get("type") == "text")
    return {**message, "content": text}

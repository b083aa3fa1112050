"""LLM token text, merged by message id, per namespace and node.

Handles `messages-tuple` parts (event `messages`, data `[chunk, metadata]`, content is a delta),
the older `messages/partial|complete|metadata` parts (content is the text so far), and the
`on_chat_model_stream` events of `events` mode. When a run streams several of these, a message
keeps the source it was first seen in, so its text is never doubled.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lg_widgets.events import Event, content_text


def _parent_namespace(checkpoint_ns: str | None) -> str:
    """`a:1|b:2` (the emitting node's own namespace) -> `a:1` (the graph it runs in)."""
    if not checkpoint_ns:
        return ""
    return checkpoint_ns.rpartition("|")[0]


@dataclass(slots=True)
class StreamedMessage:
    """One LLM message as it streamed: its pieces, where it came from, and when."""

    id: str
    namespace: str
    node: str | None
    tags: tuple[str, ...]
    step: int | None
    type: str | None
    first_seq: int
    first_time: float
    last_seq: int = 0
    last_time: float = 0.0
    complete: bool = False
    pieces: list[str] = field(default_factory=list)
    piece_seqs: list[int] = field(default_factory=list)
    piece_times: list[float] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    tool_calls: list[Any] = field(default_factory=list)
    source: str = "messages"

    @property
    def text(self) -> str:
        if len(self.pieces) > 1:  # join once, keep the result: O(n) over the run
            self.pieces[:] = ["".join(self.pieces)]
        return self.pieces[0] if self.pieces else ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "namespace": self.namespace,
            "node": self.node,
            "tags": list(self.tags),
            "step": self.step,
            "type": self.type,
            "text": self.text,
            "chunks": len(self.piece_seqs),
            "complete": self.complete,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "first_time": self.first_time,
            "last_time": self.last_time,
            "tool_calls": self.tool_calls,
        }


class TokenReducer:
    """Folds message events into `StreamedMessage`s, in order of first appearance."""

    def __init__(self) -> None:
        self.messages: dict[str, StreamedMessage] = {}
        self._pending_metadata: dict[str, dict[str, Any]] = {}

    def apply(self, event: Event) -> StreamedMessage | None:
        """Fold one event; returns the message it touched, if any."""
        if event.mode == "messages":
            data = event.data
            if isinstance(data, list) and len(data) == 2 and isinstance(data[0], dict):
                return self._add(event, data[0], data[1] or {}, delta=True)
        elif event.mode == "messages/metadata" and isinstance(event.data, dict):
            for message_id, info in event.data.items():
                self._pending_metadata[message_id] = (info or {}).get("metadata", {})
        elif event.mode in ("messages/partial", "messages/complete"):
            touched = None
            for chunk in event.data or []:
                if isinstance(chunk, dict):
                    metadata = self._pending_metadata.get(chunk.get("id", ""), {})
                    touched = self._add(event, chunk, metadata, delta=False)
                    if event.mode == "messages/complete" and touched:
                        touched.complete = True
            return touched
        elif event.mode == "events":
            data = event.data
            if isinstance(data, dict) and data.get("event") == "on_chat_model_stream":
                chunk = (data.get("data") or {}).get("chunk")
                if isinstance(chunk, dict):
                    tags = [t for t in data.get("tags") or () if not t.startswith("seq:step:")]
                    metadata = {**(data.get("metadata") or {}), "tags": tags}
                    return self._add(event, chunk, metadata, delta=True, source="events")
        return None

    def _add(
        self,
        event: Event,
        chunk: dict[str, Any],
        metadata: dict[str, Any],
        *,
        delta: bool,
        source: str = "messages",
    ) -> StreamedMessage | None:
        message_id = chunk.get("id") or f"seq-{event.seq}"
        message = self.messages.get(message_id)
        if message is not None and message.source != source:
            return None  # the same message, already followed through another mode
        if message is None:
            namespace = (
                event.namespace_str
                if delta and source == "messages"
                else _parent_namespace(metadata.get("langgraph_checkpoint_ns"))
            )
            message = StreamedMessage(
                id=message_id,
                source=source,
                namespace=namespace,
                node=metadata.get("langgraph_node"),
                tags=tuple(metadata.get("tags") or ()),
                step=metadata.get("langgraph_step"),
                type=chunk.get("type"),
                first_seq=event.seq,
                first_time=event.time,
                metadata=metadata,
            )
            self.messages[message_id] = message
        text = content_text(chunk.get("content"))
        if not delta:  # accumulated content: keep only what is new
            text = text[len(message.text) :] if text.startswith(message.text) else text
        if text:
            message.pieces.append(text)
            message.piece_seqs.append(event.seq)
            message.piece_times.append(event.time)
        message.last_seq, message.last_time = event.seq, event.time
        chunk_type = chunk.get("type")
        if chunk.get("chunk_position") == "last" or (chunk_type and "Chunk" not in chunk_type):
            message.complete = True
        if chunk.get("tool_calls"):
            message.tool_calls = chunk["tool_calls"]
        return message

    def select(
        self,
        *,
        node: str | Iterable[str] | None = None,
        namespace: str | Iterable[str] | None = None,
        tags: str | Iterable[str] | None = None,
    ) -> list[StreamedMessage]:
        """Messages from any of the given nodes / namespaces, carrying all of the given tags."""
        nodes = _as_set(node)
        namespaces = _as_set(namespace)
        wanted_tags = _as_set(tags)
        return [
            m
            for m in self.messages.values()
            if (nodes is None or m.node in nodes)
            and (namespaces is None or m.namespace in namespaces)
            and (wanted_tags is None or wanted_tags <= set(m.tags))
        ]

    def text_by_source(self) -> dict[tuple[str, str | None], str]:
        """`{(namespace, node): text}`; messages of one node are separated by a blank line."""
        grouped: dict[tuple[str, str | None], list[str]] = {}
        for message in self.messages.values():
            grouped.setdefault((message.namespace, message.node), []).append(message.text)
        return {source: "\n\n".join(texts) for source, texts in grouped.items()}


def _as_set(value: str | Iterable[str] | None) -> set[str] | None:
    if value is None:
        return None
    return {value} if isinstance(value, str) else set(value)

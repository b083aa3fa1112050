"""`RunSync`: what the front end has received so far, and the delta that brings it up to date.

Why: jupyter_server silently drops IOPub messages above 1000/s, and a token stream alone reaches
2.5k events/s, so nothing is sent per event. Text is tracked by length per message id, so a piece
is sent exactly once; rows by count; the tree when its shape or a status changed (mere counts
and times once a second). Pure bookkeeping over the run's read model (no widget, no I/O), so it
is tested with a fake sink.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lg_widgets.view.wire import (
    Delta,
    GraphInfo,
    Header,
    MessageInfo,
    MessageUpdate,
    NodeActivity,
    Snapshot,
    TimelineRow,
    event_row,
    graph_info,
    jsonable,
    message_info,
    message_update,
    node_activity,
    timeline_row,
)

if TYPE_CHECKING:
    from lg_widgets.reducers.graph import GraphModel
    from lg_widgets.reducers.messages import StreamedMessage
    from lg_widgets.run.model import Run

EVENTS_TAIL = 100  # event rows kept in the snapshot for a view with no kernel behind it
TREE_COUNTS_INTERVAL_S = 1.0


@dataclass(slots=True)
class _Sent:
    """What the front end has of one message."""

    key: str  # its short handle on the wire (`MessageInfo.key`)
    last_seq: int = -2
    complete: bool = False
    info: MessageInfo | None = None
    text: int = 0
    reasoning: int = 0
    args: dict[str, int] = field(default_factory=dict)  # call index -> characters sent


@dataclass(slots=True)
class _MessageChanges:
    infos: list[MessageInfo] = field(default_factory=list)  # new to the front end
    updates: list[MessageUpdate] = field(default_factory=list)  # known: what changed
    text: dict[str, str] = field(default_factory=dict)
    reasoning: dict[str, str] = field(default_factory=dict)
    tool_args: dict[str, dict[str, str]] = field(default_factory=dict)


def _shown_text(message: StreamedMessage) -> str:
    """The LLM's text for an AI message; the content for others (a tool's result, the input)."""
    return message.text if message.role == "ai" else message.content_text


def _append(out: dict[str, str], full: str, seen: _Sent, kind: str) -> None:
    """Put the part of `full` the front end does not have yet into `out` (each piece once)."""
    sent = getattr(seen, kind)
    if len(full) > sent:
        out[seen.key] = full[sent:]
        setattr(seen, kind, len(full))


class RunSync:
    def __init__(self, run: Run) -> None:
        self.run = run
        self._seen: dict[str, _Sent] = {}
        self._keys: dict[str, str] = {}  # message id -> its key, kept across snapshots
        self._rows: list[TimelineRow] = []
        self._tree: Any = None
        self._tree_shape: Any = None
        self._tree_sent_at = float("-inf")
        self._header: Header | None = None
        self._counts: dict[str, int] = {}
        self._seen_events = 0
        self._seen_modes = 0
        self._graph_model: GraphModel | None = None
        self._graph_info: GraphInfo | None = None
        self._activity_version = -1
        self._activity: dict[str, NodeActivity] = {}

    def note(self, mode: str) -> None:
        """Count one event of `mode` (O(1))."""
        self._counts[mode] = self._counts.get(mode, 0) + 1

    # ---- pieces -------------------------------------------------------------------------------
    def header(self) -> Header:
        run = self.run
        return {
            "assistant_id": run.assistant_id,
            "thread_id": run.thread_id,
            "run_id": run.run_id,
            "status": run.status,  # type: ignore[typeddict-item]
            "error": run.error,
            "interrupts": jsonable(run.interrupts),
            "started_at": run.started_at,
            "ended_at": run.ended_at,
            "stream_mode": list(run.stream_mode or []),
            "live": not run.done and run.ended_at is None,
            # e.g. a failed server-side cancel or a view listener that raised: shown, not lost
            "warnings": list(run.warnings),
            "reconnect_attempt": run.reconnect_attempt,
            # a break resumed within one flush never shows as "reconnecting": the count stays
            "reconnects": len(run.reconnects),
        }

    def _new_rows(self) -> list[TimelineRow]:
        rows = self.run.state.timeline.rows
        start = len(self._rows)
        fresh = [timeline_row(start + i, row) for i, row in enumerate(rows[start:])]
        self._rows.extend(fresh)
        return fresh

    def _messages(self, only_new: bool) -> _MessageChanges:
        """What changed in the messages: infos (new or changed) and appended text pieces.

        Only messages that saw an event since the last flush are looked at closely (their
        `last_seq` moved), so a flush costs O(messages) int compares plus the changed ones.
        """
        changes = _MessageChanges()
        for message in self.run.streamed_messages:
            seen = self._seen.get(message.id)
            unchanged = seen is not None and (seen.last_seq, seen.complete) == (
                message.last_seq,
                message.complete,
            )
            if only_new and unchanged:
                continue
            if seen is None or not only_new:
                key = self._keys.setdefault(message.id, _key(len(self._keys)))
                seen = self._seen[message.id] = _Sent(key)
            seen.last_seq, seen.complete = message.last_seq, message.complete
            info = message_info(message, seen.key)
            if seen.info is None:
                changes.infos.append(info)
            else:
                update = message_update(seen.info, info)
                if update is not None:
                    changes.updates.append(update)
            seen.info = info
            _append(changes.text, _shown_text(message), seen, "text")
            _append(changes.reasoning, message.reasoning, seen, "reasoning")
            for call in message.tool_calls:
                index = str(call["index"]) if isinstance(call["index"], int) else call["id"]
                args = call["args_text"]
                sent = seen.args.get(index, 0)
                if len(args) > sent:
                    changes.tool_args.setdefault(seen.key, {})[index] = args[sent:]
                    seen.args[index] = len(args)
        return changes

    # ---- what goes on the wire -----------------------------------------------------------------
    def delta(self, seq: int) -> Delta | None:
        """Everything new since the last delta or snapshot, or None when nothing changed."""
        out: Delta = {"type": "delta", "seq": seq}
        changes = self._messages(only_new=True)
        if changes.infos:
            out["messages"] = changes.infos
        if changes.updates:
            out["message_updates"] = changes.updates
        if changes.text:
            out["text"] = changes.text
        if changes.reasoning:
            out["reasoning"] = changes.reasoning
        if changes.tool_args:
            out["tool_args"] = changes.tool_args
        rows = self._new_rows()
        if rows:
            out["rows"] = rows
        tree = self._tree_update()
        if tree is not None:
            out["tree"] = tree
        header = self.header()
        if header != self._header:
            out["header"] = self._header = header
        if self._counts_due(with_tree=tree is not None):
            out["counts"] = dict(self._counts)
        graph, activity = self._graph_update()
        if graph is not None:
            out["graph"] = graph
        if activity:
            out["graph_activity"] = activity
        return out if len(out) > 2 else None

    def _graph_update(self) -> tuple[GraphInfo | None, list[NodeActivity]]:
        """The graph once it has been fetched, then the nodes whose activity changed. Projected
        only when the activity changed since the last flush: O(nodes) per flush, not per event."""
        model = self.run.graph_model
        if model is None:
            return None, []
        fresh = model is not self._graph_model
        activity = self.run.state.graph
        if not fresh and activity.version == self._activity_version:
            return None, []
        if fresh:
            self._graph_model, self._graph_info, self._activity = model, graph_info(model), {}
        self._activity_version = activity.version
        changed = []
        for node_id, entry in activity.project(model).items():
            if node_id not in model.drawn_ids:
                continue
            record = node_activity(entry)
            if self._activity.get(node_id) != record:
                self._activity[node_id] = record
                changed.append(record)
        return (self._graph_info if fresh else None), changed

    def _tree_update(self) -> dict[str, Any] | None:
        tree = self.run.tree
        if tree == self._tree:
            return None
        now = time.monotonic()
        shape = _tree_shape(tree)
        if shape == self._tree_shape and now - self._tree_sent_at < TREE_COUNTS_INTERVAL_S:
            return None
        self._tree, self._tree_shape, self._tree_sent_at = tree, shape, now
        return tree

    def _counts_due(self, *, with_tree: bool) -> bool:
        """The event counts changed and go out: with the tree (whose own counts refresh once a
        second), for a new mode, or at the run's end; not with every delta, where they were
        ~30 B a delta, a fifth of a tool-call stream's arguments. Marks them as sent."""
        total = sum(self._counts.values())
        if total == self._seen_events:
            return False
        if not with_tree and len(self._counts) == self._seen_modes and self.run.ended_at is None:
            return False
        self._seen_events, self._seen_modes = total, len(self._counts)
        return True

    def snapshot(self, seq: int) -> Snapshot:
        """The complete view state as of delta `seq`; also marks everything in it as sent."""
        changes = self._messages(only_new=False)
        infos = changes.infos
        for info in infos:
            key = info["key"]
            info["text"] = changes.text.get(key, "")
            if key in changes.reasoning:
                info["reasoning"] = changes.reasoning[key]
            args = changes.tool_args.get(key, {})
            for call in info["tool_calls"]:
                call["args_text"] = args.get(str(call["index"]), "")
        self._new_rows()
        self._tree = self.run.tree
        self._tree_shape = _tree_shape(self._tree)
        self._header = self.header()
        self._seen_events, self._seen_modes = sum(self._counts.values()), len(self._counts)
        self._graph_update()
        tail = self.run.events_between(max(0, self.run.event_count - EVENTS_TAIL))
        return {
            "seq": seq,
            "header": self._header,
            "messages": infos,
            "rows": self._rows,
            "tree": self._tree,
            "counts": dict(self._counts),
            "events_tail": [event_row(e) for e in tail],
            "graph": self._graph_info,
            "graph_activity": list(self._activity.values()),
        }


def _key(number: int) -> str:
    """A message's short handle: its number in base 36."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, digit = divmod(number, 36)
        out = digits[digit] + out
        if not number:
            return out


def _tree_shape(tree: dict[str, Any]) -> Any:
    """The tree without what changes on every event (event counts, last-seen time)."""
    if not tree:
        return None
    return (
        tree["namespace"],
        tree["status"],
        tuple(tree["nodes"]),
        tuple(_tree_shape(child) for child in tree["children"]),
    )

"""`RunSync`: what the front end has received so far, and the delta that brings it up to date.

Why: jupyter_server silently drops IOPub messages above 1000/s, and a token stream alone reaches
2.5k events/s, so nothing is sent per event. Text is tracked by length per message id, so a piece
is sent exactly once; rows by count; the tree when its shape or a status changed (mere counts
and times once a second). Pure bookkeeping over the run's read model (no widget, no I/O), so it
is tested with a fake sink.

A view shows a chain of runs on one thread (a resume, a fork, the next run a follower saw):
`continue_with(run)` keeps what was sent and goes on with the new run. Rows and events get a
global index across the chain (`Chain` maps it back to a run and its own index); a delta still
reads only the run the view follows now, so a flush stays O(what changed in it).
"""

from __future__ import annotations

import itertools
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
    ThreadRun,
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
    from lg_widgets.events import Event
    from lg_widgets.reducers.graph import GraphModel
    from lg_widgets.reducers.messages import StreamedMessage
    from lg_widgets.run.model import Run

PYTHON_ORIGIN = "python"  # a run started from the Python API (as %lgruns lists it)
EVENTS_TAIL = 100  # event rows kept in the snapshot for a view with no kernel behind it
TREE_COUNTS_INTERVAL_S = 1.0


@dataclass(slots=True)
class _Sent:
    """What the front end has of one message."""

    run: int = 0  # the position in the chain of the run whose message this is
    key: str = ""  # its short handle on the wire (`MessageInfo.key`)
    last_seq: int = -2
    complete: bool = False
    info: MessageInfo | None = None
    text: int = 0
    reasoning: int = 0
    args: dict[str, int] = field(default_factory=dict)  # call index -> characters sent


@dataclass(slots=True)
class _MessageChanges:
    infos: dict[str, MessageInfo] = field(default_factory=dict)  # new ones, by wire id, in order
    updates: list[MessageUpdate] = field(default_factory=list)  # known ones: what changed
    text: dict[str, str] = field(default_factory=dict)
    reasoning: dict[str, str] = field(default_factory=dict)
    tool_args: dict[str, dict[str, str]] = field(default_factory=dict)


def _shown_text(message: StreamedMessage) -> str:
    """The LLM's text for an AI message; the content for others (a tool's result, the input,
    what a framework wrote in an agent's name)."""
    return message.text if message.role == "ai" and not message.synthetic else message.content_text


def _append(out: dict[str, str], message_id: str, full: str, seen: _Sent, kind: str) -> None:
    """Put the part of `full` the front end does not have yet into `out` (each piece once)."""
    sent = getattr(seen, kind)
    if len(full) > sent:
        out[message_id] = full[sent:]
        setattr(seen, kind, len(full))


class Chain:
    """The runs a view shows, oldest first, and where each one's rows and events start in the
    view's global numbering."""

    def __init__(self, run: Run) -> None:
        self.runs: list[Run] = [run]
        self.row_bases: list[int] = [0]
        self.event_bases: list[int] = [0]

    @property
    def run(self) -> Run:
        """The run the view follows now (the last of the chain)."""
        return self.runs[-1]

    def append(self, run: Run) -> None:
        last = self.runs[-1]
        self.row_bases.append(self.row_bases[-1] + len(last.state.timeline.rows))
        self.event_bases.append(self.event_bases[-1] + last.event_count)
        self.runs.append(run)

    @property
    def row_count(self) -> int:
        return self.row_bases[-1] + len(self.run.state.timeline.rows)

    @property
    def event_count(self) -> int:
        return self.event_bases[-1] + self.run.event_count

    def locate_row(self, index: int) -> tuple[int, int] | None:
        """`(position in the chain, the run's own row index)` of global row `index`."""
        return _locate(index, self.row_bases, [len(r.state.timeline.rows) for r in self.runs])

    def locate_event(self, seq: int) -> tuple[int, int] | None:
        return _locate(seq, self.event_bases, [r.event_count for r in self.runs])

    def events(self, start: int, stop: int) -> list[tuple[int, Event]]:
        """`(global seq, event)` for the global range [start, stop), across runs."""
        out: list[tuple[int, Event]] = []
        for run, base in zip(self.runs, self.event_bases, strict=True):
            lo, hi = max(start - base, 0), min(stop - base, run.event_count)
            out.extend((base + e.seq, e) for e in run.events_between(lo, hi))
        return out

    def threads_runs(self) -> list[ThreadRun]:
        return [
            {
                "run_id": run.run_id,
                "status": run.status,  # type: ignore[typeddict-item]
                "origin": run.origin or PYTHON_ORIGIN,
                "started_at": run.started_at,
            }
            for run in self.runs
        ]


def _locate(index: int, bases: list[int], sizes: list[int]) -> tuple[int, int] | None:
    """The last run starting at or before `index` holds it, if it reaches that far (an
    empty run shares its base with the next one). Chains are a few runs long."""
    for position in range(len(bases) - 1, -1, -1):
        if bases[position] <= index:
            local = index - bases[position]
            return (position, local) if local < sizes[position] else None
    return None


class RunSync:
    def __init__(self, run: Run) -> None:
        self.chain = Chain(run)
        self._seen: dict[str, _Sent] = {}
        self._keys: dict[str, str] = {}  # wire id -> its key, kept across snapshots
        self._inputs: set[str] = set()  # earlier runs' input messages, by their state ids
        # tool call id -> when its arguments last grew: a result's latency starts there
        self._args_times: dict[str, float] = {}
        self._args_runs: dict[str, int] = {}  # tool call id -> the chain position of its call
        self._named = 0  # how much of the run's `timeline.named` log was read
        self._rows: list[TimelineRow] = []
        self._tree: Any = None
        self._tree_shape: Any = None
        self._tree_sent_at = float("-inf")
        self._header: Header | None = None
        self._seen_events = 0
        self._seen_modes = 0
        self._graph_model: GraphModel | None = None
        self._graph_info: GraphInfo | None = None
        self._activity_version = -1
        self._activity: dict[str, NodeActivity] = {}
        self._starts_seen = 0  # how many of the run's tool starts were sent

    @property
    def run(self) -> Run:
        return self.chain.run

    def counts(self) -> dict[str, int]:
        """Events per mode across the chain's runs (each run keeps its own as they come)."""
        runs = self.chain.runs
        if len(runs) == 1:
            return runs[0].event_counts()
        out: dict[str, int] = {}
        for run in runs:
            for mode, count in run.event_counts().items():
                out[mode] = out.get(mode, 0) + count
        return out

    def continue_with(self, run: Run) -> None:
        """Go on with `run` (the next run on the thread). Call it after the last delta of the
        run before: what that run has and was not sent yet is read from it no more."""
        self._new_rows()  # rows are numbered by what the front end has: none may be left out
        self._inputs |= self.run.state.messages.input_ids
        self._named = 0
        self.chain.append(run)
        self._activity_version = -1  # a new run: its activity is diffed against what was sent
        self._starts_seen = 0

    # ---- pieces -------------------------------------------------------------------------------
    def header(self) -> Header:
        run = self.run
        return {
            "assistant_id": run.assistant_id,
            "thread_id": run.thread_id,
            "run_id": run.run_id,
            "status": run.status,  # type: ignore[typeddict-item]
            "error": run.error,
            "interrupts": jsonable(run.interrupt_info),
            "started_at": run.started_at,
            "ended_at": run.ended_at,
            "stream_mode": list(run.stream_mode or []),
            "live": not run.done and run.ended_at is None,
            # e.g. a failed server-side cancel or a view listener that raised: shown, not lost
            "warnings": list(run.warnings),
            "reconnect_attempt": run.reconnect_attempt,
            # a break resumed within one flush never shows as "reconnecting": the count stays
            "reconnects": len(run.reconnects),
            "runs": self.chain.threads_runs(),
        }

    def _new_rows(self) -> list[TimelineRow]:
        chain = self.chain
        base, seq_base = chain.row_bases[-1], chain.event_bases[-1]
        rows = self.run.state.timeline.rows
        start = len(self._rows) - base
        fresh = [timeline_row(base + i, row, seq_base) for i, row in enumerate(rows[start:], start)]
        self._rows.extend(fresh)
        return fresh

    def _checkpoints(self) -> tuple[dict[str, str], dict[str, int]]:
        """Rows sent before they got their checkpoint (streamed after them, or matched from the
        history at the run's end): `{index: checkpoint_id}`, and the steps the history gave
        rows whose stream said none, `{index: step}`; the rows kept are updated too."""
        timeline, base = self.run.state.timeline, self.chain.row_bases[-1]
        named = timeline.named
        out: dict[str, str] = {}
        steps: dict[str, int] = {}
        for local in named[self._named :]:
            row, index = timeline.rows[local], base + local
            if index >= len(self._rows):
                continue
            sent = self._rows[index]
            if sent["checkpoint_id"] != row["checkpoint_id"]:
                sent["checkpoint_id"] = out[str(index)] = row["checkpoint_id"]
            if sent["step"] is None and row["step"] is not None:
                sent["step"] = steps[str(index)] = row["step"]
        self._named = len(named)
        return out, steps

    def _messages(self, only_new: bool) -> _MessageChanges:
        """What changed in the messages: infos (new or changed) and appended text pieces.

        Only messages that saw an event since the last flush are looked at closely (their
        `last_seq` moved), so a flush costs O(messages of the run followed now) int compares
        plus the changed ones. A snapshot reads every run of the chain.
        """
        changes = _MessageChanges()
        if only_new:
            position = len(self.chain.runs) - 1
            for message in self.run.streamed_messages:
                self._message(message, position, True, changes)
            return changes
        self._seen, self._inputs = {}, set()
        for position, run in enumerate(self.chain.runs):
            for message in run.streamed_messages:
                self._message(message, position, False, changes)
            if position < len(self.chain.runs) - 1:
                self._inputs |= run.state.messages.input_ids
        return changes

    def _message(
        self, message: StreamedMessage, position: int, only_new: bool, changes: _MessageChanges
    ) -> None:
        wire_id = message.id
        if message.id in self._inputs and message.source == "state":
            return  # an earlier run's input, shown then as `input-<i>`
        seen = self._seen.get(wire_id)
        if seen is not None and seen.run < position:
            if message.source == "state":
                return  # the thread's state repeats a message an earlier run showed: it stays
            wire_id = f"{message.id}~{position}"  # the same id streamed again: a message of its own
            seen = self._seen.get(wire_id)
        unchanged = seen is not None and (seen.last_seq, seen.complete) == (
            message.last_seq,
            message.complete,
        )
        if only_new and unchanged:
            return
        if seen is None or not only_new:
            key = self._keys.setdefault(wire_id, _key(len(self._keys)))
            seen = self._seen[wire_id] = _Sent(position, key)
        seen.last_seq, seen.complete = message.last_seq, message.complete
        calls = message.call_texts
        for call in calls:
            if call["id"]:
                self._args_times[call["id"]] = call["args_time"]
                self._args_runs[call["id"]] = position
        latency, waited = self._timing(message, position)
        owner = self._owner(message, position) if message.synthetic else None
        info = message_info(message, seen.key, calls, latency, waited, owner)
        info["id"] = wire_id
        if seen.info is None:  # new to the front end: whole
            changes.infos[wire_id] = info
        else:  # known: only what changed (a new call, the completion...)
            update = message_update(seen.info, info)
            if update is not None:
                changes.updates.append(update)
        seen.info = info
        _append(changes.text, seen.key, _shown_text(message), seen, "text")
        _append(changes.reasoning, seen.key, message.reasoning, seen, "reasoning")
        for call in calls:
            index = str(call["index"]) if isinstance(call["index"], int) else call["id"]
            args = call["args_text"]
            sent = seen.args.get(index, 0)
            if len(args) > sent:
                changes.tool_args.setdefault(seen.key, {})[index] = args[sent:]
                seen.args[index] = len(args)

    def _timing(self, message: StreamedMessage, position: int) -> tuple[float | None, float | None]:
        """A tool result's own time and the wait before its tool started, as `run.tool_calls`
        gives them (`AgentReducer.tool_timing`); its call may be in an earlier run of the chain
        (an approval)."""
        call_id = message.tool_call_id
        if message.role != "tool" or not call_id:
            return None, None
        timing = self.chain.runs[position].state.agents.tool_timing(
            call_id,
            self._args_times.get(call_id),
            message.first_time if message.complete else None,
            called_earlier=self._args_runs.get(call_id, position) < position,
        )
        return timing.latency, timing.waited

    def _owner(self, message: StreamedMessage, position: int) -> str | None:
        """The agent a framework wrote `message` for, as `run.messages` says it; O(1)."""
        agents = self.chain.runs[position].state.agents
        written = agents.written_for(message.metadata, [c["id"] for c in message.call_texts])
        return None if written is None else "|".join(written)

    def _tool_starts(self, only_new: bool) -> dict[str, float]:
        """Tools that started since the last flush (`only_new`), or every start of the chain:
        O(new starts) per flush, the reducer's dict being in the order they came."""
        if not only_new:
            out: dict[str, float] = {}
            for run in self.chain.runs:
                out.update(run.state.agents.tool_starts)
            self._starts_seen = len(self.run.state.agents.tool_starts)
            return out
        starts = self.run.state.agents.tool_starts
        if len(starts) == self._starts_seen:
            return {}
        fresh = dict(itertools.islice(starts.items(), self._starts_seen, None))
        self._starts_seen = len(starts)
        return fresh

    # ---- what goes on the wire -----------------------------------------------------------------
    def delta(self, seq: int) -> Delta | None:
        """Everything new since the last delta or snapshot, or None when nothing changed."""
        out: Delta = {"type": "delta", "seq": seq}
        changes = self._messages(only_new=True)
        if changes.infos:
            out["messages"] = list(changes.infos.values())
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
        checkpoints, steps = self._checkpoints()
        if checkpoints:
            out["checkpoints"] = checkpoints
        if steps:
            out["steps"] = steps
        tree = self._tree_update()
        if tree is not None:
            out["tree"] = tree
        header = self.header()
        if header != self._header:
            out["header"] = self._header = header
        counts = self.counts()
        if self._counts_due(counts, with_tree=tree is not None):
            out["counts"] = counts
        graph, activity = self._graph_update()
        if graph is not None:
            out["graph"] = graph
        if activity:
            out["graph_activity"] = activity
        starts = self._tool_starts(only_new=True)
        if starts:
            out["tool_starts"] = starts
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

    def _counts_due(self, counts: dict[str, int], *, with_tree: bool) -> bool:
        """The event counts changed and go out: with the tree (whose own counts refresh once a
        second), for a new mode, or at the run's end; not with every delta, where they were
        ~30 B a delta, a fifth of a tool-call stream's arguments. Marks them as sent."""
        total = sum(counts.values())
        if total == self._seen_events:
            return False
        if not with_tree and len(counts) == self._seen_modes and self.run.ended_at is None:
            return False
        self._seen_events, self._seen_modes = total, len(counts)
        return True

    def snapshot(self, seq: int) -> Snapshot:
        """The complete view state as of delta `seq`; also marks everything in it as sent."""
        changes = self._messages(only_new=False)
        infos = list(changes.infos.values())
        for info in infos:
            key = info["key"]
            info["text"] = changes.text.get(key, "")
            if key in changes.reasoning:
                info["reasoning"] = changes.reasoning[key]
            args = changes.tool_args.get(key, {})
            for call in info["tool_calls"]:
                call["args_text"] = args.get(str(call["index"]), "")
        self._new_rows()
        self._checkpoints()  # the rows kept (sent whole below) take them
        self._tree = self.run.tree
        self._tree_shape = _tree_shape(self._tree)
        self._header = self.header()
        counts = self.counts()
        self._seen_events, self._seen_modes = sum(counts.values()), len(counts)
        self._graph_update()
        total = self.chain.event_count
        tail = self.chain.events(max(0, total - EVENTS_TAIL), total)
        return {
            "seq": seq,
            "header": self._header,
            "messages": infos,
            "rows": self._rows,
            "tree": self._tree,
            "counts": counts,
            "events_tail": [event_row(e, seq) for seq, e in tail],
            "graph": self._graph_info,
            "graph_activity": list(self._activity.values()),
            "tool_starts": self._tool_starts(only_new=False),
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
    """The tree without what changes on every event (event and token counts, last-seen time):
    a new agent's name or link goes out at once."""
    if not tree:
        return None
    return (
        tree["namespace"],
        tree["status"],
        tree.get("agent"),
        tree.get("tool_call_id"),
        bool(tree.get("handoff")),
        tree.get("left_out"),
        tuple(tree["nodes"]),
        tuple(_tree_shape(child) for child in tree["children"]),
    )

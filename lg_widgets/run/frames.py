"""The run's pandas DataFrames, built on access from the reducers' rows and the event log.

Kept apart from the read model so that per-event work stays in the reducers (O(1) each) and
all pandas work happens here, once per access, cached by the run until new events arrive. The
functions take the pieces they read, not the run, so this module knows nothing of `Run`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from lg_widgets.events import Event, event_node, namespace_key, token_text
from lg_widgets.reducers.agents import AgentReducer
from lg_widgets.reducers.messages import StreamedMessage
from lg_widgets.reducers.timeline import BASE_COLUMNS, TimelineReducer
from lg_widgets.reducers.tree import TreeReducer

EventAt = Callable[[int], Event]
AgentOf = Callable[[str], str]  # a "|"-joined namespace -> the agent running there


def agent_namer(reducer: AgentReducer) -> AgentOf:
    """`AgentReducer.agent_of` for the namespace strings of messages and rows, cached per
    namespace for one frame's build."""
    names: dict[str, str] = {}

    def agent_of(namespace: str) -> str:
        name = names.get(namespace)
        if name is None:
            name = names[namespace] = reducer.agent_of(namespace_key(namespace))
        return name

    return agent_of


def owners(messages: Sequence[StreamedMessage], agents: AgentReducer) -> dict[str, str]:
    """The namespace of the agent each message belongs to, by message id: its own namespace,
    but for a tool's result (the agent whose call it answers) and for what a framework wrote in
    an agent's name (the agent of the node that wrote it, which the message streamed above, or
    where nothing streamed above it, the agent whose hand-back it announces)."""
    owner: dict[str, str] = {}
    callers: dict[str, str] = {}
    for message in messages:
        where = message.namespace
        if message.synthetic:
            written = agents.written_for(message.metadata, [c["id"] for c in message.tool_calls])
            if written is not None:
                where = "|".join(written)
        if message.role == "tool" and message.tool_call_id in callers:
            where = callers[message.tool_call_id]
        owner[message.id] = where
        if message.role == "ai":
            for call in message.tool_calls:
                if call["id"]:
                    callers[call["id"]] = where
    return owner


def _to_datetime(seconds: pd.Series) -> pd.Series:
    return pd.to_datetime(seconds, unit="s", utc=True)


def _none_for_missing(frame: pd.DataFrame, *columns: str) -> None:
    """Text columns say None where there is nothing (pandas turns a None among strings into
    NaN when it builds a frame from records)."""
    for column in columns:
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)


def _elapsed(frame: pd.DataFrame, started_at: float) -> pd.Series:
    if frame.empty:
        return pd.Series([], dtype="float64")
    return (frame["time"] - _to_datetime(pd.Series([started_at]))[0]).dt.total_seconds()


def timeline(reducer: TimelineReducer, started_at: float, agent_of: AgentOf) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(reducer.rows, columns=[*BASE_COLUMNS, *reducer.state_keys])
    frame["time"] = _to_datetime(frame["time"])
    frame.insert(2, "elapsed", _elapsed(frame, started_at))
    frame.insert(5, "agent", frame["namespace"].map(agent_of).astype(object))
    frame["step"] = frame["step"].astype("Int64")
    return frame


def events(log: Sequence[Event], started_at: float) -> pd.DataFrame:
    records = [(e.seq, e.time, e.mode, e.namespace_str, event_node(e), e.id, e.data) for e in log]
    frame = pd.DataFrame.from_records(
        records, columns=["seq", "time", "mode", "namespace", "node", "id", "data"]
    )
    frame["time"] = _to_datetime(frame["time"])
    frame.insert(2, "elapsed", _elapsed(frame, started_at))
    return frame


def tokens(
    messages: Sequence[StreamedMessage], event_at: EventAt, agent_of: AgentOf
) -> pd.DataFrame:
    records = []
    for message in messages:
        agent = agent_of(message.namespace)
        for seq, when, text in zip(
            message.piece_seqs, message.piece_times, _chunk_texts(event_at, message), strict=False
        ):
            records.append(
                (
                    seq,
                    when,
                    message.namespace,
                    agent,
                    message.node,
                    message.id,
                    message.step,
                    message.tags,
                    text,
                )
            )
    records.sort(key=lambda r: r[0])
    frame = pd.DataFrame.from_records(
        records,
        columns=["seq", "time", "namespace", "agent", "node", "message_id", "step", "tags", "text"],
    )
    frame["time"] = _to_datetime(frame["time"])
    frame["step"] = frame["step"].astype("Int64")
    return frame


def _chunk_texts(event_at: EventAt, message: StreamedMessage) -> list[str]:
    """The text of each chunk, read back from the event log (the reducers keep joined text)."""
    texts = []
    previous = ""
    for seq in message.piece_seqs:
        event = event_at(seq)
        if event.mode in ("values", "updates"):  # a whole message of the state: one piece
            texts.append(message.text)
            continue
        text = token_text(event, message.id)
        if event.mode in ("messages/partial", "messages/complete"):  # accumulated: keep the new
            text, previous = (text[len(previous) :] if text.startswith(previous) else text), text
        texts.append(text)
    return texts


TOOL_CALL_COLUMNS = [
    "id", "name", "args", "args_text", "valid_args", "agent", "subagent", "node", "namespace",
    "step", "message_id", "called_at", "started_at", "finished_at", "result", "status",
    "waited", "latency",
]  # fmt: skip


def tool_calls(
    messages: Sequence[StreamedMessage], agents: AgentReducer, agent_of: AgentOf
) -> pd.DataFrame:
    """One row per tool call, joined to the tool message that answered it (`tool_call_id`),
    to the agent that made it and to the agent it started (`subagent`, a namespace)."""
    results = {m.tool_call_id: m for m in messages if m.role == "tool" and m.tool_call_id}
    started = agents.subagents()
    owner = owners(messages, agents)
    records = []
    for message in messages:
        if message.role != "ai":
            continue
        agent = agent_of(owner[message.id])
        for call in message.tool_calls:
            result = results.get(call["id"])
            subagent = started.get(call["id"])
            answered = result.first_time if result is not None and result.complete else None
            timing = agents.tool_timing(call["id"], call["args_time"], answered)
            records.append(
                (
                    call["id"], call["name"], call["args"], call["args_text"], call["valid_args"],
                    agent, None if subagent is None else "|".join(subagent),
                    message.node, message.namespace, message.step, message.id,
                    call["first_time"], timing.started_at, timing.finished_at,
                    result.content_text if result else None,
                    result.status if result else None,
                    timing.waited, timing.latency,
                )
            )  # fmt: skip
    frame = pd.DataFrame.from_records(records, columns=TOOL_CALL_COLUMNS)
    _none_for_missing(frame, "subagent")
    frame["called_at"] = _to_datetime(frame["called_at"])
    frame["started_at"] = _to_datetime(frame["started_at"].astype("float64"))
    frame["finished_at"] = _to_datetime(frame["finished_at"].astype("float64"))
    frame["step"] = frame["step"].astype("Int64")
    frame["waited"] = frame["waited"].astype("float64")
    frame["latency"] = frame["latency"].astype("float64")
    return frame


USAGE_COLUMNS = [
    "agent", "model", "node", "messages", "input_tokens", "output_tokens", "total_tokens",
]  # fmt: skip


def usage(messages: Sequence[StreamedMessage], agent_of: AgentOf) -> pd.DataFrame:
    """Token usage summed per (agent, model, node) over the messages whose provider reported
    it."""
    totals: dict[tuple[str, str | None, str | None], list[int]] = {}
    for message in messages:
        reported = message.usage
        if not reported:
            continue
        metadata = message.response_metadata
        model = metadata.get("model_name") or metadata.get("model")
        row = totals.setdefault((agent_of(message.namespace), model, message.node), [0, 0, 0, 0])
        row[0] += 1
        for i, key in enumerate(("input_tokens", "output_tokens", "total_tokens"), start=1):
            row[i] += int(reported.get(key) or 0)
    records = [(*key, *counts) for key, counts in totals.items()]
    return pd.DataFrame.from_records(records, columns=USAGE_COLUMNS)


AGENT_COLUMNS = [
    "agent", "namespace", "parent", "cause", "tool_call_id", "status", "started_at",
    "ended_at", "seconds", "messages", "tool_calls", "input_tokens", "output_tokens",
    "total_tokens", "node", "events",
]  # fmt: skip


def agents(
    reducer: AgentReducer, tree: TreeReducer, messages: Sequence[StreamedMessage]
) -> pd.DataFrame:
    """One row per agent instance (namespace), oldest first: who it is, what started it, its
    status and times from the namespace tree, and what its own messages hold."""
    counts: dict[str, list[int]] = {}  # namespace -> messages, calls, tokens in / out / total
    owner = owners(messages, reducer)
    for message in messages:
        if message.input:
            continue
        row = counts.setdefault(owner[message.id], [0, 0, 0, 0, 0])
        row[0] += 1
        if message.role == "ai" and not message.synthetic:
            row[1] += len(message.tool_calls)
        for i, key in enumerate(("input_tokens", "output_tokens", "total_tokens"), start=2):
            row[i] += int((message.usage or {}).get(key) or 0)
    records = []
    for instance in sorted(reducer.instances.values(), key=lambda i: i.first_seq):
        namespace = "|".join(instance.namespace)
        node = tree.node(instance.namespace)
        status = node.status if node else "running"
        started = node.first_time if node else None
        ended = node.last_time if node and status != "running" else None
        parent = instance.parent
        records.append(
            (
                instance.agent, namespace, None if parent is None else "|".join(parent),
                instance.cause, instance.tool_call_id, status, started, ended,
                None if ended is None or started is None else ended - started,
                *counts.get(namespace, (0, 0, 0, 0, 0)), instance.node, node.events if node else 0,
            )
        )  # fmt: skip
    frame = pd.DataFrame.from_records(records, columns=AGENT_COLUMNS)
    _none_for_missing(frame, "parent", "tool_call_id")
    frame["started_at"] = _to_datetime(frame["started_at"].astype("float64"))
    frame["ended_at"] = _to_datetime(frame["ended_at"].astype("float64"))
    frame["seconds"] = frame["seconds"].astype("float64")
    return frame


HANDOFF_COLUMNS = [
    "from_agent", "to_agent", "tool", "tool_call_id", "from_namespace", "to_namespace",
    "synthetic", "seq", "time",
]  # fmt: skip


def handoffs(reducer: AgentReducer) -> pd.DataFrame:
    """One row per handoff between agents, in the order they happened."""
    records = [
        (
            h.from_agent, h.to_agent, h.tool, h.tool_call_id,
            None if h.from_namespace is None else "|".join(h.from_namespace),
            None if h.to_namespace is None else "|".join(h.to_namespace),
            h.synthetic, h.seq, h.time,
        )
        for h in reducer.handoffs
    ]  # fmt: skip
    frame = pd.DataFrame.from_records(records, columns=HANDOFF_COLUMNS)
    _none_for_missing(frame, "from_agent", "to_agent", "tool", "tool_call_id")
    _none_for_missing(frame, "from_namespace", "to_namespace")
    frame["time"] = _to_datetime(frame["time"].astype("float64"))
    return frame

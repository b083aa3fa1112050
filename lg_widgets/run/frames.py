"""The run's pandas DataFrames, built on access from the reducers' rows and the event log.

Kept apart from the read model so that per-event work stays in the reducers (O(1) each) and
all pandas work happens here, once per access, cached by the run until new events arrive. The
functions take the pieces they read, not the run, so this module knows nothing of `Run`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from lg_widgets.events import Event, event_node, token_text
from lg_widgets.reducers.messages import StreamedMessage
from lg_widgets.reducers.timeline import BASE_COLUMNS, TimelineReducer

EventAt = Callable[[int], Event]


def _to_datetime(seconds: pd.Series) -> pd.Series:
    return pd.to_datetime(seconds, unit="s", utc=True)


def _elapsed(frame: pd.DataFrame, started_at: float) -> pd.Series:
    if frame.empty:
        return pd.Series([], dtype="float64")
    return (frame["time"] - _to_datetime(pd.Series([started_at]))[0]).dt.total_seconds()


def timeline(reducer: TimelineReducer, started_at: float) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(reducer.rows, columns=[*BASE_COLUMNS, *reducer.state_keys])
    frame["time"] = _to_datetime(frame["time"])
    frame.insert(2, "elapsed", _elapsed(frame, started_at))
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


def tokens(messages: Sequence[StreamedMessage], event_at: EventAt) -> pd.DataFrame:
    records = []
    for message in messages:
        for seq, when, text in zip(
            message.piece_seqs, message.piece_times, _chunk_texts(event_at, message), strict=False
        ):
            records.append(
                (
                    seq,
                    when,
                    message.namespace,
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
        columns=["seq", "time", "namespace", "node", "message_id", "step", "tags", "text"],
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
    "id", "name", "args", "args_text", "valid_args", "node", "namespace", "step", "message_id",
    "called_at", "result", "status", "latency",
]  # fmt: skip


def tool_calls(messages: Sequence[StreamedMessage]) -> pd.DataFrame:
    """One row per tool call, joined to the tool message that answered it (`tool_call_id`)."""
    results = {m.tool_call_id: m for m in messages if m.role == "tool" and m.tool_call_id}
    records = []
    for message in messages:
        if message.role != "ai":
            continue
        for call in message.tool_calls:
            result = results.get(call["id"])
            records.append(
                (
                    call["id"], call["name"], call["args"], call["args_text"], call["valid_args"],
                    message.node, message.namespace, message.step, message.id,
                    call["first_time"],
                    result.content_text if result else None,
                    result.status if result else None,
                    result.first_time - call["args_time"] if result else None,
                )
            )  # fmt: skip
    frame = pd.DataFrame.from_records(records, columns=TOOL_CALL_COLUMNS)
    frame["called_at"] = _to_datetime(frame["called_at"])
    frame["step"] = frame["step"].astype("Int64")
    frame["latency"] = frame["latency"].astype("float64")
    return frame


USAGE_COLUMNS = ["model", "node", "messages", "input_tokens", "output_tokens", "total_tokens"]


def usage(messages: Sequence[StreamedMessage]) -> pd.DataFrame:
    """Token usage summed per (model, node) over the messages whose provider reported it."""
    totals: dict[tuple[str | None, str | None], list[int]] = {}
    for message in messages:
        reported = message.usage
        if not reported:
            continue
        model = message.response_metadata.get("model_name") or message.response_metadata.get(
            "model"
        )
        row = totals.setdefault((model, message.node), [0, 0, 0, 0])
        row[0] += 1
        for i, key in enumerate(("input_tokens", "output_tokens", "total_tokens"), start=1):
            row[i] += int(reported.get(key) or 0)
    records = [(model, node, *counts) for (model, node), counts in totals.items()]
    return pd.DataFrame.from_records(records, columns=USAGE_COLUMNS)

"""The run's pandas DataFrames, built on access from the reducers' rows and the event log.

Kept apart from the read model so that per-event work stays in the reducers (O(1) each) and
all pandas work happens here, once per access, cached by the run until new events arrive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from lg_widgets.events import event_node, token_text
from lg_widgets.reducers.timeline import BASE_COLUMNS
from lg_widgets.reducers.tokens import StreamedMessage

if TYPE_CHECKING:
    from lg_widgets.run.model import Run


def _to_datetime(seconds: pd.Series) -> pd.Series:
    return pd.to_datetime(seconds, unit="s", utc=True)


def _elapsed(frame: pd.DataFrame, started_at: float) -> pd.Series:
    if frame.empty:
        return pd.Series([], dtype="float64")
    return (frame["time"] - _to_datetime(pd.Series([started_at]))[0]).dt.total_seconds()


def timeline(run: Run) -> pd.DataFrame:
    reducer = run.state.timeline
    frame = pd.DataFrame.from_records(reducer.rows, columns=[*BASE_COLUMNS, *reducer.state_keys])
    frame["time"] = _to_datetime(frame["time"])
    frame.insert(2, "elapsed", _elapsed(frame, run.started_at))
    frame["step"] = frame["step"].astype("Int64")
    return frame


def events(run: Run) -> pd.DataFrame:
    records = [
        (e.seq, e.time, e.mode, e.namespace_str, event_node(e), e.id, e.data)
        for e in run.events_between(0)
    ]
    frame = pd.DataFrame.from_records(
        records, columns=["seq", "time", "mode", "namespace", "node", "id", "data"]
    )
    frame["time"] = _to_datetime(frame["time"])
    frame.insert(2, "elapsed", _elapsed(frame, run.started_at))
    return frame


def tokens(run: Run) -> pd.DataFrame:
    records = []
    for message in run.streamed_messages:
        for seq, when, text in zip(
            message.piece_seqs, message.piece_times, _chunk_texts(run, message), strict=False
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


def _chunk_texts(run: Run, message: StreamedMessage) -> list[str]:
    """The text of each chunk, read back from the event log (the reducers keep joined text)."""
    texts = []
    previous = ""
    for seq in message.piece_seqs:
        event = run.event_at(seq)
        text = token_text(event, message.id)
        if event.mode in ("messages/partial", "messages/complete"):  # accumulated: keep the new
            text, previous = (text[len(previous) :] if text.startswith(previous) else text), text
        texts.append(text)
    return texts

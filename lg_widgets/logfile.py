"""The saved-run file format: a run's event log as JSONL, written and read back.

Format 2 (written): a header line, then one line per event as in format 1
(`{"seq", "t", "event", "data", "id"}`), except that a compacted token event is written as
`{"seq", "t", "event", "c": content, "f": frame, "id"}` after one `{"frame": n, "keys", "values",
"metadata"}` line holding what its message's tokens share. A tool-call chunk's frame also has
`"args": [[value position, call position], ...]` (its templates hold null there) and its events an
`"a": [args pieces]` field; files without them read as before. A 100k-token run then takes ~10 MB
instead of ~110 MB and loads several times faster. Format 1 files still load.

It knows events and nothing of `Run`, so the run can save itself without importing the layer
that rebuilds runs (`storage`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from lg_widgets.events import ChunkFrame, Event, MetadataInterner

FORMAT = "lg_widgets.run/2"
READABLE = ("lg_widgets.run/1", FORMAT)


def _dumps(record: dict[str, Any]) -> bytes:
    return orjson.dumps(record, default=repr) + b"\n"


def write_log(
    path: str | os.PathLike[str], header: dict[str, Any], events: Iterable[Event]
) -> None:
    frames: dict[int, int] = {}  # id(frame) -> its number in this file
    with open(path, "wb") as out:
        out.write(_dumps({"format": FORMAT, **header}))
        for event in events:
            frame = event.frame
            if frame is None:
                out.write(_dumps(event.to_json()))
                continue
            number = frames.get(id(frame))
            if number is None:
                number = frames[id(frame)] = len(frames)
                out.write(_dumps({"frame": number, **frame.to_json()}))
            record = {"seq": event.seq, "t": event.time, "event": event.event}
            record.update(c=event.content, f=number, id=event.id)
            if frame.slots:
                record["a"] = event.args
            out.write(_dumps(record))


def read_log(path: str | os.PathLike[str]) -> tuple[dict[str, Any], Iterator[Event]]:
    """The header, and the events in order (a token event comes back compacted on its frame)."""
    with open(path, "rb") as source:
        lines = source.read().splitlines()
    if not lines:
        raise ValueError(f"{path} is empty, not a saved lg_widgets run")
    header = orjson.loads(lines[0])
    if header.get("format") not in READABLE:
        raise ValueError(f"{path} is not a saved lg_widgets run (format {header.get('format')})")
    return header, _read_events(lines[1:])


def _read_events(lines: list[bytes]) -> Iterator[Event]:
    """The saved events in order; a token event comes back compacted onto its frame."""
    interner = MetadataInterner()
    frames: dict[int, ChunkFrame] = {}
    loads, split = orjson.loads, interner.split
    for line in lines:
        if not line.strip():
            continue
        record = loads(line)
        if "frame" in record:
            frames[record["frame"]] = ChunkFrame.from_json(record)
            continue
        if "f" not in record:
            yield Event.from_json(record, interner)
            continue
        mode, namespace = split(record["event"])
        event = Event(record["seq"], record["t"], mode, namespace, None, record["id"])
        frame = frames[record["f"]]  # not published yet: nobody reads it
        event.use_frame(frame, frame.join(record["c"], record.get("a", ())))
        yield event

"""`EventLog`: a run's received parts in arrival order, held so that a long run costs little
to keep.

Python's cyclic garbage collector walks every object it tracks on each full collection, and a
full collection comes each time the objects that survived the young generations reach a
quarter of those already old. A log of one `Event` object per token would make a long
streamed run trigger a full collection every few tens of thousands of parts, each walking the
whole kernel's heap (measured: 3 of ~60 ms each over 100,000 tool-call chunks in a process
that had imported langgraph). So once the reducers have read a token part the log keeps it as a
plain tuple of strings and numbers, which the collector stops tracking at its next pass:

- a compacted token (`Event.compacted`): `(time, stored, id, namespace, number)`, where
  `self._shared[number]` is its `ChunkFrame` and `stored` what the frame keeps of it;
- any other token part (a call's first chunk, a last chunk with usage, a whole message):
  `(time, chunk as JSON bytes, id, namespace, number)`, where `self._shared[number]` is its
  metadata (one dict per checkpoint namespace, shared by `MetadataInterner`). A chunk is kept
  so only when its JSON decodes back equal (no NaN, tuples or non-string keys).

Every other event stays an `Event`. Reading builds an `Event` from a tuple each time: equal to
what was received, a new object on every read (as `Event.data` of a compacted token already
is), so treat events read from the log as read-only.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from typing import Any

import orjson

from lg_widgets.events import ChunkFrame, Event, token_part

Record = Event | tuple[float, Any, str | None, tuple[str, ...], int]


class EventLog:
    """The log of one run: append an event, then `settle` it once the reducers have read it.

    Appending and settling are one list operation each, so a reader on another thread sees
    either the whole event or its settled form, never half of a change.
    """

    __slots__ = ("_records", "_shared", "_numbers", "_last", "_last_number", "_by_mode")

    def __init__(self) -> None:
        self._records: list[Record] = []
        self._shared: list[Any] = []  # frames and metadata the tuples name by number
        self._numbers: dict[int, int] = {}  # id(shared object) -> its number (kept alive above)
        self._last: Any = None
        self._last_number = -1
        # each mode's seqs, in order: a view's counts and filtered pages read them, so that it
        # does nothing per event (one machine int an event: a list of ints costs ~36 B each)
        self._by_mode: dict[str, array[int]] = {}

    def __len__(self) -> int:
        return len(self._records)

    def append(self, event: Event) -> None:
        """Log `event` as it is; `event.seq` must be `len(self)`."""
        self._records.append(event)
        seqs = self._by_mode.get(event.mode)
        if seqs is None:
            seqs = self._by_mode[event.mode] = array("q")
        seqs.append(event.seq)

    def seqs(self, mode: str) -> array[int]:
        """The seqs of the events of `mode`, in order (the log's own array: read-only)."""
        return self._by_mode.get(mode) or array("q")

    def counts(self) -> dict[str, int]:
        """How many events of each mode, in the order the modes first came."""
        return {mode: len(seqs) for mode, seqs in self._by_mode.copy().items()}

    def settle(self, event: Event, compact: tuple[ChunkFrame, Any] | None = None) -> None:
        """Keep the logged `event` in its settled form; `compact`: its frame and what the
        frame keeps of it, when `MetadataInterner.compact` found one."""
        self._records[event.seq] = self._settled(event, compact)

    def _settled(self, event: Event, compact: tuple[ChunkFrame, Any] | None) -> Record:
        if compact is not None:
            frame, stored = compact
            return (event.time, stored, event.id, event.namespace, self._number(frame))
        if event.mode != "messages":
            return event
        data = event.data
        if not token_part(data):
            return event
        chunk, metadata = data
        try:
            text = orjson.dumps(chunk)
        except TypeError:  # not JSON (orjson's error is a TypeError): keep the event
            return event
        if orjson.loads(text) != chunk:  # NaN, a tuple, ...: JSON would not give it back
            return event
        # a copy of its exact size: orjson's own result keeps its whole output buffer (4 KB)
        text = bytes(memoryview(text))
        return (event.time, text, event.id, event.namespace, self._number(metadata))

    def _number(self, shared: Any) -> int:
        if shared is self._last:  # consecutive tokens share their frame
            return self._last_number
        number = self._numbers.get(id(shared))
        if number is None:
            number = self._numbers[id(shared)] = len(self._shared)
            self._shared.append(shared)
        self._last, self._last_number = shared, number
        return number

    def _event(self, seq: int, record: Record) -> Event:
        if type(record) is Event:
            return record
        time, stored, event_id, namespace, number = record  # type: ignore[misc]
        shared = self._shared[number]
        if type(shared) is ChunkFrame:
            event = Event(seq, time, "messages", namespace, None, event_id)
            event.use_frame(shared, stored)
            return event
        return Event(seq, time, "messages", namespace, [orjson.loads(stored), shared], event_id)

    def __getitem__(self, seq: int) -> Event:
        if seq < 0:
            seq += len(self._records)
        return self._event(seq, self._records[seq])

    def between(self, start: int, stop: int | None = None) -> list[Event]:
        """The events `start <= seq < stop` (`stop` None: to the end), as `list[start:stop]`."""
        start, stop, _ = slice(start, stop).indices(len(self._records))
        records = self._records[start:stop]
        return [self._event(seq, record) for seq, record in enumerate(records, start)]

    def __iter__(self) -> Iterator[Event]:
        """The events so far, each built when reached (saving a long run holds one at a time)."""
        for seq, record in enumerate(self._records[:]):
            yield self._event(seq, record)

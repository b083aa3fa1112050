"""Resuming a broken stream: where to resume from, which replayed parts we already have, and
the record of each reconnect. Pure bookkeeping (no I/O), so it is tested on plain sequences.

The server's event ids are `<unix ms>-0` (the sequence number is always 0), so events published
in the same millisecond share one id, and a replay sends the stored events whose id is
*string-greater* than `Last-Event-ID`. Resuming from the last id received would skip that
millisecond's events not yet received; so a stream resumes from the id *before* the last one,
and the replayed events of the last id are matched, in order, against those already received.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lg_widgets.events import part_identity

REPLAY_ALL = "0"  # sorts before every stored id: the whole run is replayed


@dataclass
class Reconnect:
    """One break of the stream and what it took to resume (public as `run.reconnects`)."""

    at: float  # epoch seconds when the break was noticed
    cause: str  # why: the transport error, or silence longer than the heartbeat timeout
    after_seq: int  # the last event received before the break (-1: none)
    last_event_id: str | None  # the id the stream resumed from (None: no replay possible)
    attempts: int = 0
    duration: float | None = None  # seconds until the server answered again; None while trying
    replayed: bool = False  # events sent meanwhile were replayed (resumable run)
    duplicates: int = 0  # replayed parts that were already received and skipped

    @property
    def ongoing(self) -> bool:
        return self.duration is None

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "cause": self.cause,
            "after_seq": self.after_seq,
            "last_event_id": self.last_event_id,
            "attempts": self.attempts,
            "duration": self.duration,
            "replayed": self.replayed,
            "duplicates": self.duplicates,
        }

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> Reconnect:
        return cls(**{k: record.get(k) for k in cls.__dataclass_fields__ if k in record})


NEW, DUPLICATE, AMBIGUOUS = "new", "duplicate", "ambiguous"


@dataclass
class ResumeCursor:
    """Tracks the ids of accepted parts; decides which parts of a resumed stream are new.

    `start` is where the first connection itself started (a join's `last_event_id`).

    A resumed connection can also send a part twice: the server subscribes the connection to
    the live run before it replays what is stored, so what is published in between comes in
    the replay and again live. A re-sent part with an older id is recognised by its id; one
    with the newest id and the same content as a part already kept is `AMBIGUOUS` (it may be
    a second identical event of that millisecond), and `decide` settles it with the number of
    such parts the server stored.
    """

    start: str | None = None
    last_id: str | None = None  # id of the newest accepted part
    before_last: str | None = None  # the newest accepted id below `last_id`
    duplicates: int = 0
    resumed: bool = False  # the current connection replays (a rejoin, or a join with replay)
    _group: list[tuple[str, Any]] = field(default_factory=list)  # accepted parts with last_id
    _matched: int = 0  # how many of `_group` this connection has re-sent so far
    _metadata: list[Any] = field(default_factory=list)  # id-less `metadata` parts seen

    def __post_init__(self) -> None:
        self.resumed = self.start is not None

    @property
    def seen_ids(self) -> bool:
        return self.last_id is not None

    def resume_from(self, resumable: bool) -> str | None:
        """The `Last-Event-ID` to reconnect with, or None when nothing can be replayed."""
        if not resumable:
            return None
        if self.last_id is None:
            return self.start or REPLAY_ALL
        return self.before_last or self.start or REPLAY_ALL

    def new_connection(self) -> None:
        """A new connection replays the last id's parts first (if the run is resumable)."""
        self._matched = 0
        self.resumed = True

    def accept(self, part: Any) -> str:
        """NEW for a part not received before, DUPLICATE for one that was (counted, not
        kept), AMBIGUOUS when only the server's count can tell (see `decide`)."""
        event_id, name, data = part_identity(part)
        if event_id is None:
            return self._accept_without_id(name, data)
        last = self.last_id
        if last is None or event_id > last:
            if last is not None:
                self.before_last = last
            self.last_id = event_id
            self._group = [(name, data)]
            self._matched = 1
            return NEW
        if event_id < last:  # replayed from before the last id: already here
            self.duplicates += 1
            return DUPLICATE
        key = (name, data)
        if self._matched < len(self._group) and self._group[self._matched] == key:
            self._matched += 1  # the replay of what arrived before the break
            self.duplicates += 1
            return DUPLICATE
        if self.resumed and key in self._group:
            return AMBIGUOUS
        self._group.append(key)
        self._matched = len(self._group)
        return NEW

    def decide(self, part: Any, stored: int | None) -> str:
        """Settle an AMBIGUOUS part: `stored` is how many parts with its id and content the
        server keeps (None: unknown, the part is kept)."""
        _, name, data = part_identity(part)
        key = (name, data)
        if stored is not None and stored <= self._group.count(key):
            self.duplicates += 1
            return DUPLICATE
        self._group.append(key)
        self._matched = len(self._group)
        return NEW

    def _accept_without_id(self, name: str, data: Any) -> str:
        """Without ids only one repeat is recognisable: a reconnect to a run still pending
        sends its `metadata` part again."""
        if name != "metadata":
            return NEW
        if data in self._metadata:
            self.duplicates += 1
            return DUPLICATE
        self._metadata.append(data)
        return NEW

"""One normalized record per received stream part, whatever SDK format it came in.

The v1 `StreamPart(event, data, id)` names subgraph events `mode|ns1|ns2`; the v2 dict carries
`type`/`ns` and moves a values event's `__interrupt__` out of `data`. Both become the same
`Event`, shaped like v1 (interrupts stay in `data`), so nothing the server sent is lost.
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass
from typing import Any

Namespace = tuple[str, ...]


@dataclass(slots=True)
class Event:
    """A received part: `seq` counts from 0 in arrival order, `time` is epoch seconds at receipt."""

    seq: int
    time: float
    mode: str
    namespace: Namespace
    data: Any
    id: str | None = None

    @property
    def event(self) -> str:
        """The v1 SSE event name, e.g. `updates|node_2:<task id>`."""
        return "|".join((self.mode, *self.namespace))

    @property
    def namespace_str(self) -> str:
        return "|".join(self.namespace)

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "t": self.time,
            "event": self.event,
            "data": self.data,
            "id": self.id,
        }

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> Event:
        mode, namespace = split_event_name(record["event"])
        return cls(
            record["seq"], record["t"], mode, namespace, record.get("data"), record.get("id")
        )


def split_event_name(name: str) -> tuple[str, Namespace]:
    mode, *namespace = name.split("|")
    return mode, tuple(namespace)


class MetadataInterner:
    """Shares one dict between the equal metadata of consecutive LLM tokens.

    Every `messages` part repeats ~20 metadata keys; decoded separately they cost kilobytes per
    token. Equal dicts from the same checkpoint namespace are replaced by the first one seen.
    """

    __slots__ = ("_by_namespace",)

    def __init__(self) -> None:
        self._by_namespace: dict[Any, dict[str, Any]] = {}

    def intern(self, metadata: dict[str, Any]) -> dict[str, Any]:
        key = metadata.get("langgraph_checkpoint_ns")
        seen = self._by_namespace.get(key)
        if seen is not None and seen == metadata:
            return seen
        self._by_namespace[key] = metadata
        return metadata


def normalize(
    part: Any, seq: int, *, received: float | None = None, interner: MetadataInterner | None = None
) -> Event:
    """Turn an SDK part (v1 StreamPart, its dict form, or a v2 dict) into an `Event`."""
    received = _time.time() if received is None else received
    if isinstance(part, dict) and "type" in part and "ns" in part:
        mode, namespace, data = part["type"], tuple(part["ns"] or ()), part.get("data")
        interrupts = part.get("interrupts")
        if interrupts and mode == "values" and isinstance(data, dict):
            data = {**data, "__interrupt__": interrupts}
        event_id = part.get("id")
    else:
        if isinstance(part, dict):
            name, data, event_id = part["event"], part.get("data"), part.get("id")
        else:
            name, data, event_id = part.event, part.data, getattr(part, "id", None)
        mode, namespace = split_event_name(name)
    if (
        interner is not None
        and mode == "messages"
        and isinstance(data, list)
        and len(data) == 2
        and isinstance(data[1], dict)
    ):
        data = [data[0], interner.intern(data[1])]
    return Event(seq, received, mode, namespace, data, event_id)

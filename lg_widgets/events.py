"""One normalized record per received stream part, whatever SDK format it came in.

The v1 `StreamPart(event, data, id)` names subgraph events `mode|ns1|ns2`; the v2 dict carries
`type`/`ns` and moves a values event's `__interrupt__` out of `data`. Both become the same
`Event`, shaped like v1 (interrupts stay in `data`), so nothing the server sent is lost.

Token events dominate long runs and are ~1 KB each as decoded by the SDK (~5 KB of Python
objects), almost all of it repeated from the previous token. Once the reducers and views have
seen an event, `MetadataInterner.compact` makes the copy the run keeps: the token's content
and a reference to a shared `ChunkFrame` (every other chunk value plus the metadata);
`Event.data` rebuilds an equal part on each read.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from operator import itemgetter
from typing import Any, NamedTuple

import orjson

Namespace = tuple[str, ...]


def namespace_key(namespace: str | tuple[str, ...] | list[str] | None) -> Namespace:
    """A namespace as the SDK's tuple, from either spelling users meet: the tuple (or list) of
    `node:task id` segments events carry, or the `"|"`-joined string of messages, tokens and
    the tree (`""`, `()` and `None` are the root)."""
    if not namespace:
        return ()
    if isinstance(namespace, str):
        return tuple(namespace.split("|"))
    return tuple(namespace)


_ARG_LISTS = ("tool_call_chunks", "invalid_tool_calls")


def _plain(value: Any) -> bool:
    """For these values `==` implies the same JSON (unlike `1 == 1.0 == True`)."""
    return value is None or type(value) is str or (type(value) in (dict, list) and not value)


def _plain_calls(calls: list[Any]) -> bool:
    """Tool-calls (chunks) whose `args` is text and whose other values are exact-typed scalars
    (a loop, not nested generators: every part kept whole is checked)."""
    for call in calls:
        if type(call) is not dict or type(call.get("args")) is not str:
            return False
        for v in call.values():
            if v is not None and type(v) is not str and type(v) is not int:
                return False
    return True


def frame_slots(chunk: dict[str, Any]) -> tuple[tuple[int, int], ...] | None:
    """Where a token chunk's tool-call `args` texts are, as (value position, call position),
    or None when the chunk cannot share a frame (checked before building one: a tool-call run
    would otherwise build and drop a frame per chunk)."""
    slots: list[tuple[int, int]] = []
    others = 0
    for position, (key, value) in enumerate(chunk.items()):
        if key == "content":
            continue
        if key in _ARG_LISTS and type(value) is list and value:
            if not _plain_calls(value):
                return None
            slots.extend((position, i) for i in range(len(value)))
        elif _plain(value):
            others += 1
        else:
            return None
    return tuple(slots) if others > 1 else None


def _no_values(_call: dict[str, Any]) -> tuple[()]:
    return ()


def _call_template(call: dict[str, Any]) -> tuple[Any, ...]:
    """A shared call's keys, a getter of its other values than `args`, those values, and the
    keys whose value is an int: only there can an equal value have another JSON (`1 == True ==
    1.0`); an equal value of a None or a string is a None or a string."""
    others = tuple(k for k in call if k != "args")
    getter = itemgetter(*others) if others else _no_values
    ints = tuple(k for k in others if type(call[k]) is int)
    return tuple(call), getter, getter(call), ints


_MISFIT = object()
"""`ChunkFrame.fit` of a chunk the frame cannot stand for (a stored content may be None)."""


class ChunkFrame:
    """What consecutive token chunks of one message share: key order, every value but content
    and the tool-call `args` pieces.

    Only frames whose shared values are None, strings or empty containers (or, in a tool-call
    list, exact-typed scalars) are reused: for those, `==` implies the same JSON, so a rebuilt
    chunk is identical. A frame with `slots` stores each event as `join(content, args)`.
    """

    __slots__ = (
        "keys",
        "metadata",
        "slots",
        "_content_at",
        "_values",
        "_fresh",
        "_others",
        "_shared",
        "_calls",
    )

    def __init__(
        self,
        chunk: dict[str, Any],
        metadata: dict[str, Any],
        slots: tuple[tuple[int, int], ...] = (),
    ) -> None:
        self.keys = tuple(chunk)
        self.metadata = metadata
        self.slots = slots
        self._content_at = self.keys.index("content")
        values = list(chunk.values())
        values[self._content_at] = None
        call_lists = sorted({position for position, _ in slots})
        for position in call_lists:  # the calls as templates, `args` left null
            values[position] = [{**call, "args": None} for call in values[position]]
        self._values = tuple(values)
        # per call, in `slots` order: its list's key and length, its place in the list and its
        # template (`_call_template`); flat, as most lists hold one call
        self._calls = tuple(
            (self.keys[position], len(chunk[self.keys[position]]), i)
            + _call_template(chunk[self.keys[position]][i])
            for position, i in slots
        )
        # empty containers are rebuilt fresh per read so that a caller mutating one read of
        # `event.data` does not change the others
        self._fresh = tuple(
            (i, type(v))
            for i, v in enumerate(values)
            if isinstance(v, (dict, list)) and i not in call_lists
        )
        varied = {self.keys[position] for position in call_lists}
        others = [k for k in self.keys if k != "content" and k not in varied]
        self._others = itemgetter(*others) if len(others) > 1 else None
        self._shared = self._others(chunk) if self._others else None

    def fit(self, chunk: dict[str, Any], metadata: dict[str, Any]) -> Any:
        """What an event on this frame keeps of `chunk` (its content, and its `args` pieces if
        any: see `join`), or `_MISFIT` when the chunk differs from the frame elsewhere.

        One pass over the chunk: every streamed tool-call chunk is checked, so the `args`
        pieces are taken while their calls are compared, not looked up again afterwards.
        """
        if not (
            metadata is self.metadata
            and tuple(chunk) == self.keys
            and self._others(chunk) == self._shared  # type: ignore[misc]
        ):
            return _MISFIT
        if not self.slots:
            return chunk["content"]
        args = []
        for key, count, i, keys, getter, shared, ints in self._calls:
            given = chunk[key]
            if type(given) is not list or len(given) != count:
                return _MISFIT
            call = given[i]
            if type(call) is not dict or tuple(call) != keys or getter(call) != shared:
                return _MISFIT
            piece = call["args"]
            if type(piece) is not str:
                return _MISFIT
            for int_key in ints:
                if type(call[int_key]) is not int:
                    return _MISFIT
            args.append(piece)
        return self.join(chunk["content"], args)

    def join(self, content: Any, args: list[str] | tuple[str, ...] = ()) -> Any:
        """What an event keeps (`fit`), from its parts: `(content, *args)`, or only the piece
        when the content is empty and every slot holds that piece (langchain repeats it in
        `invalid_tool_calls`), which spares a tuple per chunk."""
        if not self.slots:
            return content
        first = args[0]
        if content == "" and type(content) is str and args.count(first) == len(args):
            return first
        return (content, *args)

    def content(self, stored: Any) -> Any:
        if not self.slots:
            return stored
        return "" if type(stored) is str else stored[0]

    def args(self, stored: Any) -> list[str]:
        if not self.slots:
            return []
        return [stored] * len(self.slots) if type(stored) is str else list(stored[1:])

    def to_json(self) -> dict[str, Any]:
        """The frame as saved once per file (`content` is null; so are varying `args`, and
        `args` lists where they are, a field older readers ignore); see `from_json`."""
        record = {"keys": list(self.keys), "values": list(self._values), "metadata": self.metadata}
        if self.slots:
            record["args"] = [list(slot) for slot in self.slots]
        return record

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> ChunkFrame:
        chunk = dict(zip(record["keys"], record["values"], strict=True))
        slots = tuple((position, i) for position, i in record.get("args", ()))
        return cls(chunk, record["metadata"], slots)

    def rebuild(self, stored: Any) -> list[Any]:
        values = list(self._values)
        for index, factory in self._fresh:
            values[index] = factory()
        if not self.slots:
            values[self._content_at] = stored
            return [dict(zip(self.keys, values, strict=True)), self.metadata]
        values[self._content_at] = self.content(stored)
        for position in {position for position, _ in self.slots}:
            values[position] = [dict(call) for call in values[position]]
        for (position, i), args in zip(self.slots, self.args(stored), strict=True):
            values[position][i]["args"] = args
        return [dict(zip(self.keys, values, strict=True)), self.metadata]


class Event:
    """A received part: `seq` counts from 0 in arrival order, `time` is epoch seconds at receipt.

    `data` of a compacted token event is rebuilt on each read: equal to what was received, but a
    new list each time, so changes made to it are not kept. Treat `data` as read-only.
    """

    __slots__ = ("seq", "time", "mode", "namespace", "id", "_data", "_frame")

    def __init__(
        self,
        seq: int,
        time: float,
        mode: str,
        namespace: Namespace,
        data: Any,
        id: str | None = None,
    ) -> None:
        self.seq = seq
        self.time = time
        self.mode = mode
        self.namespace = namespace
        self.id = id
        self._data = data
        self._frame: ChunkFrame | None = None

    @property
    def data(self) -> Any:
        frame = self._frame
        return self._data if frame is None else frame.rebuild(self._data)

    @data.setter
    def data(self, value: Any) -> None:
        self._data, self._frame = value, None

    @property
    def compacted(self) -> bool:
        return self._frame is not None

    @property
    def frame(self) -> ChunkFrame | None:
        """The shared frame of a compacted token event (then the stored data is the content)."""
        return self._frame

    @property
    def content(self) -> Any:
        """A compacted token event's content, without rebuilding `data`."""
        frame = self._frame
        return frame.content(self._data) if frame is not None else None

    @property
    def args(self) -> list[str]:
        """A compacted event's tool-call `args` pieces, in its frame's `slots` order."""
        frame = self._frame
        return frame.args(self._data) if frame is not None else []

    def use_frame(self, frame: ChunkFrame, content: Any) -> None:
        """Store this event compactly; `data` must equal `frame.rebuild(content)` (not checked;
        `content` is what `frame.fit` keeps).

        Only for an event nobody else can read yet: a reader on another thread could see the
        two slots half-changed. A run's log keeps a compacted token as a tuple instead
        (`EventLog`).
        """
        self._data, self._frame = content, frame

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Event):
            return NotImplemented
        return (self.seq, self.time, self.mode, self.namespace, self.id) == (
            other.seq,
            other.time,
            other.mode,
            other.namespace,
            other.id,
        ) and self.data == other.data

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it replaced

    def __repr__(self) -> str:
        return (
            f"Event(seq={self.seq!r}, time={self.time!r}, mode={self.mode!r}, "
            f"namespace={self.namespace!r}, data={self.data!r}, id={self.id!r})"
        )

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
    def from_json(cls, record: dict[str, Any], interner: MetadataInterner | None = None) -> Event:
        split = interner.split if interner is not None else split_event_name
        mode, namespace = split(record["event"])
        return cls(
            record["seq"], record["t"], mode, namespace, record.get("data"), record.get("id")
        )


# ---- what a part's shape says: every reader of a part's layout lives here ----------------------


def content_text(content: Any) -> str:
    """Text of a message `content`: a string, or its string parts and `text` blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            block if isinstance(block, str) else str(block.get("text") or "")
            for block in content
            if isinstance(block, str) or (isinstance(block, dict) and block.get("type") == "text")
        )
    return ""


def message_pair(event: Event) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """`(chunk, metadata)` of a `messages-tuple` part (event `messages`), else None."""
    if event.mode != "messages":
        return None
    data = event.data
    if isinstance(data, list) and len(data) == 2 and isinstance(data[0], dict):
        return data[0], data[1] or {}
    return None


def event_node(event: Event) -> str | None:
    """The graph node an event came from, where the part says so."""
    data = event.data
    if event.mode == "updates" and isinstance(data, dict) and data:
        return next(iter(data))
    if event.mode == "messages" and isinstance(data, list) and len(data) == 2:
        return (data[1] or {}).get("langgraph_node")
    if event.mode == "tasks" and isinstance(data, dict):
        return data.get("name")
    return None


def event_summary_source(event: Event) -> Any:
    """What a one-line summary of the event should show: a token's content, else the data."""
    pair = message_pair(event)
    return pair[0].get("content") if pair is not None else event.data


def stateless_thread_id(events: list[Event]) -> str | None:
    """A stateless run's temporary thread: only token metadata names it (newest first)."""
    for event in reversed(events):
        pair = message_pair(event)
        if pair is not None and pair[1].get("thread_id"):
            return pair[1]["thread_id"]
    return None


def token_text(event: Event, message_id: str) -> str:
    """The text a token event carries for `message_id`.

    A delta for `messages` and `events` parts; for accumulated `messages/partial` parts, the
    message's whole text so far (the caller subtracts what it has seen).
    """
    if event.mode == "messages":
        content = event.content if event.compacted else event.data[0].get("content")
        return content_text(content)
    data = event.data
    if event.mode == "events":
        return content_text(((data.get("data") or {}).get("chunk") or {}).get("content"))
    chunk = next((c for c in data or () if isinstance(c, dict) and c.get("id") == message_id), {})
    return content_text(chunk.get("content"))


def checkpoint_info(event: Event) -> dict[str, Any] | None:
    """`{id, namespace, parent, step, source}` of a checkpoint (`checkpoints` event, `debug`
    checkpoint)."""
    if event.mode not in ("checkpoints", "debug"):  # before `data`: tokens rebuild theirs
        return None
    data = event.data if isinstance(event.data, dict) else None
    if data is None:
        return None
    if event.mode == "debug":
        if data.get("type") != "checkpoint" or not isinstance(data.get("payload"), dict):
            return None
        data = data["payload"]
    configurable = (data.get("config") or {}).get("configurable") or {}
    parent = (data.get("parent_config") or {}).get("configurable") or {}
    metadata = data.get("metadata") or {}
    return {
        "id": configurable.get("checkpoint_id"),
        "namespace": configurable.get("checkpoint_ns"),
        "parent": parent.get("checkpoint_id"),
        "step": metadata.get("step"),
        "source": metadata.get("source"),
    }


def part_identity(part: Any) -> tuple[str | None, str, Any]:
    """`(id, event name, data)` of an SDK part as it came off the wire (v1 name, v2 data).

    What a resumed stream is deduplicated on: a replayed part repeats all three.
    """
    if isinstance(part, tuple) and len(part) == 3:
        name, data, event_id = part
        return event_id, name, data
    if isinstance(part, dict) and "type" in part and "ns" in part:
        name = "|".join((part["type"], *(part["ns"] or ())))
        return part.get("id"), name, part.get("data")
    if isinstance(part, dict):
        return part.get("id"), part["event"], part.get("data")
    return getattr(part, "id", None), part.event, part.data


def split_event_name(name: str) -> tuple[str, Namespace]:
    mode, *namespace = name.split("|")
    return mode, tuple(namespace)


def token_part(data: Any) -> bool:
    """Whether `data` is a `messages` part's `[message chunk, metadata]` pair."""
    return (
        type(data) is list
        and len(data) == 2
        and type(data[0]) is dict
        and type(data[1]) is dict
        and "content" in data[0]
    )


class MetadataInterner:
    """Shares what consecutive events repeat, so a long run is held in little memory.

    Every `messages` part repeats ~20 metadata keys; decoded separately they cost kilobytes per
    token. Equal dicts from the same checkpoint namespace are replaced by the first one seen;
    event names map to one shared (mode, namespace) pair; `compact` finds a token event's
    shared `ChunkFrame` and what the frame keeps of it. One interner per run: it only remembers
    the latest metadata and frame per checkpoint namespace, so its own size stays small.
    """

    __slots__ = ("_by_namespace", "_frames", "_names", "_strings")

    def __init__(self) -> None:
        self._by_namespace: dict[Any, dict[str, Any]] = {}
        self._frames: dict[Any, ChunkFrame] = {}
        self._names: dict[str, tuple[str, Namespace]] = {}
        self._strings: dict[str, str] = {}

    def intern(self, metadata: dict[str, Any]) -> dict[str, Any]:
        key = metadata.get("langgraph_checkpoint_ns")
        seen = self._by_namespace.get(key)
        if seen is not None and (seen is metadata or seen == metadata):
            return seen
        self._by_namespace[key] = metadata
        return metadata

    def split(self, name: str) -> tuple[str, Namespace]:
        """`split_event_name`, returning the same string and tuple objects for equal names."""
        split = self._names.get(name)
        if split is None:
            if len(self._names) > 10_000:  # many short-lived subgraph tasks: start over
                self._names.clear()
            split = self._names[name] = split_event_name(name)
        return split

    def compact(self, event: Event) -> tuple[ChunkFrame, Any] | None:
        """A `messages` token event's shared frame and what the frame keeps of it (`fit`; an
        event that came compacted, from a saved run, keeps its own), or None when it is kept
        whole (`EventLog` stores it either way)."""
        if event._frame is not None:
            return event._frame, event._data
        if event.mode != "messages":
            return None
        data = event._data
        if not token_part(data):
            return None
        chunk, metadata = data
        key = metadata.get("langgraph_checkpoint_ns")
        frame = self._frames.get(key)
        if frame is None or frame.metadata is not metadata:  # not interned by `normalize`
            metadata = self.intern(metadata)
        stored = _MISFIT if frame is None else frame.fit(chunk, metadata)
        if stored is _MISFIT:
            slots = frame_slots(chunk)
            if slots is None:
                return None
            frame = ChunkFrame(self.share_strings(chunk), metadata, slots)
            self._frames[key] = frame
            stored = frame.fit(chunk, metadata)
        return frame, stored

    def share_strings(self, value: Any, depth: int = 4) -> Any:
        """`value` with its dict keys and short strings swapped for equal ones met before in
        this run, down to `depth` levels (a bound: the server chooses the nesting).

        Every decoded part has its own copy of each key (`additional_kwargs`, ...) and of the
        message id, ~60 B apiece, which a frame would hold for the rest of the run. An equal
        string serializes the same, so only object identity changes; containers are never
        shared, so a reader changing one part changes no other.
        """
        if len(self._strings) > 10_000:  # many distinct ids: start over
            self._strings.clear()
        return _shared(value, depth, self._strings.setdefault)


def _shared(value: Any, depth: int, seen: Callable[[str, str], str]) -> Any:
    """`MetadataInterner.share_strings` with `seen`, the run's `setdefault` of strings. A
    dict's strings are swapped in its loop, not by a call each: a tool call's first chunk, kept
    whole, has ~40 keys and strings."""
    kind = type(value)
    if kind is str:
        return value if len(value) > _SHARED_STRING_MAX else seen(value, value)
    if depth == 0:
        return value
    if kind is list:
        return [_shared(item, depth - 1, seen) for item in value]
    if kind is not dict:
        return value
    out = {}
    for key, item in value.items():
        item_kind = type(item)
        if item_kind is str:
            if len(item) <= _SHARED_STRING_MAX:  # content: seldom repeated, kept once anyway
                item = seen(item, item)
        elif item_kind is dict or item_kind is list:
            item = _shared(item, depth - 1, seen)
        out[seen(key, key) if type(key) is str and len(key) <= _SHARED_STRING_MAX else key] = item
    return out


_SHARED_STRING_MAX = 64  # ids, keys, type and tool names; not message text


def _same_json(a: Any, b: Any) -> bool:
    """`a` and `b` serialize to the same JSON and are equal, so one can stand for the other.

    `==` alone is not enough: `1 == 1.0 == True`, `0.0 == -0.0`, and dicts compare without
    their key order, all of which the received JSON distinguishes. Equal JSON alone is not
    enough either: NaN and infinities serialize as `null`, so where a `null` shows, `==` must
    agree too (a container holding NaN is then never shared, which is only conservative).
    """
    if a is b:
        return True
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is str:
        return a == b
    try:
        dumped = orjson.dumps(a)
        if dumped != orjson.dumps(b):
            return False
        return b"null" not in dumped or bool(a == b)
    except Exception:  # noqa: BLE001 - not JSON (a loaded or hand-built run): never shared
        return False


def _share_items(new: list[Any], old: list[Any]) -> list[Any]:
    """`new` with each item equal to the one at the same index of `old` replaced by it; `old`
    itself when nothing differs (a `messages` list that grew by one keeps its earlier items).

    The common case, an unchanged prefix, is checked in one go (C-speed); item by item only
    when something in it changed.
    """
    common = min(len(new), len(old))
    if _same_json(new[:common], old if common == len(old) else old[:common]):
        if common == len(new):
            return old
        new[:common] = old[:common]
        return new
    for index in range(common):
        if _same_json(new[index], old[index]):
            new[index] = old[index]
    return new


class StateInterner:
    """Shares what successive full states repeat, so a `values` stream is held in O(changes).

    Each `values` part carries the whole state again (a 2 MB document 30 times, a `messages`
    list re-sent whole at every step). Per namespace the interner keeps the previous state;
    in a new one, a key whose value is unchanged points at the previous value object, and a
    list that changed shares every unchanged item with the previous list. The event's data
    stays equal to what was received (the same JSON), only duplicate objects are dropped; so
    treat `data` as read-only, since the objects are shared between events. The same is done
    for the state inside `checkpoints` and `debug` checkpoint parts.
    """

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: dict[Namespace, dict[str, Any]] = {}

    def share(self, event: Event) -> None:
        """Swap the repeated parts of a just-received event's state for the shared objects
        (only before the event is published: readers must never see it change)."""
        state = _full_state(event)
        if state is None:
            return
        before = self._last.get(event.namespace)
        if before is not None:
            for key, value in state.items():
                old = before.get(key, _MISSING)
                if old is _MISSING or value is old:
                    continue
                if type(value) is list and type(old) is list:
                    state[key] = _share_items(value, old)
                elif _same_json(value, old):
                    state[key] = old
        self._last[event.namespace] = state


_MISSING = object()
_STATE_MODES = frozenset(("values", "checkpoints", "debug"))  # the parts that carry a state


def _full_state(event: Event) -> dict[str, Any] | None:
    """The whole graph state a part carries, as a dict that may be changed in place. The mode
    is read first: most parts of a long run are tokens, which carry none."""
    if event.mode not in _STATE_MODES:
        return None
    data = event._data if event._frame is None else None
    if type(data) is not dict:
        return None
    if event.mode == "values":
        return data
    if event.mode == "checkpoints":
        state = data.get("values")
    elif event.mode == "debug" and data.get("type") == "checkpoint":
        state = (data.get("payload") or {}).get("values")
    else:
        return None
    return state if type(state) is dict else None


def normalize(
    part: Any, seq: int, *, received: float | None = None, interner: MetadataInterner | None = None
) -> Event:
    """Turn an SDK part (v1 StreamPart, its dict form, or a v2 dict) into an `Event`."""
    received = _time.time() if received is None else received
    if isinstance(part, tuple) and len(part) == 3:  # the SDK's v1 StreamPart
        name, data, event_id = part
        mode, namespace = (interner.split if interner is not None else split_event_name)(name)
    elif isinstance(part, dict) and "type" in part and "ns" in part:
        mode, namespace, data = part["type"], tuple(part["ns"] or ()), part.get("data")
        interrupts = part.get("interrupts")
        if interrupts and mode == "values" and isinstance(data, dict):
            data = {**data, "__interrupt__": interrupts}
        event_id = part.get("id")
        if interner is not None:
            mode, namespace = interner.split("|".join((mode, *namespace)))
    else:
        if isinstance(part, dict):
            name, data, event_id = part["event"], part.get("data"), part.get("id")
        else:
            name, data, event_id = part.event, part.data, getattr(part, "id", None)
        mode, namespace = (interner.split if interner is not None else split_event_name)(name)
    if (
        interner is not None
        and mode == "messages"
        and isinstance(data, list)
        and len(data) == 2
        and isinstance(data[1], dict)
    ):
        metadata = interner.intern(data[1])
        if metadata is not data[1]:  # (the Agent Protocol's parts share one dict already)
            data = [data[0], metadata]
    return Event(seq, received, mode, namespace, data, event_id)


# ---- where a part says a graph node ran (read by reducers.graph) ------------------------------


class TaskPart(NamedTuple):
    """A node's task starting or ending, from a `tasks` part or a `debug` task/task_result."""

    id: str
    name: str
    finished: bool
    error: bool
    interrupted: bool


def task_part(event: Event) -> TaskPart | None:
    """The task a `tasks` or `debug` part reports, else None (a checkpoint, another mode)."""
    data = event.data
    if not isinstance(data, dict):
        return None
    if event.mode == "debug":
        kind, payload = data.get("type"), data.get("payload")
        if kind not in ("task", "task_result") or not isinstance(payload, dict):
            return None
        data = payload
    elif event.mode != "tasks":
        return None
    task_id, name = data.get("id"), data.get("name")
    if not isinstance(task_id, str) or not isinstance(name, str):
        return None
    finished = "result" in data or "error" in data
    return TaskPart(task_id, name, finished, bool(data.get("error")), bool(data.get("interrupts")))


def graph_path(namespace: Namespace | list[str], node: str | None = None) -> str:
    """The node's id in the graph drawn with xray: `node_2:<task id>` + `subgraph_node_1` ->
    `node_2:subgraph_node_1` (a namespace segment is `<node>:<task id>`; node names cannot
    contain ':' or '|')."""
    names = [segment.partition(":")[0] for segment in namespace]
    if node:
        names.append(node)
    return ":".join(names)


class TokenSource(NamedTuple):
    """Which task is streaming LLM tokens: its graph path, the namespace it runs in, a key
    unique to the task, and its super-step."""

    path: str
    namespace: Namespace
    task: str
    step: int | None


def token_task(event: Event) -> str | None:
    """The key of the task streaming a `messages` token (`TokenSource.task`), read cheaply:
    every token asks, only a task's first one needs the rest of `token_sources`. A compacted
    token's metadata is its frame's, read without rebuilding the chunk (`Event.data` would).
    None: the part names no task (the Agent Protocol's tokens carry no metadata)."""
    if event.mode != "messages":
        return None
    frame = event._frame
    if frame is not None:
        meta = frame.metadata
    else:
        data = event._data
        if type(data) is not list or len(data) != 2:
            return None
        meta = data[1]
    if type(meta) is not dict or not meta:
        return None
    checkpoint_ns = meta.get("langgraph_checkpoint_ns")
    if type(checkpoint_ns) is str and checkpoint_ns:
        return checkpoint_ns
    node = meta.get("langgraph_node")
    if type(node) is not str or not node:
        return None
    step = meta.get("langgraph_step")
    return _node_task(event, node, step if isinstance(step, int) else None)


def _node_task(event: Event, node: str, step: int | None) -> str:
    """The key of a task its token names by node alone (no checkpoint namespace): the one
    `token_task` and `token_sources` must agree on."""
    return f"{event.namespace_str}|{node}|{step}"


def token_sources(event: Event) -> list[TokenSource]:
    """The tasks whose LLM is streaming, from token metadata (`messages` chunks, or the
    `messages/metadata` part of the older `messages` mode); whole messages are not tokens."""
    if event.mode == "messages":
        pair = message_pair(event)
        if pair is None or not str(pair[0].get("type") or "").endswith("Chunk"):
            return []
        metadata = [pair[1]]
    elif event.mode == "messages/metadata" and isinstance(event.data, dict):
        metadata = [
            entry.get("metadata") or {} for entry in event.data.values() if isinstance(entry, dict)
        ]
    else:
        return []
    out = []
    for meta in metadata:
        node, checkpoint_ns = meta.get("langgraph_node"), meta.get("langgraph_checkpoint_ns")
        step = meta.get("langgraph_step")
        step = step if isinstance(step, int) else None
        if isinstance(checkpoint_ns, str) and checkpoint_ns:
            segments = checkpoint_ns.split("|")
            out.append(TokenSource(graph_path(segments), tuple(segments[:-1]), checkpoint_ns, step))
        elif isinstance(node, str) and node:
            key = _node_task(event, node, step)
            out.append(TokenSource(graph_path(event.namespace, node), event.namespace, key, step))
    return out

"""Compact token events: `event.data` must still be exactly what the server sent.

Every recorded stream transcript is ingested as a live run would be, and each event's data is
compared byte for byte (orjson keeps key order) with the part as received.
"""

from __future__ import annotations

import copy
import gc
import math
from pathlib import Path
from typing import Any

import orjson
import pytest

import lg_widgets
from bench import offline
from bench.graphs import EVENTS_PER_MESSAGE
from lg_widgets.events import Event, MetadataInterner, normalize
from lg_widgets.run import Run

REFERENCE = Path("/work/shared/reference/transcripts")
LOCAL = Path(__file__).parents[1] / "transcripts"


def _stream_parts(path: Path) -> list[dict]:
    """The lines of a transcript that are stream parts (v1 `event` or v2 `type`+`ns`)."""
    parts = []
    for line in path.read_bytes().splitlines():
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            return []
        if isinstance(record, dict) and ("event" in record or "ns" in record) and "data" in record:
            parts.append(record)
    return parts


TRANSCRIPTS = sorted(
    p
    for folder in (REFERENCE, LOCAL)
    if folder.is_dir()
    for p in folder.glob("*.jsonl")
    if _stream_parts(p)
)


def _ingest(parts: list[dict]) -> Run:
    run = Run.from_log(assistant_id="test")
    for part in parts:
        run.add(copy.deepcopy(part))
    return run


def _token_part(i: int, message_id: str = "m1", ns: str = "llm:1", **chunk_extra) -> dict:
    chunk = {
        "content": f"t{i} ",
        "additional_kwargs": {},
        "response_metadata": {},
        "type": "AIMessageChunk",
        "name": None,
        "id": message_id,
        "tool_calls": [],
        "invalid_tool_calls": [],
        "usage_metadata": None,
        "tool_call_chunks": [],
        "chunk_position": None,
        **chunk_extra,
    }
    metadata = {"langgraph_node": "llm", "langgraph_step": 1, "langgraph_checkpoint_ns": ns}
    return {"event": "messages", "data": [chunk, metadata], "id": None}


@pytest.mark.skipif(not TRANSCRIPTS, reason="no recorded transcripts")
@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: p.name)
def test_events_keep_every_part_exactly(path: Path) -> None:
    parts = _stream_parts(path)
    expected = [normalize(copy.deepcopy(p), i).data for i, p in enumerate(parts)]
    run = _ingest(parts)
    assert len(run.events) == len(parts)
    for event, data in zip(run.events, expected, strict=True):
        assert orjson.dumps(event.data) == orjson.dumps(data)
        assert event.data == data


def test_recorded_token_streams_are_compacted() -> None:
    token_files = [p for p in TRANSCRIPTS if "messages-tuple" in p.name]
    if not token_files:
        pytest.skip("no recorded token transcripts")
    compacted = sum(e.compacted for p in token_files for e in _ingest(_stream_parts(p)).events)
    assert compacted > 0


def test_tokens_of_one_message_share_one_frame_and_metadata() -> None:
    run = _ingest([_token_part(i) for i in range(100)])
    events = run.events
    assert all(e.compacted for e in events)
    assert len({id(e._frame) for e in events}) == 1
    assert events[5].data == _token_part(5)["data"]
    assert run.tokens[("", "llm")] == "".join(f"t{i} " for i in range(100))


def test_interleaved_namespaces_keep_their_own_frames() -> None:
    parts = []
    for i in range(10):
        parts.append(_token_part(i, "a", "left:1"))
        parts.append(_token_part(i, "b", "right:2"))
    run = _ingest(parts)
    assert len({id(e._frame) for e in run.events}) == 2
    for event, part in zip(run.events, parts, strict=True):
        assert orjson.dumps(event.data) == orjson.dumps(part["data"])


def test_reading_data_twice_gives_independent_copies() -> None:
    run = _ingest([_token_part(0), _token_part(1)])
    first = run.events[0].data
    first[0]["additional_kwargs"]["x"] = 1
    first[0]["tool_calls"].append("y")
    assert run.events[0].data[0]["additional_kwargs"] == {}
    assert run.events[1].data[0]["tool_calls"] == []


def test_values_that_only_compare_equal_are_not_shared() -> None:
    """`1 == True`: a frame holding numbers or non-empty containers is never reused."""
    parts = [
        _token_part(0, usage_metadata={"n": 1}),
        _token_part(1, usage_metadata={"n": True}),
        _token_part(2, response_metadata={"finish_reason": "stop"}, chunk_position="last"),
    ]
    run = _ingest(parts)
    assert not any(e.compacted for e in run.events)
    for event, part in zip(run.events, parts, strict=True):
        assert orjson.dumps(event.data) == orjson.dumps(part["data"])


def test_a_changed_field_starts_a_new_frame() -> None:
    parts = [_token_part(0), _token_part(1, name="bot"), _token_part(2, "m2")]
    run = _ingest(parts)
    assert all(e.compacted for e in run.events)
    assert len({id(e._frame) for e in run.events}) == 3
    assert [e.data for e in run.events] == [p["data"] for p in parts]


def test_key_order_is_kept() -> None:
    part = _token_part(0)
    part["data"][0] = dict(reversed(list(part["data"][0].items())))
    event = _ingest([part]).events[0]
    assert event.compacted
    assert list(event.data[0]) == list(part["data"][0])


def test_save_and_load_round_trip_a_compacted_run(tmp_path: Path) -> None:
    parts = [{"event": "metadata", "data": {"run_id": "r"}, "id": None}]
    parts += [_token_part(i) for i in range(50)]
    run = _ingest(parts)
    run.save(str(tmp_path / "run.jsonl"))
    loaded = lg_widgets.load(str(tmp_path / "run.jsonl"))
    assert loaded.events == run.events
    assert all(e.compacted for e in loaded.events[1:])
    assert loaded.tokens == run.tokens


def test_setting_data_replaces_the_compact_form() -> None:
    event = _ingest([_token_part(0)]).events[0]
    event.data = {"replaced": True}
    assert not event.compacted and event.data == {"replaced": True}


def test_interner_shares_event_names() -> None:
    interner = MetadataInterner()
    a = normalize({"event": "updates|sub:1", "data": {}}, 0, interner=interner)
    b = normalize({"event": "updates|sub:1", "data": {}}, 1, interner=interner)
    assert a.mode is b.mode and a.namespace is b.namespace == ("sub:1",)


def test_event_equality_and_repr_match_the_record() -> None:
    a = Event(0, 1.0, "custom", (), {"x": 1})
    assert a == Event(0, 1.0, "custom", (), {"x": 1})
    assert a != Event(0, 1.0, "custom", (), {"x": 2})
    assert "data={'x': 1}" in repr(a)


def test_saved_file_holds_each_frame_once(tmp_path: Path) -> None:
    parts = [_token_part(i) for i in range(20)] + [_token_part(i, "m2") for i in range(20)]
    _ingest(parts).save(str(tmp_path / "run.jsonl"))
    records = [orjson.loads(line) for line in (tmp_path / "run.jsonl").read_bytes().splitlines()]
    assert records[0]["format"] == "lg_widgets.run/2"
    assert [r["frame"] for r in records if "frame" in r] == [0, 1]
    assert sum("c" in r for r in records) == 40


def test_format_1_files_still_load(tmp_path: Path) -> None:
    run = _ingest([_token_part(i) for i in range(10)])
    header = {"format": "lg_widgets.run/1", **run.summary()}
    lines = [orjson.dumps(header)] + [orjson.dumps(e.to_json()) for e in run.events]
    (tmp_path / "v1.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    loaded = lg_widgets.load(str(tmp_path / "v1.jsonl"))
    assert loaded.events == run.events
    assert all(e.compacted for e in loaded.events)
    assert loaded.tokens == run.tokens


def test_an_event_already_handed_out_is_never_changed() -> None:
    """Compaction swaps a new object into the log, so a reader on another thread (a script's
    main thread while the run streams on the background loop) never sees half an update."""
    run = Run.from_log(assistant_id="test")
    seen: list[Event] = []
    run.on_change(lambda _run, event: seen.append(event))
    part = _token_part(0)
    run.add(copy.deepcopy(part))
    assert not seen[0].compacted and seen[0].data == part["data"]
    assert run.events[0].compacted and run.events[0] == seen[0]


def _call_part(i: int, index: Any = 0, **call_extra: Any) -> dict:
    """A tool-call chunk: one args piece, repeated in `invalid_tool_calls` as langchain does."""
    piece = {"name": None, "args": f'"a{i}', "id": None, "index": index, **call_extra}
    invalid = {"name": None, "args": f'"a{i}', "id": None, "error": None, "type": "invalid"}
    return _token_part(
        i,
        content="",
        tool_call_chunks=[{**piece, "type": "tool_call_chunk"}],
        invalid_tool_calls=[invalid],
    )


def test_tool_call_chunks_share_a_frame_and_keep_their_args() -> None:
    parts = [_call_part(i) for i in range(50)]
    run = _ingest(parts)
    assert all(e.compacted for e in run.events)
    assert len({id(e.frame) for e in run.events}) == 1
    assert run.events[7].args == ['"a7', '"a7']
    for event, part in zip(run.events, parts, strict=True):
        assert orjson.dumps(event.data) == orjson.dumps(part["data"])
    first = run.events[0].data
    first[0]["tool_call_chunks"][0]["args"] = "changed"
    assert run.events[0].data == parts[0]["data"]


def test_tool_call_values_that_only_compare_equal_start_a_new_frame() -> None:
    """`1 == True == 1.0`: a call's index is shared only when its type is the same."""
    parts = [_call_part(0, 1), _call_part(1, 1), _call_part(2, True), _call_part(3, 1.0)]
    run = _ingest(parts)
    assert [e.compacted for e in run.events] == [True, True, False, False]
    assert run.events[0].frame is run.events[1].frame
    for event, part in zip(run.events, parts, strict=True):
        assert orjson.dumps(event.data) == orjson.dumps(part["data"])


def test_save_and_load_round_trip_tool_call_chunks(tmp_path: Path) -> None:
    parts = [_token_part(0)] + [_call_part(i) for i in range(1, 20)]
    for i in (5, 6):  # text with the piece: kept as (content, *args)
        parts[i]["data"][0]["content"] = f"text {i}"
    run = _ingest(parts)
    assert run.events[5].frame is run.events[7].frame
    run.save(tmp_path / "calls.jsonl")
    loaded = lg_widgets.load(tmp_path / "calls.jsonl")
    assert all(e.compacted for e in loaded.events)
    for event, part in zip(loaded.events, parts, strict=True):
        assert orjson.dumps(event.data) == orjson.dumps(part["data"])


def _decoded(part: dict) -> dict:
    """The part as the SDK would decode it: every string its own object."""
    return orjson.loads(orjson.dumps(part))


def test_tokens_kept_whole_read_back_exactly() -> None:
    """A chunk no frame can hold (here: a non-empty `tool_calls`) is kept whole (as its JSON
    text in the log); every read gives back exactly the part, a new copy each time."""
    call = {"name": "search", "args": {}, "id": "call_1", "type": "tool_call"}
    parts = [_token_part(i, tool_calls=[call]) for i in range(3)]
    run = Run.from_log(assistant_id="test")
    for part in parts:
        run.add(_decoded(part))
    assert not any(e.compacted for e in run.events)
    for event, part in zip(run.events, parts, strict=True):
        assert orjson.dumps(event.data) == orjson.dumps(part["data"])
    first = run.event_at(0).data
    first[0]["tool_calls"].clear()
    assert run.event_at(0).data[0]["tool_calls"] == [call]
    assert run.event_at(0).data[1] is run.event_at(2).data[1]  # one metadata dict, shared


def test_tokens_that_json_would_change_are_kept_as_they_came() -> None:
    """Parts given as Python objects may hold what JSON cannot give back (NaN, a tuple, a
    non-string key): those stay as they came, not approximated."""
    run = Run.from_log(assistant_id="test")
    odd = [
        _token_part(0, usage_metadata={"cost": float("nan")}),
        _token_part(1, tool_calls=[("a", "tuple")]),
        _token_part(2, additional_kwargs={1: "int key"}),
    ]
    for part in odd:
        run.add(part)
    assert math.isnan(run.event_at(0).data[0]["usage_metadata"]["cost"])
    assert run.event_at(1).data[0]["tool_calls"] == [("a", "tuple")]
    assert run.event_at(2).data[0]["additional_kwargs"] == {1: "int key"}


def test_a_long_token_run_leaves_few_objects_for_the_garbage_collector() -> None:
    """Each object that lives on in the run is one more for every full collection of Python's
    cyclic GC to walk, and their number decides how often those come: the log keeps tokens
    as tuples of strings the collector stops tracking. What stays is per message (its merged
    calls, two frames: ~50 objects, 0.6 per chunk here); an `Event` per chunk would add 1.
    """
    raw = offline.payloads("toolcalls", 20 * EVENTS_PER_MESSAGE)
    run = Run.from_log(assistant_id="test")
    gc.collect()
    before = len(gc.get_objects())
    for name, data in raw:
        run.add({"event": name, "data": orjson.loads(data)})
    gc.collect()
    per_chunk = (len(gc.get_objects()) - before) / len(raw)
    assert per_chunk < 0.75, per_chunk
    assert Run.from_log(run.events, assistant_id="test").messages == run.messages  # read whole


def test_sharing_strings_stops_at_a_bounded_depth() -> None:
    """The server chooses the nesting: below a few levels a value is kept as it came, never
    recursed into (5,000 levels would exceed Python's recursion limit)."""
    deep: Any = "leaf"
    for _ in range(5000):
        deep = [deep]
    shared = MetadataInterner().share_strings({"a": deep})
    inner, original = shared["a"], deep
    assert inner is not original
    for _ in range(3):
        inner, original = inner[0], original[0]
    assert inner is original

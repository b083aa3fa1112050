"""Offline measurements: ingest + reducers, retained memory and loading, at growing sizes.

Parts are the SDK's own `StreamPart`s decoded with orjson from real payload bytes (a token part
recorded from the embedded server, with its content varied), so the objects are shaped and
allocated as in a live run; the decoding is timed separately and subtracted, since the SDK pays
it with or without lg_widgets. Tool-call parts are the bench model's chunks as langchain-core
serializes them (`model_dump`, which is what the server sends: tests/unit/test_bench_helpers.py
compares them with parts recorded from a live `toolcalls` run) with the recorded metadata.
"""

from __future__ import annotations

import gc
import os
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
from langgraph_sdk.schema import StreamPart

import lg_widgets
from bench.graphs import EVENTS_PER_MESSAGE, token_text, tool_call_chunks
from lg_widgets.run import Run

RECORDED = Path(__file__).with_name("token_part.json")
RECORDED_TOOL_CALLS = Path(__file__).with_name("toolcall_parts.json")
TOOL_CALL_SAMPLES = (0, 1, 41, 42, EVENTS_PER_MESSAGE - 1)  # first chunks, pieces, the last


def _token_template() -> dict:
    """A `messages-tuple` part as the embedded server sends it (saved by `save_token_part`)."""
    return orjson.loads(RECORDED.read_bytes())


def save_token_part(run: Run) -> None:
    """Keep one real token part from a live run, so offline parts have the real shape (once:
    the committed file keeps offline figures comparable between runs)."""
    if RECORDED.exists():
        return
    for event in run.events_between(0):
        if event.mode == "messages":
            RECORDED.write_bytes(orjson.dumps({"event": event.event, "data": event.data}))
            return


def save_toolcall_parts(run: Run) -> None:
    """Keep a few real chunks of a live `toolcalls` run's first message and their metadata
    (once, like `save_token_part`): the metadata shapes the offline parts, the chunks check that
    the bench model's `model_dump` is what the server sends."""
    if RECORDED_TOOL_CALLS.exists():
        return
    parts = [e.data for e in run.events_between(0) if e.mode == "messages"][:EVENTS_PER_MESSAGE]
    if len(parts) == EVENTS_PER_MESSAGE:
        record = {
            "event": "messages",
            "metadata": parts[0][1],
            "chunks": {str(i): parts[i][0] for i in TOOL_CALL_SAMPLES},
        }
        RECORDED_TOOL_CALLS.write_bytes(orjson.dumps(record) + b"\n")


def recorded_toolcall_parts() -> tuple[dict[int, dict], dict]:
    """`({position in its message: chunk}, metadata)` as recorded from the embedded server."""
    record = orjson.loads(RECORDED_TOOL_CALLS.read_bytes())
    chunks = {int(position): chunk for position, chunk in record["chunks"].items()}
    return chunks, record["metadata"]


def _toolcall_payloads(n: int) -> list[tuple[str, bytes]]:
    metadata = recorded_toolcall_parts()[1]
    out = []
    for message in range(-(-n // EVENTS_PER_MESSAGE)):
        message_id = f"lc_run--{uuid.UUID(int=message)}"  # as long as langchain-core's ids
        for chunk in tool_call_chunks(message):
            chunk.id = message_id
            out.append(("messages", orjson.dumps([chunk.model_dump(), metadata])))
    return out[:n]


def payloads(kind: str, n: int) -> list[tuple[str, bytes]]:
    """`n` (event name, SSE data bytes) pairs of one kind: tokens, custom, updates, toolcalls
    (`n` chunks of replies that call 2 tools each), subagents or tooloutput."""
    if kind == "tokens":
        template = _token_template()
        chunk, metadata = template["data"]
        out = []
        for i in range(n):
            data = [{**chunk, "content": token_text(i)}, metadata]
            out.append((template["event"], orjson.dumps(data)))
        return out
    if kind == "custom":
        return [("custom", orjson.dumps({"i": i, "t": "x"})) for i in range(n)]
    if kind == "updates":
        return [("updates", orjson.dumps({"step": {"i": i, "note": "x"}})) for i in range(n)]
    if kind == "toolcalls":
        return _toolcall_payloads(n)
    if kind == "subagents":
        return _subagent_payloads(n)
    if kind == "tooloutput":  # one tool streaming its output (the Agent Protocol's tools channel)
        return [
            ("tools", orjson.dumps({"event": "tool-output-delta", "tool_call_id": "call-1",
                                    "delta": token_text(i)}))
            for i in range(n)
        ]  # fmt: skip
    raise ValueError(kind)


def _subagent_payloads(n: int, agents: int = 20) -> list[tuple[str, bytes]]:
    """`n` token parts from `agents` subagents (namespaces `researcher:<i>`), each writing its
    own message, interleaved as parallel subagents stream."""
    template = _token_template()
    chunk, metadata = template["data"]
    out = []
    for i in range(n):
        agent = i % agents
        namespace = f"researcher:{uuid.UUID(int=agent)}"
        data = [
            {**chunk, "content": token_text(i), "id": f"lc_run--{uuid.UUID(int=1000 + agent)}"},
            {**metadata, "langgraph_checkpoint_ns": f"{namespace}|llm:{agent}"},
        ]
        out.append((f"messages|{namespace}", orjson.dumps(data)))
    return out


def _parts(raw: list[tuple[str, bytes]]) -> Iterator[StreamPart]:
    loads = orjson.loads
    for name, data in raw:
        yield StreamPart(name, loads(data), None)


def _timed(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


@dataclass
class IngestSample:
    n: int
    ingest_us: float  # Run.add (normalize + reducers + compaction) per event
    decode_us: float  # what the SDK pays to decode, for scale


def ingest_time(raw: list[tuple[str, bytes]]) -> IngestSample:
    """Time `Run.add` around each call (the SDK's decoding stays outside the clock).

    The two clock reads add ~0.1 µs per event; subtracting a separately timed decode loop
    instead was far noisier on a shared machine.
    """
    clock = time.perf_counter
    run = Run.from_log(assistant_id="bench")
    ingest = run.add
    inside = decoding = 0.0
    gc.collect()
    loads = orjson.loads
    for name, data in raw:
        start = clock()
        part = StreamPart(name, loads(data), None)
        middle = clock()
        ingest(part)
        inside += clock() - middle
        decoding += middle - start
    n = len(raw)
    return IngestSample(n, inside / n * 1e6, decoding / n * 1e6)


def retained_per_event(raw: list[tuple[str, bytes]]) -> tuple[float, Run]:
    """Bytes still allocated per event once the parts are ingested and the SDK's copies freed."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    run = Run.from_log(assistant_id="bench")
    for part in _parts(raw):
        run.add(part)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return (after - before) / len(raw), run


def saved_transcript(kind: str, n: int, folder: str) -> str:
    """A `Run.save` file of `n` events of one kind."""
    run = Run.from_log(assistant_id="bench")
    for part in _parts(payloads(kind, n)):
        run.add(part)
    run.ended_at = time.time()
    run.finish("success")
    path = os.path.join(folder, f"{kind}-{n}.jsonl")
    run.save(path)
    return path


def load_rate(path: str) -> tuple[float, int]:
    """Events/s of `lg_widgets.load` (read, decode, rebuild events, all reducers)."""
    holder: list[Run] = []
    seconds = _timed(lambda: holder.append(lg_widgets.load(path)))
    count = holder[0].event_count
    return count / seconds, count


def timeline_seconds(path: str) -> tuple[float, int]:
    """Seconds to build `run.timeline` for a loaded run (the first, uncached call)."""
    run = lg_widgets.load(path)
    frames: list = []
    seconds = _timed(lambda: frames.append(run.timeline))
    return seconds, len(frames[0])


def agents_seconds(n: int) -> tuple[float, int]:
    """Seconds to build `run.agents` (the first, uncached call) for a run of `n` subagent token
    events, and how many agents it found."""
    run = Run.from_log(assistant_id="bench")
    for part in _parts(_subagent_payloads(n)):
        run.add(part)
    run.finish("success")
    frames: list = []
    seconds = _timed(lambda: frames.append(run.agents))
    return seconds, len(frames[0])


def scratch() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="lg-widgets-bench-")

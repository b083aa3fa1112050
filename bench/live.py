"""Measurements against the embedded server: throughput, client CPU, front-end traffic, memory.

The raw side is a bare `async for` over `client.runs.stream`; the lg_widgets side is
`lg_widgets.stream` with a `RunView` attached (comm replaced by a counting sink) on the same
client, same loop, same request. Both sides of a pair run back to back, alternating which goes
first, because on 2 cores the server's speed depends on what the client costs.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import time
import tracemalloc
from dataclasses import dataclass, field
from typing import Any

import orjson
from langgraph_sdk.client import LangGraphClient

import lg_widgets
from bench.sinks import CountingComm, attach_view
from lg_widgets.run import Run

GRAPH_MODE = {
    "tokens": "messages-tuple",
    "custom": "custom",
    "document": "values",
    "agent": "values",
    "toolcalls": "messages-tuple",
    "subagents": "messages-tuple",
}
SUBGRAPHS = {"subagents"}  # graphs streamed with `stream_subgraphs=True`


@dataclass
class Sample:
    """One streamed run as the client saw it."""

    events: int  # data events (the `metadata` event excluded)
    wall_s: float  # from the call to the end of the stream
    steady_eps: float  # data events/s between the first and the last data event
    cpu_us: float  # client process CPU per data event over the whole call
    sink: CountingComm | None = None
    text_bytes: int = 0  # the streamed LLM text plus the tool calls' argument strings
    stream_s: float = 0.0  # first to last data event
    extra: dict[str, Any] = field(default_factory=dict)


def _steady(first: float | None, last: float | None, count: int) -> float:
    if first is None or last is None or last <= first or count < 2:
        return 0.0
    return (count - 1) / (last - first)


async def raw_sdk(client: LangGraphClient, graph: str, n: int) -> Sample:
    """The baseline: what a user writing the loop by hand pays."""
    gc.collect()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    first = last = None
    count = 0
    async for part in client.runs.stream(
        None,
        graph,
        input={"n": n},
        stream_mode=GRAPH_MODE[graph],
        stream_subgraphs=graph in SUBGRAPHS,
        on_disconnect="cancel",
    ):
        if part.event != "metadata":
            last = time.time()
            first = first or last
            count += 1
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return Sample(count, wall, _steady(first, last, count), cpu / max(count, 1) * 1e6)


async def with_view(client: LangGraphClient, graph: str, n: int) -> Sample:
    """lg_widgets.stream + RunView flushing into a counting comm."""
    gc.collect()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    steps = {"config": {"recursion_limit": n + 10}} if GRAPH_MODE[graph] == "values" else {}
    run = lg_widgets.stream(
        graph,
        {"n": n},
        stream_mode=GRAPH_MODE[graph],
        stream_subgraphs=graph in SUBGRAPHS,
        client=client,
        **steps,
    )
    view, sink = attach_view(run)
    await run
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    if run.status != "success":
        raise RuntimeError(f"bench run failed: {run.status} {run.error}")
    data = [e for e in run.events_between(0) if e.mode != "metadata"]
    first, last = (data[0].time, data[-1].time) if data else (None, None)
    sample = Sample(
        len(data),
        wall,
        _steady(first, last, len(data)),
        cpu / max(len(data), 1) * 1e6,
        sink,
        streamed_bytes(run),
        (last - first) if data else 0.0,  # type: ignore[operator]
    )
    if view is not None:
        view.close()
    return sample


def streamed_bytes(run: Run) -> int:
    """What the model streamed that the front end must show: text and tool-call arguments."""
    text = "".join(run.tokens.values()).encode()
    calls = run.tool_calls
    args = sum(len(a.encode()) for a in calls["args_text"]) if len(calls) else 0
    return len(text) + args


async def pairs(
    client: LangGraphClient,
    graph: str,
    n: int,
    repeats: int,
    log: Any,
    raw: Any = None,
    lg: Any = None,
    label: str = "",
) -> list[tuple[Sample, Sample]]:
    """`repeats` (baseline, lg_widgets) pairs, alternating which side runs first; the sides
    are the bare SDK loop and `lg_widgets.stream` unless `raw` / `lg` say otherwise."""
    raw_side, lg_side = raw or raw_sdk, lg or with_view
    out = []
    for i in range(repeats):
        if i % 2 == 0:
            bare = await raw_side(client, graph, n)
            ours = await lg_side(client, graph, n)
        else:
            ours = await lg_side(client, graph, n)
            bare = await raw_side(client, graph, n)
        log(
            f"  {label}{graph} n={n} #{i + 1}: raw {bare.steady_eps:,.0f} ev/s "
            f"{bare.cpu_us:.0f} µs/ev | lg {ours.steady_eps:,.0f} ev/s {ours.cpu_us:.0f} µs/ev, "
            f"{ours.sink.messages if ours.sink else 0} msgs"
        )
        out.append((bare, ours))
    return out


@dataclass
class MemorySample:
    events: int
    retained_bytes: int
    intact: bool
    compacted: int


def _tap(client: LangGraphClient, digest: Any, counter: list[int]) -> None:
    """Hash every part exactly as the SDK yields it, before lg_widgets touches it."""
    original = client.runs.stream

    def stream(*args: Any, **kwargs: Any) -> Any:
        async def parts() -> Any:
            async for part in original(*args, **kwargs):
                digest.update(orjson.dumps([part.event, part.data, part.id]))
                counter[0] += 1
                yield part

        return parts()

    client.runs.stream = stream  # type: ignore[method-assign]


def _log_digest(run: Run) -> str:
    digest = hashlib.sha256()
    for event in run.events_between(0):
        digest.update(orjson.dumps([event.event, event.data, event.id]))
    return digest.hexdigest()


async def retained_by(start: Any) -> tuple[Run, int]:
    """The run `start()` returns, and the bytes it retains with its view attached once it has
    ended (tracemalloc, after `gc.collect()`; what exists before `start` is not counted). The
    view stays attached while measured: a displayed widget is part of what a run costs."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    run = start()
    view, _sink = attach_view(run)
    await run
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    if view is not None:
        view.close()
    return run, after - before


async def retained(
    url: str, graph: str, n: int, save_to: str | None = None
) -> tuple[MemorySample, Run]:
    """Retained memory of a finished run (tracemalloc), and whether it kept every part.

    tracemalloc starts after the client exists; the run and its attached view are measured
    after `gc.collect()` once the stream has ended.
    """
    from lg_widgets.defaults import current_connection

    client = current_connection(url).client()  # carries the embedded server's secret
    digest, counter = hashlib.sha256(), [0]
    _tap(client, digest, counter)
    steps = {"config": {"recursion_limit": n + 10}} if GRAPH_MODE[graph] == "values" else {}
    run, kept = await retained_by(
        lambda: lg_widgets.stream(
            graph, {"n": n}, stream_mode=GRAPH_MODE[graph], client=client, **steps
        )
    )
    intact = counter[0] == run.event_count and digest.hexdigest() == _log_digest(run)
    compacted = sum(e.compacted for e in run.events_between(0))
    if save_to:
        run.save(save_to)
    await client.http.client.aclose()
    return MemorySample(run.event_count, kept, intact, compacted), run


async def retained_protocol(url: str, graph: str, n: int) -> tuple[int, int]:
    """(events, bytes retained) of a finished `protocol="agent"` run with its view attached."""
    from lg_widgets.defaults import current_connection

    client = current_connection(url).client()
    run, kept = await retained_by(
        lambda: lg_widgets.stream(graph, {"n": n}, protocol="agent", client=client)
    )
    if run.status != "success":
        raise RuntimeError(f"bench run failed: {run.status} {run.error}")
    await client.http.client.aclose()
    return run.event_count, kept


def run_async(coro: Any) -> Any:
    return asyncio.run(coro)


async def raw_protocol(
    client: LangGraphClient, graph: str, n: int, *, count_bytes: bool = False
) -> Sample:
    """The Agent Protocol's baseline: create a thread, subscribe, start the run and read the
    subscription by hand until the run's root terminal lifecycle event (its stream never ends).
    `count_bytes`: also size every event as JSON (`extra["wire_bytes"]`), work a bare loop
    does not do, so only on a run whose CPU is not compared."""
    from lg_widgets.agent_protocol import ProtocolSession
    from lg_widgets.protocol_events import is_root_terminal

    gc.collect()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    thread = await client.threads.create()  # lg_widgets creates its thread in its window too
    session = ProtocolSession(client, thread["thread_id"])
    handle = session.subscribe(since=None)
    await handle.ready
    await session.start_run(graph, {"n": n})
    first = last = None
    count = wire = 0
    async for event in handle.events:
        if event.get("method") != "lifecycle":
            last = time.time()
            first = first or last
            count += 1
        if count_bytes:
            wire += len(orjson.dumps(event))
        if is_root_terminal(event):
            break
    await handle.close()
    await session.close()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    sample = Sample(count, wall, _steady(first, last, count), cpu / max(count, 1) * 1e6)
    sample.extra["wire_bytes"] = wire
    return sample


async def with_view_protocol(client: LangGraphClient, graph: str, n: int) -> Sample:
    """lg_widgets.stream(protocol="agent") + RunView flushing into a counting comm."""
    gc.collect()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    run = lg_widgets.stream(graph, {"n": n}, protocol="agent", client=client)
    view, sink = attach_view(run)
    await run
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    if run.status != "success":
        raise RuntimeError(f"bench run failed: {run.status} {run.error}")
    data = [e for e in run.events_between(0) if e.mode != "lifecycle"]
    first, last = (data[0].time, data[-1].time) if data else (None, None)
    sample = Sample(
        len(data), wall, _steady(first, last, len(data)), cpu / max(len(data), 1) * 1e6, sink,
        streamed_bytes(run), (last - first) if data else 0.0,  # type: ignore[operator]
    )  # fmt: skip
    if view is not None:
        view.close()
    return sample


async def protocol_pairs(
    client: LangGraphClient, graph: str, n: int, repeats: int, log: Any
) -> tuple[list[tuple[Sample, Sample]], float]:
    """(bare protocol loop, lg_widgets `protocol="agent"`) pairs, and the bytes on the wire per
    event, from a run of its own before them."""
    sized = await raw_protocol(client, graph, n, count_bytes=True)
    found = await pairs(
        client, graph, n, repeats, log, raw_protocol, with_view_protocol, "agent protocol "
    )
    return found, sized.extra["wire_bytes"] / max(sized.events, 1)

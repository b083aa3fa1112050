"""In-process runs: a compiled graph streamed in this process (`lg_widgets.stream(graph)`).

The raw side is a bare `async for` over `graph.astream(...)`; the lg_widgets side is
`lg_widgets.stream(graph, ...)` with a `RunView` attached (comm replaced by a counting sink),
on the same loop, for the same graph object and input. The graph runs in this process on both
sides, so "client CPU per event" here is the whole process: the graph's own work plus what
lg_widgets adds. Pairs alternate which side runs first.
"""

from __future__ import annotations

import gc
import time
from typing import Any

import lg_widgets
from bench import graphs
from bench.live import Sample, _steady, retained_by
from bench.sinks import attach_view

# bench graph -> (the graph object, the mode lg_widgets streams, the mode astream is asked for)
GRAPHS: dict[str, tuple[Any, str, str]] = {
    "tokens": (graphs.tokens, "messages-tuple", "messages"),
    "custom": (graphs.custom, "custom", "custom"),
}


async def raw_astream(name: str, n: int) -> Sample:
    """The baseline: the loop a user writes by hand over `graph.astream`."""
    graph, _, mode = GRAPHS[name]
    gc.collect()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    first = last = None
    count = 0
    async for _chunk in graph.astream({"n": n}, stream_mode=mode):
        last = time.time()
        first = first or last
        count += 1
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return Sample(count, wall, _steady(first, last, count), cpu / max(count, 1) * 1e6)


async def with_view(name: str, n: int) -> Sample:
    """lg_widgets.stream(graph) + RunView flushing into a counting comm."""
    graph, mode, _ = GRAPHS[name]
    gc.collect()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    run = lg_widgets.stream(graph, {"n": n}, stream_mode=mode)
    view, sink = attach_view(run)
    await run
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    if run.status != "success":
        raise RuntimeError(f"bench run failed: {run.status} {run.error}")
    data = [e for e in run.events_between(0) if e.mode != "metadata"]
    first, last = (data[0].time, data[-1].time) if data else (None, None)
    if view is not None:
        view.close()
    return Sample(
        len(data), wall, _steady(first, last, len(data)), cpu / max(len(data), 1) * 1e6, sink
    )


async def pairs(name: str, n: int, repeats: int, log: Any) -> list[tuple[Sample, Sample]]:
    """`repeats` (raw, lg_widgets) pairs, alternating which side runs first."""
    out = []
    for i in range(repeats):
        if i % 2 == 0:
            raw = await raw_astream(name, n)
            lg = await with_view(name, n)
        else:
            lg = await with_view(name, n)
            raw = await raw_astream(name, n)
        log(
            f"  in-process {name} n={n} #{i + 1}: raw {raw.steady_eps:,.0f} ev/s "
            f"{raw.cpu_us:.0f} µs/ev | lg {lg.steady_eps:,.0f} ev/s {lg.cpu_us:.0f} µs/ev, "
            f"{lg.sink.messages if lg.sink else 0} msgs"
        )
        out.append((raw, lg))
    return out


async def retained(name: str, n: int) -> tuple[int, int]:
    """(events, bytes retained) of a finished in-process run with its view attached. The
    graph object exists before tracemalloc starts; what the run keeps is measured after
    `gc.collect()` once it has ended."""
    graph, mode, _ = GRAPHS[name]
    run, kept = await retained_by(lambda: lg_widgets.stream(graph, {"n": n}, stream_mode=mode))
    return run.event_count, kept

"""`python -m bench [--quick]`: every lg_widgets benchmark, printed as one markdown table.

Sections: 1 throughput and client CPU vs the raw SDK, 2 front-end traffic, 3 browser (with the
graph panel's layout and highlight costs), 4 retained memory, 5 offline load and timeline, 6
scaling. Live sections use the embedded in-memory server with `bench/langgraph.json` (graphs
`tokens`, `custom`, `toolcalls`, `document`, `agent`, `subagents`); all
traffic is loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import bench.offline as offline
from bench import browser, graph_layout, inprocess, live
from bench.graphs import SUBAGENTS, calls_for
from bench.sinks import ENVELOPE_BYTES, VIEW_NOTE, CountingComm
from bench.table import Figure, Row, check, figure, render


@dataclass
class Sizes:
    custom: int
    tokens: int
    repeats: int  # (raw, lg_widgets) pairs for the custom firehose
    token_repeats: int  # pairs for the token run (short, and noisier: more of them)
    memory_n: int
    scaling: tuple[int, ...]
    offline_repeats: int
    browser_tokens: int
    timeline_rows: int = 10_000
    toolcalls: int = 41_500  # chunks of the tool-call run (1,000 calls of 200 JSON characters)
    toolcall_repeats: int = 2  # (raw, lg_widgets) pairs for it
    # pairs per Agent Protocol firehose: both sides share 2 cores with the server, and single
    # pairs differ by up to 15%, so the median needs more of them than the long runs above
    protocol_repeats: int = 5


FULL = Sizes(100_000, 20_000, 3, 5, 100_000, (1_000, 10_000, 100_000), 3, 20_000)
QUICK = Sizes(10_000, 5_000, 2, 2, 10_000, (1_000, 10_000), 2, 2_000, toolcalls=10_000)
# what the front end must receive at least: the model's text, and its tool calls' arguments
STREAMED = {
    "tokens": "token text",
    "toolcalls": "text + tool-call arguments",
    "subagents": "token text",
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def memory() -> str:
    """The machine's memory, where the system says it (Linux)."""
    try:
        with open("/proc/meminfo") as info:
            kib = int(info.readline().split()[1])
        return f"{kib / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        return "memory unknown"


def machine() -> str:
    load = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} CPU, {memory()}, Python {platform.python_version()}, "
        f"{platform.system()}; load average {load:.2f} at start"
    )


# ---- 1 + 2: live throughput, CPU, front-end traffic -------------------------------------------
def at_most(limit: float) -> Callable[[float], bool]:
    return lambda value: value <= limit


def at_least(limit: float) -> Callable[[float], bool]:
    return lambda value: value >= limit


def goal(section: str, metric: str, value: Figure, target: str, ok: Callable[[float], bool]) -> Row:
    """A row with a target, judged on the median."""
    return Row(section, metric, value.text(), target, check(value, ok))


def throughput_rows(graph: str, pairs: list[tuple[live.Sample, live.Sample]]) -> list[Row]:
    raw = [p[0] for p in pairs]
    lg = [p[1] for p in pairs]
    label = f"{graph} ({lg[0].events:,} events)"
    speed = figure([b.steady_eps / a.steady_eps for a, b in pairs], "×", 2)
    cpu = figure([b.cpu_us / a.cpu_us for a, b in pairs], "×", 2)
    raw_cpu, lg_cpu = figure([s.cpu_us for s in raw], "µs"), figure([s.cpu_us for s in lg], "µs")
    return [
        Row("1", f"{label}: raw SDK events/s", figure([s.steady_eps for s in raw]).text()),
        Row("1", f"{label}: lg_widgets + view events/s", figure([s.steady_eps for s in lg]).text()),
        goal("1", f"{label}: events/s lg/raw", speed, "≥ 0.95×", at_least(0.95)),
        Row("1", f"{label}: raw SDK client CPU/event", raw_cpu.text()),
        Row("1", f"{label}: lg_widgets client CPU/event", lg_cpu.text()),
        goal("1", f"{label}: client CPU lg/raw", cpu, "≤ 1.3×", at_most(1.3)),
    ]


def protocol_rows(
    graph: str,
    pairs: list[tuple[live.Sample, live.Sample]],
    wire: float,
    runs_pairs: list[tuple[live.Sample, live.Sample]] | None,
) -> list[Row]:
    """lg_widgets over the Agent Protocol against a bare loop over the protocol's SSE."""
    label = f"agent protocol, {graph} ({pairs[0][1].events:,} events)"
    speed = figure([b.steady_eps / a.steady_eps for a, b in pairs], "×", 2)
    cpu = figure([b.cpu_us / a.cpu_us for a, b in pairs], "×", 2)
    rows = [
        goal("1", f"{label}: events/s lg/bare SSE", speed, "≥ 0.95×", at_least(0.95)),
        goal("1", f"{label}: client CPU lg/bare SSE", cpu, "≤ 1.3×", at_most(1.3)),
        Row("1", f"{label}: bytes on the wire per event", f"{wire:.0f} B/event"),
    ]
    if runs_pairs:
        per_run = figure([lg.cpu_us for _, lg in runs_pairs], "µs").median
        versus = figure([lg.cpu_us / per_run for _, lg in pairs], "×", 2)
        rows.append(Row("1", f"{label}: lg_widgets CPU/event vs runs.stream", versus.text()))
    return rows


def agent_cost_rows(
    single: list[tuple[live.Sample, live.Sample]], multi: list[tuple[live.Sample, live.Sample]]
) -> list[Row]:
    """What 20 subagents cost the client per event, against one agent with as many tokens."""
    one = figure([lg.cpu_us for _, lg in single]).median
    ratio = figure([lg.cpu_us / one for _, lg in multi], "×", 2)
    label = f"{SUBAGENTS} subagents × 200 tokens"
    return [
        Row("1", f"tokens ({single[0][1].events:,} events, one agent): lg_widgets CPU/event",
            f"{one:.1f} µs"),
        goal("1", f"{label}: lg_widgets CPU/event vs one agent", ratio, "≤ 1.15×",
             at_most(1.15)),
    ]  # fmt: skip


def _kinds(sink: CountingComm) -> str:
    """`update` is a trait sync (the snapshot), `custom:delta` a coalesced delta message."""
    return ", ".join(
        f"{kind} {sink.kinds[kind]}× {size / 1e3:,.1f} KB"
        for kind, size in sorted(sink.bytes_by_kind.items())
    )


def traffic_rows(graph: str, samples: list[live.Sample]) -> list[Row]:
    sinks = [s.sink for s in samples if s.sink is not None and s.sink.messages]
    if len(sinks) != len(samples) or not samples:
        return [Row("2", f"{graph}: front-end traffic", "not measured: " + "; ".join(VIEW_NOTE))]
    label = f"{graph} ({samples[0].events:,})"
    seconds = [max(s.stream_s, 1e-9) for s in samples]
    rate = figure([c.messages / t for c, t in zip(sinks, seconds, strict=True)], "msg/s", 1)
    payload = figure([c.bytes / 1e3 for c in sinks], "KB", 1)
    peak = figure([c.peak_per_second() for c in sinks], "msgs")
    rows = [
        goal("2", f"{label}: messages/s while streaming", rate, "≤ 30/s", at_most(30)),
        goal("2", f"{label}: most messages in any 1 s", peak, "≤ 30", at_most(30)),
        Row("2", f"{label}: messages in total", figure([c.messages for c in sinks]).text()),
        Row("2", f"{label}: payload to the front end", payload.text()),
        Row("2", f"{label}: payload by kind (first repeat)", _kinds(sinks[0])),
    ]
    if graph in STREAMED:
        what = STREAMED[graph]
        text = [max(s.text_bytes, 1) for s in samples]
        ratio = figure([c.bytes / t for c, t in zip(sinks, text, strict=True)], "× text", 2)
        envelopes = [c.bytes + ENVELOPE_BYTES * c.messages for c in sinks]
        wire = figure([b / t for b, t in zip(envelopes, text, strict=True)], "× text", 2)
        rows += [
            Row("2", f"{graph}: {what} size", f"{text[0] / 1e3:,.1f} KB"),
            goal("2", f"{graph}: payload bytes / {what}", ratio, "≤ 3×", at_most(3)),
            goal("2", f"{graph}: + {ENVELOPE_BYTES} B envelope/msg", wire, "≤ 3×", at_most(3)),
        ]  # fmt: skip
    return rows


async def live_sections(url: str, sizes: Sizes) -> list[Row]:
    from lg_widgets.defaults import current_connection

    client = current_connection(url).client()  # carries the embedded server's secret
    rows: list[Row] = []
    log("warm-up")
    await live.raw_sdk(client, "tokens", 500)
    await live.with_view(client, "tokens", 500)
    token_pairs = await live.pairs(client, "tokens", sizes.tokens, sizes.token_repeats, log)
    custom_pairs = await live.pairs(client, "custom", sizes.custom, sizes.repeats, log)
    calls = calls_for(sizes.toolcalls)
    toolcall_pairs = await live.pairs(client, "toolcalls", calls, sizes.toolcall_repeats, log)
    # 20 subagents of 200 tokens each, against one agent streaming as many tokens
    n = SUBAGENTS * 200
    single_pairs = await live.pairs(client, "tokens", n, sizes.token_repeats, log)
    multi_pairs = await live.pairs(client, "subagents", n, sizes.token_repeats, log)
    rows += throughput_rows("tokens", token_pairs)
    rows += throughput_rows("custom", custom_pairs)
    rows += throughput_rows("toolcalls", toolcall_pairs)
    rows += throughput_rows("subagents", multi_pairs)
    rows += agent_cost_rows(single_pairs, multi_pairs)
    rows += traffic_rows("tokens", [p[1] for p in token_pairs])
    rows += traffic_rows("custom", [p[1] for p in custom_pairs])
    rows += traffic_rows("toolcalls", [p[1] for p in toolcall_pairs])
    rows += traffic_rows("subagents", [p[1] for p in multi_pairs])
    # the firehoses through the Agent Protocol, against a bare loop over its SSE (the custom
    # firehose cannot go: langgraph-api 0.16.7 sends nothing on the custom channel)
    for graph, n, runs_side in (("tokens", sizes.tokens, token_pairs), ("toolcalls", calls, None)):
        agent_pairs, wire = await live.protocol_pairs(client, graph, n, sizes.protocol_repeats, log)
        rows += protocol_rows(graph, agent_pairs, wire, runs_side)
    await client.http.client.aclose()
    return rows


def browser_rows(url: str, sizes: Sizes) -> list[Row]:
    reason = browser.available()
    if reason is None:
        log(f"browser: {sizes.browser_tokens} tokens, {sizes.timeline_rows} timeline rows")
        try:
            b = browser.measure(url, sizes.browser_tokens, sizes.timeline_rows)
        except Exception as exc:  # noqa: BLE001 - reported in the table instead
            reason = f"failed: {type(exc).__name__}: {exc}"[:200]
    if reason is not None:
        return [Row("3", "browser (JupyterLab + Chromium)", f"not measured: {reason}")]
    p95 = figure([b["p95"]], "ms")
    label = f"{b['tokens']:,} tokens at {b['rate']:,.0f}/s"
    return [
        Row("3", f"token-to-screen latency p50, {label}", f"{b['p50']:.0f} ms"),
        goal("3", f"token-to-screen latency p95, {label}", p95, "≤ 150 ms", at_most(150)),
        Row("3", "final DOM text equals run.tokens", "yes" if b["intact"] else "NO", "no drops",
            "met" if b["intact"] else "MISSED"),
        Row("3", "token-to-screen p95 by quarter of the run",
            " / ".join(f"{v:.0f}" for v in b["p95_by_quarter"]) + " ms"),
        Row("3", "longest main-thread task while streaming", f"{b['longest_task_ms']:.0f} ms"),
        Row("3", "tasks > 50 ms while streaming",
            f"{b['long_tasks']} ({b['long_task_ms_total'] / 1000:.1f} s in all)"),
        Row("3", f"{b['rows']:,}-row timeline: cell start → rendered (load + send + render)",
            f"{b['timeline_ms']:.0f} ms"),
        Row("3", f"{b['rows']:,}-row timeline: tab click → rows painted",
            f"{b['timeline_click_ms']:.0f} ms"),
    ]  # fmt: skip


def graph_rows() -> list[Row]:
    """The graph panel in plain Chromium (no JupyterLab needed): layout and highlight costs, for
    the generated graph (alike sub-agents, whose boxes are laid out once) and its `varied` twin
    (every box its own shape)."""
    reason = browser.available()
    if reason is None:
        log("browser: graph panel, 200-node generated graphs")
        try:
            alike = graph_layout.measure(200, repeats=5)
            varied = graph_layout.measure(200, repeats=5, updates=0, varied=True)
        except Exception as exc:  # noqa: BLE001 - reported in the table instead
            reason = f"failed: {type(exc).__name__}: {exc}"[:200]
    if reason is not None:
        return [Row("3", "graph panel (Chromium)", f"not measured: {reason}")]
    label = f"{alike['nodes']}-node graph, {alike['boxes']} subgraph boxes"
    return [
        goal("3", f"graph: {label} (alike), tab click → drawn (layout + SVG + style)",
             figure(alike["drawn_ms"], "ms"), "≤ 500 ms", at_most(500)),
        Row("3", "graph: of which the dagre layout", figure(alike["dagre_ms"], "ms").text()),
        goal("3", f"graph: {label}, every box different, tab click → drawn",
             figure(varied["drawn_ms"], "ms"), "≤ 500 ms", at_most(500)),
        Row("3", "graph: of which the dagre layout", figure(varied["dagre_ms"], "ms").text()),
        goal("3", f"graph: highlight update ({alike['changed']} nodes change), p95",
             figure([alike["highlight_p95_ms"]], "ms", 1), "≤ 16 ms (a frame)", at_most(16)),
        Row("3", "graph: highlight update, p50 / slowest",
            f"{alike['highlight_p50_ms']:.1f} / {alike['highlight_max_ms']:.1f} ms"),
    ]  # fmt: skip


# ---- 4: memory ---------------------------------------------------------------------------------
async def memory_sections(url: str, sizes: Sizes, folder: str) -> tuple[list[Row], str]:
    rows = []
    path = os.path.join(folder, "live-tokens.jsonl")
    # a first run imports and caches what every later run shares: it is not what a run keeps
    # (run alone, the first measured run read 900 B per token event instead of ~240)
    log("memory: warm-up")
    await live.retained(url, "tokens", 200)
    for graph in ("tokens", "custom", "toolcalls"):
        n = calls_for(sizes.memory_n) if graph == "toolcalls" else sizes.memory_n
        log(f"memory: {graph} n={n}")
        sample, run = await live.retained(
            url, graph, n, save_to=path if graph == "tokens" else None
        )
        if graph == "tokens":
            offline.save_token_part(run)
        if graph == "toolcalls":
            offline.save_toolcall_parts(run)
        per_event = figure([sample.retained_bytes / sample.events], "B")
        intact = "all parts equal" if sample.intact else "PARTS DIFFER"
        kept = f"{per_event.text()} ({sample.retained_bytes / 1e6:.1f} MB; {intact})"
        if graph in ("tokens", "toolcalls"):
            what = "token events" if graph == "tokens" else f"tool-call chunks ({n:,} calls)"
            rows.append(Row(
                "4", f"retained/event after a live run, {sample.events:,} {what} + view",
                kept, "≤ 600 B, nothing lost",
                "met" if sample.intact and per_event.median <= 600 else "MISSED",
            ))  # fmt: skip
        else:
            rows.append(Row(
                "4", f"retained/event after a live run, {sample.events:,} custom events + view",
                kept, "nothing lost", "met" if sample.intact else "MISSED",
            ))  # fmt: skip
        del run
    log(f"memory: tokens n={sizes.memory_n} through the Agent Protocol")
    events, kept = await live.retained_protocol(url, "tokens", sizes.memory_n)
    rows.append(Row(
        "4", f"retained/event after an Agent Protocol run, {events:,} events (tokens) + view",
        f"{kept / events:.0f} B ({kept / 1e6:.1f} MB)", "≤ 600 B",
        "met" if kept / events <= 600 else "MISSED",
    ))  # fmt: skip
    for graph, steps, what in (
        ("document", 30, "a 2 MB document + a list growing to 5,100 ints"),
        ("agent", 500, "a messages list growing by one message a step"),
    ):
        log(f"memory: {graph} {steps} steps in values mode")
        sample, run = await live.retained(url, graph, steps)
        del run
        mb = sample.retained_bytes / 1e6
        intact = "all parts equal" if sample.intact else "PARTS DIFFER"
        rows.append(Row(
            "4", f"retained after {steps} `values` steps of {what}, + view",
            f"{mb:.1f} MB ({intact})", "≤ 10 MB, nothing lost",
            "met" if sample.intact and mb <= 10 else "MISSED",
        ))  # fmt: skip
    return rows, path


# ---- 7: a graph object streamed in this process ------------------------------------------
async def inprocess_sections(sizes: Sizes) -> list[Row]:
    """The token firehose and a 20k-event custom firehose streamed in-process, lg_widgets with
    its view vs a bare `async for` over `graph.astream`, interleaved; and what a finished
    token run keeps per event."""
    rows: list[Row] = []
    for graph, n, repeats in (
        ("tokens", sizes.tokens, sizes.token_repeats),
        ("custom", 20_000, sizes.repeats),
    ):
        log(f"in-process: {graph} n={n}")
        got = await inprocess.pairs(graph, n, repeats, log)
        label = f"in-process {graph} ({got[0][1].events:,} events)"
        speed = figure([b.steady_eps / a.steady_eps for a, b in got], "×", 2)
        cpu = figure([b.cpu_us / a.cpu_us for a, b in got], "×", 2)
        bare, lg = [a for a, _ in got], [b for _, b in got]
        bare_eps, lg_eps = figure([a.steady_eps for a in bare]), figure([b.steady_eps for b in lg])
        bare_cpu = figure([a.cpu_us for a in bare], "µs")
        lg_cpu = figure([b.cpu_us for b in lg], "µs")
        rows += [
            Row("7", f"{label}: bare astream events/s", bare_eps.text()),
            Row("7", f"{label}: lg_widgets + view events/s", lg_eps.text()),
            goal("7", f"{label}: events/s lg/bare", speed, "≥ 0.9×", at_least(0.9)),
            Row("7", f"{label}: bare astream CPU/event", bare_cpu.text()),
            Row("7", f"{label}: lg_widgets CPU/event", lg_cpu.text()),
            goal("7", f"{label}: CPU/event lg/bare", cpu, "≤ 1.3×", at_most(1.3)),
        ]  # fmt: skip
    events, kept = await inprocess.retained("tokens", sizes.memory_n)
    per_event = figure([kept / events], "B")
    rows.append(goal(
        "7", f"in-process retained/event after {events:,} token events + view", per_event,
        "≤ 600 B", at_most(600),
    ))  # fmt: skip
    return rows


# ---- 5 + 6: offline ------------------------------------------------------------------------
def offline_sections(sizes: Sizes, folder: str, live_tokens: str | None) -> list[Row]:
    rows: list[Row] = []
    n = sizes.scaling[-1]
    transcripts = {
        kind: offline.saved_transcript(kind, n, folder) for kind in ("tokens", "custom", "updates")
    }
    if live_tokens and os.path.exists(live_tokens):
        transcripts["tokens (live run)"] = live_tokens
    for kind, path in transcripts.items():
        log(f"load: {kind}")
        offline.load_rate(path)  # warm-up: the first load also pays for fresh memory pages
        rates = [offline.load_rate(path) for _ in range(sizes.offline_repeats)]
        rate = figure([r for r, _ in rates], "ev/s")
        rows.append(Row(
            "5", f"lg_widgets.load + all reducers, {rates[0][1]:,} {kind} events",
            rate.text(), "≥ 100k ev/s", check(rate, at_least(100_000)),
        ))  # fmt: skip
    log("agents")
    built = [offline.agents_seconds(10_000) for _ in range(sizes.offline_repeats)]
    agents_s = figure([s * 1e3 for s, _ in built], "ms", 1)
    rows.append(Row(
        "5", f"run.agents, 10,000 token events of {built[0][1] - 1} subagents (first call)",
        agents_s.text(), "≤ 50 ms", check(agents_s, at_most(50)),
    ))  # fmt: skip
    log("timeline")
    updates = transcripts["updates"]
    timings = [offline.timeline_seconds(updates) for _ in range(sizes.offline_repeats)]
    seconds = figure([s for s, _ in timings], "s", 3)
    rows.append(Row(
        "5", f"run.timeline, {timings[0][1]:,} rows (first call)",
        seconds.text(), "≤ 1 s", check(seconds, at_most(1.0)),
    ))  # fmt: skip
    for kind in ("tokens", "custom", "toolcalls", "tooloutput"):
        for size in sizes.scaling:
            log(f"scaling: {kind} n={size}")
            raw = offline.payloads(kind, size)
            # small sizes repeat more, so that every size times ~100k events in all
            repeats = max(sizes.offline_repeats, min(20, 100_000 // size))
            times = [offline.ingest_time(raw) for _ in range(repeats)]
            memory, _run = offline.retained_per_event(raw)
            del _run
            ingest = figure([t.ingest_us for t in times], "µs/ev", 1)
            decode = figure([t.decode_us for t in times], "", 1).median
            rows.append(Row(
                "6", f"{kind} ×{size:,}: ingest + reducers (SDK decode {decode:.1f} µs/ev)",
                f"{ingest.text()}; {memory:,.0f} B/ev retained",
                "~≤ 10 µs/ev, flat", check(ingest, at_most(10)),
            ))  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller runs, fewer repeats (~3 min)")
    parser.add_argument(
        "--only",
        choices=("live", "browser", "memory", "offline", "graph", "inprocess"),
        action="append",
        help="some sections (repeatable); `graph`: only the graph panel rows of section 3",
    )
    parser.add_argument(
        "--markdown",
        metavar="PATH",
        help="also write the site's performance page there (docs/performance.md): the table with "
        "the date, the machine, the versions and the command, then bench/performance_notes.md",
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    only = set(args.only or ("live", "browser", "memory", "offline", "inprocess"))
    started = time.time()
    load_at_start = os.getloadavg()[0]
    header = machine()
    rows: list[Row] = []
    import lg_widgets
    from lg_widgets.defaults import child_environment

    config = os.path.join(os.path.dirname(os.path.abspath(__file__)), "langgraph.json")
    with offline.scratch() as folder:
        live_tokens = None
        if only & {"live", "browser", "memory"}:
            with lg_widgets.serve(config=config, connect=False) as server:
                if "live" in only:
                    rows += asyncio.run(live_sections(server.url, sizes))
                if "browser" in only:
                    # the lab's kernels reach the embedded server with its secret
                    os.environ.update(child_environment(server))
                    rows += browser_rows(server.url, sizes)
                    rows += graph_rows()
                if "memory" in only:
                    memory, live_tokens = asyncio.run(memory_sections(server.url, sizes, folder))
                    rows += memory
        if "graph" in only and "browser" not in only:  # needs no server
            rows += graph_rows()
        if "offline" in only:
            rows += offline_sections(sizes, folder, live_tokens)
        if "inprocess" in only:  # needs no server
            rows += asyncio.run(inprocess_sections(sizes))
    mode = "--quick" if args.quick else "full"
    seconds = time.time() - started
    print(f"\nlg_widgets benchmark ({mode}; {header}; {seconds:.0f} s)")
    if VIEW_NOTE:
        print(f"NOTE: {VIEW_NOTE[0]}")
    print()
    print(render(rows))
    if args.markdown:
        command = " ".join(["python -m bench", *(argv if argv is not None else sys.argv[1:])])
        page = performance_page(rows, command, header, seconds, started, load_at_start)
        with open(args.markdown, "w") as out:
            out.write(page)
        log(f"bench: wrote {args.markdown}")
    return 0


NOTES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "performance_notes.md")
VERSIONS = ("lg-widgets", "langgraph-sdk", "langgraph-api", "langgraph", "langchain-core")


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in VERSIONS:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def processor() -> str:
    """The CPU's model name, where the system says it (Linux)."""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def busy_note(load: float) -> str:
    """A sentence when other work shared the CPU at the start: per-event times then read high."""
    cores = os.cpu_count() or 1
    if load < cores:
        return ""
    return (
        f" The load average at the start ({load:.1f} on {cores} cores) says other work shared "
        "the CPU with this run: per-event times read high and rates low against a quiet "
        "machine's."
    )


def performance_page(
    rows: list[Row], command: str, header: str, seconds: float, started: float, load: float
) -> str:
    """The site's performance page: this run's table, what ran it, and the dated notes."""
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started))
    with open(NOTES) as notes:
        dated = notes.read()
    return (
        "# Performance\n\n"
        "<!-- Written by `python -m bench --markdown docs/performance.md`: edit\n"
        "     bench/performance_notes.md or bench/__main__.py, not this page. -->\n\n"
        f"The table below is the latest generated run: `{command}` on {when}, {seconds:.0f} s.\n\n"
        f"- machine: {processor()}; {header}\n"
        f"- versions: {versions()}\n\n"
        "Figures are medians [min–max] over repeats; ratios are taken per back-to-back pair. "
        "Sections left out of this run are in the earlier full runs below."
        f"{busy_note(load)}\n\n"
        f"{render(rows)}\n\n{dated}"
    )


if __name__ == "__main__":
    sys.exit(main())

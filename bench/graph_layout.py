"""Section 3 (graph): a generated graph shaped like a large LangGraph app, for the graph panel's
layout and highlight timings (and the tests that need a big graph).

`generated_graph(n)` answers like `assistants.get_graph(xray=True)`: a router sends to sub-agent
subgraphs (ids `agentK:stepI`, so each is a box), each a short chain with an agent <-> tools loop
(conditional), a self-loop and a tool node, all joining into `summarize`, which may loop back
to the router (a cycle through the whole graph). Its sub-agents are alike, as when one subgraph
is used by several nodes, and the panel lays out boxes of the same shape once; with `varied`
every box has its own extra loop, so each is laid out on its own.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

SUBGRAPH_SIZE = 10


def generated_graph(
    n: int = 200, size: int = SUBGRAPH_SIZE, varied: bool = False
) -> dict[str, Any]:
    """Exactly `n` nodes (n >= 5) and about 1.15 edges per node (1.25 `varied`)."""
    nodes: list[dict[str, Any]] = [
        {"id": "__start__"},
        {"id": "router"},
        {"id": "summarize"},
        {"id": "__end__"},
    ]
    edges: list[dict[str, Any]] = [
        {"source": "__start__", "target": "router"},
        {"source": "summarize", "target": "__end__", "conditional": True},
        {"source": "summarize", "target": "router", "conditional": True},
    ]
    group = 0
    while len(nodes) < n:
        ids = [f"agent{group}:step{i}" for i in range(min(size, n - len(nodes)))]
        for i, node_id in enumerate(ids):
            node: dict[str, Any] = {"id": node_id, "type": "runnable"}
            if i == 2:
                node["metadata"] = {"__tools": ["search", "fetch_page", "calculator"]}
            nodes.append(node)
        edges.append({"source": "router", "target": ids[0], "conditional": True})
        edges += [
            {"source": a, "target": b, "conditional": i % 3 == 2}
            for i, (a, b) in enumerate(zip(ids, ids[1:], strict=False))
        ]
        if len(ids) > 2:  # the agent <-> tools loop
            edges.append({"source": ids[2], "target": ids[1]})
        if len(ids) > 4:
            edges.append({"source": ids[4], "target": ids[4], "conditional": True})
        if varied and len(ids) > 1:  # a loop back from j to i, a different (i, j) per box
            pairs = [(i, j) for j in range(len(ids)) for i in range(j)]
            i, j = pairs[group % len(pairs)]
            edges.append({"source": ids[j], "target": ids[i], "conditional": True})
        edges.append({"source": ids[-1], "target": "summarize"})
        group += 1
    return {"nodes": nodes, "edges": edges}


# ---- measured in headless Chromium -------------------------------------------------------------
# The panel needs no kernel or JupyterLab to be timed: the page loads the widget bundle and
# renders a RunView from a snapshot made by the kernel's own code (RunSync), through a model
# that stands in for anywidget's. Each repeat is a fresh page, so the layout is timed cold, as a
# user first sees it.

PAGE = """<!doctype html><html><head><style>{css}</style></head><body>
<div id="host" style="width: 1200px"></div>
<script type="module">import widget from "/widget.js"; window.__widget = widget;</script>
</body></html>"""

MEASURE_JS = """async ([snapshot, updates, changed]) => {
  const el = document.getElementById("host");
  const handlers = {};
  const model = {
    get: (name) => (name === "snapshot_zlib" ? snapshot : undefined),
    on: (event, cb) => (handlers[event] = [...(handlers[event] || []), cb]),
    off() {},
    send() {},
  };
  window.__widget.render({ model, el });
  const frame = () => new Promise(requestAnimationFrame);
  await frame();
  const started = performance.now();
  el.querySelector('[data-testid="tab-graph"]').click();  // lays out and draws
  document.body.offsetHeight;  // style and layout of the drawing
  const drawn = performance.now() - started;
  await frame();
  const painted = performance.now() - started;
  const panel = el.querySelector(".lgw-graph");
  const ids = snapshot.graph.nodes.map((n) => n.id);
  const times = [];
  for (let k = 0; k < updates; k++) {
    const activity = [];
    for (let j = 0; j < changed; j++) {
      const id = ids[(k * changed + j) % ids.length];
      const running = (k + j) % 2 === 0;
      activity.push({ id, status: running ? "running" : "success", visits: k + 1,
                      seconds: k / 10, running: running ? 1 : 0, parallel: 1, latest: j === 0 });
    }
    // the panel writes activity in its next animation frame: an update costs the message's
    // handling plus that frame's work up to style and layout, timed between a frame callback
    // queued before the message (runs first) and one queued after it (runs after the panel's)
    let frameStart = 0;
    requestAnimationFrame(() => (frameStart = performance.now()));
    const t = performance.now();
    const delta = { type: "delta", seq: k + 1, graph_activity: activity };
    for (const cb of handlers["msg:custom"]) cb(delta);
    const handled = performance.now() - t;
    const frameWork = await new Promise((resolve) => requestAnimationFrame(() => {
      document.body.offsetHeight;  // the browser's style recalculation and layout for it
      resolve(performance.now() - frameStart);
    }));
    times.push(handled + frameWork);
    await frame();
  }
  return {
    dagre_ms: Number(panel.dataset.layoutMs),
    drawn_ms: drawn,
    painted_ms: painted,
    nodes: el.querySelectorAll('[data-testid="graph-node"]').length,
    boxes: el.querySelectorAll('[data-testid="graph-group"]').length,
    highlight_ms: times,
  };
}"""


def snapshot_with_graph(n: int, varied: bool = False) -> dict[str, Any]:
    """What the kernel sends for a run of an assistant with the generated graph."""
    from lg_widgets.run import Run
    from lg_widgets.view.sync import RunSync
    from lg_widgets.view.wire import jsonable

    run = Run.from_log(assistant_id="generated", stream_mode=["updates"])
    run.set_graph(generated_graph(n, varied=varied))
    return jsonable(RunSync(run).snapshot(0))


async def _measure(
    n: int, repeats: int, updates: int, changed: int, varied: bool
) -> list[dict[str, Any]]:
    from playwright.async_api import async_playwright

    from harness.lab import CHROMIUM, CHROMIUM_ARGS

    static = Path(__file__).parents[1] / "lg_widgets" / "static"
    script, css = (static / "widget.js").read_text(), (static / "widget.css").read_text()
    snapshot = snapshot_with_graph(n, varied)
    results = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        for _ in range(repeats):
            page = await browser.new_page(viewport={"width": 1400, "height": 1000})

            async def serve(route: Any) -> None:
                if route.request.url.endswith("/widget.js"):
                    await route.fulfill(body=script, content_type="text/javascript")
                else:
                    await route.fulfill(body=PAGE.format(css=css), content_type="text/html")

            await page.route("http://bench.invalid/**", serve)
            await page.goto("http://bench.invalid/")
            await page.wait_for_function("() => window.__widget")
            results.append(await page.evaluate(MEASURE_JS, [snapshot, updates, changed]))
            await page.close()
        await browser.close()
    return results


def measure(
    n: int = 200, repeats: int = 3, updates: int = 100, changed: int = 20, varied: bool = False
) -> dict[str, Any]:
    """Layout and highlight timings of the graph panel for a generated `n`-node graph."""
    runs = asyncio.run(_measure(n, repeats, updates, changed, varied))
    highlights = sorted(t for r in runs for t in r["highlight_ms"]) or [float("nan")]
    return {
        "nodes": runs[0]["nodes"],
        "boxes": runs[0]["boxes"],
        "dagre_ms": [r["dagre_ms"] for r in runs],
        "drawn_ms": [r["drawn_ms"] for r in runs],
        "painted_ms": [r["painted_ms"] for r in runs],
        "highlight_p50_ms": highlights[len(highlights) // 2],
        "highlight_p95_ms": highlights[int(0.95 * (len(highlights) - 1))],
        "highlight_max_ms": highlights[-1],
        "changed": changed,
    }

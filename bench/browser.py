"""Section 3: the RunView in JupyterLab, in headless Chromium (the browser tests' setup).

Token-to-screen latency pairs two clocks of the same machine: the kernel stamps each token event
with `time.time()` on receipt (`Event.time`) and saves (time, text length so far); the page
records, for every DOM change of the tokens panel, the text length shown at the next animation
frame (`performance.timeOrigin + performance.now()`, i.e. when it is painted). A token's latency
is the first painted frame whose text includes it, minus its receipt time.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

import bench.offline as offline
from harness.lab import (
    CHROMIUM,
    CHROMIUM_ARGS,
    JupyterLab,
    start_jupyterlab,
    wait_for_kernel,
)

WATCH_JS = """() => {
  window.__lgwPaint = [];
  window.__lgwLong = [];
  const paint = window.__lgwPaint;
  let pending = false;
  const record = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      const pre = document.querySelector(
        '[data-testid="lg-run-view"] [data-testid="message"][data-role="ai"] pre');
      const length = pre ? pre.textContent.length : 0;
      const last = paint[paint.length - 1];
      if (!last || last[1] !== length)
        paint.push([performance.timeOrigin + performance.now(), length]);
    });
  };
  new MutationObserver(record).observe(document.body,
    {subtree: true, childList: true, characterData: true});
  window.__lgwTimeline = {};
  const rows = () => {
    const views = document.querySelectorAll('[data-testid="lg-run-view"]');
    const T = window.__lgwTimeline;
    if (!T.start) {
      // stdout outputs only: reading the widget's own text every frame would cost O(text)
      const stdout = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stdout"]';
      for (const out of document.querySelectorAll(stdout))
        if (out.textContent.includes("RESULT done")) T.start = performance.now();
    }
    if (views.length > 1) {
      T.appeared = T.appeared || performance.now();
      const count = views[1].querySelector('[data-testid="timeline-count"]');
      if (count && count.textContent.startsWith("ROWS rows")) {
        T.ready = performance.now();
        return;
      }
    }
    requestAnimationFrame(rows);
  };
  requestAnimationFrame(rows);
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries())
      window.__lgwLong.push([performance.timeOrigin + entry.startTime, entry.duration]);
  }).observe({type: "longtask", buffered: true});
}"""

TOKENS_CELL = """
import json, lg_widgets
run = lg_widgets.stream("tokens", {{"n": {n}}}, stream_mode="messages-tuple")
view = run.view()
view
"""

RESULT_CELL = """
await run
import json
pieces, length = [], 0
for event in run.events:
    if event.mode == "messages":
        length += len(event.content if event.compacted else event.data[0]["content"])
        pieces.append((event.time, length))
text = "".join(run.tokens.values())
with open({out!r}, "w") as out:
    json.dump({{"pieces": pieces, "text": text, "status": run.status,
               "messages": view.messages_sent}}, out)
print("RESULT done")
"""

TIMELINE_CELL = """
loaded = lg_widgets.load({path!r})
loaded
"""

TIMELINE_JS = """async () => {
  const views = document.querySelectorAll('[data-testid="lg-run-view"]');
  const view = views[views.length - 1];
  const started = performance.now();
  view.querySelector('[data-testid="tab-timeline"]').click();
  await new Promise((done) => {
    const check = () => {
      const count = view.querySelector('[data-testid="timeline-count"]');
      const rows = view.querySelectorAll('[data-testid="timeline-row"]').length;
      if (rows > 0 && count && count.textContent.startsWith("{n} rows")) done();
      else requestAnimationFrame(check);
    };
    check();
  });
  return performance.now() - started;
}"""


def available() -> str | None:
    """Why the browser section cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} missing (scripts/setup --browser)"
    try:
        import jupyterlab  # noqa: F401
        import playwright  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} not installed"
    static = Path(__file__).parents[1] / "lg_widgets" / "static" / "widget.js"
    if not static.is_file():
        return "front end not built (lg_widgets/static/widget.js)"
    return None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def latencies(pieces: list[list[float]], paints: list[list[float]]) -> list[float]:
    """ms from a token's receipt to the first painted frame whose text contains it."""
    out, j = [], 0
    for received, length in pieces:
        while j < len(paints) and paints[j][1] < length:
            j += 1
        if j == len(paints):
            break
        out.append(paints[j][0] - received * 1000)
    return out


async def _measure(lab: JupyterLab, n: int, rows: int) -> dict[str, Any]:
    url, token, root = lab.url, lab.token, lab.root
    from playwright.async_api import async_playwright

    result_path = root / "tokens-result.json"
    timeline_path = offline.saved_transcript("updates", rows, str(root))
    path = lab.notebook(
        "bench",
        [
            TOKENS_CELL.format(n=n),
            RESULT_CELL.format(out=str(result_path)),
            TIMELINE_CELL.format(path=timeline_path),
        ],
    )
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        page = await browser.new_page(viewport={"width": 1400, "height": 1000})
        await page.goto(f"{url}/lab/workspaces/bench/tree/{path}?token={token}")
        await wait_for_kernel(page)
        await page.evaluate(WATCH_JS.replace("ROWS", str(rows)))
        await page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        await page.locator(".jp-OutputArea-output", has_text="RESULT done").first.wait_for(
            timeout=600_000
        )
        await asyncio.sleep(0.5)  # let the final flush paint
        paints = await page.evaluate("() => window.__lgwPaint")
        longs = await page.evaluate("() => window.__lgwLong")
        shown = await page.evaluate(
            """() => document.querySelector(
                '[data-testid="lg-run-view"] [data-testid="message"] pre').textContent"""
        )
        await page.locator('[data-testid="lg-run-view"]').nth(1).wait_for(timeout=120_000)
        await page.wait_for_function("() => window.__lgwTimeline.ready", timeout=120_000)
        timeline = await page.evaluate("() => window.__lgwTimeline")
        click_ms = await page.evaluate(TIMELINE_JS.replace("{n}", str(rows)))
        await page.evaluate(
            "() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.shutdown()"
        )
        await browser.close()
    result = json.loads(result_path.read_text())
    pieces = result["pieces"]
    lat = latencies(pieces, paints)
    streaming = (pieces[0][0] * 1000, pieces[-1][0] * 1000 + 1000) if pieces else (0, 0)
    long_tasks = [d for t, d in longs if streaming[0] <= t <= streaming[1]]
    seconds = pieces[-1][0] - pieces[0][0] if len(pieces) > 1 else 0.0
    return {
        "tokens": len(pieces),
        "rate": (len(pieces) - 1) / seconds if seconds else 0.0,
        "p50": statistics.median(lat) if lat else float("nan"),
        "p95": percentile(lat, 0.95) if lat else float("nan"),
        "painted": len(lat),
        # p95 per quarter of the run: a latency that grows with the text is a front-end cost
        # that grows with the text (or a snapshot), not the network
        "p95_by_quarter": [
            percentile(q, 0.95) if q else float("nan")
            for q in (lat[i * len(lat) // 4 : (i + 1) * len(lat) // 4] for i in range(4))
        ],
        "intact": shown == result["text"] and result["status"] == "success",
        "longest_task_ms": max(long_tasks, default=0.0),
        "long_tasks": len(long_tasks),  # > 50 ms each, while streaming
        "long_task_ms_total": sum(long_tasks),
        # from the end of the previous cell: load 10k events, snapshot, send, render
        "timeline_ms": timeline["ready"] - timeline.get("start", timeline["appeared"]),
        "timeline_click_ms": click_ms,
        "rows": rows,
        "frames": len(paints),
    }


def measure(server_url: str, n: int, rows: int = 10_000) -> dict[str, Any]:
    """One JupyterLab, one notebook: `n` tokens live, then a loaded run with `rows` rows."""
    with tempfile.TemporaryDirectory(prefix="lg-widgets-bench-lab-") as folder:
        root, home = Path(folder) / "root", Path(folder) / "home"
        root.mkdir()
        home.mkdir()
        lab = start_jupyterlab(root, home, server_url)
        try:
            return asyncio.run(_measure(lab, n, rows))
        finally:
            lab.stop()

"""RunView in a real JupyterLab, driven by headless Chromium, against the embedded server."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.widget_state import saved_snapshots

pytestmark = [pytest.mark.browser, pytest.mark.integration]

VIEW_PAGE = Path(__file__).resolve().parents[2] / "docs" / "guide" / "view.md"

TOKENS_JS = """() => {
  const view = document.querySelectorAll('[data-testid="lg-run-view"]')[%d];
  const groups = {};
  // the LLM text, like run.tokens: AI messages with text (not the input, not tool results)
  const ai = '[data-testid="message"][data-role="ai"]';
  for (const block of view ? view.querySelectorAll(ai) : []) {
    const text = block.querySelector('pre').textContent;
    if (!text) continue;
    const key = JSON.stringify([block.dataset.ns, block.dataset.node || null]);
    (groups[key] = groups[key] || []).push(text);
  }
  return Object.fromEntries(Object.entries(groups).map(([k, v]) => [k, v.join('\\n\\n')]));
}"""

# Records every distinct text the tokens panel shows, as the browser renders it.
WATCH_TOKENS_JS = """() => {
  window.__lgwSeen = [];
  const record = () => {
    const pre = document.querySelector(
      '[data-testid="lg-run-view"] [data-testid="message"][data-role="ai"] pre');
    const text = pre ? pre.textContent : '';
    const seen = window.__lgwSeen;
    if (text && seen[seen.length - 1] !== text) seen.push(text);
  };
  new MutationObserver(record).observe(document.body,
    {subtree: true, childList: true, characterData: true});
}"""

RESULT_CELL = """
import json
await run
print("RESULT " + json.dumps({
    "status": run.status,
    "error": run.error,
    "events": len(run.events),
    "tokens": {json.dumps([ns, node], separators=(",", ":")): text
               for (ns, node), text in run.tokens.items()},
    "rows": [row["node"] for row in run.state.timeline.rows],
    **({"view": {"messages": view.messages_sent, "bytes": view.bytes_sent,
                 "custom": view.custom_messages_sent, "custom_bytes": view.custom_bytes,
                 "snapshots": view.snapshots_sent, "snapshot_bytes": view.snapshot_bytes,
                 "seconds": run.ended_at - run.started_at}} if "view" in globals() else {}),
}))
"""


async def test_tokens_stream_incrementally_and_end_equal_to_run_tokens(open_notebook):
    """3,000 tokens through jupyter_server's default IOPub limits: seen growing, none lost."""
    notebook = await open_notebook(
        [
            "import lg_widgets\n"
            'run = lg_widgets.stream("slow", {"topic": "cats", "tokens": 3000, "delay": 0.001},\n'
            '                        thread_id="new", stream_mode=["messages-tuple", "updates"])\n'
            "view = run.view()\n"
            "view",
            RESULT_CELL,
            "run  # a second display of the finished run",
        ]
    )
    await notebook.page.evaluate(WATCH_TOKENS_JS)
    frames_before, bytes_before = notebook.ws_frames, notebook.ws_bytes
    started = time.monotonic()
    await notebook.run_all()
    result = await notebook.result()
    elapsed = time.monotonic() - started
    assert result["status"] == "success", result
    view = notebook.view(0)
    await expect(view.get_by_test_id("status")).to_have_text("success")
    shown = await notebook.page.evaluate(TOKENS_JS % 0)
    assert shown == result["tokens"]
    seen = await notebook.page.evaluate("() => window.__lgwSeen")
    final = next(iter(result["tokens"].values()))
    assert len(seen) >= 5, seen
    assert seen[-1] == final
    assert all(final.startswith(text) for text in seen)  # it grew, it was never rewritten

    await expect(notebook.view(1).get_by_test_id("status")).to_have_text("success")
    assert await notebook.page.evaluate(TOKENS_JS % 1) == result["tokens"]

    stats = result["view"]
    rate = stats["messages"] / stats["seconds"]
    print(
        f"\nRunView, {result['events']} events ({len(final)} chars of text) in "
        f"{stats['seconds']:.2f} s: {stats['messages']} comm messages ({rate:.1f}/s; "
        f"{stats['custom']} deltas/answers = {stats['custom_bytes']} B, {stats['snapshots']} "
        f"snapshots = {stats['snapshot_bytes']} B); browser websocket: "
        f"{notebook.ws_frames - frames_before} frames, {notebook.ws_bytes - bytes_before} B "
        f"in {elapsed:.1f} s"
    )
    assert rate <= 30
    await notebook.screenshot("tokens_stream")


async def test_joke_graph_timeline_rows_and_row_detail(open_notebook):
    notebook = await open_notebook(
        [
            "import lg_widgets\n"
            'run = lg_widgets.stream("agent", {"topic": "ice cream"}, thread_id="new",\n'
            '                        stream_mode="updates")\n'
            "run",
            RESULT_CELL,
        ]
    )
    await notebook.run_all()
    result = await notebook.result()
    assert result["rows"] == ["refine_topic", "generate_joke"]
    view = notebook.view()
    await expect(view.get_by_test_id("status")).to_have_text("success")
    await view.get_by_test_id("tab-timeline").click()
    rows = view.get_by_test_id("timeline-row")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text("refine_topic")
    await expect(rows.nth(0)).to_contain_text("ice cream and cats")
    await expect(rows.nth(1)).to_contain_text("generate_joke")
    await rows.nth(1).click()
    detail = view.get_by_test_id("row-detail")
    await expect(detail.get_by_test_id("row-diff")).to_contain_text("joke (added)")
    await expect(detail.get_by_test_id("row-state")).to_contain_text(
        '"This is a joke about ice cream and cats"'
    )
    for label in ("thread", "run"):
        await expect(view.get_by_test_id(f"{label}-id")).to_be_enabled()


async def test_subgraph_tree_shows_node_2_and_its_nodes(open_notebook):
    notebook = await open_notebook(
        [
            "import lg_widgets\n"
            'run = lg_widgets.stream("subgraph", {"foo": "foo"}, thread_id="new",\n'
            '                        stream_mode="updates", stream_subgraphs=True)\n'
            "run",
            RESULT_CELL,
        ]
    )
    await notebook.run_all()
    await notebook.result()
    view = notebook.view()
    await expect(view.get_by_test_id("status")).to_have_text("success")
    tree = view.get_by_test_id("tree")
    names = tree.get_by_test_id("tree-namespace")
    await expect(names).to_have_count(2)
    await expect(names.nth(1)).to_contain_text("node_2")
    await expect(names.nth(1)).to_contain_text("success")
    chips = tree.get_by_test_id("tree-node")
    await expect(chips).to_have_text(["node_1", "node_2", "subgraph_node_1", "subgraph_node_2"])
    # selecting the subgraph filters the timeline to its rows
    await view.get_by_test_id("tab-timeline").click()
    await names.nth(1).click()
    rows = view.get_by_test_id("timeline-row")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text("subgraph_node_1")
    await expect(rows.nth(1)).to_contain_text("subgraph_node_2")
    # the same under JupyterLab's dark theme (the screenshot is the check)
    await notebook.command("apputils:change-theme", {"theme": "JupyterLab Dark"})
    await expect(notebook.page.locator("body")).to_have_attribute("data-jp-theme-light", "false")
    await expect(notebook.page.locator("#jupyterlab-splash")).to_have_count(0)
    await notebook.screenshot("subgraph_dark_theme")
    await notebook.command("apputils:change-theme", {"theme": "JupyterLab Light"})  # a user setting


async def test_cancel_stops_a_slow_run_on_the_server(open_notebook):
    notebook = await open_notebook(
        [
            "import lg_widgets\n"
            'run = lg_widgets.stream("slow", {"topic": "cats", "tokens": 60, "delay": 0.3},\n'
            '                        thread_id="new", stream_mode=["messages-tuple", "updates"])\n'
            "run",
            RESULT_CELL,
            "client = lg_widgets.current_connection(run.url).client()\n"
            "server_run = await client.runs.get(run.thread_id, run.run_id)\n"
            'print("SERVER " + server_run["status"])',
        ]
    )
    await notebook.run_all()
    view = notebook.view()
    await expect(view.get_by_test_id("message").first).to_contain_text("word1", timeout=30_000)
    await view.get_by_test_id("cancel").click()
    result = await notebook.result(timeout=30_000)
    assert result["status"] == "cancelled", result
    await expect(view.get_by_test_id("status")).to_have_text("cancelled")
    await expect(view.get_by_test_id("cancel")).to_be_hidden()
    words = next(iter(result["tokens"].values())).split()
    assert len(words) < 30  # stopped well before the 30 words of the full answer
    server = notebook.page.locator(".jp-OutputArea-output", has_text="SERVER ")
    await expect(server).to_contain_text("SERVER interrupted")


EVIL = "<img src=x onerror=alert(1)><script>alert(2)</script>"


async def test_untrusted_tokens_and_state_are_shown_as_text(open_notebook):
    notebook = await open_notebook(
        [
            "import lg_widgets\n"
            f"EVIL = {EVIL!r}\n"
            'run = lg_widgets.stream("chat", {"topic": EVIL}, thread_id="new",\n'
            '                        stream_mode=["messages-tuple", "values"],\n'
            "                        stream_subgraphs=True)\n"
            "run",
            RESULT_CELL,
        ]
    )
    await notebook.run_all()
    result = await notebook.result()
    assert result["status"] == "success", result
    view = notebook.view()
    await expect(view.get_by_test_id("status")).to_have_text("success")
    await expect(view.get_by_test_id("message").first).to_contain_text(EVIL)
    assert await notebook.page.evaluate(TOKENS_JS % 0) == result["tokens"]
    await view.get_by_test_id("tab-timeline").click()
    rows = view.get_by_test_id("timeline-row")
    await expect(rows.first).to_contain_text("<img src=x")
    await rows.first.click()
    await expect(view.get_by_test_id("row-state")).to_contain_text(EVIL)
    await view.get_by_test_id("tab-events").click()
    await expect(view.get_by_test_id("event").first).to_be_visible()
    assert await view.locator("img, script").count() == 0
    assert notebook.dialogs == []


async def test_reload_and_saved_widget_state_show_the_complete_result(open_notebook, jupyterlab):
    """After a page reload (kernel alive) and from the saved notebook alone (kernel gone).

    The notebook is the view page's example, so that example runs as written in a lab.
    """
    first, second = view_page_examples()
    notebook = await open_notebook(["import lg_widgets\n" + first, second, RESULT_CELL])
    await notebook.run_all()
    result = await notebook.result()
    await expect(notebook.view().get_by_test_id("status")).to_have_text("success")
    await notebook.command("docmanager:save")
    saved = json.loads((jupyterlab.root / f"{notebook.name}.ipynb").read_text())
    snapshots = list(saved_snapshots(saved).values())
    assert [s["header"]["status"] for s in snapshots] == ["success", "success"]

    async def shows_everything() -> None:
        await notebook.page.wait_for_function(
            "() => window.jupyterapp?.shell?.currentWidget?.context?.isReady", timeout=60_000
        )
        view = notebook.view()
        # restoring widgets waits for the (re)started kernel's comm info
        await expect(view.get_by_test_id("status")).to_have_text("success", timeout=60_000)
        await expect(view.get_by_test_id("tree-namespace")).to_have_count(2)
        await expect(view.get_by_test_id("message")).to_have_count(3)
        assert await notebook.page.evaluate(TOKENS_JS % 0) == result["tokens"]

    await notebook.page.reload()
    await notebook.wait_for_kernel()
    await shows_everything()

    await notebook.command("kernelmenu:shutdown")
    await notebook.page.reload()
    await shows_everything()  # from the widget state saved in the notebook file


def view_page_examples() -> list[str]:
    """The view page's examples after its first block (which starts a server: the lab's kernel
    has the session's)."""
    section = VIEW_PAGE.read_text().split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert "serve()" in blocks[0], blocks[0]
    return blocks[1:]


BIG_RUN_CELL = """
import json, time, lg_widgets
t0 = time.time()
with open("big.jsonl", "w") as out:
    header = {"format": "lg_widgets.run/1", "assistant_id": "big", "status": "success",
              "started_at": t0, "ended_at": t0 + 10}
    out.write(json.dumps(header) + "\\n")
    for i in range(10_000):
        update = {f"node_{i % 7}": {"count": i, "note": "x" * 50}}
        out.write(json.dumps({"seq": i, "t": t0 + i / 1000, "event": "updates", "data": update}))
        out.write("\\n")
run = lg_widgets.load("big.jsonl")
run
"""

SCROLL_JS = """async () => {
  const scroller = document.querySelector('[data-testid="timeline"]').parentElement;
  const frame = () => new Promise(requestAnimationFrame);
  const started = performance.now();
  let most = 0;
  for (let step = 0; step <= 100; step++) {
    const before = performance.now();
    scroller.scrollTop = (scroller.scrollHeight - scroller.clientHeight) * step / 100;
    await frame();
    most = Math.max(most, performance.now() - before);
  }
  return {average: (performance.now() - started) / 101, most,
          rows: document.querySelectorAll('[data-testid="timeline-row"]').length};
}"""


async def test_ten_thousand_timeline_rows_scroll_smoothly(open_notebook):
    notebook = await open_notebook([BIG_RUN_CELL])
    await notebook.run_all()
    view = notebook.view()
    await expect(view.get_by_test_id("status")).to_have_text("success", timeout=60_000)
    await view.get_by_test_id("tab-timeline").click()
    await expect(view.get_by_test_id("timeline-count")).to_have_text("10000 rows")
    timing = await notebook.page.evaluate(SCROLL_JS)
    print(f"\n10,000-row timeline: {timing}")
    assert timing["rows"] < 100  # virtualized: only the rows in view exist
    assert timing["average"] < 100, timing  # ms per scroll step, rendering included
    await expect(view.get_by_test_id("timeline-row").last).to_contain_text("node_3")
    await expect(view.get_by_test_id("timeline-row").last).to_contain_text("9999")


async def test_header_shows_the_error_and_the_interrupt_payload(open_notebook):
    notebook = await open_notebook(
        [
            "import lg_widgets\n"
            'failed = lg_widgets.stream("error", {"topic": "x"}, thread_id="new",\n'
            '                           stream_mode="updates")\n'
            "failed",
            "paused = lg_widgets.stream('interrupt', {'topic': 'cats'}, thread_id='new',\n"
            "                           stream_mode='updates')\n"
            "paused",
            "import json\n"
            "await failed\n"
            "await paused\n"
            'print("RESULT " + json.dumps({"statuses": [failed.status, paused.status]}))',
        ]
    )
    await notebook.run_all()
    assert (await notebook.result())["statuses"] == ["error", "interrupted"]
    failed, paused = notebook.view(0), notebook.view(1)
    await expect(failed.get_by_test_id("status")).to_have_text("error")
    await expect(failed.get_by_test_id("error")).to_contain_text("boom: the explode node failed")
    await expect(paused.get_by_test_id("status")).to_have_text("interrupted")
    question = paused.get_by_test_id("interrupts").get_by_text("Publish the piece about cats?")
    await expect(question).to_be_visible()  # the payload starts expanded
    await expect(paused.get_by_test_id("cancel")).to_be_hidden()


SYNTHETIC_RUN_CELL = """
# A live run fed in the kernel at the embedded server's ceiling (~2.5k events/s), without a
# server, so the widget path alone is measured: a run built and fed through its public API.
import asyncio, time
from lg_widgets.run import Run

run = Run.from_log(assistant_id="synthetic")

async def produce(n=20_000, rate=2_500):
    start = time.monotonic()
    meta = {"langgraph_node": "writer", "langgraph_checkpoint_ns": "", "tags": ["synthetic"]}
    for i in range(n):
        chunk = {"content": f"w{i} ", "id": f"message-{i // 5_000}", "type": "AIMessageChunk"}
        run.add({"event": "messages", "data": [chunk, meta]})
        if i % 25 == 24:
            await asyncio.sleep(max(0.0, start + (i + 1) / rate - time.monotonic()))
    run.finish("success")

producer = asyncio.get_running_loop().create_task(produce())
view = run.view()
view
"""


async def test_twenty_thousand_tokens_at_2500_per_second_arrive_intact(open_notebook):
    """The design's stress case through jupyter_server's default IOPub rate limit."""
    notebook = await open_notebook(
        [SYNTHETIC_RUN_CELL, "await producer\n" + RESULT_CELL.replace("await run", "")]
    )
    frames_before, bytes_before = notebook.ws_frames, notebook.ws_bytes
    await notebook.run_all()
    result = await notebook.result(timeout=120_000)
    view = notebook.view()
    await expect(view.get_by_test_id("status")).to_have_text("success")
    assert await notebook.page.evaluate(TOKENS_JS % 0) == result["tokens"]
    assert len(next(iter(result["tokens"].values()))) > 100_000
    stats = result["view"]
    rate = stats["messages"] / stats["seconds"]
    print(
        f"\nRunView, 20,000 tokens at 2.5k/s in {stats['seconds']:.2f} s: {stats['messages']} "
        f"comm messages ({rate:.1f}/s), {stats['custom_bytes']} B of deltas, "
        f"{stats['snapshot_bytes']} B of snapshots; browser websocket: "
        f"{notebook.ws_frames - frames_before} frames, {notebook.ws_bytes - bytes_before} B"
    )
    assert rate <= 30

"""What screenshots of the view showed wrong, on the `subgraph` demo in JupyterLab: every timeline
row at the same time with no step, the graph's last row (the end node) cut off, the header's
event count and the tree's apart with no word; and long names cut mid-word."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SUBGRAPH_CELL = """import lg_widgets
run = lg_widgets.stream('subgraph', {'foo': 'foo'}, thread_id='new',
                        stream_mode='updates', stream_subgraphs=True)
run"""


async def test_the_subgraph_demos_timeline_graph_and_counts(open_notebook):
    notebook = await open_notebook([SUBGRAPH_CELL])
    await notebook.run_all()
    view = notebook.view()
    await expect(view.get_by_test_id("status")).to_have_text("success", timeout=60_000)

    # the timeline: rows milliseconds apart show apart; the root's rows get their step from
    # the thread's history once the run ended (`updates` carries none); a subgraph's stay "–"
    await view.get_by_test_id("tab-timeline").click()
    rows = view.get_by_test_id("timeline-row")
    await expect(rows).to_have_count(4)
    await expect(rows.locator(".lgw-c-step")).to_have_text(["1", "–", "–", "2"])
    times = await rows.locator(".lgw-c-time").all_text_contents()
    assert len(set(times)) > 1 and all(re.fullmatch(r"\+\d+\.\d+ (ms|s)", t) for t in times), times
    title = await rows.nth(1).locator(".lgw-c-step").get_attribute("title")
    assert title and "checkpoints" in title, title

    # the graph: the whole drawing fits the panel, its end node inside the canvas
    await view.get_by_test_id("tab-graph").click()
    canvas = view.get_by_test_id("graph")
    end = view.locator('[data-testid="graph-node"][data-id="__end__"]')
    await expect(end).to_be_visible()
    box, inside = await end.bounding_box(), await canvas.bounding_box()
    assert box and inside and box["y"] + box["height"] <= inside["y"] + inside["height"], (
        box,
        inside,
    )
    await view.get_by_test_id("graph-fit").click()  # the actual size, scrolled as before
    await expect(view.get_by_test_id("graph-fit")).to_have_text("fit")

    # the counts: the header counts every event, the tree those of each namespace and below;
    # they differ by the run's metadata event, and both say so on hover
    counts = await view.get_by_test_id("counts").text_content()
    total, metadata = re.search(r"(\d+) events \(metadata (\d+)", counts or "").groups()
    root = view.get_by_test_id("tree-namespace").first
    await expect(root.get_by_test_id("tree-stats")).to_contain_text(
        f"{int(total) - int(metadata)} ev"
    )
    assert "metadata" in (await view.get_by_test_id("counts").get_attribute("title") or "")
    assert "here and below" in (await root.get_attribute("title") or "")
    await notebook.screenshot("view_fixes_subgraph")

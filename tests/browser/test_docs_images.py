"""The pictures of the view on the site and in the README are taken here, from a real agent run
in JupyterLab, each time the browser tests run (docs/images/*.png are committed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect

pytestmark = pytest.mark.browser

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"

RUN_CELL = """
import lg_widgets
question = {"messages": [{"role": "user", "content": "Plan a day in Paris"}]}
run = lg_widgets.stream("team", question, thread_id="new",
                        stream_mode=["messages-tuple", "updates", "tasks"], stream_subgraphs=True)
run
"""

RESULT_CELL = """
import json
await run
print("RESULT " + json.dumps({"status": run.status, "calls": list(run.tool_calls["name"])}))
"""


async def test_the_view_of_an_agent_with_a_subagent_is_pictured(open_notebook):
    notebook = await open_notebook([RUN_CELL, RESULT_CELL])
    await notebook.run_all()
    result = await notebook.result()
    assert result == {"status": "success", "calls": ["ask_researcher", "get_weather"]}, result
    view = notebook.view()
    await expect(view.get_by_test_id("status")).to_have_text("success")
    # the coordinator's call, the researcher's call inside it, each with its result
    cards = view.get_by_test_id("tool-card")
    await expect(cards).to_have_count(2)
    for index in range(2):
        await expect(cards.nth(index)).to_have_attribute("data-state", "success")
        await expect(cards.nth(index).get_by_test_id("tool-result")).not_to_be_empty()
    await expect(view.get_by_test_id("tree-namespace")).to_have_count(2)
    IMAGES.mkdir(exist_ok=True)
    await view.screenshot(path=str(IMAGES / "run-view.png"))

    await view.get_by_test_id("tab-timeline").click()
    await expect(view.get_by_test_id("timeline-row").first).to_be_visible()
    await view.get_by_test_id("timeline-row").first.click()  # a root row: time travel offered
    await expect(view.get_by_test_id("row-state")).not_to_be_empty()
    await view.screenshot(path=str(IMAGES / "run-view-timeline.png"))

    await view.get_by_test_id("tab-graph").click()
    await expect(view.get_by_test_id("graph").locator("svg").first).to_be_visible()
    await view.screenshot(path=str(IMAGES / "run-view-graph.png"))

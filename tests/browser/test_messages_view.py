"""The messages panel in JupyterLab: a real agent's tool calls as cards, live, and hostile text
in tool arguments and results shown as text."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

pytestmark = pytest.mark.browser

EVIL = "<img src=x onerror=window.__pwned=1><script>window.__pwned=2</script>"

RESULT_CELL = """
import json
await run
print("RESULT " + json.dumps({
    "status": run.status,
    "calls": run.tool_calls[["name", "args", "status", "result"]].to_dict("records"),
}))
"""


def agent_cell(configurable: dict) -> str:
    return (
        "import lg_widgets\n"
        'question = {"messages": [{"role": "user", '
        '"content": "What is the weather in Rome, and what is 10 divided by 0?"}]}\n'
        'run = lg_widgets.stream("react", question, thread_id="new",\n'
        '                        stream_mode=["messages-tuple", "updates"],\n'
        f'                        config={{"configurable": {configurable!r}}})\n'
        "run"
    )


async def test_a_tool_card_names_its_tool_while_arguments_stream_then_shows_the_result(
    open_notebook,
):
    # ~0.3 s a chunk: the first call's ~16 argument pieces take ~5 s, long enough to see them
    # streaming even when the machine is busy
    notebook = await open_notebook([agent_cell({"delay": 0.3, "city": EVIL}), RESULT_CELL])
    await notebook.run_all()
    view = notebook.view()
    first = view.get_by_test_id("tool-card").first
    # the name arrives with the first chunk; the ~40 argument pieces take seconds more
    await expect(first.get_by_test_id("tool-name")).to_have_text("get_weather", timeout=30_000)
    assert await first.get_attribute("data-state") == "pending"
    partial = await first.get_by_test_id("tool-args").text_content()
    assert partial is not None and not partial.rstrip().endswith("}")  # still streaming
    await notebook.screenshot("tool_card_streaming")

    result = await notebook.result()
    assert result["status"] == "success", result
    assert [c["name"] for c in result["calls"]] == ["get_weather", "divide"]
    cards = view.get_by_test_id("tool-card")
    await expect(cards).to_have_count(2)
    await expect(cards.nth(0)).to_have_attribute("data-state", "success")
    await expect(cards.nth(1)).to_have_attribute("data-state", "error")
    # the whole arguments, pretty-printed, and each call's result in its own card
    await expect(cards.nth(0).get_by_test_id("tool-args")).to_contain_text(f'"city": "{EVIL}"')
    await expect(cards.nth(0).get_by_test_id("tool-result")).to_have_text(
        f"It is always sunny in {EVIL}."
    )
    await expect(cards.nth(1).get_by_test_id("tool-result")).to_contain_text("cannot divide")
    await expect(cards.nth(0).get_by_test_id("tool-latency")).not_to_be_empty()
    # tool results live in their cards, not again as blocks of their own
    roles = await view.get_by_test_id("message").evaluate_all(
        "blocks => blocks.map(b => b.dataset.role)"
    )
    assert roles == ["human", "ai", "ai"], roles
    assert await view.locator("img, script").count() == 0
    assert await notebook.page.evaluate("() => window.__pwned") is None
    assert notebook.dialogs == []
    await notebook.screenshot("tool_cards_done")


async def test_malformed_arguments_are_shown_raw_and_marked_invalid(open_notebook):
    notebook = await open_notebook([agent_cell({"args": "invalid"}), RESULT_CELL])
    await notebook.run_all()
    result = await notebook.result()
    assert result["status"] == "success", result
    view = notebook.view()
    cards = view.get_by_test_id("tool-card")
    await expect(cards).to_have_count(2)
    await expect(cards.nth(0).get_by_test_id("tool-invalid")).to_be_visible()
    await expect(cards.nth(0).get_by_test_id("tool-args")).to_contain_text("'city'")
    await expect(view.get_by_test_id("status")).to_have_text("success")

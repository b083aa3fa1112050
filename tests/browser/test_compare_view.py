"""The comparison view of two ReAct runs in Chromium: differences marked, escaped, screenshots."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect

import lg_widgets
from tests.browser.test_export_html import ARTIFACTS, EVIL, open_offline

pytestmark = [pytest.mark.browser, pytest.mark.integration]

QUESTION = {"messages": [{"role": "user", "content": "What is the weather, and 42 / 0?"}]}


async def react(configurable: dict) -> lg_widgets.Run:
    run = lg_widgets.stream(
        "react", QUESTION, thread_id="new", stream_mode=["messages-tuple", "updates", "values"],
        config={"configurable": configurable},
    )  # fmt: skip
    return await run


async def test_the_comparison_marks_what_differs(server, browser, tmp_path: Path):
    rome, oslo, hostile = (
        await react({"city": "Rome"}),
        await react({"city": "Oslo"}),
        await react({"city": EVIL, "args": "invalid"}),
    )
    path = tmp_path / "compare.html"
    lg_widgets.compare(rome, oslo, labels=("Rome", "Oslo")).to_html(path)
    page, refused, problems = await open_offline(browser, path)
    view = page.locator('[data-lgw="comparison"]')
    await expect(view.locator('[data-lgw="verdict"]')).to_contain_text(
        "Same path; the runs first differ at step 1"
    )
    await expect(view.locator("del")).to_have_text(["Rome"])
    await expect(view.locator("ins")).to_have_text(["Oslo"])
    steps = view.locator('[data-lgw="compare-step"]')
    await expect(steps).to_have_count(3)
    calls = view.locator('[data-lgw="compare-call"]')
    await expect(calls.nth(0)).to_have_attribute("data-same-args", "false")
    await expect(calls.nth(1)).to_have_attribute("data-same-args", "true")
    await page.screenshot(path=str(ARTIFACTS / "compare_react.png"), full_page=True)
    assert refused == [] and problems == []
    await page.context.close()

    path = tmp_path / "diverged.html"
    lg_widgets.compare(rome, hostile, labels=("Rome", EVIL)).to_html(path)
    page, refused, problems = await open_offline(browser, path)
    view = page.locator('[data-lgw="comparison"]')
    await expect(view.locator('[data-lgw="verdict"]')).to_contain_text(
        "The paths diverge at step 2"
    )
    kinds = await view.locator('[data-lgw="compare-step"]').evaluate_all(
        "rows => rows.map(r => r.dataset.kind)"
    )
    assert kinds == ["differs", "diverged", "diverged"]
    await expect(view).to_contain_text(EVIL)  # the label and the malformed arguments, as text
    await page.screenshot(path=str(ARTIFACTS / "compare_react_diverged.png"), full_page=True)
    assert await view.locator("img, script").count() == 0
    assert await page.evaluate("() => window.__pwned") is None
    assert refused == [] and problems == []
    await page.context.close()

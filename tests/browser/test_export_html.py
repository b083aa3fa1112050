"""`run.to_html()` opened in headless Chromium with every network request refused: the same view,
read-only, answering from the file; hostile content stays text; a 20,000-token run stays small
and opens fast."""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

import lg_widgets
from bench.offline import _parts, payloads
from lg_widgets.run import Run

pytestmark = [pytest.mark.browser, pytest.mark.integration]

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
EVIL = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'


async def open_offline(browser: Any, path: Path) -> tuple[Any, list[str], list[str]]:
    """A page on the file; any other request is refused and recorded, as are page errors."""
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    refused: list[str] = []
    problems: list[str] = []

    async def only_the_file(route: Any) -> None:
        if route.request.url == path.as_uri():
            await route.continue_()
        else:
            refused.append(route.request.url)
            await route.abort()

    await context.route("**/*", only_the_file)
    page = await context.new_page()
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda dialog: problems.append(f"dialog {dialog.message}"))
    await page.goto(path.as_uri())
    return page, refused, problems


async def test_a_saved_run_opens_offline_read_only_and_hostile_text_stays_text(
    server, browser, tmp_path
):
    question = {"messages": [{"role": "user", "content": f"Weather in {EVIL}?"}]}
    run = lg_widgets.stream(
        "react",
        question,
        thread_id="new",
        stream_mode=["messages-tuple", "updates", "values"],
        config={"configurable": {"city": EVIL}},
    )
    await run
    assert run.status == "success"
    path = tmp_path / "react.html"
    document = run.to_html(path)
    assert server.token is not None and server.token.reveal() not in document  # no key

    page, refused, problems = await open_offline(browser, path)
    view = page.get_by_test_id("lg-run-view")
    await expect(view.get_by_test_id("status")).to_have_text("success")
    await expect(view.get_by_test_id("read-only")).to_be_visible()
    await expect(view.get_by_test_id("cancel")).to_be_hidden()
    await expect(page.locator("#lgw-fallback")).to_have_count(0)  # the view replaced it

    # messages: the question, the tool cards with hostile arguments and results, the answer
    cards = view.get_by_test_id("tool-card")
    await expect(cards).to_have_count(2)
    await expect(cards.nth(0).get_by_test_id("tool-args")).to_contain_text(json.dumps(EVIL))
    await expect(cards.nth(0).get_by_test_id("tool-result")).to_have_text(
        f"It is always sunny in {EVIL}."
    )
    await expect(view.get_by_test_id("message").first).to_contain_text(f"Weather in {EVIL}?")
    await expect(view.get_by_test_id("message").last).to_contain_text(
        f"get_weather says: It is always sunny in {EVIL}."
    )

    # timeline: rows, and a row's state answered from the file
    await view.get_by_test_id("tab-timeline").click()
    rows = view.get_by_test_id("timeline-row")
    await expect(rows).to_have_count(len(run.state.timeline.rows))
    await rows.last.click()
    shown_as_json = json.dumps(f"Weather in {EVIL}?")
    await expect(view.get_by_test_id("row-state")).to_contain_text(shown_as_json)

    # events: the newest page, and one token event's payload rebuilt from its frame
    await view.get_by_test_id("tab-events").click()
    total = run.event_count
    await expect(view.get_by_test_id("events-where")).to_have_text(
        f"{max(0, total - 100) + 1}–{total} of {total}"
    )
    mode = page.locator(".lgw-mode", has_text=re.compile("^messages$"))
    token = view.get_by_test_id("event").filter(has=mode).first
    await token.locator("summary").click()
    await expect(token).to_contain_text("langgraph_node")

    await page.screenshot(path=str(ARTIFACTS / "to_html_react.png"), full_page=True)
    assert await view.locator("img, script, iframe").count() == 0
    assert await page.evaluate("() => window.__pwned") is None
    assert refused == [] and problems == []
    await page.context.close()


def twenty_thousand_tokens() -> Run:
    """A 20,000-token run from the real token part the benchmark recorded, plus its update."""
    run = Run.from_log(assistant_id="tokens", stream_mode=["messages-tuple", "updates"])
    for part in _parts(payloads("tokens", 20_000)):
        run.add(part)
    answer = {"type": "ai", "content": run.text(), "id": run.streamed_messages[0].id}
    run.add({"event": "updates", "data": {"llm": {"messages": [answer]}}})
    run.finish("success")
    return run


async def test_a_twenty_thousand_token_run_is_under_two_megabytes_and_opens_in_a_second(
    browser, tmp_path
):
    run = twenty_thousand_tokens()
    path = tmp_path / "tokens.html"
    run.to_html(path)
    size = path.stat().st_size
    ready = []
    for _ in range(3):  # the first page of a fresh browser also pays for its process
        page, refused, problems = await open_offline(browser, path)
        await expect(page.get_by_test_id("status")).to_have_text("success")
        ready.append(await page.evaluate("performance.getEntriesByName('lgw-ready')[0].startTime"))
        text = await page.get_by_test_id("message").last.locator("pre").text_content()
        assert text == run.text()
        assert refused == [] and problems == []
        await page.context.close()
    print(f"\n20,000-token run: {size / 1e6:.2f} MB, ready after {[round(r) for r in ready]} ms")
    assert size <= 2_000_000
    assert statistics.median(ready) < 1000

"""RunView in Jupyter Notebook 7 (not JupyterLab): live tokens, Cancel, and the static copy never
shown next to the widget. Notebook 7 has its own shell; nothing in the view may need the lab's."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from playwright.async_api import expect

from harness.lab import JupyterLab, start_notebook7
from tests.browser.conftest import Notebook, _dismiss
from tests.browser.test_run_view import RESULT_CELL, TOKENS_JS, WATCH_TOKENS_JS

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture(scope="module")
def notebook7(server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    try:
        app = start_notebook7(
            tmp_path_factory.mktemp("nb7"), tmp_path_factory.mktemp("nb7-home"), server.url
        )
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield app
    finally:
        app.stop()


@pytest.fixture
async def open_in_notebook7(
    browser: Any, notebook7: JupyterLab, request: pytest.FixtureRequest
) -> AsyncIterator[Any]:
    context = await browser.new_context(viewport={"width": 1300, "height": 1000})
    opened: list[Notebook] = []

    async def open_(cells: list[str]) -> Notebook:
        name = re.sub(r"\W+", "_", request.node.name)
        path = notebook7.notebook(name, cells)
        page = await context.new_page()
        notebook = Notebook(page, name)
        opened.append(notebook)
        page.on("dialog", lambda dialog: _dismiss(notebook, dialog))
        page.on(
            "console",
            lambda msg: notebook.console_errors.append(msg.text) if msg.type == "error" else None,
        )
        await page.goto(f"{notebook7.url}/notebooks/{path}?token={notebook7.token}")
        await notebook.wait_for_kernel()
        return notebook

    yield open_
    for notebook in opened:
        try:
            await notebook.screenshot(f"notebook7_{notebook.name}")
        finally:
            await notebook.page.evaluate(
                "() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.shutdown()"
            )
    await context.close()


async def test_tokens_stream_live_and_the_static_copy_stays_hidden(open_in_notebook7):
    notebook = await open_in_notebook7(
        [
            "import lg_widgets\n"
            'run = lg_widgets.stream("slow", {"topic": "cats", "tokens": 200, "delay": 0.01},\n'
            '                        thread_id="new", stream_mode=["messages-tuple", "updates"])\n'
            "run",
            RESULT_CELL,
        ]
    )
    assert await notebook.page.evaluate("() => window.jupyterapp.name") == "Jupyter Notebook"
    await notebook.page.evaluate(WATCH_TOKENS_JS)
    await notebook.run_all()
    result = await notebook.result()
    assert result["status"] == "success", result
    view = notebook.view()
    await expect(view.get_by_test_id("status")).to_have_text("success")
    assert await notebook.page.evaluate(TOKENS_JS % 0) == result["tokens"]
    seen = await notebook.page.evaluate("() => window.__lgwSeen")
    final = next(iter(result["tokens"].values()))
    assert len(seen) >= 3 and seen[-1] == final  # seen growing, then whole
    assert all(final.startswith(text) for text in seen)
    # the output was replaced by its final copy (display id): still one view, no static copy
    await expect(notebook.page.get_by_test_id("lg-run-view")).to_have_count(1)
    await expect(notebook.page.locator('[data-lgw="static-run"]')).to_have_count(0)
    assert notebook.dialogs == []


async def test_cancel_stops_the_run_on_the_server(open_in_notebook7):
    notebook = await open_in_notebook7(
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
    server = notebook.page.locator(".jp-OutputArea-output", has_text="SERVER ")
    await expect(server).to_contain_text("SERVER interrupted")

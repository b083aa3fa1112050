"""A run's output in JupyterLab: replaced in place when the run ends (one view, never the static
copy next to it), and a notebook executed headless then opened later (its kernel long gone)
showing the saved result: the static copy while untrusted, the saved view once trusted."""

from __future__ import annotations

import os
import re

import nbformat
import pytest
from nbclient import NotebookClient
from nbconvert import HTMLExporter
from playwright.async_api import expect

from harness.lab import wait_for_kernel
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_export_html import open_offline
from tests.browser.test_run_view import RESULT_CELL

pytestmark = [pytest.mark.browser, pytest.mark.integration]

REACT = (
    "import lg_widgets\n"
    'question = {"messages": [{"role": "user", "content": "Weather, and 42 / 0?"}]}\n'
    "def react(city, **options):\n"
    '    return lg_widgets.stream("react", question, thread_id="new",\n'
    '                             stream_mode=["messages-tuple", "updates", "values"],\n'
    '                             config={"configurable": {"city": city, **options}})\n'
)


async def test_the_output_is_replaced_in_place_and_the_view_keeps_its_tab(open_notebook):
    notebook = await open_notebook([REACT + 'run = react("Rome", delay=0.1)\nrun', RESULT_CELL])
    await notebook.run_all()
    view = notebook.view()
    await expect(view.get_by_test_id("tool-card").first).to_be_visible(timeout=30_000)
    await view.get_by_test_id("tab-timeline").click()
    result = await notebook.result()
    assert result["status"] == "success"
    # the display update re-renders the output: still one view, on the tab the user chose
    await expect(notebook.page.get_by_test_id("lg-run-view")).to_have_count(1)
    await expect(view.get_by_test_id("status")).to_have_text("success")
    await expect(view.get_by_test_id("tab-timeline")).to_have_attribute("aria-selected", "true")
    await expect(view.get_by_test_id("timeline-row")).to_have_count(len(result["rows"]))
    await expect(notebook.page.locator('[data-lgw="static-run"]')).to_have_count(0)


@pytest.fixture(scope="module")
def headless(server) -> nbformat.NotebookNode:
    """Two ReAct runs and their comparison, executed by nbclient (its kernel then shut down)."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    notebook.cells = [
        nbformat.v4.new_code_cell(source)
        for source in (
            REACT + 'rome = react("Rome")\nrome',
            'oslo = react("Oslo")\noslo',
            'await rome\nawait oslo\nlg_widgets.compare(rome, oslo, labels=("Rome", "Oslo"))',
        )
    ]
    client = NotebookClient(notebook, timeout=120, kernel_name="python3")
    client.execute(env={**os.environ, "LANGGRAPH_API_URL": server.url})
    return notebook


async def test_nbconvert_without_widget_state_shows_the_static_copies(headless, browser, tmp_path):
    notebook = nbformat.from_dict(headless)
    del notebook.metadata["widgets"]
    body, _ = HTMLExporter().from_notebook_node(notebook)
    path = tmp_path / "headless.html"
    path.write_text(body)
    page, _, _ = await open_offline(browser, path)  # its CDN scripts fail: none is needed
    copies = page.locator('[data-lgw="static-run"]')
    await expect(copies).to_have_count(2)
    await expect(copies.nth(1).locator('[data-lgw="status"]')).to_have_text("success")
    await expect(copies.nth(1)).to_contain_text("get_weather says: It is always sunny in Oslo.")
    await expect(page.locator('[data-lgw="comparison"] ins')).to_have_text(["Oslo"])
    await page.screenshot(
        path=str(ARTIFACTS / "nbconvert_without_widget_state.png"), full_page=True
    )
    await page.context.close()


async def test_a_notebook_executed_headless_shows_its_result_when_opened_later(
    headless, browser, jupyterlab
):
    name = "headless_then_opened"
    nbformat.write(headless, jupyterlab.root / f"{name}.ipynb")
    context = await browser.new_context(viewport={"width": 1400, "height": 1100})
    page = await context.new_page()
    await page.goto(
        f"{jupyterlab.url}/lab/workspaces/{name}/tree/{name}.ipynb?token={jupyterlab.token}"
    )
    await wait_for_kernel(page)  # a new kernel: the one that ran the cells is gone

    # not trusted here (nbclient does not sign): no widget, the static copies instead
    # (JupyterLab's sanitizer drops data attributes and styles with theme variables from
    # untrusted HTML: found by its text, it keeps its structure and inherits the theme's colours)
    static = page.locator(".jp-OutputArea-output", has_text="Static copy saved when the run ended")
    await expect(static).to_have_count(2)
    await expect(page.get_by_test_id("lg-run-view")).to_have_count(0)
    await expect(static.nth(0).locator("span").first).to_have_text("success")
    await expect(static.nth(0)).to_contain_text("get_weather says: It is always sunny in Rome.")
    await expect(static.nth(1)).to_contain_text("It is always sunny in Oslo.")
    await page.screenshot(path=str(ARTIFACTS / "headless_notebook_untrusted.png"))

    # trusted, as its author would: the saved views, and still nothing twice
    await page.evaluate("() => { void window.jupyterapp.commands.execute('notebook:trust'); }")
    await page.get_by_role("button", name="Trust").click()
    views = page.get_by_test_id("lg-run-view")
    await expect(views).to_have_count(2, timeout=60_000)
    for index, city in enumerate(("Rome", "Oslo")):
        view = views.nth(index)
        await expect(view.get_by_test_id("status")).to_have_text("success")
        await expect(view.get_by_test_id("tool-result").first).to_have_text(
            f"It is always sunny in {city}."
        )
    await expect(static).to_have_count(0)
    comparison = page.locator('[data-lgw="comparison"]')
    await expect(comparison.locator('[data-lgw="verdict"]')).to_contain_text(
        "Same path; the runs first differ at step 1"
    )
    await expect(comparison.locator("ins")).to_have_text(["Oslo"])

    # JupyterLab's dark theme: the view and the comparison follow its colours (screenshot)
    await page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:change-theme', "
        "{theme: 'JupyterLab Dark'})"
    )
    await expect(page.locator("body")).to_have_attribute("data-jp-theme-light", "false")
    background = await views.nth(0).evaluate("el => getComputedStyle(el).backgroundColor")
    assert _dark(background), background
    await views.nth(0).scroll_into_view_if_needed()
    await page.screenshot(path=str(ARTIFACTS / "saved_view_dark.png"))
    await comparison.scroll_into_view_if_needed()
    await page.screenshot(path=str(ARTIFACTS / "compare_dark.png"))
    await page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:change-theme', "
        "{theme: 'JupyterLab Light'})"
    )
    await page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
    await context.close()


def _dark(css_color: str) -> bool:
    red, green, blue = (int(v) for v in re.findall(r"\d+", css_color)[:3])
    return red + green + blue < 3 * 100

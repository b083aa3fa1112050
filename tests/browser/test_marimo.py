"""marimo as a front end: `marimo edit` (harness.marimo) driven by headless Chromium, as the
JupyterLab tests drive the lab, and `marimo export html` of the example notebook and the guide.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.async_api import expect

from harness.marimo import notebook_source

pytestmark = [pytest.mark.browser, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "notebooks" / "marimo_quickstart.py"
GUIDE = ROOT / "docs" / "guide" / "marimo.md"
NOTES = Path(os.environ.get("LGW_SCREENSHOTS", ROOT / "artifacts"))

SLOW_RUN = (
    "import lg_widgets\n"
    'run = lg_widgets.stream("slow", {"topic": "cats", "tokens": 200, "delay": 0.1},\n'
    '                        thread_id="new", stream_mode=["messages-tuple", "updates"])\n'
    "run"
)


async def words_shown(view) -> int:
    text = await view.locator('[data-testid="message"][data-role="ai"] pre').first.text_content()
    return len((text or "").split())


async def test_the_example_notebook_streams_live_and_its_dataframe_cells_rerun_at_the_end(
    open_marimo, marimo
):
    """The example as a user opens it: `run` as a cell's value is the live view; the cells that
    read `lg_widgets.watch(run)` show the finished timeline once the run has ended."""
    shutil.copy(EXAMPLE, marimo.root / EXAMPLE.name)
    notebook = await open_marimo(EXAMPLE.name)
    # marimo scrolls within its page: a tall window shows the whole notebook in a screenshot
    await notebook.page.set_viewport_size({"width": 1400, "height": 2200})
    view = notebook.view()
    await expect(view.get_by_test_id("status")).to_have_text("running", timeout=90_000)
    await expect(view.get_by_test_id("message").first).to_contain_text("word3", timeout=60_000)
    live = await words_shown(view)
    # no cell awaits the run: the cells reading `status` re-run while it streams
    status_line = notebook.output("The run is")
    await expect(status_line).to_contain_text("The run is running", timeout=30_000)
    await notebook.screenshot("marimo_example_live", NOTES)
    await expect(view.get_by_test_id("status")).to_have_text("success", timeout=60_000)
    await expect(view.get_by_test_id("message").first).to_contain_text("word99")
    assert live < 100, "the view showed the tokens only at the end"
    # the cells reading `status` re-ran for the end: the finished run's numbers and timeline
    await expect(status_line).to_contain_text(
        "The run is success: 204 events, 3 timeline rows.", timeout=60_000
    )
    # marimo's table of `run.timeline` (its footer counts rows and columns)
    table = notebook.page.locator(".output-area", has_text=re.compile(r"\d+ rows?, \d+ columns"))
    await expect(table).to_contain_text("3 rows", timeout=30_000)
    await expect(table).to_contain_text("slow_c")
    await view.get_by_test_id("tab-graph").click()
    for node in ("slow_a", "slow_llm", "slow_c"):
        await expect(view.locator(f'[data-testid="graph-node"][data-id="{node}"]')).to_be_visible()
    await view.get_by_test_id("tab-messages").click()
    await notebook.screenshot("marimo_example_final", NOTES)
    assert not notebook.console_errors, notebook.console_errors


async def test_cancel_in_the_view_stops_the_run(open_marimo):
    notebook = await open_marimo([SLOW_RUN])
    view = notebook.view()
    await expect(view.get_by_test_id("message").first).to_contain_text("word1", timeout=90_000)
    await view.get_by_test_id("cancel").click()
    await expect(view.get_by_test_id("status")).to_have_text("cancelled", timeout=30_000)
    await expect(view.get_by_test_id("cancel-note")).to_be_hidden()
    assert await words_shown(view) < 100


async def test_cancel_while_a_cell_awaits_the_run_says_why_and_stopping_the_cell_cancels(
    open_marimo,
):
    """marimo handles widget messages between cells: the click would wait behind the cell that
    awaits the run, so the view says so at once; that cell's stop button cancels the run."""
    notebook = await open_marimo([SLOW_RUN, 'await run\nprint("AWAITED", run.status)'])
    view = notebook.view()
    await expect(view.get_by_test_id("message").first).to_contain_text("word1", timeout=90_000)
    # live while the cell awaits: the words keep coming
    await expect(view.get_by_test_id("message").first).to_contain_text("word12", timeout=30_000)
    await view.get_by_test_id("cancel").click()
    note = view.get_by_test_id("cancel-note")
    await expect(note).to_contain_text("marimo handles clicks only after it", timeout=5_000)
    await expect(note).to_contain_text("stop that cell")
    await expect(view.get_by_test_id("status")).to_have_text("running")
    await notebook.screenshot("marimo_cancel_while_awaiting", NOTES)
    await notebook.page.get_by_test_id("interrupt-button").click()
    await expect(view.get_by_test_id("status")).to_have_text("cancelled", timeout=30_000)
    await expect(note).to_be_hidden()
    assert await words_shown(view) < 100


async def test_graph_view_follower_and_comparison_show_as_cell_values(open_marimo):
    notebook = await open_marimo(
        [
            "import lg_widgets\n"
            'first = lg_widgets.stream("agent", {"topic": "cats"}, thread_id="new")\n'
            "await first",
            'lg_widgets.graph("agent")',
            "follower = lg_widgets.follow(first.thread_id)\nfollower  # no run yet: a line",
            'second = lg_widgets.stream("agent", {"topic": "owls"}, thread_id=follower.thread_id)',
            "second  # read, so that this cell runs after the one above\n"
            "await follower.wait_for_run(0)\n"
            "follower  # its view, going on with every run on the thread",
            'lg_widgets.compare(first, second, labels=("cats", "owls"))',
        ]
    )
    alone = notebook.page.locator('[data-testid="lg-graph-view"]')
    await expect(alone.get_by_test_id("assistant")).to_have_text("graph of agent", timeout=90_000)
    for node in ("refine_topic", "generate_joke"):
        await expect(alone.locator(f'[data-testid="graph-node"][data-id="{node}"]')).to_be_visible()
    await expect(notebook.output("Following thread")).to_contain_text("no run yet")
    # the first run's view (`await first` is its cell's value), then the follower's
    await expect(notebook.page.locator('[data-testid="lg-run-view"]')).to_have_count(2)
    followed = notebook.view(1)
    await expect(followed.get_by_test_id("status")).to_have_text("success", timeout=60_000)
    await followed.get_by_test_id("tab-timeline").click()
    await expect(followed.get_by_test_id("timeline-row").first).to_contain_text("owls")
    comparison = notebook.page.locator('[data-lgw="comparison"]')
    await expect(comparison.locator('[data-lgw="verdict"]')).to_be_visible(timeout=60_000)
    await expect(comparison).to_contain_text("owls")


def export_html(notebook: Path, out: Path, server_url: str) -> subprocess.CompletedProcess[str]:
    """`marimo export html`: runs the notebook once, in a kernel of its own, and writes it."""
    return subprocess.run(
        [sys.executable, "-m", "marimo", "export", "html", str(notebook), "-o", str(out),
         "--no-sandbox", "-f"],
        env={**os.environ, "LANGGRAPH_API_URL": server_url, "MARIMO_SKIP_UPDATE_CHECK": "1"},
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip


# An exported page loads marimo's front end from a CDN: the same files, of the same version, are
# in the installed package, and the browser gets them from there (the tests use no network).
MARIMO_CDN = re.compile(r"^https://cdn\.jsdelivr\.net/npm/@marimo-team/frontend@[^/]+/dist/(.+)$")


async def serve_marimo_assets(route) -> None:
    import marimo

    static = Path(marimo.__file__).parent / "_static"
    match = MARIMO_CDN.match(route.request.url)
    path = (static / match.group(1).split("?")[0]).resolve() if match else None
    if path is None or not path.is_file() or static.resolve() not in path.parents:
        await route.abort()
        return
    await route.fulfill(path=str(path))


MAIN = 'if __name__ == "__main__":'


async def test_export_html_keeps_the_finished_run(server, browser, tmp_path):
    """The example exported: the view of the finished run and its timeline, read offline."""
    out = tmp_path / "example.html"
    notebook = tmp_path / EXAMPLE.name  # not beside the example: marimo keeps a cache there
    notebook.write_text(
        # the cell the example tells to add, so that the export keeps the finished run
        EXAMPLE.read_text(encoding="utf-8").replace(
            MAIN, "@app.cell\nasync def _(run):\n    await run\n    return\n\n\n" + MAIN
        ),
        encoding="utf-8",
    )
    done = export_html(notebook, out, server.url)
    assert done.returncode == 0, done.stderr
    page = await browser.new_page(viewport={"width": 1400, "height": 1000})
    await page.route(MARIMO_CDN, serve_marimo_assets)
    try:
        await page.goto(out.as_uri())
        view = page.locator('[data-testid="lg-run-view"]').first
        await expect(view.get_by_test_id("status")).to_have_text("success", timeout=60_000)
        await expect(view.get_by_test_id("message").first).to_contain_text("word99")
        finished = page.get_by_text("The run is success: 204 events, 3 timeline rows.")
        await expect(finished).to_be_visible()
        NOTES.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(NOTES / "marimo_export_html.png"), full_page=True)
    finally:
        await page.close()


def guide_cells() -> list[str]:
    """The guide's python code blocks, each one marimo cell."""
    return re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)


def test_the_guide_runs_as_written_in_marimo(server, tmp_path):
    """docs/guide/marimo.md's code blocks, as the cells of one notebook, run without an error."""
    cells = guide_cells()
    assert len(cells) >= 3
    notebook = tmp_path / "guide.py"
    notebook.write_text(notebook_source(cells), encoding="utf-8")
    done = export_html(notebook, tmp_path / "guide.html", server.url)
    assert done.returncode == 0, done.stderr

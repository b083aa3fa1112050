"""Browser tests: JupyterLab + the embedded LangGraph server + Debian's headless Chromium.

One JupyterLab server and one browser serve the whole session; each test writes its own
notebook, opens it in its own JupyterLab workspace, runs it and drives the widget. The kernel
finds the embedded server through LANGGRAPH_API_URL. A missing /usr/bin/chromium fails the
tests (CI installs it with `scripts/setup --browser`); Playwright's own browsers are never used.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness.lab import (
    CHROMIUM,
    CHROMIUM_ARGS,
    JupyterLab,
    start_jupyterlab,
    wait_for_kernel,
)
from harness.marimo import Marimo, start_marimo

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
STATIC = Path(__file__).resolve().parents[2] / "lg_widgets" / "static" / "widget.js"


@pytest.fixture(scope="session")
def jupyterlab(server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    """A JupyterLab server on a free port, with its own token, root dir and config dirs."""
    if not STATIC.is_file():
        pytest.fail(f"{STATIC} is missing: build the front end (scripts/setup or npm run build)")
    try:
        lab = start_jupyterlab(
            tmp_path_factory.mktemp("lab"), tmp_path_factory.mktemp("lab-home"), server.url
        )
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield lab
    finally:
        lab.stop()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: install Debian's chromium (scripts/setup --browser). "
            "Browser tests fail rather than skip without it."
        )
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        await browser.close()


@dataclass
class Notebook:
    """A notebook open in its own JupyterLab workspace, with what the page did on the side."""

    page: Any
    name: str
    dialogs: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    ws_frames: int = 0
    ws_bytes: int = 0

    async def run_all(self) -> None:
        """Start running every cell; returns at once (the command's promise ends with the cells)."""
        await self.page.evaluate(
            "() => { void window.jupyterapp.commands.execute('notebook:run-all-cells'); }"
        )

    async def result(self, timeout: float = 60_000) -> dict[str, Any]:
        """The JSON a cell printed after `RESULT ` (cells print it once the run has ended)."""
        # case-sensitive: a widget's own text ("... task starts and results ...") is no result
        output = self.page.locator(".jp-OutputArea-output", has_text=re.compile("RESULT ")).first
        await output.wait_for(timeout=timeout)
        text = await output.text_content()
        match = re.search(r"RESULT (\{.*\})", text or "", re.S)
        assert match, text
        return json.loads(match.group(1))

    async def command(self, name: str, args: dict[str, Any] | None = None) -> None:
        """Run a JupyterLab command and wait for it to finish."""
        await self.page.evaluate(
            "([name, args]) => window.jupyterapp.commands.execute(name, args)", [name, args or {}]
        )

    async def wait_for_kernel(self) -> None:
        await wait_for_kernel(self.page)

    def view(self, index: int = 0) -> Any:
        return self.page.locator('[data-testid="lg-run-view"]').nth(index)

    async def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        await self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
async def open_notebook(
    browser: Any, jupyterlab: JupyterLab, request: pytest.FixtureRequest
) -> AsyncIterator[Any]:
    """`await open_notebook(cells)` -> a `Notebook` whose kernel is up; screenshots at the end."""
    opened: list[Notebook] = []
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})

    async def open_(cells: list[str]) -> Notebook:
        name = re.sub(r"\W+", "_", request.node.name)
        path = jupyterlab.notebook(name, cells)
        page = await context.new_page()
        notebook = Notebook(page, name)
        opened.append(notebook)
        page.on("dialog", lambda dialog: _dismiss(notebook, dialog))
        page.on(
            "console",
            lambda msg: notebook.console_errors.append(msg.text) if msg.type == "error" else None,
        )
        page.on("websocket", lambda ws: _count_frames(notebook, ws))
        await page.goto(
            f"{jupyterlab.url}/lab/workspaces/{name}/tree/{path}?token={jupyterlab.token}"
        )
        await notebook.wait_for_kernel()
        return notebook

    yield open_
    for notebook in opened:
        try:
            await notebook.screenshot(notebook.name)
        finally:
            await notebook.page.evaluate(
                "() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.shutdown()"
            )
    await context.close()


def _dismiss(notebook: Notebook, dialog: Any) -> None:
    """Record alerts/prompts (untrusted content must never raise one); let reloads proceed."""
    if dialog.type == "beforeunload":
        asyncio.ensure_future(dialog.accept())
        return
    notebook.dialogs.append(f"{dialog.type}: {dialog.message}")
    asyncio.ensure_future(dialog.dismiss())


def _count_frames(notebook: Notebook, ws: Any) -> None:
    def received(payload: str | bytes) -> None:
        notebook.ws_frames += 1
        notebook.ws_bytes += len(payload)

    ws.on("framereceived", received)


@pytest.fixture(scope="session")
def marimo(server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Marimo]:
    """`marimo edit` on a folder of its own (free port, own token and config home)."""
    if not STATIC.is_file():
        pytest.fail(f"{STATIC} is missing: build the front end (scripts/setup or npm run build)")
    try:
        editor = start_marimo(
            tmp_path_factory.mktemp("marimo"), tmp_path_factory.mktemp("marimo-home"), server.url
        )
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield editor
    finally:
        editor.stop()


@dataclass
class MarimoNotebook:
    """A marimo notebook open in the browser; its cells ran as it opened."""

    page: Any
    name: str
    path: Path
    console_errors: list[str] = field(default_factory=list)

    def view(self, index: int = 0) -> Any:
        return self.page.locator('[data-testid="lg-run-view"]').nth(index)

    def output(self, text: str) -> Any:
        """The cell output holding `text` (marimo's output areas)."""
        return self.page.locator(".output-area", has_text=text).first

    async def screenshot(self, name: str, folder: Path = ARTIFACTS) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        await self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
async def open_marimo(
    browser: Any, marimo: Marimo, request: pytest.FixtureRequest
) -> AsyncIterator[Any]:
    """`await open_marimo(cells)` (code cells, or the name of a notebook file in marimo's root)
    -> a `MarimoNotebook` whose cells have started; screenshots at the end."""
    opened: list[MarimoNotebook] = []
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})

    async def open_(cells: list[str] | str) -> MarimoNotebook:
        name = "marimo_" + re.sub(r"\W+", "_", request.node.name)
        file = cells if isinstance(cells, str) else marimo.notebook(name, cells)
        page = await context.new_page()
        notebook = MarimoNotebook(page, name, marimo.root / file)
        opened.append(notebook)
        page.on(
            "console",
            lambda msg: notebook.console_errors.append(msg.text) if msg.type == "error" else None,
        )
        await page.goto(marimo.page_url(file))
        return notebook

    yield open_
    for notebook in opened:
        await notebook.screenshot(notebook.name)
    await context.close()

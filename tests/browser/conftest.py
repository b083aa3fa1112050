"""Browser tests: JupyterLab + the embedded LangGraph server + Debian's headless Chromium.

One JupyterLab server and one browser serve the whole session; each test writes its own
notebook, opens it in its own JupyterLab workspace, runs it and drives the widget. The kernel
finds the embedded server through LANGGRAPH_API_URL. A missing /usr/bin/chromium fails the
tests (CI installs it with `scripts/setup --browser`); Playwright's own browsers are never used.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
STATIC = Path(__file__).resolve().parents[2] / "lg_widgets" / "static" / "widget.js"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class JupyterLab:
    url: str
    token: str
    root: Path
    process: subprocess.Popen[bytes]
    log: Path

    def notebook(self, name: str, cells: list[str]) -> str:
        """Write a notebook with these code cells; returns its path relative to the root."""
        book = nbformat.v4.new_notebook()
        book.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        book.cells = [nbformat.v4.new_code_cell(source) for source in cells]
        path = self.root / f"{name}.ipynb"
        nbformat.write(book, path)
        return path.name


@pytest.fixture(scope="session")
def jupyterlab(server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    """A JupyterLab server on a free port, with its own token, root dir and config dirs."""
    if not STATIC.is_file():
        pytest.fail(f"{STATIC} is missing: build the front end (scripts/setup or npm run build)")
    root = tmp_path_factory.mktemp("lab")
    home = tmp_path_factory.mktemp("lab-home")
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "LANGGRAPH_API_URL": server.url,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "IPYTHONDIR": str(home / "ipython"),
    }
    settings = home / "settings"
    _write_settings(settings)
    env["JUPYTERLAB_SETTINGS_DIR"] = str(settings)
    log = home / "jupyterlab.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            "--ServerApp.terminals_enabled=False",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            f"--LabApp.workspaces_dir={home / 'workspaces'}",
        ],
        cwd=root,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    lab = JupyterLab(f"http://127.0.0.1:{port}", token, root, process, log)
    try:
        _wait_until_up(lab)
        yield lab
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


def _write_settings(settings: Path) -> None:
    """Save widget state with the notebook (as a user may), and no news toast over the page."""
    for plugin, values in {
        "@jupyter-widgets/jupyterlab-manager/plugin": {"saveState": True},
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false"},
    }.items():
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


def _wait_until_up(lab: JupyterLab, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lab.process.poll() is not None:
            pytest.fail(f"JupyterLab exited:\n{lab.log.read_text()[-3000:]}")
        try:
            request = urllib.request.Request(
                f"{lab.url}/api/status", headers={"Authorization": f"token {lab.token}"}
            )
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)  # readiness poll of another process, not test synchronisation
    pytest.fail(f"JupyterLab did not start in {timeout} s:\n{lab.log.read_text()[-3000:]}")


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
        output = self.page.locator(".jp-OutputArea-output", has_text="RESULT ").first
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
        await self.page.wait_for_function(
            """() => {
                const w = window.jupyterapp?.shell?.currentWidget;
                const kernel = w?.sessionContext?.session?.kernel;
                return w?.context?.isReady && kernel?.status === 'idle'
                    && kernel?.connectionStatus === 'connected';
            }""",
            timeout=90_000,
        )

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

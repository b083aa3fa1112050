"""JupyterLab and Debian's Chromium for the browser tests and the browser benchmark.

A plain module (no pytest) so that `bench/` starts JupyterLab exactly as the tests do: a free
port, its own token, root and config dirs, widget state saved with notebooks, no news toast.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

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


KERNEL_READY_JS = """() => {
    const w = window.jupyterapp?.shell?.currentWidget;
    const kernel = w?.sessionContext?.session?.kernel;
    return w?.context?.isReady && kernel?.status === 'idle'
        && kernel?.connectionStatus === 'connected';
}"""


async def wait_for_kernel(page: Any, timeout_ms: int = 90_000) -> None:
    """Until the open notebook's kernel is idle and connected (a Playwright page)."""
    await page.wait_for_function(KERNEL_READY_JS, timeout=timeout_ms)


def free_port() -> int:
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

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _write_settings(settings: Path) -> None:
    """Save widget state with the notebook (as a user may), and no news toast over the page."""
    for plugin, values in {
        "@jupyter-widgets/jupyterlab-manager/plugin": {"saveState": True},
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false"},
    }.items():
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


def start_jupyterlab(root: Path, home: Path, server_url: str, timeout: float = 90) -> JupyterLab:
    """Start JupyterLab whose kernels find the LangGraph server at `server_url`.

    Raises RuntimeError with the end of JupyterLab's log when it exits or does not answer.
    """
    return _start("lab", root, home, server_url, timeout)


def start_notebook7(root: Path, home: Path, server_url: str, timeout: float = 90) -> JupyterLab:
    """The same with Jupyter Notebook 7 (built on JupyterLab's components, its own shell):
    notebooks open at `/notebooks/<path>`, `window.jupyterapp` is exposed as in the lab."""
    return _start("notebook", root, home, server_url, timeout)


def _start(app: str, root: Path, home: Path, server_url: str, timeout: float) -> JupyterLab:
    port, token = free_port(), secrets.token_hex(16)
    settings = home / "settings"
    _write_settings(settings)
    env = {
        **os.environ,
        "LANGGRAPH_API_URL": server_url,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "IPYTHONDIR": str(home / "ipython"),
    }
    if app == "lab":
        options = [
            "-m",
            "jupyterlab",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            f"--LabApp.workspaces_dir={home / 'workspaces'}",
        ]
    else:
        options = [
            "-m",
            "notebook",
            "--JupyterNotebookApp.expose_app_in_browser=True",
            f"--JupyterNotebookApp.workspaces_dir={home / 'workspaces'}",
        ]
    log = home / f"{app}.log"
    process = subprocess.Popen(
        [
            sys.executable,
            *options,
            "--no-browser",
            "--allow-root",
            "--ServerApp.terminals_enabled=False",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
        ],
        cwd=root,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    lab = JupyterLab(f"http://127.0.0.1:{port}", token, root, process, log)
    status = urllib.request.Request(
        f"{lab.url}/api/status", headers={"Authorization": f"token {token}"}
    )
    try:
        wait_until_ready(f"Jupyter ({app})", process, status, log, timeout)
    except RuntimeError:
        lab.stop()
        raise
    return lab


def wait_until_ready(
    name: str,
    process: subprocess.Popen[bytes],
    probe: urllib.request.Request | str,
    log: Path,
    timeout: float,
) -> None:
    """Poll `probe` until it answers 200; a process that exits or a deadline that passes is a
    RuntimeError with the tail of its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(probe, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)  # readiness poll of another process, not test synchronisation
    raise RuntimeError(f"{name} did not start in {timeout} s:\n{log.read_text()[-3000:]}")

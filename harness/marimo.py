"""marimo (`marimo edit --headless`) for the browser tests, beside JupyterLab in `harness.lab`.

A plain module (no pytest), like `harness.lab`: a free loopback port, its own token, its own
config home (cells run when a notebook opens, no update check), notebooks written as marimo's
plain `.py` files into its own root. Its kernels find the LangGraph server in LANGGRAPH_API_URL.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from harness.lab import free_port, wait_until_ready

# A user config of its own: cells run as a notebook opens (as `marimo run` does), nothing asks
# the network, and no panel opens over the cells.
_CONFIG = """\
[runtime]
auto_instantiate = true
on_cell_change = "autorun"
watcher_on_save = "lazy"

[completion]
activate_on_typing = false
copilot = false

[display]
theme = "light"

[package_management]
manager = "pip"
"""


@dataclass
class Marimo:
    url: str
    token: str
    root: Path
    process: subprocess.Popen[bytes]
    log: Path

    def notebook(self, name: str, cells: list[str]) -> str:
        """Write a marimo notebook with these cells (each one cell's code, run in marimo's
        order: by the names they define and read); returns its file name under the root."""
        path = self.root / f"{name}.py"
        path.write_text(notebook_source(cells), encoding="utf-8")
        return path.name

    def page_url(self, file: str) -> str:
        """Where the browser opens `file` (the token is a query parameter on the first load)."""
        return f"{self.url}/?file={file}&access_token={self.token}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(15)


def notebook_source(cells: list[str]) -> str:
    """A marimo notebook file: each cell a function marimo analyses for what it defines."""
    parts = ['import marimo\n\napp = marimo.App(width="full")\n']
    for code in cells:
        body = textwrap.indent(textwrap.dedent(code).strip("\n"), "    ")
        # a cell that awaits is a coroutine function in marimo's file format
        kind = "async def" if "await " in code else "def"
        parts.append(f"\n@app.cell\n{kind} _():\n{body}\n    return\n")
    parts.append('\n\nif __name__ == "__main__":\n    app.run()\n')
    return "".join(parts)


def start_marimo(root: Path, home: Path, server_url: str, timeout: float = 90) -> Marimo:
    """Start `marimo edit` on the folder `root`, whose kernels find the LangGraph server at
    `server_url`.

    Raises RuntimeError with the end of marimo's log when it exits or does not answer.
    """
    port, token = free_port(), secrets.token_hex(16)
    config = home / "config" / "marimo"
    config.mkdir(parents=True, exist_ok=True)
    (config / "marimo.toml").write_text(_CONFIG, encoding="utf-8")
    env = {
        **os.environ,
        "LANGGRAPH_API_URL": server_url,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "MARIMO_SKIP_UPDATE_CHECK": "1",
    }
    log = home / "marimo.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "marimo",
            "edit",
            "--headless",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--token",
            "--token-password",
            token,
            "--skip-update-check",
            "--no-sandbox",
            str(root),
        ],
        cwd=root,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    marimo = Marimo(f"http://127.0.0.1:{port}", token, root, process, log)
    try:
        wait_until_ready("marimo", process, f"{marimo.url}/health", log, timeout)
    except RuntimeError:
        marimo.stop()
        raise
    return marimo

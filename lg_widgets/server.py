"""The embedded LangGraph API server: the real in-memory runtime that `langgraph dev` runs.

It is started as a subprocess on a free loopback port so that everything works on a laptop with
no deployment, and stopped with the interpreter so that no server outlives the kernel.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from lg_widgets.demo import DEMO_CONFIG
from lg_widgets.errors import MissingServerExtra, ServerStartError

_SERVER_MODULES = ("langgraph_cli", "langgraph_api", "langgraph_runtime_inmem")
_QUIET_ENV = {
    "LANGGRAPH_CLI_NO_ANALYTICS": "1",
    "LANGSMITH_TRACING": "false",
    "LANGCHAIN_TRACING_V2": "false",
    "LANGGRAPH_NO_BROWSER": "1",
    "NO_COLOR": "1",
}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_running: list[EmbeddedServer] = []


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _default_log_path(port: int) -> Path:
    """Logs live outside the server's working directory so they survive `stop()`."""
    folder = Path(tempfile.gettempdir()) / "lg-widgets"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"server-{port}.log"


def _anchored_config(config_path: Path, workdir: Path) -> Path:
    """A copy of the config whose relative paths point at the original folder.

    `langgraph dev` resolves graph paths against its working directory, and ours is private.
    """
    config = json.loads(config_path.read_text())
    base = config_path.parent

    def anchor(path: str) -> str:
        return str((base / path).resolve()) if path.startswith(".") else path

    graphs = config.get("graphs", {})
    for name, spec in graphs.items():
        if isinstance(spec, str):
            graphs[name] = anchor(spec)
        elif isinstance(spec, dict) and isinstance(spec.get("path"), str):
            spec["path"] = anchor(spec["path"])
    config["dependencies"] = [anchor(d) for d in config.get("dependencies", [])]
    if isinstance(config.get("env"), str):
        config["env"] = anchor(config["env"])
    anchored = workdir / "langgraph.json"
    anchored.write_text(json.dumps(config))
    return anchored


def _die_with_parent() -> None:
    """Linux only: the server gets SIGTERM when the kernel that started it dies, even by SIGKILL."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def check_server_extra() -> None:
    """Raise `MissingServerExtra` naming the pip extra when the server packages are absent."""
    missing = [name for name in _SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingServerExtra(
            f"The embedded server needs {', '.join(missing)}, which are not installed. "
            "Install the extra: pip install 'lg-widgets[server]'"
        )


class EmbeddedServer:
    """A running in-memory LangGraph API server. Use `.url`, `.stop()`, or `with serve() as s:`."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        url: str,
        config: Path,
        log_path: Path,
        workdir: tempfile.TemporaryDirectory[str] | None,
    ) -> None:
        self.process = process
        self.url = url
        self.config = config
        self.log_path = log_path
        self._workdir = workdir

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<EmbeddedServer {self.url} {state} config={self.config}>"

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's log (stdout and stderr together)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        text = _ANSI.sub("", text)
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server and its process group; safe to call twice."""
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout)
        if self in _running:
            _running.remove(self)
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    def __enter__(self) -> EmbeddedServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _wait_until_ready(server: EmbeddedServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.running:
            raise ServerStartError(
                f"The LangGraph server exited with code {server.process.returncode} while "
                f"starting ({server.config}). Last lines of its log ({server.log_path}):\n"
                f"{server.log_tail()}"
            )
        try:
            with urllib.request.urlopen(f"{server.url}/ok", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.2)
    server.stop()
    raise ServerStartError(
        f"The LangGraph server did not answer on {server.url} within {timeout:.0f} s. "
        f"Last lines of its log ({server.log_path}):\n{server.log_tail()}"
    )


def serve(
    config: str | os.PathLike[str] | None = None,
    *,
    port: int | None = None,
    host: str = "127.0.0.1",
    n_jobs_per_worker: int = 8,
    startup_timeout: float = 90.0,
    env: Mapping[str, str] | None = None,
    log_path: str | os.PathLike[str] | None = None,
    connect: bool = True,
) -> EmbeddedServer:
    """Start the in-memory LangGraph API server and wait until it answers.

    `config` is a `langgraph.json` (default: the bundled demo graphs). With `connect=True` the
    server becomes the default for `stream()`/`join()` until another `connect()` or `serve()`.
    """
    check_server_extra()
    config_path = Path(config).resolve() if config is not None else DEMO_CONFIG
    if not config_path.is_file():
        raise FileNotFoundError(f"No langgraph.json at {config_path}")
    port = port or _free_port(host)
    # The in-memory runtime pickles its state into ./.langgraph_api: keep that out of the
    # user's folder by running the server in a private working directory.
    workdir = tempfile.TemporaryDirectory(prefix="lg-widgets-server-")
    log_file = Path(log_path) if log_path else _default_log_path(port)
    command = [
        sys.executable,
        "-m",
        "langgraph_cli",
        "dev",
        "--config",
        str(_anchored_config(config_path, Path(workdir.name))),
        "--host",
        host,
        "--port",
        str(port),
        "--no-browser",
        "--no-reload",
        "--n-jobs-per-worker",
        str(n_jobs_per_worker),
    ]
    child_env = {**os.environ, **_QUIET_ENV, **(env or {})}
    with open(log_file, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=workdir.name,
            env=child_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    server = EmbeddedServer(process, f"http://{host}:{port}", config_path, log_file, workdir)
    _running.append(server)
    _wait_until_ready(server, startup_timeout)
    if connect:
        from lg_widgets.connection import connect as _connect

        _connect(server.url, _server=server)
    return server


@atexit.register
def _stop_all() -> None:
    for server in list(_running):
        server.stop()

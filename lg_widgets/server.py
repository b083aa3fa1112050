"""The embedded LangGraph API server: the real in-memory runtime that `langgraph dev` runs.

It is started as a subprocess on a free loopback port so that everything works on a laptop with
no deployment, and stopped with the interpreter so that no server outlives the kernel. A loopback
port is open to every user of the machine (and to web pages posting to localhost), so each server
gets a random secret that its requests must carry (`lg_widgets.server_auth`).

This module knows nothing of the default connection: `lg_widgets.defaults` wires a started
server into it.
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
import warnings
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from langgraph_sdk import get_client, get_sync_client
from langgraph_sdk.client import LangGraphClient, SyncLangGraphClient

from lg_widgets import server_auth
from lg_widgets.demo import DEMO_CONFIG
from lg_widgets.errors import MissingServerExtra, ServerStartError
from lg_widgets.secret import Secret

_SERVER_MODULES = ("langgraph_cli", "langgraph_api", "langgraph_runtime_inmem")
_QUIET_ENV = {
    "LANGGRAPH_CLI_NO_ANALYTICS": "1",
    "LANGSMITH_TRACING": "false",
    "LANGCHAIN_TRACING_V2": "false",
    "LANGGRAPH_NO_BROWSER": "1",
    "NO_COLOR": "1",
}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# What comes before the last ":" of an import reference such as "./graph.py:graph" is a file when
# it has a folder or a source extension; "my_pkg.graphs:graph" and "openai:text-embedding-3-small"
# are modules and providers, left alone.
_SOURCE_SUFFIXES = (".py", ".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".jsx", ".tsx")
# langgraph.json keys holding an import reference (langgraph-cli's config schema, 0.4.x).
_REFERENCE_KEYS = (
    ("auth", "path"),
    ("http", "app"),
    ("store", "path"),
    ("store", "index", "embed"),
    ("checkpointer", "path"),
    ("encryption", "path"),
    ("priority", "path"),
)
_running: list[EmbeddedServer] = []


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _log_folder() -> Path:
    """A folder of this user's own: a shared /tmp/lg-widgets made by another user is unwritable
    (and would let them read the logs)."""
    folder = Path(tempfile.gettempdir()) / f"lg-widgets-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    if folder.stat().st_uid != os.getuid():  # planted by someone else
        return Path(tempfile.mkdtemp(prefix="lg-widgets-"))
    return folder


def _default_log_path(port: int) -> Path:
    """Logs live outside the server's working directory so they survive `stop()`."""
    return _log_folder() / f"server-{port}.log"


def _anchor_file(path: str, base: Path) -> str:
    return path if Path(path).is_absolute() else str((base / path).resolve())


def _anchor_reference(reference: str, base: Path) -> str:
    """`./graph.py:graph` -> `/abs/folder/graph.py:graph`; modules and providers unchanged."""
    module, colon, name = reference.rpartition(":")
    is_file = "/" in module or "\\" in module or module.endswith(_SOURCE_SUFFIXES)
    if not colon or not is_file:
        return reference
    return f"{_anchor_file(module, base)}:{name}"


def _anchor_paths(config: dict[str, Any], base: Path) -> None:
    """Make every relative path of a langgraph.json absolute, against the folder it came from.

    `langgraph dev` resolves them against its working directory, and ours is private.
    """
    graphs = config.get("graphs", {})
    for name, spec in graphs.items():
        if isinstance(spec, str):
            graphs[name] = _anchor_reference(spec, base)
        elif isinstance(spec, dict) and isinstance(spec.get("path"), str):
            spec["path"] = _anchor_reference(spec["path"], base)
    for *parents, key in _REFERENCE_KEYS:
        section: Any = config
        for parent in parents:
            section = section.get(parent) if isinstance(section, dict) else None
        if isinstance(section, dict) and isinstance(section.get(key), str):
            section[key] = _anchor_reference(section[key], base)
    config["dependencies"] = [
        _anchor_file(dep, base) if dep.startswith(".") or (base / dep).exists() else dep
        for dep in config.get("dependencies", [])
    ]
    if isinstance(config.get("env"), str):
        config["env"] = _anchor_file(config["env"], base)
    if isinstance(config.get("ui"), dict):
        config["ui"] = {name: _anchor_file(path, base) for name, path in config["ui"].items()}


def _require_secret(config: dict[str, Any]) -> bool:
    """Install `server_auth` unless the config brings its own auth; True if ours is in force.

    `disable_studio_auth` matters: under `langgraph dev`, a request with the header
    `x-auth-scheme: langsmith` otherwise skips custom auth altogether.
    """
    if config.get("auth"):
        return False
    config["auth"] = {
        "path": f"{Path(server_auth.__file__).resolve()}:auth",
        "disable_studio_auth": True,
    }
    http = config.get("http")
    if isinstance(http, dict) and http.get("app"):
        http.setdefault("enable_custom_route_auth", True)  # the config's own routes too
    return True


def _write_config(config_path: Path, workdir: Path) -> tuple[Path, bool]:
    """The langgraph.json the server really reads, and whether our secret is enforced."""
    config = json.loads(config_path.read_text())
    _anchor_paths(config, config_path.parent)
    protected = _require_secret(config)
    written = workdir / "langgraph.json"
    written.write_text(json.dumps(config))
    return written, protected


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
    """A running in-memory LangGraph API server. Use `.url`, `.client()`, `.stop()`, or
    `with lg_widgets.serve() as s:`."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        url: str,
        config: Path,
        log_path: Path,
        workdir: tempfile.TemporaryDirectory[str] | None,
        token: Secret | None,
    ) -> None:
        self.process = process
        self.url = url
        self.config = config
        self.log_path = log_path
        self._workdir = workdir
        self._token = token

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        auth = "" if self.protected else " auth=the config's own"
        return f"<EmbeddedServer {self.url} {state} config={self.config}{auth}>"

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    @property
    def protected(self) -> bool:
        """Whether requests must carry this server's secret (False when the config has `auth`)."""
        return self._token is not None

    @property
    def token(self) -> Secret | None:
        """The secret lg_widgets' clients send; None when the config's own auth is in force."""
        return self._token

    def _auth_headers(self) -> dict[str, str]:
        return {} if self._token is None else {"x-api-key": self._token.reveal()}

    def client(self, *, headers: Mapping[str, str] | None = None) -> LangGraphClient:
        """An async `langgraph_sdk` client that this server accepts (its pool belongs to the
        loop that first uses it)."""
        if self._token is None:
            return get_client(url=self.url, headers=headers)
        return get_client(url=self.url, api_key=self._token.reveal(), headers=headers)

    def sync_client(
        self, *, headers: Mapping[str, str] | None = None, timeout: float | None = None
    ) -> SyncLangGraphClient:
        """A blocking `langgraph_sdk` client that this server accepts."""
        if self._token is None:
            return get_sync_client(url=self.url, headers=headers, timeout=timeout)
        return get_sync_client(
            url=self.url, api_key=self._token.reveal(), headers=headers, timeout=timeout
        )

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


def running_servers() -> list[EmbeddedServer]:
    """The servers this process started and has not stopped, oldest first."""
    return [server for server in _running if server.running]


def _wait_until_ready(server: EmbeddedServer, timeout: float) -> None:
    # /ok is outside langgraph-api's auth (verified on 0.16.7); the probe sends the secret anyway
    # so that a version that protects it still starts.
    probe = urllib.request.Request(f"{server.url}/ok", headers=server._auth_headers())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.running:
            raise ServerStartError(
                f"The LangGraph server exited with code {server.process.returncode} while "
                f"starting ({server.config}). Last lines of its log ({server.log_path}):\n"
                f"{server.log_tail()}"
            )
        try:
            with urllib.request.urlopen(probe, timeout=2) as response:
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


def start(
    config: str | os.PathLike[str] | None = None,
    *,
    port: int | None = None,
    host: str = "127.0.0.1",
    n_jobs_per_worker: int = 8,
    startup_timeout: float = 90.0,
    env: Mapping[str, str] | None = None,
    log_path: str | os.PathLike[str] | None = None,
) -> EmbeddedServer:
    """Start the in-memory LangGraph API server and wait until it answers.

    `config` is a `langgraph.json` (default: the bundled demo graphs). `lg_widgets.serve()` is
    this plus making the server the default connection.
    """
    check_server_extra()
    config_path = Path(config).resolve() if config is not None else DEMO_CONFIG
    if not config_path.is_file():
        raise FileNotFoundError(f"No langgraph.json at {config_path}")
    port = port or _free_port(host)
    # The in-memory runtime pickles its state into ./.langgraph_api: keep that out of the
    # user's folder by running the server in a private working directory.
    workdir = tempfile.TemporaryDirectory(prefix="lg-widgets-server-")
    written, protected = _write_config(config_path, Path(workdir.name))
    if not protected:
        warnings.warn(
            f'{config_path} has its own "auth": it decides who may use the embedded server, '
            "and lg_widgets' per-server secret is not enforced. Pass its credentials with "
            "connect(server.url, headers=..., api_key_env=...).",
            UserWarning,
            stacklevel=3,
        )
    token = Secret.generate() if protected else None
    log_file = Path(log_path) if log_path else _default_log_path(port)
    command = [
        sys.executable,
        "-m",
        "langgraph_cli",
        "dev",
        "--config",
        str(written),
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
    # The secret goes by environment, never argv: /proc/PID/cmdline is readable by every user,
    # /proc/PID/environ only by the owner.
    child_env.pop(server_auth.TOKEN_ENV, None)
    if token is not None:
        child_env[server_auth.TOKEN_ENV] = token.reveal()
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
    server = EmbeddedServer(process, f"http://{host}:{port}", config_path, log_file, workdir, token)
    _running.append(server)
    _wait_until_ready(server, startup_timeout)
    return server


@atexit.register
def _stop_all() -> None:
    for server in list(_running):
        server.stop()

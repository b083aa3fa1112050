"""The default connection (what `stream()` and `join()` use when given no url or client) and
the wiring of `serve()`: start the embedded server, then make it the default.

It sits above `connection.py` and `server.py` so that neither needs the other: a server knows
nothing of defaults, a connection nothing of servers.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

from lg_widgets.connection import Connection
from lg_widgets.errors import NoServerConfigured
from lg_widgets.server import EmbeddedServer, running_servers, start
from lg_widgets.server_auth import TOKEN_ENV

URL_ENV = "LANGGRAPH_API_URL"
_NO_SERVER = (
    "No LangGraph server is configured. Start the embedded one with lg_widgets.serve() "
    "(%lgserve in a notebook), connect with lg_widgets.connect(URL) (%lgconnect URL), "
    f"pass url=..., or set {URL_ENV}."
)

_default: Connection | None = None
_default_server: EmbeddedServer | None = None


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
    server = start(
        config,
        port=port,
        host=host,
        n_jobs_per_worker=n_jobs_per_worker,
        startup_timeout=startup_timeout,
        env=env,
        log_path=log_path,
    )
    if connect:
        _make_default(server.url, None, None, server)
    return server


def connect(
    target: str | EmbeddedServer,
    *,
    api_key_env: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Connection:
    """Make `target` (a server URL, or an `EmbeddedServer`) the default for `stream()`/`join()`."""
    if isinstance(target, EmbeddedServer):
        return _make_default(target.url, api_key_env, headers, target)
    return _make_default(target, api_key_env, headers, _server_at(target))


def _make_default(
    url: str,
    api_key_env: str | None,
    headers: Mapping[str, str] | None,
    server: EmbeddedServer | None,
) -> Connection:
    global _default, _default_server
    _default = connection_to(url, api_key_env=api_key_env, headers=headers)
    _default_server = server
    return _default


def connection_to(
    url: str, *, api_key_env: str | None = None, headers: Mapping[str, str] | None = None
) -> Connection:
    """A `Connection` to `url` carrying what that server needs.

    An embedded server this process started gets its secret (in place of any key). The server
    at `$LANGGRAPH_API_URL` gets the key in `$LG_WIDGETS_SERVER_TOKEN` when no `api_key_env` is
    given: `lg-widgets demo` sets both for the kernels of its JupyterLab.
    """
    url = url.rstrip("/")
    server = _server_at(url)
    if server is not None and server.token is not None:
        return Connection(url, api_key_env, dict(headers or {}), server.token)
    from_env = os.environ.get(URL_ENV, "").rstrip("/") == url and os.environ.get(TOKEN_ENV)
    if api_key_env is None and from_env:
        api_key_env = TOKEN_ENV
    return Connection(url, api_key_env, dict(headers or {}))


def _server_at(url: str) -> EmbeddedServer | None:
    url = url.rstrip("/")
    return next((s for s in reversed(running_servers()) if s.url == url), None)


def default_connection() -> Connection | None:
    """The connection set by `connect()`/`serve()`, if any (ignores `$LANGGRAPH_API_URL`)."""
    return _default


def default_server() -> EmbeddedServer | None:
    """The embedded server behind the default connection, if it is one of this process's."""
    return _default_server


def disconnect() -> None:
    """Forget the default connection (the server, if embedded, keeps running)."""
    global _default, _default_server
    _default = None
    _default_server = None


def current_connection(url: str | None = None, *, api_key_env: str | None = None) -> Connection:
    """`url` if given, else the default set by `connect()`/`serve()`, else `$LANGGRAPH_API_URL`.

    `api_key_env` replaces the default's key variable and keeps its headers (and an embedded
    server's secret); a `url` other than the default's starts clean.
    """
    default = _default
    if url and (default is None or url.rstrip("/") != default.url):
        return connection_to(url, api_key_env=api_key_env)
    if default is not None:
        if _default_server is not None and not _default_server.running:
            raise NoServerConfigured(
                f"The embedded server at {default.url} has stopped. Start it again with "
                "lg_widgets.serve() (%lgserve) or connect elsewhere."
            )
        if api_key_env and api_key_env != default.api_key_env:
            return dataclasses.replace(default, api_key_env=api_key_env)
        return default
    if os.environ.get(URL_ENV):
        return connection_to(os.environ[URL_ENV], api_key_env=api_key_env)
    raise NoServerConfigured(_NO_SERVER)


def child_environment(server: EmbeddedServer) -> dict[str, str]:
    """Environment variables with which a child process (a Jupyter kernel) finds `server` and
    is let in: `$LANGGRAPH_API_URL` and, unless the config has its own auth, the secret.

    A process's environment is readable only by its owner, unlike its command line.
    """
    variables = {URL_ENV: server.url}
    if server.token is not None:
        variables[TOKEN_ENV] = server.token.reveal()
    return variables

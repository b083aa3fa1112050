"""Who we talk to: the default server and how to build SDK clients for it.

The API key is read from an environment variable each time a client is built; only the
variable's name is kept, so a key never lands in widget state, a saved notebook or a repr.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langgraph_sdk import get_client, get_sync_client
from langgraph_sdk.client import LangGraphClient, SyncLangGraphClient

from lg_widgets.errors import NoServerConfigured

if TYPE_CHECKING:
    from lg_widgets.server import EmbeddedServer

URL_ENV = "LANGGRAPH_API_URL"
_NO_SERVER = (
    "No LangGraph server is configured. Start the embedded one with lg_widgets.serve() "
    "(%lgserve in a notebook), connect with lg_widgets.connect(URL) (%lgconnect URL), "
    f"pass url=..., or set {URL_ENV}."
)


@dataclass(frozen=True)
class Connection:
    """A server URL plus the *name* of the environment variable holding its API key."""

    url: str
    api_key_env: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    server: EmbeddedServer | None = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:
        key = "none"
        if self.server is not None:
            key = "embedded (no key)"
        elif self.api_key_env:
            state = "set" if os.environ.get(self.api_key_env) else "NOT set"
            key = f"from ${self.api_key_env} ({state})"
        headers = f", headers={sorted(self.headers)}" if self.headers else ""
        return f"Connection(url={self.url!r}, api_key={key}{headers})"

    def _client_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"url": self.url, "headers": dict(self.headers) or None}
        if self.server is not None:
            kwargs["api_key"] = None  # never send a cloud key to the local server
        elif self.api_key_env:
            kwargs["api_key"] = os.environ.get(self.api_key_env)
        # else: the SDK reads LANGGRAPH_API_KEY / LANGSMITH_API_KEY / LANGCHAIN_API_KEY itself
        return kwargs

    def client(self) -> LangGraphClient:
        """A fresh async client (its HTTP pool belongs to the loop that first uses it)."""
        return get_client(**self._client_kwargs())

    def sync_client(self, timeout: float = 10.0) -> SyncLangGraphClient:
        """A blocking client for quick checks from synchronous code (magics in a running loop)."""
        return get_sync_client(**self._client_kwargs(), timeout=timeout)


_default: Connection | None = None


def connect(
    url: str,
    *,
    api_key_env: str | None = None,
    headers: Mapping[str, str] | None = None,
    _server: EmbeddedServer | None = None,
) -> Connection:
    """Make `url` the default server for `stream()` and `join()`."""
    global _default
    _default = Connection(url.rstrip("/"), api_key_env, dict(headers or {}), _server)
    return _default


def default_connection() -> Connection | None:
    """The connection set by `connect()`/`serve()`, if any (ignores `$LANGGRAPH_API_URL`)."""
    return _default


def disconnect() -> None:
    global _default
    _default = None


def current_connection(url: str | None = None, *, api_key_env: str | None = None) -> Connection:
    """`url` if given, else the default set by `connect()`/`serve()`, else `$LANGGRAPH_API_URL`."""
    if url:
        return Connection(url.rstrip("/"), api_key_env)
    if _default is not None:
        if _default.server is not None and not _default.server.running:
            raise NoServerConfigured(
                f"The embedded server at {_default.url} has stopped. Start it again with "
                "lg_widgets.serve() (%lgserve) or connect elsewhere."
            )
        return _default
    if os.environ.get(URL_ENV):
        return Connection(os.environ[URL_ENV].rstrip("/"), api_key_env)
    raise NoServerConfigured(_NO_SERVER)

"""Who we talk to: a server URL and its credentials, and the SDK clients built from them.

The API key is read from an environment variable each time a client is built; only the
variable's name is kept, so a key never lands in widget state, a saved notebook or a repr. An
embedded server's secret is held in a `Secret`, which shows itself nowhere either.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from langgraph_sdk import get_client, get_sync_client
from langgraph_sdk.client import LangGraphClient, SyncLangGraphClient

from lg_widgets.secret import Secret, redact_url


@dataclass(frozen=True)
class Connection:
    """A server URL, the *name* of the environment variable holding its API key, extra headers,
    and for an embedded server its secret (which replaces any key)."""

    url: str
    api_key_env: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    token: Secret | None = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:
        key = "none"
        if self.token is not None:
            instead = f" (not ${self.api_key_env})" if self.api_key_env else ""
            key = f"the embedded server's secret{instead}"
        elif self.api_key_env:
            state = "set" if os.environ.get(self.api_key_env) else "NOT set"
            key = f"from ${self.api_key_env} ({state})"
        headers = f", headers={sorted(self.headers)}" if self.headers else ""
        return f"Connection(url={redact_url(self.url)!r}, api_key={key}{headers})"

    def _client_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"url": self.url, "headers": dict(self.headers) or None}
        if self.token is not None:
            kwargs["api_key"] = self.token.reveal()  # never a cloud key to the local server
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


# headers httpx sets itself, or the SDK reserves (the key goes in as `api_key`)
_OWN_HEADERS = ("x-api-key", "user-agent", "accept", "accept-encoding", "connection")


def copy_client(client: LangGraphClient) -> LangGraphClient:
    """A new async client to the same server with the same key and headers, for use on another
    loop (an httpx pool belongs to the loop that first uses it)."""
    http = client.http.client
    headers = {k: v for k, v in http.headers.items() if k.lower() not in _OWN_HEADERS}
    return get_client(
        url=str(http.base_url).rstrip("/"),
        api_key=http.headers.get("x-api-key"),
        headers=headers or None,
    )

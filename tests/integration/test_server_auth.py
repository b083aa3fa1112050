"""The embedded server answers only whoever holds its secret, and the secret shows nowhere."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap

import httpx
import pytest

import lg_widgets
from lg_widgets.defaults import TOKEN_ENV, URL_ENV, child_environment

pytestmark = pytest.mark.integration


def _search(url: str, **headers: str) -> int:
    return httpx.post(f"{url}/assistants/search", json={}, headers=headers, timeout=10).status_code


def test_a_request_without_the_secret_is_refused(server):
    secret = server.token.reveal()
    assert _search(server.url) == 401
    assert _search(server.url, **{"x-api-key": "not-it"}) == 401
    # under `langgraph dev` this header would skip custom auth but for disable_studio_auth
    assert _search(server.url, **{"x-auth-scheme": "langsmith"}) == 401
    assert (
        httpx.post(f"{server.url}/runs/stream", json={"assistant_id": "agent"}).status_code == 401
    )
    assert _search(server.url, **{"x-api-key": secret}) == 200
    assert _search(server.url, authorization=f"Bearer {secret}") == 200
    assert httpx.get(f"{server.url}/ok").status_code == 200  # the readiness probe


def test_the_servers_own_clients_run_the_streaming_guides_examples(server):
    """`client.runs.stream(...)` as LangGraph's guide writes it, against the embedded server."""

    async def guide() -> list[str]:
        client = server.client()
        thread = await client.threads.create()
        return [
            chunk.event
            async for chunk in client.runs.stream(
                thread["thread_id"], "agent", input={"topic": "ice cream"}, stream_mode="updates"
            )
        ]

    assert asyncio.run(guide()) == ["metadata", "updates", "updates"]
    with server.sync_client() as client:
        assert {a["graph_id"] for a in client.assistants.search(limit=100)} >= {"agent", "chat"}


def test_the_secret_shows_in_no_repr_log_argv_or_run(server):
    secret = server.token.reveal()
    run = lg_widgets.stream(
        "agent", {"topic": "s"}, thread_id="new", stream_mode=["updates", "debug", "values"]
    )
    run.wait_sync(60)
    assert run.status == "success"
    _search(server.url)  # a refused request is logged too
    shown = [repr(server), str(server), repr(lg_widgets.current_connection()), repr(server.token)]
    shown.append(json.dumps([e.data for e in run.events], default=str))
    shown.append(json.dumps(run.summary(), default=str))
    shown.append(server.log_path.read_text(errors="replace"))
    with open(f"/proc/{server.process.pid}/cmdline", "rb") as cmdline:
        shown.append(cmdline.read().decode(errors="replace"))
    assert [text for text in shown if secret in text] == []


def test_a_child_process_is_let_in_with_the_child_environment(server):
    """What `lg-widgets demo` gives its kernels: the URL and the secret, by environment."""
    script = textwrap.dedent("""
        import lg_widgets
        connection = lg_widgets.current_connection()
        with connection.sync_client() as client:
            print(len(client.assistants.search()) > 0, repr(connection))
    """)
    inherited = {k: v for k, v in os.environ.items() if k not in (URL_ENV, TOKEN_ENV)}
    env = {**inherited, **child_environment(server)}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("True Connection(url=")
    assert "$LG_WIDGETS_SERVER_TOKEN (set)" in result.stdout
    assert server.token.reveal() not in result.stdout

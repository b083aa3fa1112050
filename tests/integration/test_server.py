"""The embedded server's lifecycle: start, errors that say why, clean stop, plain scripts."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import urllib.request

import httpx
import pytest

import lg_widgets
from lg_widgets import server as server_module

pytestmark = pytest.mark.integration


def test_a_graph_with_a_syntax_error_shows_the_log_tail(tmp_path):
    (tmp_path / "graph.py").write_text("def broken(:\n")
    (tmp_path / "langgraph.json").write_text(
        json.dumps({"dependencies": ["."], "graphs": {"broken": "./graph.py:graph"}})
    )
    with pytest.raises(lg_widgets.ServerStartError) as info:
        lg_widgets.serve(tmp_path / "langgraph.json", connect=False)
    message = str(info.value)
    assert "exited" in message and "SyntaxError" in message


def test_missing_extra_names_it(monkeypatch):
    real = server_module.importlib.util.find_spec
    monkeypatch.setattr(
        server_module.importlib.util,
        "find_spec",
        lambda name: None if name == "langgraph_api" else real(name),
    )
    with pytest.raises(lg_widgets.MissingServerExtra, match=r"pip install 'lg-widgets\[server\]'"):
        lg_widgets.serve(connect=False)


def test_stop_is_clean_and_idempotent(tmp_path):
    with lg_widgets.serve(connect=False) as embedded:
        with urllib.request.urlopen(f"{embedded.url}/ok") as response:
            assert response.status == 200
        assert embedded.url.startswith("http://127.0.0.1:")
    assert not embedded.running
    embedded.stop()
    assert embedded.process.returncode is not None


def test_several_runs_stream_at_once(server):
    """Jobs per worker > 1: two slow runs overlap instead of queueing."""
    import asyncio

    async def both() -> list[lg_widgets.Run]:
        runs = [
            lg_widgets.stream(
                "slow", {"topic": str(i), "delay": 0.2, "tokens": 4}, stream_mode="updates"
            )
            for i in range(2)
        ]
        for run in runs:
            await run
        return runs

    first, second = asyncio.run(both())
    assert first.status == second.status == "success"
    # the second run's first update arrived before the first run ended
    assert second.events[1].time < first.events[-1].time


def test_a_plain_script_streams_and_waits_and_the_server_stops_at_exit():
    script = textwrap.dedent("""
        import lg_widgets
        server = lg_widgets.serve()
        print(server.process.pid, flush=True)
        run = lg_widgets.stream("agent", {"topic": "ice cream"}, stream_mode="updates")
        print(run.status in ("pending", "running"), flush=True)  # returned at once
        run.wait_sync(60)
        print(run.status, run.values["joke"], flush=True)
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr[-2000:]
    pid, returned_at_once, outcome = result.stdout.strip().splitlines()
    assert returned_at_once == "True"
    assert outcome == "success This is a joke about ice cream and cats"
    with pytest.raises(ProcessLookupError):
        import os

        os.kill(int(pid), 0)


def test_connection_repr_never_shows_the_key(monkeypatch):
    monkeypatch.setenv("MY_SECRET_KEY", "sk-very-secret")
    connection = lg_widgets.Connection("https://example.invalid", api_key_env="MY_SECRET_KEY")
    assert "sk-very-secret" not in repr(connection)
    assert "$MY_SECRET_KEY (set)" in repr(connection)
    assert connection.client().http.client.headers["x-api-key"] == "sk-very-secret"


GRAPH = """
import os
from typing import TypedDict

from langgraph.graph import START, StateGraph


class State(TypedDict, total=False):
    greeting: str


def greet(state: State) -> State:
    return {"greeting": os.environ.get("LGW_GREETING", "unset")}


graph = StateGraph(State).add_node(greet).add_edge(START, "greet").compile()
"""


def _project(folder, config: dict, **files: str):
    """A user's project: files next to a langgraph.json that names them by relative paths."""
    (folder / "graph.py").write_text(GRAPH)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text))
    (folder / "langgraph.json").write_text(json.dumps(config))
    return folder / "langgraph.json"


def test_a_configs_own_auth_wins_and_its_relative_paths_work(tmp_path):
    config = _project(
        tmp_path,
        {
            "dependencies": ["."],
            "graphs": {"greeter": "graph.py:graph"},
            "env": ".env",
            "auth": {"path": "./team_auth.py:auth"},
        },
        **{
            ".env": "LGW_GREETING=from the env file\n",
            "team_auth.py": """
                from langgraph_sdk import Auth

                auth = Auth()

                @auth.authenticate
                async def authenticate(headers: dict) -> str:
                    if headers.get(b"x-team") != b"ok":
                        raise Auth.exceptions.HTTPException(status_code=401, detail="team only")
                    return "team"
            """,
        },
    )
    with pytest.warns(UserWarning, match="secret is not enforced"):
        embedded = lg_widgets.serve(config, connect=False)
    with embedded:
        assert not embedded.protected and embedded.token is None
        search = f"{embedded.url}/assistants/search"
        assert httpx.post(search, json={}).status_code == 401
        assert httpx.post(search, json={}, headers={"x-team": "ok"}).status_code == 200
        with embedded.sync_client(headers={"x-team": "ok"}) as client:
            assert client.runs.wait(None, "greeter", input={}) == {"greeting": "from the env file"}


def test_the_secret_also_guards_a_configs_own_routes(tmp_path):
    config = _project(
        tmp_path,
        {
            "dependencies": ["."],
            "graphs": {"greeter": "graph.py:graph"},
            "http": {"app": "app.py:app"},
        },
        **{
            "app.py": """
                from starlette.applications import Starlette
                from starlette.responses import PlainTextResponse
                from starlette.routing import Route

                app = Starlette(routes=[Route("/hello", lambda request: PlainTextResponse("hi"))])
            """
        },
    )
    with lg_widgets.serve(config, connect=False) as embedded:
        hello = f"{embedded.url}/hello"
        assert httpx.get(hello).status_code == 401
        answer = httpx.get(hello, headers={"x-api-key": embedded.token.reveal()})
        assert (answer.status_code, answer.text) == (200, "hi")
        with embedded.sync_client() as client:
            assert client.runs.wait(None, "greeter", input={}) == {"greeting": "unset"}

"""The default connection: what a run uses when it is given no url, and what it keeps."""

from __future__ import annotations

import ast
import copy
import dataclasses
import pickle
from pathlib import Path

import pytest

import lg_widgets
from lg_widgets import defaults
from lg_widgets.connection import Connection
from lg_widgets.secret import Secret

PACKAGE = Path(lg_widgets.__file__).parent


@pytest.fixture(autouse=True)
def _no_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts unconnected and leaves the session's default as it found it."""
    monkeypatch.setattr(defaults, "_default", None)
    monkeypatch.setattr(defaults, "_default_server", None)
    monkeypatch.delenv(defaults.URL_ENV, raising=False)
    monkeypatch.delenv(defaults.TOKEN_ENV, raising=False)


def test_api_key_env_applies_to_the_default_and_keeps_its_headers():
    lg_widgets.connect("https://deploy.invalid/", headers={"X-Team": "notebooks"})
    current = lg_widgets.current_connection(api_key_env="MY_KEY")
    assert current.url == "https://deploy.invalid"
    assert current.api_key_env == "MY_KEY"
    assert current.headers == {"X-Team": "notebooks"}


def test_the_defaults_own_url_keeps_its_headers():
    """What the magics pass for `--api-key-env` with `%lgconnect --header`: url= the default's."""
    lg_widgets.connect("https://deploy.invalid", headers={"X-Team": "notebooks"})
    current = lg_widgets.current_connection("https://deploy.invalid/", api_key_env="MY_KEY")
    assert (current.api_key_env, current.headers) == ("MY_KEY", {"X-Team": "notebooks"})


def test_another_url_starts_clean():
    lg_widgets.connect("https://deploy.invalid", api_key_env="A", headers={"X-Team": "nb"})
    other = lg_widgets.current_connection("https://other.invalid", api_key_env="B")
    assert (other.url, other.api_key_env, other.headers) == ("https://other.invalid", "B", {})
    assert lg_widgets.current_connection().api_key_env == "A"


def test_the_environment_url_gets_the_demo_secret_and_no_other_url_does(monkeypatch):
    monkeypatch.setenv(defaults.URL_ENV, "http://127.0.0.1:9/")
    monkeypatch.setenv(defaults.TOKEN_ENV, "demo-secret-value")
    current = lg_widgets.current_connection()
    assert current.api_key_env == defaults.TOKEN_ENV
    assert current.client().http.client.headers["x-api-key"] == "demo-secret-value"
    assert "demo-secret-value" not in repr(current)
    assert lg_widgets.current_connection("http://127.0.0.1:8").api_key_env is None
    assert lg_widgets.current_connection(api_key_env="MINE").api_key_env == "MINE"


def test_a_secret_shows_itself_nowhere():
    secret = Secret("tok-123456")
    connection = Connection("http://127.0.0.1:9", "SOME_KEY", {}, secret)
    shown = [repr(secret), str(secret), f"{secret}", repr(connection), str(connection)]
    shown += [repr(dataclasses.asdict(connection)), repr(vars(connection))]
    assert not any("tok-123456" in text for text in shown)
    assert copy.deepcopy(connection).token is secret
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(connection)


def test_the_secret_replaces_any_key_in_requests(monkeypatch):
    monkeypatch.setenv("SOME_KEY", "cloud-key")
    connection = Connection("http://127.0.0.1:9", "SOME_KEY", {"X-Team": "nb"}, Secret("tok"))
    headers = connection.sync_client().http.client.headers
    assert headers["x-api-key"] == "tok" and headers["x-team"] == "nb"
    assert "api_key=the embedded server's secret (not $SOME_KEY)" in repr(connection)


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (a function-level import counts too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("server.py", {"lg_widgets.connection", "lg_widgets.defaults"}),
        ("connection.py", {"lg_widgets.server", "lg_widgets.defaults"}),
        ("server_auth.py", {"lg_widgets"}),
    ],
)
def test_server_and_connection_do_not_know_each_other(module, forbidden):
    imported = _imported_modules(PACKAGE / module)
    climbing = {name for name in imported for bad in forbidden if name.startswith(bad)}
    assert climbing == set()

"""A real IPython shell with the extension loaded, that fails tests instead of printing errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from langgraph_sdk.client import SyncLangGraphClient

import lg_widgets


@pytest.fixture(scope="session")
def ip(server: lg_widgets.EmbeddedServer) -> InteractiveShell:
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "lg_widgets")
    return shell


def _configured(ip: InteractiveShell, class_name: str) -> Iterator[Any]:
    instance = ip.magics_manager.registry[class_name]
    saved = {name: getattr(instance, name) for name in instance.trait_names(config=True)}
    yield instance
    for name, value in saved.items():
        setattr(instance, name, value)


@pytest.fixture()
def magics(ip: InteractiveShell) -> Iterator[Any]:
    """The run magics; `%config` changes made by a test are undone after it."""
    yield from _configured(ip, "LgRunMagics")


@pytest.fixture()
def server_magics(ip: InteractiveShell) -> Iterator[Any]:
    """The server magics; `%config` changes made by a test are undone after it."""
    yield from _configured(ip, "LgServerMagics")


@pytest.fixture(autouse=True)
def _keep_default_connection(server: lg_widgets.EmbeddedServer) -> Iterator[None]:
    """Tests that %lgconnect or %lgserve elsewhere get the session server back afterwards."""
    yield
    lg_widgets.connect(server)


@pytest.fixture(scope="session")
def sdk(server: lg_widgets.EmbeddedServer) -> Iterator[SyncLangGraphClient]:
    """The SDK's own client, to check what the magics did on the server."""
    with server.sync_client() as client:
        yield client


@pytest.fixture()
def cell(ip: InteractiveShell) -> Callable[[str], Any]:
    """Run a cell like a notebook does; raise what it raised; return its value."""

    def run(code: str) -> Any:
        result = ip.run_cell(code)
        result.raise_error()
        return result.result

    return run


@pytest.fixture()
def usage_error(ip: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> Callable[[str], str]:
    """Run a cell that must fail with a UsageError; return the one line the user sees."""

    def run(code: str) -> str:
        capsys.readouterr()
        result = ip.run_cell(code)
        assert isinstance(result.error_in_exec or result.error_before_exec, UsageError), result
        shown = capsys.readouterr().err.strip()
        assert shown.startswith("UsageError: ") and "\n" not in shown, shown
        assert "Traceback" not in shown
        return shown.removeprefix("UsageError: ")

    return run


@pytest.fixture()
def displayed(ip: InteractiveShell, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The mime bundles that `display()` published during the test."""
    published: list[dict[str, Any]] = []
    monkeypatch.setattr(
        ip.display_pub, "publish", lambda data, *args, **kwargs: published.append(data)
    )
    return published


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "") -> Any:
    """Poll a condition on the server (not a fixed sleep) until it holds or time runs out."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or predicate}")


@pytest.fixture()
def ns(ip: InteractiveShell) -> dict[str, Any]:
    """The notebook's namespace, where `-o VAR` binds runs."""
    return ip.user_ns

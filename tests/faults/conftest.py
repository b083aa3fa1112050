"""Fixtures of the fault suite: a private embedded server with the fault graphs, and a TCP
proxy in front of it that cuts, stalls, drips or refuses on demand (loopback only)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import lg_widgets
from tests.faults.proxy import FaultProxy

GRAPHS = Path(__file__).parent / "graphs" / "langgraph.json"
SLOTS = 4  # runs the fault server executes at once; more are queued (pending)


@pytest.fixture(scope="session")
def fault_server() -> Iterator[lg_widgets.EmbeddedServer]:
    """Not the session's default server: tests pass its URL (or a proxy's) explicitly."""
    with lg_widgets.serve(GRAPHS, n_jobs_per_worker=SLOTS, connect=False) as server:
        yield server


@pytest.fixture()
def proxy(fault_server: lg_widgets.EmbeddedServer) -> Iterator[FaultProxy]:
    port = urlsplit(fault_server.url).port
    assert port is not None
    proxy = FaultProxy(port)
    yield proxy
    proxy.close()

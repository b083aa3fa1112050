"""Shared fixtures: one real embedded LangGraph API server for the whole session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

import lg_widgets
from lg_widgets.defaults import TOKEN_ENV, child_environment

TRANSCRIPTS = Path(__file__).parent / "transcripts"


@pytest.fixture(scope="session")
def server() -> Iterator[lg_widgets.EmbeddedServer]:
    """The embedded in-memory server with the bundled demo graphs, set as the default.

    Kernels and JupyterLab started by the tests get its URL in LANGGRAPH_API_URL; its secret
    they inherit from here, as `lg-widgets demo` hands both to its lab.
    """
    with lg_widgets.serve() as embedded:
        os.environ[TOKEN_ENV] = child_environment(embedded)[TOKEN_ENV]
        try:
            yield embedded
        finally:
            os.environ.pop(TOKEN_ENV, None)


@pytest.fixture(autouse=True)
def _server_is_the_default(request: pytest.FixtureRequest) -> None:
    """A test that uses the session's server gets it as the default connection again: a test
    before it may have connected elsewhere or disconnected (the fault suite does both)."""
    if "server" in request.fixturenames:
        lg_widgets.connect(request.getfixturevalue("server"))


@contextmanager
def started_kernel(server_url: str) -> Iterator[tuple[KernelManager, BlockingKernelClient]]:
    """A real ipykernel whose default LangGraph server is `server_url`."""
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env={**os.environ, "LANGGRAPH_API_URL": server_url})
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    try:
        yield manager, client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)

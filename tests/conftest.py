"""Shared fixtures: one real embedded LangGraph API server for the whole session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import lg_widgets

TRANSCRIPTS = Path(__file__).parent / "transcripts"


@pytest.fixture(scope="session")
def server() -> Iterator[lg_widgets.EmbeddedServer]:
    """The embedded in-memory server with the bundled demo graphs, set as the default."""
    with lg_widgets.serve() as embedded:
        yield embedded

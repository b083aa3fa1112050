"""What marimo calls on lg_widgets' objects, without marimo's front end (tests/browser/
test_marimo.py drives that): `_display_`, `run.waiting`, `lg_widgets.watch`."""

from __future__ import annotations

import sys

import pytest

import lg_widgets
from lg_widgets.demo import graphs
from lg_widgets.errors import LgWidgetsError

pytestmark = pytest.mark.integration

SLOW = {"topic": "cats", "tokens": 6, "delay": 0.02}


@pytest.fixture(autouse=True)
def _no_server() -> None:
    """In-process runs: no server is the default while they stream."""
    lg_widgets.disconnect()


async def test_a_run_shows_its_live_view_through_marimos_display_protocol():
    run = lg_widgets.stream(graphs.slow, SLOW, stream_mode=["messages-tuple", "updates"])
    view = run._display_()
    assert isinstance(view, lg_widgets.RunView)
    assert view.run is run
    assert view.cancel_note == ""  # not in marimo: a click acts whatever the cells do
    await run
    assert view.snapshot["header"]["status"] == "success"


async def test_waiting_counts_the_coroutines_awaiting_the_run():
    run = lg_widgets.stream(graphs.slow, SLOW, stream_mode="updates")
    seen: list[int] = []
    run.on_change(lambda changed, _event: seen.append(changed.waiting))
    assert run.waiting == 0
    await run
    assert run.waiting == 0
    assert 1 in seen, seen  # told to the run's listeners (the view) while awaited
    await run  # a finished run: nothing to wait for, still counted and released
    assert run.waiting == 0


async def test_watch_is_a_marimo_state_of_the_status_final_once_the_run_has_ended():
    import marimo  # noqa: F401 - what a marimo kernel has loaded

    run = lg_widgets.stream(graphs.slow, SLOW, stream_mode="updates")
    status = lg_widgets.watch(run)
    assert status() in ("pending", "running")
    seen: list[tuple[str, bool]] = []
    run.on_change(lambda changed, _event: seen.append((status(), changed.ended_at is not None)))
    await run
    assert status() == "success"
    # the final status is published only once the run has ended (its data complete)
    assert all(ended for value, ended in seen if value == "success"), seen
    assert lg_widgets.watch(run)() == "success"  # a finished run: its status at once


def test_watch_outside_marimo_says_what_it_is_for(monkeypatch):
    monkeypatch.delitem(sys.modules, "marimo", raising=False)
    with pytest.raises(LgWidgetsError, match="is for marimo notebooks"):
        lg_widgets.watch(lg_widgets.Run())

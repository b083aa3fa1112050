"""The network between the kernel and the server fails: cuts, silence, slowness, refusal.

Every test streams the `paced` graph (bursts of custom events published within one millisecond,
so that they share an event id, identical twins among them) through the TCP proxy.
"""

from __future__ import annotations

import asyncio

import pytest

import lg_widgets
from tests.faults.helpers import (
    MODES,
    PACED,
    answers,
    client_via,
    identities,
    loop_watch,
    recorded_view,
    replayed,
    until,
)
from tests.faults.proxy import FaultProxy

pytestmark = [pytest.mark.faults, pytest.mark.integration]


async def test_cuts_are_resumed_with_nothing_lost_or_duplicated(proxy: FaultProxy, fault_server):
    client = client_via(proxy, fault_server)
    proxy.cut_after(6_000, times=4)  # the first connection and three resumed ones
    run = lg_widgets.stream("paced", PACED, thread_id="new", stream_mode=MODES, client=client)
    view, recorder = recorded_view(run)
    async with loop_watch() as loop:
        await run
    await client.http.client.aclose()
    assert run.status == "success", run.error
    # one attempt per cut; a cut that comes before a resumed connection's first new part is
    # one more attempt of the same reconnect (seen on a loaded machine), not a reconnect of its own
    assert proxy.cut_connections == 4 and sum(r.attempts for r in run.reconnects) == 4
    assert all(r.replayed and r.last_event_id and r.duration < 2 for r in run.reconnects)
    assert sum(r.duplicates for r in run.reconnects) > 0  # replays overlapped: skipped
    assert identities(run) == await replayed(run, fault_server)  # every event, once, in order
    assert run.values["count"] == PACED["steps"] and run.warnings == []
    # a resume may take less than one flush, so the view is held to the count, not the status
    assert [h["reconnects"] for h in recorder.headers][-1] == len(run.reconnects) >= 1
    assert view.snapshot["header"]["status"] == "success"
    assert loop.worst < 0.5


async def test_reconnecting_shows_the_attempt_in_the_run_and_the_view(proxy, fault_server):
    client = client_via(proxy, fault_server)
    run = lg_widgets.stream(
        "paced", {**PACED, "steps": 40}, thread_id="new", stream_mode=MODES, client=client
    )
    view, recorder = recorded_view(run)
    await until(run, lambda r: r.event_count > 10, 20, "first events")
    proxy.refuse(True)  # cut, and refuse the reconnects for a while
    await until(run, lambda r: (r.reconnect_attempt or 0) >= 3, 10, "three attempts")
    assert run.status == "reconnecting" and run.reconnects[-1].ongoing
    answers(view, recorder)  # the view answers its front end meanwhile
    proxy.refuse(False)
    await run
    await client.http.client.aclose()
    assert run.status == "success" and len(run.reconnects) == 1
    assert run.reconnects[0].attempts >= 3 and not run.reconnects[0].ongoing
    shown = [h["reconnect_attempt"] for h in recorder.headers if h["status"] == "reconnecting"]
    assert shown and max(shown) >= 2
    assert identities(run) == await replayed(run, fault_server)


async def test_without_resumable_the_gap_is_reported_and_values_come_from_the_thread(
    proxy, fault_server
):
    client = client_via(proxy, fault_server)
    proxy.cut_after(3_000)
    run = lg_widgets.stream(
        "paced",
        PACED,
        thread_id="new",
        stream_mode=["custom", "updates"],
        stream_resumable=False,
        client=client,
    )
    view, _recorder = recorded_view(run)
    await run
    state = await client.threads.get_state(run.thread_id)
    await client.http.client.aclose()
    assert run.status == "success" and len(run.reconnects) == 1
    gap = run.reconnects[0]
    assert not gap.replayed and gap.last_event_id is None
    (warning,) = run.warnings
    assert "were not received" in warning and "stream_resumable=True" in warning
    assert f"after event #{gap.after_seq}" in warning
    assert view.snapshot["header"]["warnings"] == [warning]
    assert run.values == state["values"] and run.values["count"] == PACED["steps"]


async def test_a_stateless_run_cut_ends_in_error_saying_why(proxy, fault_server):
    client = client_via(proxy, fault_server)
    proxy.cut_after(3_000)
    run = lg_widgets.stream("paced", PACED, stream_mode=MODES, client=client)
    await run
    await client.http.client.aclose()
    assert run.status == "error" and run.event_count > 0
    assert "A stateless run (thread_id=None) cannot be resumed" in run.error
    assert "\n" not in run.error


async def test_a_silent_connection_is_rejoined_after_the_heartbeat_timeout(proxy, fault_server):
    client = client_via(proxy, fault_server)
    run = lg_widgets.stream(
        "paced", PACED, thread_id="new", stream_mode=MODES, client=client, heartbeat_timeout=1.0
    )
    await until(run, lambda r: r.event_count > 10, 20, "first events")
    proxy.stall(2.5)  # nothing reaches the client, not even heartbeats
    noticed = await until(run, lambda r: r.status == "reconnecting", 5, "the stall noticed")
    back = await until(run, lambda r: r.status != "reconnecting", 10, "the stream back")
    await run
    await client.http.client.aclose()
    assert 0.8 < noticed < 2.0 and back < 5
    assert run.status == "success" and "heartbeat" in run.reconnects[0].cause
    assert identities(run) == await replayed(run, fault_server)


async def test_a_slow_drip_arrives_whole(proxy, fault_server):
    client = client_via(proxy, fault_server)
    proxy.drip(512, 0.002)
    run = lg_widgets.stream(
        "paced", {**PACED, "steps": 8}, thread_id="new", stream_mode=MODES, client=client
    )
    await run
    await client.http.client.aclose()
    assert run.status == "success" and run.reconnects == []
    assert identities(run) == await replayed(run, fault_server)


async def test_a_server_that_stops_answering_ends_the_run_in_bounded_time(proxy, fault_server):
    client = client_via(proxy, fault_server)
    run = lg_widgets.stream(
        "paced",
        {**PACED, "steps": 60},
        thread_id="new",
        stream_mode=MODES,
        client=client,
        reconnect_timeout=2.0,
    )
    view, _recorder = recorded_view(run)
    await until(run, lambda r: r.event_count > 10, 20, "first events")
    received = run.event_count
    proxy.refuse(True)
    async with loop_watch() as loop:
        seconds = await until(run, lambda r: r.ended_at is not None, 10, "the run to give up")
    await client.http.client.aclose()
    assert 1.9 < seconds < 3.5 and loop.worst < 0.5
    assert run.status == "error" and run.event_count >= received
    assert run.error.startswith(f"Lost the connection to {proxy.url}")
    assert "could not reconnect within 2 s" in run.error and "\n" not in run.error
    assert f"lg_widgets.join({run.thread_id!r}, {run.run_id!r}, replay=True)" in run.error
    assert view.snapshot["header"]["status"] == "error"
    await _rejoin_finishes(run, fault_server)


async def test_a_frozen_path_ends_the_run_in_bounded_time(proxy, fault_server):
    """Connections are accepted but nothing comes back: the heartbeat timeout notices, and the
    reconnect attempts (which hang too) are bounded by reconnect_timeout."""
    client = client_via(proxy, fault_server)
    run = lg_widgets.stream(
        "paced",
        {**PACED, "steps": 60},
        thread_id="new",
        stream_mode=MODES,
        client=client,
        heartbeat_timeout=1.0,
        reconnect_timeout=2.0,
    )
    await until(run, lambda r: r.event_count > 10, 20, "first events")
    proxy.stall(60)
    seconds = await until(run, lambda r: r.ended_at is not None, 10, "the run to give up")
    proxy.stall(0)
    await client.http.client.aclose()
    assert 2.5 < seconds < 5.0
    assert run.status == "error" and "heartbeat" in run.error
    await _rejoin_finishes(run, fault_server)


async def _rejoin_finishes(run: lg_widgets.Run, server: lg_widgets.EmbeddedServer) -> None:
    """What the error sentence advises works: the run went on and can be replayed whole."""
    client = server.client()
    again = lg_widgets.join(run.thread_id, run.run_id, replay=True, client=client)  # type: ignore[arg-type]
    await asyncio.wait_for(again.wait(), 60)
    await client.http.client.aclose()
    assert again.status == "success", again.error
    mine = identities(run)
    assert identities(again)[: len(mine)] == mine  # what was received is a prefix of the truth

"""The Agent Protocol (`protocol="agent"`) under the faults the run-centric source survives: a
cut subscription resumes from the last `seq` with nothing lost or repeated, and a killed server
ends the run at once, saying so."""

from __future__ import annotations

import os
import signal

import pytest

import lg_widgets
from tests.faults.conftest import GRAPHS
from tests.faults.helpers import PACED, client_via, loop_watch, recorded_view, until
from tests.faults.proxy import FaultProxy

pytestmark = [pytest.mark.faults, pytest.mark.integration]


def envelopes(run: lg_widgets.Run) -> list[tuple[str, str, object]]:
    """Each event by its envelope's seq (its id), with what it said."""
    return [(e.id, e.mode, e.data) for e in run.events]


async def test_a_cut_subscription_resumes_from_the_last_seq(proxy: FaultProxy, fault_server):
    client = client_via(proxy, fault_server)
    run = lg_widgets.stream("paced", PACED, protocol="agent", client=client)
    await until(run, lambda r: r.event_count > 5, 30, "first events")
    proxy.cut_after(0, times=2)  # the open subscription and its first resumption
    async with loop_watch() as loop:
        await run
    assert run.status == "success", run.error
    assert run.values["count"] == PACED["steps"]
    assert proxy.cut_connections >= 1 and run.reconnects
    assert all(r.replayed and not r.ongoing for r in run.reconnects)
    seqs = [int(e.id) for e in run.events]
    assert seqs == sorted(set(seqs))  # nothing repeated, in the server's order
    # the ground truth: the same graph and input run again with no cut (the graph is
    # deterministic: the same channels in the same order)
    again = await lg_widgets.stream("paced", PACED, protocol="agent", url=fault_server.url)
    assert again.status == "success" and again.reconnects == []
    assert [m for _id, m, _d in envelopes(run)] == [m for _id, m, _d in envelopes(again)]
    assert not [w for w in run.warnings if "no longer holds" in w]  # no gap
    assert loop.worst < 0.5
    await client.http.client.aclose()


async def test_a_killed_embedded_server_ends_an_agent_protocol_run_within_two_seconds():
    with lg_widgets.serve(GRAPHS, n_jobs_per_worker=2, connect=False) as server:  # private
        run = lg_widgets.stream("paced", {**PACED, "steps": 80}, protocol="agent", url=server.url)
        view, _recorder = recorded_view(run)
        await until(run, lambda r: r.event_count > 10, 30, "first events")
        received = run.event_count
        os.kill(server.process.pid, signal.SIGKILL)
        seconds = await until(run, lambda r: r.ended_at is not None, 5, "the run to end")
    assert seconds < 2.0
    assert run.status == "error" and run.event_count >= received  # what arrived is kept
    assert run.error.startswith(f"The embedded LangGraph server ({server.url}) exited with code -9")
    assert view.snapshot["header"]["status"] == "error"


async def test_an_opened_subtree_resumes_from_its_own_last_seq(proxy: FaultProxy, fault_server):
    client = client_via(proxy, fault_server)
    run = lg_widgets.stream("subtree", PACED, protocol="agent", depth=0, client=client)
    await until(run, lambda r: bool(r.left_out), 30, "the subgraph to start")
    (inner,) = run.left_out
    run.open(inner)
    await until(run, lambda r: r.tree["children"][0]["events"] > 5, 30, "the subtree's events")
    proxy.cut_after(0, times=3)  # the open subscriptions, and a resumption
    await run
    assert run.status == "success", run.error
    assert proxy.cut_connections >= 2
    seqs = [int(e.id) for e in run.events]
    assert len(seqs) == len(set(seqs))  # nothing twice, whichever subscription brought it
    ticks = [e for e in run.events if e.namespace == (inner,) and e.mode == "values"]
    counts = [e.data.get("count", 0) for e in ticks]
    assert counts == list(range(PACED["steps"] + 1))  # each step of the subtree, once, in order
    assert not run.opening and not [w for w in run.warnings if "opened with run.open" in w]
    await client.http.client.aclose()


async def test_closing_an_opened_subtree_stops_its_task_and_it_opens_again(fault_server):
    run = lg_widgets.stream(
        "subtree", {**PACED, "steps": 60}, protocol="agent", depth=0, url=fault_server.url
    )
    await until(run, lambda r: bool(r.left_out), 30, "the subgraph to start")
    (inner,) = run.left_out
    run.open(inner)
    await until(run, lambda r: r.tree["children"][0]["events"] > 3, 10, "the subtree's events")
    run.close_opened()
    await until(run, lambda r: not r.opening, 5, "the subscription to stop")
    assert run.status == "running"  # the run itself goes on
    assert any("Stopped following the subtree" in w for w in run.warnings)
    assert run.left_out == [inner]  # left out again: it can be opened again
    run.open(inner)  # replayed from the start: what came already is not repeated
    await run
    assert run.status == "success" and not run.opening and run.left_out == []
    seqs = [int(e.id) for e in run.events]
    assert len(seqs) == len(set(seqs))
    ticks = [
        e.data.get("count", 0) for e in run.events if e.namespace == (inner,) and e.mode == "values"
    ]
    assert ticks == list(range(61))


async def test_a_question_asked_below_the_depth_is_an_interrupt_not_a_cancel(fault_server):
    run = await lg_widgets.stream("asking", {}, protocol="agent", depth=0, url=fault_server.url)
    assert run.status == "interrupted", (run.status, run.error)
    (asked,) = run.interrupts
    assert asked["value"] == {"question": "go on?"}
    assert run.left_out and run.agents["agent"].tolist()[1] == "inner"


async def test_a_subtree_opened_from_a_view_stops_when_the_view_closes(fault_server):
    run = lg_widgets.stream(
        "subtree", {**PACED, "steps": 60}, protocol="agent", depth=0, url=fault_server.url
    )
    await until(run, lambda r: bool(r.left_out), 30, "the subgraph to start")
    (inner,) = run.left_out
    view = run.view()
    answers: list[dict[str, object]] = []
    view.send = answers.append  # what the front end would receive
    view._on_front_end_message(view, {"type": "open", "req": "r1", "namespace": inner}, [])
    assert answers[-1] == {"type": "response", "req": "r1", "ok": True}
    await until(run, lambda r: r.tree["children"][0]["events"] > 3, 10, "the subtree's events")
    view.close()
    await until(run, lambda r: not r.opening, 5, "the subscription to stop")
    assert run.status == "running" and run.left_out == [inner]  # the run goes on without it
    run.cancel()
    await run
    assert run.status == "cancelled"

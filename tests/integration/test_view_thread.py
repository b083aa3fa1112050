"""A view shows a chain of runs on one thread: resume, fork and replay asked from the front end
(a recording comm stands in for it) against the real embedded server, and the view goes on."""

from __future__ import annotations

import json
from typing import Any

import pytest

import lg_widgets
from lg_widgets.run import Run
from tests.faults.helpers import Recorder, recorded_view, until

pytestmark = pytest.mark.integration

QUESTION = {"messages": [{"role": "user", "content": "What is the weather in Paris?"}]}
MODES = ["updates", "values", "messages-tuple", "checkpoints"]


def responses(recorder: Recorder, req: str) -> list[dict[str, Any]]:
    return [m for m in recorder.messages if m.get("type") == "response" and m.get("req") == req]


async def answered(view: Any, recorder: Recorder, request: dict[str, Any]) -> dict[str, Any]:
    """Send a front-end request; wait (on the new run's notifications) for its one answer."""
    before = view.run
    view._on_front_end_message(view, request, None)
    if not responses(recorder, request["req"]) and view.run is not before:
        await until(
            view.run, lambda r: r.run_id is not None or r.ended_at is not None, 30, "the run's id"
        )
        for task in list(view._requests):
            await task
    (answer,) = responses(recorder, request["req"])
    return answer


def sent_rows(view: Any, recorder: Recorder, first: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every row the front end received: the first snapshot's, then the deltas' in order, with
    the checkpoints rows got after they were sent."""
    rows = [dict(r) for r in first]
    for message in recorder.messages:
        if message.get("type") == "delta":
            rows.extend(dict(r) for r in message.get("rows", []))
            for index, checkpoint_id in message.get("checkpoints", {}).items():
                rows[int(index)]["checkpoint_id"] = checkpoint_id
    return rows


def called_with(run: Run) -> list[dict[str, Any]]:
    """What the hitl demo's tools were finally called with (they say so in their result; after
    an edit the middleware wraps the result in a note)."""
    out = []
    for message in run.messages:
        content = message["content"]
        if message["role"] == "tool" and '{"called_with"' in content:
            start = content.index('{"called_with"')
            out.append(json.JSONDecoder().raw_decode(content[start:])[0]["called_with"])
    return out


async def test_resume_from_the_view_goes_on_in_the_same_view(server):
    first = lg_widgets.stream("hitl", QUESTION, thread_id="new", stream_mode=MODES)
    view, recorder = recorded_view(first)
    first_rows = list(view.snapshot["rows"])
    await first
    assert first.status == "interrupted"
    (pending,) = view.snapshot["header"]["interrupts"]
    assert pending["kind"] == "hitl"
    assert [(a["name"], a["allowed"]) for a in pending["actions"]] == [
        ("get_weather", ["approve", "edit", "reject", "respond"]),
        ("divide", ["approve", "reject"]),
    ]

    decisions = [
        {"type": "edit", "edited_action": {"name": "get_weather", "args": {"city": "Rome"}}},
        {"type": "reject", "message": "no division today"},
    ]
    answer = await answered(
        view,
        recorder,
        {"type": "resume", "req": "r1", "answers": {pending["id"]: {"decisions": decisions}}},
    )
    second = view.run
    assert answer == {"type": "response", "req": "r1", "ok": True, "run_id": second.run_id}
    assert second is not first and second.previous is first and second.origin == "resume"
    assert first.next is second and first.latest is second  # the notebook's `run` points on
    assert view._on_change not in first._listeners  # the view left the first run
    await second
    view._flush_all()

    assert second.status == "success", second.error
    assert called_with(second) == [{"city": "Rome"}]
    header = view.snapshot["header"]
    assert [(r["run_id"], r["status"], r["origin"]) for r in header["runs"]] == [
        (first.run_id, "interrupted", "python"),
        (second.run_id, "success", "resume"),
    ]
    assert header["run_id"] == second.run_id and header["interrupts"] == []
    # every row reached the front end once, numbered across the chain; none of the first lost
    rows = view.snapshot["rows"]
    count = len(first.state.timeline.rows) + len(second.state.timeline.rows)
    assert [r["index"] for r in rows] == list(range(count))
    assert sent_rows(view, recorder, first_rows) == rows
    first_of_second = second.state.timeline.rows[0]["seq"]
    assert rows[len(first.state.timeline.rows)]["seq"] == first.event_count + first_of_second
    # the question shows once; the rejected call's answer and the final text came after
    texts = [(m.get("role", "ai"), m["text"]) for m in view.snapshot["messages"]]  # "ai": left out
    assert [t for t in texts if t[0] == "human"] == [("human", QUESTION["messages"][0]["content"])]
    assert any("no division today" in text for role, text in texts if role == "tool")
    # a row of the first run still answers with its own run's state
    detail = view._queries.row_detail(1)
    assert detail["row"] == rows[1] and detail["state"] == first.state_at(1)[0]


async def test_a_wrong_answer_is_one_sentence_and_starts_nothing(server):
    first = lg_widgets.stream("hitl", QUESTION, thread_id="new", stream_mode=MODES)
    view, recorder = recorded_view(first)
    await first
    (pending,) = view.snapshot["header"]["interrupts"]
    before = {id(r): r for r in lg_widgets.runs()}  # held: finished runs are registered weakly

    answer = await answered(
        view,
        recorder,
        {"type": "resume", "req": "bad", "answers": {pending["id"]: {"decisions": ["approve"]}}},
    )
    assert answer["error"] == "The interrupt asks for 2 decision(s) (get_weather, divide), 1 given."
    assert "ok" not in answer
    assert view.runs == [first]
    assert [r for r in lg_widgets.runs() if id(r) not in before] == []  # nothing started

    answer = await answered(view, recorder, {"type": "replay", "req": "far", "index": 10**6})
    assert answer["error"] == "There is no timeline row 1000000 to start from."
    assert view.runs == [first] and not view._requests


async def test_fork_from_a_middle_row_with_new_values_changes_the_outcome(server):
    first = lg_widgets.stream(
        "interrupt", {"topic": "cats"}, thread_id="new", stream_mode=["updates", "checkpoints"]
    )
    view, recorder = recorded_view(first)
    await first
    (pending,) = view.snapshot["header"]["interrupts"]
    assert pending["kind"] == "value" and pending["actions"] == []
    answer = await answered(
        view, recorder, {"type": "resume", "req": "v", "answers": {pending["id"]: "yes"}}
    )
    resumed = view.run
    assert answer["ok"] and resumed.origin == "resume"
    await resumed
    assert resumed.values["result"] == "answer was 'yes'"

    rows = view.snapshot["rows"]
    ask = next(r["index"] for r in rows if r["node"] == "ask")
    detail = view._queries.row_detail(ask)
    assert detail["actions"]["refused"] is None
    line = f'run.fork(checkpoint_id="{detail["checkpoint_id"]}")'
    assert detail["actions"]["fork"] == line and detail["checkpoint_ns"] == ""

    answer = await answered(
        view, recorder, {"type": "fork", "req": "f", "index": ask, "values": {"answer": "no"}}
    )
    forked = view.run
    assert answer == {"type": "response", "req": "f", "ok": True, "run_id": forked.run_id}
    await forked
    assert forked.origin == "fork" and forked.status == "success", forked.error
    assert forked.values["result"] == "answer was 'no'"
    view._flush_all()
    assert [r["origin"] for r in view.snapshot["header"]["runs"]] == ["python", "resume", "fork"]
    assert [r["index"] for r in view.snapshot["rows"]] == list(range(len(view.snapshot["rows"])))


async def test_replay_and_row_actions_refused_while_running_and_in_a_subgraph(server):
    run = lg_widgets.stream(
        "subgraph",
        {"foo": "x"},
        thread_id="new",
        stream_mode=["updates", "checkpoints"],
        stream_subgraphs=True,
    )
    view, recorder = recorded_view(run)
    await run
    rows = view.snapshot["rows"]
    inner = next(r["index"] for r in rows if r["namespace"])
    refused = view._queries.row_detail(inner)["actions"]
    assert refused["fork"] is None and "inside subgraph" in refused["refused"]
    answer = await answered(view, recorder, {"type": "replay", "req": "sub", "index": inner})
    assert answer["error"] == refused["refused"] and view.runs == [run]

    outer = next(r["index"] for r in rows if not r["namespace"] and r["checkpoint_id"])
    view._on_front_end_message(view, {"type": "replay", "req": "re", "index": outer}, None)
    replayed = view.run
    assert replayed is not run and replayed.origin == "replay" and not replayed.done
    assert replayed._listeners.count(view._on_change) == 1  # followed once, the first left
    assert view._on_change not in run._listeners
    busy = view._queries.row_detail(outer)["actions"]  # no fork or replay while it runs
    assert busy["fork"] is None and busy["refused"].startswith(f"Run {replayed.run_id} is still")
    await replayed
    assert replayed.status == "success", replayed.error
    for task in list(view._requests):
        await task
    assert responses(recorder, "re") == [
        {"type": "response", "req": "re", "ok": True, "run_id": replayed.run_id}
    ]


async def test_a_run_the_server_refuses_is_answered_with_its_error_and_leaves_no_task(server):
    first = lg_widgets.stream(
        "interrupt", {"topic": "owls"}, thread_id="new", stream_mode=["values", "checkpoints"]
    )
    view, recorder = recorded_view(first)
    await first
    unknown = "1f000000-0000-6000-8000-000000000000"
    first.state.timeline.rows[0]["checkpoint_id"] = unknown  # a checkpoint the thread never had
    answer = await answered(view, recorder, {"type": "replay", "req": "x", "index": 0})
    refused = view.run
    await refused
    assert refused.status == "error" and refused.run_id is None
    assert answer == {"type": "response", "req": "x", "error": refused.error}
    assert unknown in refused.error
    assert not view._requests and refused.done

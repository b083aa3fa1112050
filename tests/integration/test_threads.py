"""Human in the loop and time travel against the embedded server: the `hitl` demo (LangChain's
create_agent + HumanInTheLoopMiddleware, batched and per call) answered with every decision
type, several interrupts answered together by id, history paged through, fork and replay,
subgraph checkpoints refused, wrong answers refused before anything is sent."""

from __future__ import annotations

import json
from typing import Any

import pytest

import lg_widgets
from lg_widgets.defaults import current_connection
from lg_widgets.threads import not_a_root_checkpoint, subgraph_checkpoint, travel_refusal

pytestmark = pytest.mark.integration

QUESTION = {
    "messages": [
        {"role": "user", "content": "What is the weather in Rome, and what is 10 divided by 2?"}
    ]
}
MODES = ["values", "updates"]


async def interrupted(graph: str = "hitl", modes: list[str] = MODES) -> lg_widgets.Run:
    run = lg_widgets.stream(graph, QUESTION, thread_id="new", stream_mode=modes)
    await run
    assert run.status == "interrupted", run.error
    return run


def called_with(run: lg_widgets.Run) -> dict[str, Any]:
    """What each tool was finally called with (the demo tools say so in their result)."""
    out = {}
    for message in run.values["messages"]:
        if message["type"] == "tool" and "called_with" in message["content"]:
            out[message["name"]] = json.loads(message["content"].splitlines()[-1])["called_with"]
    return out


def tool_results(run: lg_widgets.Run) -> dict[str, dict[str, Any]]:
    return {m["name"]: m for m in run.values["messages"] if m["type"] == "tool"}


async def test_interrupt_is_read_as_a_review_request(server):
    run = await interrupted()
    [info] = run.interrupt_info
    assert info["kind"] == "hitl" and info["id"] == run.interrupts[0]["id"]
    assert [(a["name"], a["args"], a["allowed"]) for a in info["actions"]] == [
        ("get_weather", {"city": "Rome"}, ["approve", "edit", "reject", "respond"]),
        ("divide", {"a": 10, "b": 2}, ["approve", "reject"]),
    ]


async def test_approve_runs_both_tools_with_the_model_arguments(server):
    run = await interrupted()
    done = run.resume(["approve", "approve"])
    assert done.previous is run and done.origin == "resume"
    assert run.next is done and run.latest is done and done.latest is done
    assert done.thread_id == run.thread_id and done.stream_mode == MODES
    await done
    assert done.status == "success", done.error
    assert called_with(done) == {"get_weather": {"city": "Rome"}, "divide": {"a": 10, "b": 2}}


async def test_edit_makes_the_tool_receive_the_edited_arguments(server):
    run = await interrupted()
    done = run.resume([{"type": "edit", "args": {"city": "Oslo"}}, "approve"])
    await done
    assert done.status == "success", done.error
    assert called_with(done)["get_weather"] == {"city": "Oslo"}


async def test_reject_gives_no_tool_call(server):
    run = await interrupted()
    done = run.resume(["approve", {"type": "reject", "message": "not now"}])
    await done
    assert done.status == "success", done.error
    assert "divide" not in called_with(done)
    rejected = tool_results(done)["divide"]
    assert rejected["status"] == "error" and "not now" in rejected["content"]


async def test_respond_answers_for_the_tool(server):
    run = await interrupted()
    done = run.resume([{"type": "respond", "message": "12 C and rain"}, "approve"])
    await done
    assert done.status == "success", done.error
    assert "get_weather" not in called_with(done)
    assert tool_results(done)["get_weather"]["content"] == "12 C and rain"


async def test_the_views_answer_shape_by_id_is_accepted(server):
    run = await interrupted()
    [info] = run.interrupt_info
    done = run.resume({info["id"]: {"decisions": [{"type": "approve"}, {"type": "reject"}]}})
    await done
    assert done.status == "success", done.error
    assert set(called_with(done)) == {"get_weather"}


async def test_several_interrupts_answered_together_by_id(server):
    run = await interrupted("hitl_per_call")
    infos = {i["actions"][0]["name"]: i for i in run.interrupt_info}
    assert set(infos) == {"get_weather", "divide"} and len(run.interrupts) == 2
    done = run.resume(
        {
            infos["get_weather"]["id"]: {"type": "edit", "args": {"city": "Lima"}},
            infos["divide"]["id"]: "approve",
        }
    )
    await done
    assert done.status == "success", done.error
    assert called_with(done) == {"get_weather": {"city": "Lima"}, "divide": {"a": 10, "b": 2}}


async def test_one_decision_list_for_several_interrupts_in_their_order(server):
    run = await interrupted("hitl_per_call")
    order = [i["actions"][0]["name"] for i in run.interrupt_info]
    decisions = ["approve" if name == "get_weather" else "reject" for name in order]
    done = run.resume(decisions)
    await done
    assert done.status == "success", done.error
    assert set(called_with(done)) == {"get_weather"}


async def test_wrong_answers_are_refused_before_anything_is_sent(server):
    run = await interrupted()
    before = {id(r): r for r in lg_widgets.runs()}  # held: finished runs are registered weakly
    with pytest.raises(lg_widgets.LgWidgetsError, match="'edit' is not allowed for divide"):
        run.resume(["approve", {"type": "edit", "args": {"a": 1, "b": 1}}])
    with pytest.raises(lg_widgets.LgWidgetsError, match=r"asks for 2 decision\(s\)"):
        run.resume(["approve"])
    with pytest.raises(lg_widgets.LgWidgetsError, match="No pending interrupt has id 'nope'"):
        run.resume({run.interrupts[0]["id"]: ["approve", "approve"], "nope": 1})
    done = run.resume(["approve", "approve"])
    await done
    with pytest.raises(lg_widgets.LgWidgetsError, match="has no pending interrupt to resume"):
        done.resume("approve")
    stateless = lg_widgets.stream("agent", {"topic": "x"})
    await stateless
    with pytest.raises(lg_widgets.LgWidgetsError, match="This run has no thread"):
        stateless.fork("any")
    started = [r for r in lg_widgets.runs() if id(r) not in before]
    assert started == [done, stateless]  # only these two started
    # the server still has the first interrupt answered once, by `done`
    assert done.status == "success"


async def test_history_pages_through_get_history(server):
    run = await interrupted()
    done = run.resume(["approve", "approve"])
    await done
    frame = lg_widgets.history(run.thread_id, page_size=2)
    client = current_connection().client()
    everything = await client.threads.get_history(run.thread_id, limit=1000)
    assert len(everything) > 4  # so page_size=2 paged
    assert frame["checkpoint_id"].tolist() == [
        c["checkpoint"]["checkpoint_id"] for c in reversed(everything)
    ]
    assert frame["step"].tolist() == [c["metadata"]["step"] for c in reversed(everything)]
    assert set(frame["run_id"]) == {run.run_id, done.run_id}
    assert frame["next"].iloc[0] == ["__start__"] and frame["next"].iloc[-1] == []
    assert any("tools" in w for w in frame["writes"].iloc[-3])  # the tools step wrote
    given = lg_widgets.history(run.thread_id, client=client)  # its URL and key headers
    assert given["checkpoint_id"].tolist() == frame["checkpoint_id"].tolist()
    newest = lg_widgets.history(run.thread_id, limit=3, page_size=2)
    assert newest["checkpoint_id"].tolist() == frame["checkpoint_id"].tolist()[-3:]
    middle = frame["checkpoint_id"].iloc[2]
    state = lg_widgets.thread_state(run.thread_id, middle)
    assert state == await client.threads.get_state(run.thread_id, checkpoint_id=middle)
    assert state["checkpoint"]["checkpoint_id"] == middle


async def test_timeline_rows_know_their_checkpoint(server):
    run = await interrupted()  # no checkpoints mode: matched from the history after the run
    streamed = await interrupted(modes=[*MODES, "checkpoints"])
    for one in (run, streamed):
        history = lg_widgets.history(one.thread_id)
        steps = dict(zip(history["checkpoint_id"], history["step"], strict=True))
        timeline = one.timeline
        assert [(m, n, steps[c]) for m, n, c in zip(
            timeline["mode"], timeline["node"].fillna(""), timeline["checkpoint_id"], strict=True)
        ] == [
            ("values", "", 0),
            ("updates", "model", 1),
            ("values", "model", 1),
            ("updates", "__interrupt__", 1),
            ("values", "__interrupt__", 1),
        ]  # fmt: skip
    # a resumed run's first state is the checkpoint it resumed from
    done = run.resume(["approve", "approve"])
    await done
    history = lg_widgets.history(run.thread_id)
    steps = dict(zip(history["checkpoint_id"], history["step"], strict=True))
    timeline = done.timeline
    assert [(n, steps[c]) for n, c in zip(
        timeline["node"].fillna(""), timeline["checkpoint_id"], strict=True)
    ] == [
        ("", 1),
        ("HumanInTheLoopMiddleware.after_model", 2),
        ("HumanInTheLoopMiddleware.after_model", 2),
        ("tools", 3),
        ("tools", 3),
        ("tools,tools", 3),
        ("model", 4),
        ("model", 4),
        ("HumanInTheLoopMiddleware.after_model", 5),
    ]  # fmt: skip


async def test_fork_with_changed_values_changes_the_outcome(server):
    run = await interrupted()
    timeline = run.timeline
    at_model = timeline[timeline["node"] == "model"]["checkpoint_id"].iloc[0]
    ai = lg_widgets.thread_state(run.thread_id, at_model)["values"]["messages"][-1]
    ai["tool_calls"][0]["args"] = {"city": "Lima"}
    forked = run.fork(at_model, values={"messages": [ai]})
    assert forked.previous is run and forked.origin == "fork"
    await forked
    assert forked.status == "interrupted", forked.error
    assert forked.interrupt_info[0]["actions"][0]["args"] == {"city": "Lima"}
    done = forked.resume(["approve", "approve"])
    await done
    assert called_with(done)["get_weather"] == {"city": "Lima"}
    # the original branch is still there: the history keeps the checkpoint forked from
    assert at_model in lg_widgets.history(run.thread_id)["checkpoint_id"].tolist()


async def test_replay_reruns_from_a_checkpoint_unchanged(server):
    run = await interrupted()
    done = run.resume(["approve", "approve"])
    await done
    timeline = run.timeline
    at_model = timeline[timeline["node"] == "model"]["checkpoint_id"].iloc[0]
    replayed = done.replay(at_model)
    await replayed
    assert replayed.origin == "replay" and replayed.previous is done
    assert replayed.status == "interrupted", replayed.error
    assert replayed.interrupt_info[0]["actions"] == run.interrupt_info[0]["actions"]
    again = replayed.resume(["approve", "approve"])
    await again
    assert called_with(again) == called_with(done)


async def test_subgraph_checkpoints_are_refused_with_a_sentence(server):
    run = lg_widgets.stream(
        "subgraph", {"foo": "x"}, thread_id="new", stream_mode=["updates", "checkpoints"],
        stream_subgraphs=True,
    )  # fmt: skip
    await run
    assert run.status == "success", run.error
    inner = next(
        (cid, ns) for cid, ns in run.state.timeline.checkpoints.items() if ns.startswith("node_2")
    )
    root = run.timeline.query("namespace == ''")["checkpoint_id"].dropna().iloc[0]
    assert travel_refusal(run, root, "fork") is None
    assert travel_refusal(run, inner[0], "replay") == str(subgraph_checkpoint(*inner))
    before = {id(r): r for r in lg_widgets.runs()}  # held: finished runs are registered weakly
    with pytest.raises(lg_widgets.LgWidgetsError) as refused:
        run.fork(inner[0], values={"bar": "edited"})
    assert str(refused.value) == str(subgraph_checkpoint(*inner))
    with pytest.raises(lg_widgets.LgWidgetsError):
        run.replay(inner[0])
    assert [r for r in lg_widgets.runs() if id(r) not in before] == []  # nothing started
    # a run that never saw the subgraph's checkpoints asks the server, and refuses before
    # update_state could write an empty root checkpoint (what the server does with the id)
    plain = lg_widgets.stream("subgraph", {"foo": "y"}, thread_id=run.thread_id)
    await plain
    state = lg_widgets.thread_state(run.thread_id)
    forked = plain.fork(inner[0], values={"bar": "edited"})
    await forked
    assert forked.status == "error"
    assert forked.error == str(not_a_root_checkpoint(inner[0], run.thread_id))
    assert lg_widgets.thread_state(run.thread_id)["values"] == state["values"]


async def test_replay_waits_for_the_threads_active_run(server):
    first = lg_widgets.stream(
        "slow", {"topic": "a", "delay": 0.01, "tokens": 2}, thread_id="new",
        stream_mode=["values", "checkpoints"],
    )  # fmt: skip
    await first
    assert first.status == "success", first.error
    start = first.timeline["checkpoint_id"].iloc[0]
    client = current_connection().client()
    busy = await client.runs.create(
        first.thread_id, "slow", input={"topic": "b", "delay": 0.2, "tokens": 4}
    )
    # without waiting, the server would reject a second run on the busy thread
    replayed = first.replay(start, multitask_strategy="reject")
    await replayed
    assert replayed.status == "success", replayed.error
    assert (await client.runs.get(first.thread_id, busy["run_id"]))["status"] == "success"
    assert replayed.values["topic"] == "a"

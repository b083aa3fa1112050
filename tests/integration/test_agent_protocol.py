"""The Agent Protocol (`protocol="agent"`) against the embedded server: the same read model
as `runs.stream`, what only the protocol says (agents' causes, a tool's own times), interrupts
answered with `input.respond`, cancel, errors."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import lg_widgets
from lg_widgets.connection import Connection

pytestmark = pytest.mark.integration

QUESTION = {
    "messages": [
        {"role": "user", "content": "What is the weather in Rome, and what is 10 divided by 0?"}
    ]
}
TRIP = {"messages": [{"role": "user", "content": "plan a trip to Paris"}]}
RUNS_MODES = ["updates", "messages-tuple", "values"]


async def both(assistant_id: str, input: Any) -> tuple[lg_widgets.Run, lg_widgets.Run]:
    """The same run through each protocol."""
    runs = await lg_widgets.stream(
        assistant_id, input, thread_id="new", stream_mode=RUNS_MODES, stream_subgraphs=True
    )
    agent = await lg_widgets.stream(assistant_id, input, protocol="agent")
    assert agent.status == runs.status in ("success", "interrupted"), (runs.error, agent.error)
    assert (runs.protocol, agent.protocol) == ("runs", "agent")
    return runs, agent


def calls(run: lg_widgets.Run) -> list[tuple[Any, ...]]:
    frame = run.tool_calls
    columns = ["name", "args", "result", "status", "agent"]
    return [tuple(row) for row in frame[columns].itertuples(index=False)]


def conversation(run: lg_widgets.Run) -> list[tuple[Any, ...]]:
    return [(m["role"], m["agent"], m["text"], m["synthetic"]) for m in run.messages]


DEMOS = {
    "react": QUESTION,
    "team": TRIP,
    "agent": {"topic": "ice cream"},
    "subgraph": {"foo": "foo"},
    "chat": {"topic": "cats"},
    "custom": {"topic": "x"},
    "interrupt": {"topic": "x"},
    "tool_loop": {"messages": [{"role": "user", "content": "Weather in Paris?"}]},
    "fanout": {"topics": ["a", "b"], "delay": 0.05},
    "hitl": {"messages": [{"role": "user", "content": "What is the weather in Rome?"}]},
}


def state(run: lg_widgets.Run) -> dict[str, Any]:
    """The run's values but its messages, compared across protocols. Two differences are the
    server's, not ours: under the Agent Protocol a chat model answers in v1 content blocks, so
    a graph that stores `message.content` stores blocks (read back as their text here); and
    the protocol sends interrupts as `input.requested`, not in `values` (`run.interrupts`
    holds them either way)."""
    out = {}
    for key, value in (run.values or {}).items():
        if key in ("messages", "__interrupt__"):
            continue
        if (
            isinstance(value, list)
            and value
            and all(isinstance(b, dict) and b.get("type") == "text" for b in value)
        ):
            value = "".join(b["text"] for b in value)
        out[key] = value
    return out


@pytest.mark.parametrize("assistant_id", list(DEMOS))
async def test_both_protocols_give_the_same_run(server, assistant_id):
    runs, agent = await both(assistant_id, DEMOS[assistant_id])
    assert calls(agent) == calls(runs)
    assert conversation(agent) == conversation(runs)
    assert agent.text() == runs.text()
    for name in set(runs.agents["agent"]):
        assert agent.text(agent=name) == runs.text(agent=name)
    usage = ["agent", "model", "messages", "input_tokens", "output_tokens", "total_tokens"]
    assert agent.usage[usage].values.tolist() == runs.usage[usage].values.tolist()
    shape = ["agent", "parent", "cause", "status", "messages", "tool_calls", "total_tokens"]
    assert agent.agents[shape].values.tolist() == runs.agents[shape].values.tolist()
    assert state(agent) == state(runs)
    assert len(agent.values.get("messages", [])) == len(runs.values.get("messages", []))
    assert [i["value"] for i in agent.interrupts] == [i["value"] for i in runs.interrupts]
    assert len(agent.tree.get("children", [])) == len(runs.tree.get("children", []))
    if assistant_id in ("react", "team"):  # create_agent: the tools channel speaks
        # the protocol's own word: each tool's start and end, so its latency is its own time
        assert agent.tool_calls["started_at"].notna().all()
        timed = agent.tool_calls
        assert (timed["latency"] < 0.5).all() and (timed["waited"] >= 0).all()


async def test_a_subagent_is_named_and_linked_by_its_lifecycle(server, tmp_path):
    run = await lg_widgets.stream("team", TRIP, protocol="agent")
    run.save(tmp_path / "team.jsonl")
    loaded = lg_widgets.load(tmp_path / "team.jsonl")
    assert loaded.protocol == "agent" and loaded.agents.equals(run.agents)
    researcher = run.agents.iloc[1]
    assert (researcher["agent"], researcher["cause"]) == ("researcher", "tool_call")
    ask = run.tool_calls.set_index("name").loc["ask_researcher"]
    assert researcher["tool_call_id"] == ask["id"] and ask["subagent"] == researcher["namespace"]
    assert [e.mode for e in run.events][-1] == "lifecycle"
    assert any("updates" in w and "checkpoints" in w for w in run.warnings)  # silent channels
    # checkpoints come from the thread's history after the run: fork targets exist
    assert run.timeline["checkpoint_id"].iloc[-1]


async def test_an_error_is_the_graphs_message(server):
    run = await lg_widgets.stream("error", {"topic": "x"}, protocol="agent")
    assert run.status == "error"
    assert run.error == "The graph failed: boom: the explode node failed on purpose"
    assert run.values == {"topic": "x", "ok": True}  # what came before the failure is kept


async def test_bad_input_is_one_sentence(server):
    run = await lg_widgets.stream("nope", {}, protocol="agent")
    assert run.status == "error" and run.error.startswith("Unknown assistant 'nope'.")
    assert "react" in run.error
    outsider = await lg_widgets.stream(
        "react", QUESTION, protocol="agent", client=Connection(server.url).client()
    )
    assert outsider.status == "error" and "401" in outsider.error, outsider.error
    with pytest.raises(TypeError, match="stream_resumable"):
        lg_widgets.stream("react", QUESTION, protocol="agent", stream_resumable=True)
    with pytest.raises(TypeError, match="namespaces= .* depth="):
        lg_widgets.stream("react", QUESTION, protocol="agent", stream_mode="updates")
    with pytest.raises(ValueError, match="protocol must be"):
        lg_widgets.stream("react", QUESTION, protocol="v3")


async def test_an_interrupt_keeps_its_tail_and_is_answered_with_input_respond(server):
    question = {"messages": [{"role": "user", "content": "What is the weather in Rome?"}]}
    run = await lg_widgets.stream("hitl", question, protocol="agent")
    assert run.status == "interrupted", run.error
    (pending,) = run.interrupt_info
    assert pending["kind"] == "hitl" and [a["name"] for a in pending["actions"]] == [
        "get_weather",
        "divide",
    ]
    # the tail of the run before the question: the message's finish, the state, the question
    modes = [e.mode for e in run.events]
    assert modes[-3:] == ["values", "updates", "lifecycle"] or modes[-2:] == [
        "updates",
        "lifecycle",
    ], modes[-6:]
    calling = [m for m in run.messages if m["role"] == "ai"][-1]
    assert calling["complete"] and calling["usage"]["output_tokens"] > 0
    done = run.resume(["approve", "approve"])
    await done
    assert done.status == "success", done.error
    assert (done.previous, run.next, done.protocol) == (run, done, "agent")
    assert [m["name"] for m in done.messages if m["role"] == "tool"] == ["get_weather", "divide"]
    assert done.run_id and done.run_id != run.run_id


async def test_cancel_goes_through_the_runs_api(server):
    run = lg_widgets.stream("slow", {"topic": "x", "delay": 0.3, "tokens": 40}, protocol="agent")
    streaming = asyncio.Event()
    run.on_change(lambda *_: run.event_count > 1 and streaming.set())
    await asyncio.wait_for(streaming.wait(), 30)
    run.cancel()
    await asyncio.wait_for(run.wait(), 10)
    assert run.status == "cancelled", (run.status, run.error)
    assert run.events[-1].mode == "lifecycle"  # the server's word: interrupted, no question
    assert not run.interrupts


async def test_depth_narrows_the_subscription_on_the_server(server):
    full = await lg_widgets.stream("team", TRIP, protocol="agent")
    root = await lg_widgets.stream("team", TRIP, protocol="agent", depth=0)
    assert root.status == "success", root.error
    # the researcher's events stayed on the server: only its lifecycle, one level down, came
    assert root.agents["agent"].tolist() == ["coordinator", "researcher"]
    assert root.agents["messages"].tolist()[1] == 0 and root.left_out
    assert root.event_count < full.event_count
    assert root.text() == full.text(agent="coordinator")
    assert any("left out on the server" in w for w in root.warnings)
    with pytest.raises(ValueError, match="depth"):
        lg_widgets.stream("team", TRIP, protocol="agent", depth=-1)


async def test_namespaces_without_depth_hold_the_root_and_those_subtrees(server):
    """`namespaces=` alone: the root's own events and everything below the prefixes named;
    nothing else (the root's subscription, unbounded, would hold every namespace)."""
    full = await lg_widgets.stream("team", TRIP, protocol="agent")
    named = await lg_widgets.stream("team", TRIP, protocol="agent", namespaces=["tools"])
    assert named.status == "success", named.error
    no_repeats(named)
    assert named.left_out == [] and researcher_part(named) == researcher_part(full)
    # (each agent's in order; the two subscriptions' events interleave as they arrive)
    assert named.text(agent="coordinator") == full.text(agent="coordinator")
    assert sorted(calls(named)) == sorted(calls(full))
    other = await lg_widgets.stream("team", TRIP, protocol="agent", namespaces=["tools:nope"])
    assert other.status == "success", other.error
    (researcher,) = other.left_out  # its lifecycle came, its own events did not
    assert other.text(agent="researcher") == "" and not other.holds(researcher)
    assert other.text() == full.text(agent="coordinator")
    assert other.event_count < named.event_count
    assert any("left out on the server" in w and researcher in w for w in other.warnings)


def researcher_part(run: lg_widgets.Run) -> dict[str, Any]:
    """What the team's researcher did, as the run holds it (its messages, tool calls and
    agents row), compared between a full run and a narrowed run that opened it."""
    shape = ["agent", "parent", "cause", "status", "messages", "tool_calls", "total_tokens"]
    agents = run.agents
    return {
        "messages": [
            (m["role"], m["text"], m["tool_calls"] and [c["name"] for c in m["tool_calls"]])
            for m in run.messages
            if m["agent"] == "researcher"
        ],
        "calls": [c for c in calls(run) if c[-1] == "researcher"],
        "row": agents[agents["agent"] == "researcher"][shape].values.tolist(),
        "text": run.text(agent="researcher"),
    }


def no_repeats(run: lg_widgets.Run) -> None:
    seqs = [int(e.id) for e in run.events]
    assert len(seqs) == len(set(seqs)), "an event arrived twice"


async def test_an_ended_narrowed_run_opens_a_subtree_with_since(server, tmp_path):
    full = await lg_widgets.stream("team", TRIP, protocol="agent")
    run = await lg_widgets.stream("team", TRIP, protocol="agent", depth=0)
    # the lifecycle one level down says who was left out, and what started it
    (researcher,) = run.left_out
    assert run.agents["agent"].tolist() == ["coordinator", "researcher"]
    assert run.agents.iloc[1]["messages"] == 0 and run.agents.iloc[1]["cause"] == "tool_call"
    assert run.text(agent="researcher") == ""
    assert any("run.open(namespace)" in w and researcher in w for w in run.warnings)
    saved = tmp_path / "narrowed.jsonl"
    run.save(saved)
    assert lg_widgets.load(saved).left_out == [researcher]  # a saved run still says so
    before = run.event_count
    view = run.view()  # a view of the ended run follows it again while the subtree comes
    (shown_first,) = view.snapshot["tree"]["children"]
    assert (shown_first["namespace"], shown_first["left_out"]) == (researcher, True)
    shown = asyncio.Event()

    def researcher_shown(_change: Any) -> None:
        tree = view.snapshot["tree"]
        if not tree["children"][0]["left_out"] and tree["children"][0]["events"] > 2:
            shown.set()

    view.observe(researcher_shown, names="snapshot_zlib")
    await run.open(researcher)
    assert not run.opening and run.left_out == [] and run.holds(researcher)
    await asyncio.wait_for(shown.wait(), 10)  # the view's final snapshot has the subtree
    view.close()
    assert run.event_count > before
    no_repeats(run)
    assert researcher_part(run) == researcher_part(full)
    assert sorted(calls(run)) == sorted(calls(full))
    shape = ["agent", "parent", "cause", "status", "messages", "tool_calls"]
    assert run.agents[shape].values.tolist() == full.agents[shape].values.tolist()
    assert not [w for w in run.warnings if "run.open(namespace)" in w]  # nothing left out
    assert any(f"opened {researcher!r}" in w for w in run.warnings)
    await run.open(researcher)  # held already: nothing to do, nothing repeated
    no_repeats(run)
    with pytest.raises(lg_widgets.LgWidgetsError, match="namespaces it can open are: none"):
        run.open("tools:nope")


async def test_a_live_narrowed_run_opens_a_subtree_while_it_runs(server):
    paced = {"configurable": {"delay": 0.05}}  # each chunk of each model waits 50 ms
    full = await lg_widgets.stream("team", TRIP, protocol="agent", config=paced)
    run = lg_widgets.stream("team", TRIP, protocol="agent", depth=0, config=paced)
    known = asyncio.Event()
    run.on_change(lambda r, _e: r.left_out and known.set())
    await asyncio.wait_for(known.wait(), 30)  # the researcher started: open it now
    assert run.status == "running"
    run.open(run.left_out[0])
    assert run.opening or run.done
    await asyncio.wait_for(run.wait(), 30)
    assert run.status == "success", run.error
    assert not run.opening
    no_repeats(run)
    assert researcher_part(run) == researcher_part(full)
    assert run.text() == full.text()


async def test_open_needs_the_agent_protocol(server):
    run = await lg_widgets.stream("team", TRIP, thread_id="new", stream_mode=RUNS_MODES)
    with pytest.raises(lg_widgets.LgWidgetsError, match="protocol='agent'"):
        run.open("tools")

"""The agents fold over recorded multi-agent runs, and over the edge cases no framework here
streams: a task that ran several calls, a `Send`, `debug` task events."""

from __future__ import annotations

from typing import Any

import pytest

import lg_widgets
from lg_widgets.events import Event
from lg_widgets.reducers.agents import AgentReducer
from tests.conftest import TRANSCRIPTS

MODES = ["updates+messages-tuple.subgraphs", "tasks+updates+messages-tuple.subgraphs"]


def load(name: str) -> lg_widgets.Run:
    return lg_widgets.load(TRANSCRIPTS / f"{name}.jsonl")


@pytest.mark.parametrize("modes", MODES)
def test_a_loaded_deep_agent_run_names_and_links_its_subagent(modes):
    run = load(f"deep.{modes}")
    agents = run.agents
    assert agents[["agent", "cause"]].values.tolist() == [
        ["deep", "run"],
        ["researcher", "tool_call"],
    ]
    task = run.tool_calls.set_index("name").loc["task"]
    assert agents["tool_call_id"].iloc[1] == task["id"]
    assert task["subagent"] == agents["namespace"].iloc[1]
    assert run.usage["agent"].tolist() == ["deep", "researcher"]


@pytest.mark.parametrize("modes", MODES)
def test_a_loaded_supervisor_run_keeps_its_handoffs(modes):
    run = load(f"supervisor.{modes}")
    assert run.agents["agent"].tolist() == [
        "supervisor", "supervisor", "researcher", "supervisor", "writer", "supervisor",
    ]  # fmt: skip
    assert run.handoffs[["from_agent", "to_agent", "synthetic"]].values.tolist() == [
        ["supervisor", "researcher", False],
        ["researcher", "supervisor", True],
        ["supervisor", "writer", False],
        ["writer", "supervisor", True],
    ]
    assert run.handoffs["to_namespace"].notna().all()


def test_the_tree_carries_the_agents():
    run = load("swarm.updates+messages-tuple.subgraphs")
    tree = run.tree
    assert [(c["agent"], c["cause"]) for c in tree["children"]] == [
        ("alice", "node"),
        ("bob", "handoff"),
    ]
    assert tree["children"][1]["tool_call_id"] == run.handoffs["tool_call_id"].iloc[0]
    assert [c["tokens"] for c in tree["children"]] == run.usage["total_tokens"].tolist()


def test_messages_say_their_agent_and_tool_results_go_to_the_caller():
    run = load("team.updates+messages-tuple.subgraphs")
    by_role = [(m["role"], m["agent"]) for m in run.messages]
    assert by_role == [
        ("human", "coordinator"),  # the input
        ("ai", "coordinator"),  # calls ask_researcher
        ("ai", "researcher"),  # calls get_weather
        ("tool", "researcher"),
        ("ai", "researcher"),
        ("tool", "coordinator"),  # ask_researcher's result answers the coordinator's call
        ("ai", "coordinator"),
    ], by_role


# --- edge cases, folded by hand -------------------------------------------------------------
def event(seq: int, mode: str, data: Any, namespace: tuple[str, ...] = ()) -> Event:
    return Event(seq, float(seq), mode, namespace, data)


def call(call_id: str, name: str = "task", **args: Any) -> dict[str, Any]:
    return {"type": "tool_call", "id": call_id, "name": name, "args": args}


def tool_message(call_id: str, checkpoint_ns: str) -> list[Any]:
    message = {"type": "tool", "content": "ok", "id": f"m-{call_id}", "tool_call_id": call_id}
    return [message, {"langgraph_checkpoint_ns": checkpoint_ns, "langgraph_node": "tools"}]


def test_a_task_that_ran_several_calls_links_none_of_them():
    """An old-style ToolNode runs every call of a message in one task: which call started a
    subagent there is not said, so the link stays empty rather than be guessed."""
    reducer = AgentReducer("main")
    child = ("tools:t1",)
    reducer.apply(event(0, "tasks", {"id": "t1", "name": "tools", "input": [call("a"), call("b")]}))
    reducer.apply(event(1, "values", {"messages": []}, child))
    reducer.apply(event(2, "messages", tool_message("a", "tools:t1")))
    reducer.apply(event(3, "messages", tool_message("b", "tools:t1")))
    found = reducer.instances[child]
    assert (found.cause, found.tool_call_id) == ("tool_call", None)
    assert reducer.subagents() == {}


def test_a_debug_task_links_as_tasks_do_and_names_a_deepagents_subagent():
    reducer = AgentReducer("main")
    payload = {"id": "t2", "name": "tools", "input": [call("c", subagent_type="critic")]}
    reducer.apply(event(0, "debug", {"type": "task", "step": 1, "payload": payload}))
    reducer.apply(event(1, "values", {"messages": []}, ("tools:t2",)))
    found = reducer.instances[("tools:t2",)]
    assert (found.agent, found.cause, found.tool_call_id) == ("critic", "tool_call", "c")
    assert reducer.tool_starts == {"c": 0.0}


def test_metadata_names_win_and_a_send_is_a_send():
    reducer = AgentReducer("main")
    reducer.apply(event(0, "tasks", {"id": "s1", "name": "worker", "input": {"topic": "a"},
                                     "triggers": ["__pregel_push"]}))  # fmt: skip
    chunk = {"type": "AIMessageChunk", "content": "hi", "id": "x"}
    reducer.apply(event(1, "messages", [chunk, {"lc_agent_name": "writer"}], ("worker:s1",)))
    found = reducer.instances[("worker:s1",)]
    assert (found.agent, found.node, found.cause) == ("writer", "worker", "send")
    assert reducer.agent_of(()) == "main" and reducer.agent_of(("other:1",)) == "other"


def _ai(name: str, call_id: str, tool: str) -> dict[str, Any]:
    return {"type": "ai", "name": name, "tool_calls": [{"id": call_id, "name": tool, "args": {}}]}


def _handed(call_id: str, tool: str, **metadata: Any) -> dict[str, Any]:
    return {"type": "tool", "name": tool, "tool_call_id": call_id, "response_metadata": metadata}


def test_handoffs_from_states_alone_skip_the_history_a_thread_brings():
    """Where no `updates` stream (the Agent Protocol), a graph's new messages say its handoffs,
    signed by the agent whose AI message made the call; its first state (the input: a thread's
    earlier handoffs) says none, and a swarm's active agent names the destination."""
    reducer = AgentReducer("swarm")
    earlier = [_ai("alice", "old", "transfer_to_bob"), _handed("old", "transfer_to_bob")]
    reducer.apply(event(0, "values", {"messages": earlier, "active_agent": "bob"}))
    reducer.apply(event(1, "values", {"messages": earlier}, ("bob:t1",)))
    said = {"type": "ai", "name": "bob", "content": "hi"}
    reducer.apply(event(2, "values", {"messages": [*earlier, said]}, ("bob:t1",)))
    assert reducer.handoffs == []
    assert reducer.instances[("bob:t1",)].agent == "bob"  # not the signer of its input
    new = [_ai("bob", "now", "transfer_to_alice"), _handed("now", "transfer_to_alice")]
    reducer.apply(event(3, "values", {"messages": [*earlier, *new], "active_agent": "alice"}))
    reducer.apply(event(4, "values", {"messages": []}, ("alice:t2",)))
    (handoff,) = reducer.handoffs
    assert (handoff.from_agent, handoff.from_namespace, handoff.to_agent) == (
        "bob",
        ("bob:t1",),
        "alice",
    )
    assert (handoff.tool_call_id, handoff.to_namespace) == ("now", ("alice:t2",))
    assert reducer.instances[("alice:t2",)].cause == "handoff"

"""Who did what, with the multi-agent frameworks people use (deepagents, langgraph-supervisor,
langgraph-swarm) and LangChain's own subagent-as-a-tool (the `team` demo), each served by the
embedded server over scripted models that stream the way providers do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import lg_widgets

pytestmark = pytest.mark.integration

FRAMEWORKS = Path(__file__).resolve().parents[1] / "agents" / "langgraph.json"
QUESTION = {"messages": [{"role": "user", "content": "plan a trip to Paris"}]}
WITH_TASKS = ["updates", "messages-tuple", "tasks"]
WITHOUT_TASKS = ["updates", "messages-tuple"]


@pytest.fixture(scope="module")
def frameworks() -> Iterator[lg_widgets.EmbeddedServer]:
    with lg_widgets.serve(FRAMEWORKS, connect=False) as embedded:
        yield embedded


async def streamed(assistant_id: str, modes: list[str], **options: Any) -> lg_widgets.Run:
    run = lg_widgets.stream(
        assistant_id,
        QUESTION,
        thread_id="new",
        stream_mode=modes,
        stream_subgraphs=True,
        **options,
    )
    await run
    assert run.status == "success", run.error
    return run


def rows(frame: Any, *columns: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in frame[list(columns)].itertuples(index=False)]


@pytest.mark.parametrize("modes", [WITH_TASKS, WITHOUT_TASKS], ids=["tasks", "no-tasks"])
async def test_deepagents_subagent_is_named_and_tied_to_its_task_call(frameworks, modes):
    run = await streamed("deep", modes, url=frameworks.url)
    agents = run.agents
    assert rows(agents, "agent", "parent", "cause") == [
        ("deep", None, "run"),
        ("researcher", "", "tool_call"),
    ]
    task = run.tool_calls.set_index("name").loc["task"]
    researcher = agents.iloc[1]
    assert researcher["tool_call_id"] == task["id"]  # the link the server gave, not a guess
    assert task["agent"] == "deep" and task["subagent"] == researcher["namespace"]
    assert researcher["namespace"].startswith("tools:")
    weather = run.tool_calls.set_index("name").loc["get_weather"]
    assert (weather["agent"], weather["subagent"], weather["status"]) == (
        "researcher",
        None,
        "success",
    )
    assert rows(run.usage, "agent", "model", "messages") == [
        ("deep", "main-model", 2),
        ("researcher", "researcher-model", 2),
    ]
    per_agent = run.usage.set_index("agent")["total_tokens"]
    assert agents.set_index("agent")["total_tokens"].to_dict() == per_agent.to_dict()
    assert run.text(agent="researcher") == "Sunny in Paris."
    assert run.text(agent="deep") == "Paris will be sunny: pack sunglasses."
    assert run.text(namespace=()) == run.text(namespace="") == run.text(agent="deep")
    assert {m["agent"] for m in run.messages if m["role"] == "ai"} == {"deep", "researcher"}
    assert (agents["status"] == "success").all() and (agents["seconds"] > 0).all()
    if modes == WITH_TASKS:  # the tool's own start: the wait before it is said apart
        assert (run.tool_calls["waited"] >= 0).all() and run.tool_calls["started_at"].notna().all()
    else:
        assert run.tool_calls["waited"].isna().all()


async def test_supervisor_workers_and_visits_are_agents_with_handoffs(frameworks):
    run = await streamed("supervisor", WITHOUT_TASKS, url=frameworks.url)
    assert rows(run.agents, "agent", "cause") == [
        ("supervisor", "run"),
        ("supervisor", "node"),
        ("researcher", "handoff"),
        ("supervisor", "handoff"),
        ("writer", "handoff"),
        ("supervisor", "handoff"),
    ]
    handoffs = run.handoffs
    assert rows(handoffs, "from_agent", "to_agent", "tool", "synthetic") == [
        ("supervisor", "researcher", "transfer_to_researcher", False),
        ("researcher", "supervisor", "transfer_back_to_supervisor", True),
        ("supervisor", "writer", "transfer_to_writer", False),
        ("writer", "supervisor", "transfer_back_to_supervisor", True),
    ]
    agents = run.agents.set_index("namespace")
    assert handoffs["to_namespace"].map(agents["agent"]).tolist() == handoffs["to_agent"].tolist()
    assert handoffs["tool_call_id"].tolist() == agents["tool_call_id"].iloc[2:].tolist()
    calls = run.tool_calls.set_index("id")
    assert calls.loc[handoffs["tool_call_id"], "agent"].tolist() == handoffs["from_agent"].tolist()
    assert rows(run.usage, "agent", "messages") == [
        ("supervisor", 3),
        ("researcher", 2),
        ("writer", 1),
    ]
    # the framework's "Transferring back to supervisor" lines are marked, not an agent's text
    synthetic = [m for m in run.messages if m["synthetic"]]
    assert {(m["role"], m["agent"]) for m in synthetic} == {
        ("ai", "researcher"),
        ("tool", "researcher"),
        ("ai", "writer"),
        ("tool", "writer"),
    }
    assert all(m["text"] == "" for m in synthetic)
    assert run.text(namespace=()) == ""
    assert run.text(agent="supervisor") == "The trip is planned."
    assert run.text(agent=["researcher", "writer"]) == "Sunny in Paris.\n\nA sunny poem."
    # a handoff's result (written by a Command, with no id) answers its call
    assert calls.loc[handoffs["tool_call_id"].iloc[0], "result"] == (
        "Successfully transferred to researcher"
    )


async def test_swarm_handoff_from_alice_to_bob(frameworks):
    run = await streamed("swarm", WITH_TASKS, url=frameworks.url)
    assert rows(run.agents, "agent", "cause") == [
        ("swarm", "run"),
        ("alice", "node"),
        ("bob", "handoff"),
    ]
    assert rows(run.handoffs, "from_agent", "to_agent", "tool") == [
        ("alice", "bob", "transfer_to_bob")
    ]
    assert run.agents["tool_call_id"].iloc[2] == run.handoffs["tool_call_id"].iloc[0]
    assert rows(run.usage, "agent", "model") == [("alice", "alice-model"), ("bob", "bob-model")]
    assert rows(run.tool_calls, "name", "agent") == [
        ("transfer_to_bob", "alice"),
        ("get_weather", "bob"),
    ]
    assert run.text(agent="bob") == "Bob says: sunny in Paris."


@pytest.mark.parametrize("assistant_id", ["deep", "supervisor", "swarm"])
async def test_the_agent_protocol_says_the_same_agents_and_handoffs(frameworks, assistant_id):
    """Under the Agent Protocol this server sends no `updates`: handoffs are read from each
    graph's `values` (the messages new since its last state, signed by the handing agent), and
    a framework's hand-back belongs to the agent that handed back, as under runs.stream."""
    runs = await streamed(assistant_id, ["updates", "messages-tuple", "values"], url=frameworks.url)
    agent = await lg_widgets.stream(assistant_id, QUESTION, protocol="agent", url=frameworks.url)
    assert (agent.protocol, agent.status) == ("agent", "success"), agent.error
    shape = ["agent", "parent", "cause", "status", "messages", "tool_calls", "total_tokens"]
    assert rows(agent.agents, *shape) == rows(runs.agents, *shape)
    moves = ["from_agent", "to_agent", "tool", "synthetic"]
    assert rows(agent.handoffs, *moves) == rows(runs.handoffs, *moves)
    assert rows(agent.tool_calls, "name", "agent", "result") == rows(
        runs.tool_calls, "name", "agent", "result"
    )
    said = [(m["role"], m["agent"], m["text"], m["synthetic"]) for m in runs.messages]
    assert [(m["role"], m["agent"], m["text"], m["synthetic"]) for m in agent.messages] == said
    if assistant_id != "deep":
        assert len(agent.handoffs) >= 1
    # the view's tree says who handed off to each agent, with which tool, as under runs.stream
    handed = [
        (c["agent"], c["handoff"]["from_agent"], c["handoff"]["tool"], c["handoff"]["back"])
        for c in agent.tree["children"]
        if c["handoff"]
    ]
    assert handed == [
        (c["agent"], c["handoff"]["from_agent"], c["handoff"]["tool"], c["handoff"]["back"])
        for c in runs.tree["children"]
        if c["handoff"]
    ]
    assert len(handed) == len(agent.handoffs)


@pytest.mark.parametrize("modes", [WITH_TASKS, WITHOUT_TASKS, ["values"]])
async def test_a_create_agent_subagent_behind_a_tool(server, modes):
    run = await streamed("team", modes)
    agents = run.agents
    assert agents["agent"].tolist() == ["coordinator", "researcher"]
    calls = run.tool_calls.set_index("name")
    linked = modes != ["values"]  # values alone say nothing of which call ran the subagent
    assert agents["cause"].tolist() == ["run", "tool_call" if linked else "node"]
    subagent = calls.loc["ask_researcher", "subagent"]
    assert subagent == (agents["namespace"].iloc[1] if linked else None)
    assert calls["agent"].tolist() == ["coordinator", "researcher"]
    assert run.text(agent="researcher") == "Sunny in Paris, 24 degrees."
    assert rows(run.usage, "agent", "model") == [
        ("coordinator", "fake-coordinator"),
        ("researcher", "fake-researcher"),
    ]
    tree = run.tree
    (child,) = tree["children"]
    assert (tree["agent"], child["agent"], child["cause"]) == (
        "coordinator",
        "researcher",
        agents["cause"].iloc[1],
    )
    assert child["tokens"] == agents["total_tokens"].iloc[1] > 0
    assert set(run.timeline["agent"]) <= {"coordinator", "researcher"}
    if "messages-tuple" in modes:
        assert set(run.tokens_df["agent"]) == {"coordinator", "researcher"}


async def test_a_filter_that_names_nothing_says_what_the_run_has(server):
    run = await streamed("team", WITHOUT_TASKS)
    with pytest.raises(ValueError, match=r"no agent 'reseacher'.*'coordinator', 'researcher'"):
        run.text(agent="reseacher")
    with pytest.raises(ValueError, match=r"no node 'modle'.*'model'"):
        run.text(node="modle")
    with pytest.raises(ValueError, match=r"no namespace 'tools'"):
        run.text(namespace="tools")
    namespace = run.agents["namespace"].iloc[1]
    as_tuple = tuple(namespace.split("|"))
    assert (
        run.text(namespace=as_tuple)
        == run.text(namespace=namespace)
        == run.text(agent="researcher")
    )
    assert run.text(namespace=[(), as_tuple]) == run.text()
    assert run.text(node="tools") == ""  # a node the run has, that wrote no LLM text

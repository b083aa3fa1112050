"""`%%lgstream NAME` where NAME is a variable of the notebook holding a compiled graph."""

from __future__ import annotations

import pytest
from langgraph.checkpoint.memory import InMemorySaver

import lg_widgets
from lg_widgets.demo import graphs


@pytest.fixture()
def user_graphs(ip):
    ip.user_ns["local_agent"] = graphs.agent
    ip.user_ns["approval"] = graphs.interrupt_graph.copy(update={"checkpointer": InMemorySaver()})
    ip.user_ns["builder_only"] = graphs.StateGraph(graphs.JokeState)
    yield
    for name in ("local_agent", "approval", "builder_only", "run", "answered"):
        ip.user_ns.pop(name, None)


async def test_a_variable_holding_a_graph_streams_in_process(cell, ip, user_graphs):
    cell('%%lgstream local_agent --mode updates -o run --no-display\n{"topic": "ice"}')
    run = ip.user_ns["run"]
    await run
    assert run.url is None and run.status == "success" and run.thread_id is None
    assert run.values["joke"] == "This is a joke about ice and cats"
    assert run.origin == "%%lgstream"


async def test_a_graph_with_a_checkpointer_gets_a_thread_and_resumes(cell, ip, user_graphs):
    cell('%%lgstream approval -o run --no-display\n{"topic": "tea"}')
    run = await ip.user_ns["run"]
    assert run.status == "interrupted" and run.thread_id
    cell(f'%lgstream approval --thread {run.thread_id} --resume "yes" -o answered --no-display')
    answered = await ip.user_ns["answered"]
    assert answered.values["result"] == "answer was 'yes'"


def test_server_only_streaming_options_are_refused_for_a_graph(usage_error, user_graphs):
    for options in ("--protocol agent", "--depth 0", "--namespaces tools"):
        said = usage_error(f'%%lgstream local_agent {options}\n{{"topic": "x"}}')
        assert "choose how a server streams" in said, (options, said)


def test_a_variable_that_is_not_a_graph_says_so(usage_error, user_graphs):
    said = usage_error('%%lgstream builder_only\n{"topic": "x"}')
    assert said.startswith("%%lgstream builder_only: the variable 'builder_only' is not a graph.")
    assert "builder.compile()" in said


def test_a_name_that_is_neither_variable_nor_assistant_says_so(usage_error, server):
    said = usage_error('%%lgstream nothing_here\n{"topic": "x"}')
    assert said.startswith(f"Unknown assistant 'nothing_here' on {server.url}.")
    assert said.endswith(
        "No variable of this notebook has that name either (a compiled graph "
        "there is streamed in-process)."
    )
    lg_widgets.disconnect()
    said = usage_error('%%lgstream nothing_here\n{"topic": "x"}')
    assert said.startswith("No LangGraph server is configured")
    assert said.endswith(
        "No variable of this notebook is named 'nothing_here' either (a "
        "compiled graph there streams with no server)."
    )

"""Real agents (LangChain's create_agent, LangGraph's create_react_agent) through the embedded
server and the raw SDK, folded by MessageReducer: the tool calls, their results, the answer."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

import lg_widgets
from lg_widgets.defaults import current_connection
from lg_widgets.events import normalize
from lg_widgets.reducers.messages import MessageReducer

pytestmark = pytest.mark.integration

QUESTION = {
    "messages": [
        {"role": "user", "content": "What is the weather in Rome, and what is 10 divided by 0?"}
    ]
}
ANSWER = (
    "get_weather says: It is always sunny in Rome. "
    "The divide tool failed: cannot divide 10.0 by zero"
)


async def fold_run(url: str, assistant_id: str, **stream: Any) -> MessageReducer:
    client = current_connection(url).client()  # carries the embedded server's secret
    thread = await client.threads.create()
    reducer = MessageReducer()
    seq = 0
    async for part in client.runs.stream(
        thread["thread_id"], assistant_id, input=QUESTION, **stream
    ):
        assert part.event != "error", part.data
        reducer.apply(normalize(part, seq))
        seq += 1
    reducer.finish()
    return reducer


def assert_one_agent_turn(reducer: MessageReducer, node: str) -> None:
    calling, *_ = reducer.select(role="ai")
    assert [(c["name"], c["args"], c["valid_args"]) for c in calling.tool_calls] == [
        ("get_weather", {"city": "Rome"}, True),
        ("divide", {"a": 10, "b": 0}, True),
    ]
    weather_id, divide_id = (c["id"] for c in calling.tool_calls)
    results = {m.tool_call_id: m for m in reducer.select(role="tool")}
    assert set(results) == {weather_id, divide_id}
    assert (results[weather_id].status, results[weather_id].content_text) == (
        "success",
        "It is always sunny in Rome.",
    )
    assert (results[divide_id].status, results[divide_id].name) == ("error", "divide")
    assert results[divide_id].content_text == "cannot divide 10.0 by zero"
    assert reducer.text_by_source() == {("", node): ANSWER}
    assert all(m.complete for m in reducer.messages.values())
    assert calling.usage["output_tokens"] > 0 and calling.response_metadata["finish_reason"]


@pytest.mark.parametrize(
    "stream",
    [
        dict(stream_mode="messages-tuple"),
        dict(stream_mode=["messages-tuple", "updates"], stream_subgraphs=True),
        dict(stream_mode="messages"),
        dict(stream_mode="events"),
        dict(stream_mode="messages-tuple", config={"configurable": {"content_style": "blocks"}}),
    ],
    ids=["messages-tuple", "subgraphs+updates", "messages", "events", "content-blocks"],
)
async def test_the_react_demo_streams_two_tool_calls_and_one_failure(server, stream):
    reducer = await fold_run(server.url, "react", **stream)
    assert_one_agent_turn(reducer, "model")


async def test_langgraphs_prebuilt_react_agent_too(tmp_path):
    (tmp_path / "agent.py").write_text(
        textwrap.dedent("""
            from langgraph.prebuilt import create_react_agent

            from lg_widgets.demo.fake_models import ToolCallingFakeChatModel
            from lg_widgets.demo.graphs import divide, get_weather

            graph = create_react_agent(ToolCallingFakeChatModel(), [get_weather, divide])
        """)
    )
    (tmp_path / "langgraph.json").write_text(
        '{"dependencies": ["."], "graphs": {"prebuilt": "./agent.py:graph"}}'
    )
    with lg_widgets.serve(tmp_path / "langgraph.json", connect=False) as embedded:
        reducer = await fold_run(embedded.url, "prebuilt", stream_mode="messages-tuple")
    assert_one_agent_turn(reducer, "agent")


@pytest.mark.parametrize(
    "stream_mode",
    [["messages-tuple", "updates", "values"], ["updates"], ["values"], ["messages", "values"]],
)
async def test_a_run_shows_the_conversation_once_whatever_the_modes(server, stream_mode):
    """The input, the tool-calling message, both results and the answer: each once, in order,
    from token streams or from the state, and the tool calls joined to their results."""
    run = lg_widgets.stream("react", QUESTION, thread_id="new", stream_mode=stream_mode)
    await run
    assert run.status == "success", run.error
    roles = [(m["role"], m["node"]) for m in run.messages]
    nodes = stream_mode != ["values"]  # a values event does not say which node wrote what
    assert roles == [
        ("human", None),
        ("ai", "model" if nodes else None),
        ("tool", "tools" if nodes else None),
        ("tool", "tools" if nodes else None),
        ("ai", "model" if nodes else None),
    ], roles
    assert run.messages[0]["input"] and "weather in Rome" in str(run.messages[0]["content"])
    calls = run.tool_calls
    assert calls["name"].tolist() == ["get_weather", "divide"]
    assert calls["args"].tolist() == [{"city": "Rome"}, {"a": 10, "b": 0}]
    assert calls["status"].tolist() == ["success", "error"]
    assert calls["result"].tolist()[0] == "It is always sunny in Rome."
    assert (calls["latency"] >= 0).all()
    assert run.text() == ANSWER and run.tokens == {("", "model" if nodes else None): ANSWER}
    usage = run.usage
    node = "model" if nodes else None
    assert usage[["model", "node", "messages"]].values.tolist() == [["fake-tool-caller", node, 2]]
    assert usage["output_tokens"].sum() > 0


async def test_malformed_arguments_are_kept_raw_and_the_run_goes_on(server):
    run = lg_widgets.stream(
        "react",
        QUESTION,
        thread_id="new",
        stream_mode=["messages-tuple", "updates"],
        config={"configurable": {"args": "invalid"}},
    )
    await run
    assert run.status == "success", run.error
    calls = run.tool_calls
    assert calls["valid_args"].tolist() == [False, False]
    assert calls["args"].isna().all() and calls["args_text"].str.endswith(",}").all()
    assert calls["result"].isna().all()  # the agent stopped: nothing called the tools

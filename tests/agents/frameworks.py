"""Agents built of agents with the frameworks people use, over provider-like scripted models.

deepagents (a main agent handing work to a `researcher` subagent through its `task` tool),
langgraph-supervisor (a supervisor routing to a `researcher` and a `writer`) and langgraph-swarm
(`alice` handing off to `bob`). Each agent's model follows its own script, decided from the
conversation it is given, so every run of the server plays the same way.
"""

from __future__ import annotations

from typing import Any

from deepagents import create_deep_agent
from langchain_core.messages import BaseMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.prebuilt import create_react_agent
from langgraph_supervisor import create_supervisor
from langgraph_swarm import create_handoff_tool, create_swarm

from lg_widgets.demo.fake_models import ScriptedChatModel, Turn, since_question


@tool
def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"It is always sunny in {city}."


def _results(messages: list[BaseMessage], after_tool: str | None = None) -> list[ToolMessage]:
    """Tool results since the question, or since the last result of `after_tool`."""
    _, after = since_question(messages)
    if after_tool is not None:
        marks = [
            i for i, m in enumerate(after) if isinstance(m, ToolMessage) and m.name == after_tool
        ]
        after = after[marks[-1] + 1 :] if marks else after
    return [m for m in after if isinstance(m, ToolMessage)]


def _called(messages: list[BaseMessage], name: str) -> bool:
    return any(m.name == name for m in _results(messages))


def _weather_then(answer: str, after_tool: str | None = None) -> Any:
    def script(messages: list[BaseMessage]) -> Turn:
        if any(m.name == "get_weather" for m in _results(messages, after_tool)):
            return answer
        return [("get_weather", {"city": "Paris"})]

    return script


# --- deepagents: the main agent asks its researcher subagent --------------------------------
def _main_agent(messages: list[BaseMessage]) -> Turn:
    if _called(messages, "task"):
        return "Paris will be sunny: pack sunglasses."
    return [("task", {"description": "find the weather in Paris", "subagent_type": "researcher"})]


deep = create_deep_agent(
    model=ScriptedChatModel(script=_main_agent, model_name="main-model"),
    tools=[],
    system_prompt="You plan trips.",
    subagents=[
        {
            "name": "researcher",
            "description": "Finds facts.",
            "system_prompt": "You find facts.",
            "tools": [get_weather],
            "model": ScriptedChatModel(
                script=_weather_then("Sunny in Paris."), model_name="researcher-model"
            ),
        }
    ],
)


# --- langgraph-supervisor: a supervisor routes to two workers ---------------------------------
def _supervisor(messages: list[BaseMessage]) -> Turn:
    if not _called(messages, "transfer_to_researcher"):
        return [("transfer_to_researcher", {})]
    if not _called(messages, "transfer_to_writer"):
        return [("transfer_to_writer", {})]
    return "The trip is planned."


researcher = create_react_agent(
    ScriptedChatModel(
        script=_weather_then("Sunny in Paris.", "transfer_to_researcher"),
        model_name="researcher-model",
    ),
    [get_weather],
    name="researcher",
)
writer = create_react_agent(
    ScriptedChatModel(script=lambda messages: "A sunny poem.", model_name="writer-model"),
    [],
    name="writer",
)
supervisor = create_supervisor(
    [researcher, writer],
    model=ScriptedChatModel(script=_supervisor, model_name="supervisor-model"),
).compile(name="supervisor")


# --- langgraph-swarm: alice hands off to bob ---------------------------------------------------
def _alice(messages: list[BaseMessage]) -> Turn:
    return [("transfer_to_bob", {})]


alice = create_react_agent(
    ScriptedChatModel(script=_alice, model_name="alice-model"),
    [create_handoff_tool(agent_name="bob")],
    name="alice",
)
bob = create_react_agent(
    ScriptedChatModel(
        script=_weather_then("Bob says: sunny in Paris.", "transfer_to_bob"),
        model_name="bob-model",
    ),
    [get_weather],
    name="bob",
)
swarm = create_swarm([alice, bob], default_active_agent="alice").compile()

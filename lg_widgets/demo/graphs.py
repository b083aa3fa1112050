"""The demo graphs, one per assistant id in `langgraph.json`.

`agent` and `subgraph` are the examples of LangGraph's streaming guide; `react` is an agent made
by LangChain's own `create_agent`, so its stream is what real agents send; the others exercise
one streaming feature each (LLM tokens, custom data, interrupts, errors, slow pacing for
join/cancel, a hand-built agent <-> tools loop, a `Send` fan-out).
"""

from __future__ import annotations

import asyncio
import operator
from typing import Annotated, Any, TypedDict

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage
from langchain_core.tools import StructuredTool, ToolException, tool
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode, tools_condition
from langgraph.types import Send, interrupt

from lg_widgets.demo.fake_models import (
    PacedFakeChatModel,
    ToolCallingFakeChatModel,
    scripted_model,
)


# --- agent: the joke graph -------------------------------------------------------------------
class JokeState(TypedDict):
    topic: str
    joke: str


def refine_topic(state: JokeState) -> dict[str, Any]:
    return {"topic": state["topic"] + " and cats"}


def generate_joke(state: JokeState) -> dict[str, Any]:
    return {"joke": f"This is a joke about {state['topic']}"}


agent = (
    StateGraph(JokeState)
    .add_node(refine_topic)
    .add_node(generate_joke)
    .add_edge(START, "refine_topic")
    .add_edge("refine_topic", "generate_joke")
    .add_edge("generate_joke", END)
    .compile()
)


# --- subgraph: a compiled graph used as a node ------------------------------------------------
class SubgraphState(TypedDict):
    foo: str  # shared with the parent
    bar: str  # private to the subgraph


def subgraph_node_1(state: SubgraphState) -> dict[str, Any]:
    return {"bar": "bar"}


def subgraph_node_2(state: SubgraphState) -> dict[str, Any]:
    return {"foo": state["foo"] + state["bar"]}


_inner = (
    StateGraph(SubgraphState)
    .add_node(subgraph_node_1)
    .add_node(subgraph_node_2)
    .add_edge(START, "subgraph_node_1")
    .add_edge("subgraph_node_1", "subgraph_node_2")
    .compile()
)


class ParentState(TypedDict):
    foo: str


def node_1(state: ParentState) -> dict[str, Any]:
    return {"foo": "hi! " + state["foo"]}


subgraph = (
    StateGraph(ParentState)
    .add_node("node_1", node_1)
    .add_node("node_2", _inner)
    .add_edge(START, "node_1")
    .add_edge("node_1", "node_2")
    .compile()
)


# --- chat: LLM tokens from parallel nodes and from inside a subgraph --------------------------
class ChatState(TypedDict, total=False):
    topic: str
    messages: Annotated[list[AnyMessage], add_messages]
    joke: str
    poem: str
    review: str


def _topic(state: ChatState) -> str:
    """`topic`, or else the text of the last human message (chat input `{"messages": [...]}`)."""
    if state.get("topic"):
        return state["topic"]
    asked = [m for m in state.get("messages") or () if isinstance(m, HumanMessage)]
    return asked[-1].text if asked else "nothing"


def write_joke(state: ChatState) -> dict[str, Any]:
    topic = _topic(state)
    text = f"Why did the {topic} cross the road? To get to the other side of the story."
    reply = scripted_model(text, tags=["joke"]).invoke(f"Tell a joke about {topic}")
    return {"joke": reply.content, "messages": [reply]}


def write_poem(state: ChatState) -> dict[str, Any]:
    topic = _topic(state)
    text = f"Roses are red, {topic} is sweet, a streaming poem is hard to beat."
    reply = scripted_model(text, tags=["poem"]).invoke(f"Write a poem about {topic}")
    return {"poem": reply.content, "messages": [reply]}


def critic(state: ChatState) -> dict[str, Any]:
    text = f"The joke about {_topic(state)} works; the poem rhymes."
    reply = scripted_model(text, tags=["review"]).invoke("Review the joke and the poem")
    return {"review": reply.content, "messages": [reply]}


_review = StateGraph(ChatState).add_node(critic).add_edge(START, "critic").compile()

chat = (
    StateGraph(ChatState)
    .add_node(write_joke)
    .add_node(write_poem)
    .add_node("review", _review)
    .add_edge(START, "write_joke")
    .add_edge(START, "write_poem")
    .add_edge(["write_joke", "write_poem"], "review")
    .add_edge("review", END)
    .compile()
)


# --- react: a tool-calling agent from LangChain's own constructor -----------------------------
@tool
def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"It is always sunny in {city}."


def _divide(a: float, b: float) -> float:
    """a divided by b."""
    if b == 0:
        raise ToolException(f"cannot divide {a} by zero")
    return a / b


# handle_tool_error: the failure goes back to the model as a ToolMessage with status "error"
divide = StructuredTool.from_function(_divide, name="divide", handle_tool_error=True)


react = create_agent(
    ToolCallingFakeChatModel(),
    [get_weather, divide],
    system_prompt="You answer with the help of your tools.",
    name="react",
)


# --- custom: data from the stream writer, at the root and in a subgraph -----------------------
class CustomState(TypedDict, total=False):
    topic: str
    progress: int


def custom_node(state: CustomState) -> dict[str, Any]:
    writer = get_stream_writer()
    for percent in (0, 50, 100):
        writer({"progress": percent, "status": f"thinking about {state.get('topic', '')}"})
    writer("plain text from custom_node")
    return {"progress": 100}


def sub_writer(state: CustomState) -> dict[str, Any]:
    get_stream_writer()({"from": "subgraph", "step": "sub_writer"})
    return {}


_custom_sub = StateGraph(CustomState).add_node(sub_writer).add_edge(START, "sub_writer").compile()

custom = (
    StateGraph(CustomState)
    .add_node(custom_node)
    .add_node("custom_sub", _custom_sub)
    .add_edge(START, "custom_node")
    .add_edge("custom_node", "custom_sub")
    .compile()
)


# --- interrupt: human in the loop --------------------------------------------------------------
class ApprovalState(TypedDict, total=False):
    topic: str
    answer: Any
    result: str


def ask(state: ApprovalState) -> dict[str, Any]:
    answer = interrupt(
        {
            "question": f"Publish the piece about {state.get('topic')}?",
            "hint": "resume with yes or no",
        }
    )
    return {"answer": answer}


def finish(state: ApprovalState) -> dict[str, Any]:
    return {"result": f"answer was {state['answer']!r}"}


interrupt_graph = (
    StateGraph(ApprovalState)
    .add_node(ask)
    .add_node(finish)
    .add_edge(START, "ask")
    .add_edge("ask", "finish")
    .compile()
)


# --- error: a node that raises -------------------------------------------------------------------
class ErrorState(TypedDict, total=False):
    topic: str
    ok: bool


def fine(state: ErrorState) -> dict[str, Any]:
    return {"ok": True}


def explode(state: ErrorState) -> dict[str, Any]:
    raise ValueError("boom: the explode node failed on purpose")


error = (
    StateGraph(ErrorState)
    .add_node(fine)
    .add_node(explode)
    .add_edge(START, "fine")
    .add_edge("fine", "explode")
    .compile()
)


# --- slow: paced over several seconds in every mode, for join and cancel ----------------------
class SlowState(TypedDict, total=False):
    topic: str
    delay: float
    tokens: int
    draft: str
    answer: str
    done: bool


async def slow_a(state: SlowState) -> dict[str, Any]:
    delay = state.get("delay", 0.3)
    writer = get_stream_writer()
    writer({"stage": "slow_a", "status": "started"})
    await asyncio.sleep(delay)
    writer({"stage": "slow_a", "status": "finished"})
    return {"draft": f"notes on {state.get('topic', 'nothing')}"}


async def slow_llm(state: SlowState) -> dict[str, Any]:
    count = state.get("tokens", 12)
    words = " ".join(f"word{i}" for i in range(count // 2 + 1))
    text = " ".join(words.split()[: max(1, (count + 1) // 2)])
    model = PacedFakeChatModel(
        messages=iter([AIMessage(content=text)]), delay=state.get("delay", 0.3)
    )
    reply = await model.ainvoke("think slowly")
    return {"answer": reply.content}


async def slow_c(state: SlowState) -> dict[str, Any]:
    await asyncio.sleep(state.get("delay", 0.3))
    return {"done": True}


slow = (
    StateGraph(SlowState)
    .add_node(slow_a)
    .add_node(slow_llm)
    .add_node(slow_c)
    .add_edge(START, "slow_a")
    .add_edge("slow_a", "slow_llm")
    .add_edge("slow_llm", "slow_c")
    .compile()
)


# --- tool_loop: a hand-built agent <-> tools loop (a tool node, conditional edges) ------------
class ReactState(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]


@tool("get_weather")
def canned_weather(city: str) -> str:
    """The weather in a city (a canned answer)."""
    return f"Sunny in {city}, 21 °C."


@tool
def get_time(city: str) -> str:
    """The local time in a city (a canned answer)."""
    return f"It is noon in {city}."


def react_agent(state: ReactState) -> dict[str, Any]:
    """First asks for the weather tool, then answers from its result with streamed tokens."""
    results = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    if not results:
        call = {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_weather"}
        return {"messages": [AIMessage(content="", tool_calls=[call])]}
    reply = scripted_model(f"The tool says: {results[-1].content}").invoke(state["messages"])
    return {"messages": [reply]}


tool_loop = (
    StateGraph(ReactState)
    .add_node("agent", react_agent)
    .add_node("tools", ToolNode([canned_weather, get_time]))
    .add_edge(START, "agent")
    .add_conditional_edges("agent", tools_condition)
    .add_edge("tools", "agent")
    .compile()
)


# --- fanout: Send fans out to parallel runs of a subgraph, then joins -------------------------
class FanoutState(TypedDict, total=False):
    topics: list[str]
    delay: float
    notes: Annotated[list[str], operator.add]
    summary: str


class WorkerState(TypedDict, total=False):
    topic: str
    delay: float
    draft: str
    notes: Annotated[list[str], operator.add]


class WorkerOutput(TypedDict):
    notes: Annotated[list[str], operator.add]  # only this goes back to the parent


async def research(state: WorkerState) -> dict[str, Any]:
    await asyncio.sleep(state.get("delay", 0.2))
    return {"draft": f"facts about {state['topic']}"}


async def write(state: WorkerState) -> dict[str, Any]:
    await asyncio.sleep(state.get("delay", 0.2))
    return {"notes": [f"{state['topic']}: {state['draft']}"]}


_worker = (
    StateGraph(WorkerState, output_schema=WorkerOutput)
    .add_node(research)
    .add_node(write)
    .add_edge(START, "research")
    .add_edge("research", "write")
    .compile()
)


def plan(state: FanoutState) -> dict[str, Any]:
    return {"notes": []}


def fan_out(state: FanoutState) -> list[Send]:
    delay = state.get("delay", 0.2)
    return [Send("worker", {"topic": t, "delay": delay}) for t in state.get("topics", [])]


def summarize(state: FanoutState) -> dict[str, Any]:
    return {"summary": "; ".join(state.get("notes", []))}


fanout = (
    StateGraph(FanoutState)
    .add_node(plan)
    .add_node("worker", _worker)
    .add_node(summarize)
    .add_edge(START, "plan")
    .add_conditional_edges("plan", fan_out, ["worker"])
    .add_edge("worker", "summarize")
    .add_edge("summarize", END)
    .compile()
)

"""Graphs for the fault suite: a paced stream with bursts of same-millisecond events, and
hostile or extreme state, tokens and custom data."""

from __future__ import annotations

import asyncio
import operator
from typing import Annotated, Any, TypedDict

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt


# --- paced: `steps` steps, each writing `burst` custom events at once, then a token reply ---
class PacedState(TypedDict, total=False):
    steps: int
    burst: int
    delay: float
    count: int
    log: Annotated[list[str], operator.add]


async def tick(state: PacedState) -> dict[str, Any]:
    writer = get_stream_writer()
    count = state.get("count", 0) + 1
    for i in range(state.get("burst", 3)):  # published within a millisecond: one shared id
        writer({"step": count, "i": i, "same": "x"})
    for _ in range(2):  # identical parts with the same id: dedupe must count, not collapse
        writer({"step": count, "twin": True})
    await asyncio.sleep(state.get("delay", 0.05))
    return {"count": count, "log": [f"step {count}"]}


def again(state: PacedState) -> str:
    return "tick" if state.get("count", 0) < state.get("steps", 20) else END


paced = (
    StateGraph(PacedState)
    .add_node(tick)
    .add_edge(START, "tick")
    .add_conditional_edges("tick", again, ["tick", END])
    .compile()
)


# --- hostile: one `kind` of extreme input per run --------------------------------------------
UNICODE = "emoji 🧪🦜‍🔥 👩🏽‍💻, RTL שלום עולם مرحبا, NUL [\u0000], line\u2028sep, \ud7ff\ue000"
COLUMNS = (
    "seq", "time", "mode", "namespace", "agent", "node", "step", "changed", "elapsed", "index"
)  # fmt: skip


class HostileState(TypedDict, total=False):
    kind: str
    size: int
    value: Any
    reply: str
    seq: Any
    time: Any
    mode: Any
    namespace: Any
    agent: Any
    node: Any
    step: Any
    changed: Any
    elapsed: Any
    index: Any


def nested(depth: int) -> Any:
    value: Any = "bottom"
    for level in range(depth):
        value = {"level": depth - level, "child": value}
    return value


async def produce(state: HostileState) -> dict[str, Any]:
    kind, size = state.get("kind", "big"), state.get("size", 10_000_000)
    writer = get_stream_writer()
    if kind == "big":
        return {"value": "x" * size}
    if kind == "deep":
        return {"value": nested(size)}
    if kind == "token":
        # one token of `size` characters through a real chat model's streaming path
        model = GenericFakeChatModel(messages=iter([AIMessage(content="y" * size)]))
        chunks = [chunk async for chunk in model.astream("go")]
        return {"reply": "".join(str(c.content) for c in chunks)}
    if kind == "unicode":
        writer({"text": UNICODE})
        model = GenericFakeChatModel(messages=iter([AIMessage(content=UNICODE)]))
        reply = await model.ainvoke("go")
        return {"value": {UNICODE: UNICODE}, "reply": str(reply.content)}
    if kind == "nan":
        writer({"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf"), "ok": 1.5})
        return {"value": [float("nan"), float("inf"), 0.0, -0.0]}
    if kind == "columns":
        return {key: f"state {key}" for key in COLUMNS}
    raise ValueError(f"unknown kind {kind!r}")


def after(state: HostileState) -> dict[str, Any]:
    return {"reply": state.get("reply") or "done"}


hostile = (
    StateGraph(HostileState)
    .add_node(produce)
    .add_node(after)
    .add_edge(START, "produce")
    .add_edge("produce", "after")
    .add_edge("after", END)
    .compile()
)


# --- subtree: the paced graph as a subgraph, for a subtree opened on a narrowed subscription ---
subtree = StateGraph(PacedState).add_node("inner", paced).add_edge(START, "inner").compile()


# --- asking: a subgraph that asks a person (an interrupt below a narrowed depth) ---------------
def _ask(state: PacedState) -> dict[str, Any]:
    answer = interrupt({"question": "go on?"})
    return {"log": [f"answered {answer}"]}


asking = (
    StateGraph(PacedState)
    .add_node(
        "inner", StateGraph(PacedState).add_node("ask", _ask).add_edge(START, "ask").compile()
    )
    .add_edge(START, "inner")
    .compile()
)

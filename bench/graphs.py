"""Benchmark graphs served by the embedded server: firehoses whose size comes from the input.

`tokens` streams `n` LLM tokens through a chat model whose native `_astream` awaits
`asyncio.sleep(0)` per token. langchain-core's `GenericFakeChatModel` has no async stream and
hops to a thread per token (about 5x slower in-process), which would measure the fake model rather
than the streaming path; never awaiting would bunch every event at the end of the run.
`custom` writes `n` small custom events with `get_stream_writer`, yielding to the loop per event.
`document` and `agent` run `n` steps in `values` mode, re-sending the whole state each step: a
2 MB document plus a growing list, and a conversation growing by one message a step.
`subagents` is an agent built of agents: a `delegate` node sends 20 `researcher` subgraphs (each
streaming `n / 20` tokens) in parallel, so every token names one of 20 namespaces.
`toolcalls` makes `n` tool calls: `n / 2` model calls of one AI message with 2 tool calls each,
streamed the way providers stream them (83 chunks per message, so `n=1000` is ~41.5k events).
"""

from __future__ import annotations

import asyncio
import operator
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any, TypedDict

from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.chat_models import generate_from_stream
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolCallChunk,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.types import Send

WORDS = ("lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit")


def token_text(i: int) -> str:
    """The i-th token: a word then a space, so the joined text is readable and ~6 B/token."""
    return WORDS[i % len(WORDS)] + " "


class NativeAsyncFakeChat(BaseChatModel):
    """Streams `n` deterministic tokens; the async path awaits instead of hopping threads."""

    n: int = 100

    @property
    def _llm_type(self) -> str:
        return "native-async-fake"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        text = "".join(token_text(i) for i in range(self.n))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> Iterator[ChatGenerationChunk]:
        for i in range(self.n):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=token_text(i)))
            if run_manager:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk

    async def _astream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        for i in range(self.n):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=token_text(i)))
            if run_manager:
                await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk
            await asyncio.sleep(0)


ARGS_CHARS = 200  # JSON arguments per tool call
ARGS_PIECE = 5  # providers send the arguments in small pieces that carry only the call's index
CALLS_PER_MESSAGE = 2
EVENTS_PER_MESSAGE = CALLS_PER_MESSAGE * (1 + ARGS_CHARS // ARGS_PIECE) + 1  # 83


def calls_for(events: int) -> int:
    """The `toolcalls` input `n` that streams about `events` chunks."""
    return max(1, events // EVENTS_PER_MESSAGE) * CALLS_PER_MESSAGE


def tool_args(message: int, call: int) -> str:
    """The arguments of one call: a JSON object of exactly `ARGS_CHARS` characters."""
    head = f'{{"query": "call {message}-{call}", "note": "'
    filler = "".join(WORDS[(message + i) % len(WORDS)] + " " for i in range(ARGS_CHARS))
    return head + filler[: ARGS_CHARS - len(head) - 2] + '"}'


def tool_call_chunks(message: int) -> list[AIMessageChunk]:
    """One AI message calling `CALLS_PER_MESSAGE` tools, chunked as providers stream it.

    Per call a first chunk with `name`, `id` and `index` (empty arguments), then the JSON
    arguments in `ARGS_PIECE`-character pieces with only the `index`; the finish reason, model
    name and usage on a last chunk (`chunk_position="last"`, so langchain-core adds no empty one).
    """
    chunks = []
    for call in range(CALLS_PER_MESSAGE):
        first = ToolCallChunk(name="search", args="", id=f"call_{message}_{call}", index=call)
        chunks.append(AIMessageChunk(content="", tool_call_chunks=[first]))
        args = tool_args(message, call)
        for start in range(0, len(args), ARGS_PIECE):
            piece = ToolCallChunk(
                name=None, args=args[start : start + ARGS_PIECE], id=None, index=call
            )
            chunks.append(AIMessageChunk(content="", tool_call_chunks=[piece]))
    out = len(chunks)
    chunks.append(
        AIMessageChunk(
            content="",
            response_metadata={"finish_reason": "tool_calls", "model_name": "bench-tool-caller"},
            usage_metadata={"input_tokens": 12, "output_tokens": out, "total_tokens": 12 + out},
            chunk_position="last",
        )
    )
    return chunks


class NativeAsyncToolCaller(BaseChatModel):
    """Streams `tool_call_chunks(message)`; like `NativeAsyncFakeChat`, awaits per chunk."""

    message: int = 0

    @property
    def _llm_type(self) -> str:
        return "native-async-tool-caller"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        return generate_from_stream(self._stream(messages))

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> Iterator[ChatGenerationChunk]:
        for message in tool_call_chunks(self.message):
            yield ChatGenerationChunk(message=message)

    async def _astream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        # langchain-core's streaming path reports each chunk to the callbacks itself (it calls
        # `_astream` without a run manager)
        for message in tool_call_chunks(self.message):
            yield ChatGenerationChunk(message=message)
            await asyncio.sleep(0)


class BenchState(TypedDict, total=False):
    n: int
    done: int


async def llm(state: BenchState) -> dict[str, Any]:
    model = NativeAsyncFakeChat(n=state.get("n", 100))
    message = await model.ainvoke("go")
    return {"done": len(message.content)}


async def write(state: BenchState) -> dict[str, Any]:
    writer = get_stream_writer()
    n = state.get("n", 100)
    for i in range(n):
        writer({"i": i, "t": "x"})
        await asyncio.sleep(0)
    return {"done": n}


async def call_tools(state: BenchState) -> dict[str, Any]:
    calls = 0
    for message in range(state.get("n", 100) // CALLS_PER_MESSAGE):
        reply = await NativeAsyncToolCaller(message=message).ainvoke("go")
        calls += len(reply.tool_calls)
    return {"done": calls}


tokens = StateGraph(BenchState).add_node(llm).add_edge(START, "llm").add_edge("llm", END).compile()
custom = (
    StateGraph(BenchState).add_node(write).add_edge(START, "write").add_edge("write", END).compile()
)


# ---- values-mode memory: the whole state re-sent at every step ----------------------------------
class DocumentState(TypedDict, total=False):
    n: int
    step: int
    doc: str
    items: list[int]


def grow_document(state: DocumentState) -> dict[str, Any]:
    """A 2 MB document set once, and a list growing by 170 ints a step (5,100 after 30)."""
    step = state.get("step", 0) + 1
    items = state.get("items", [])
    out: dict[str, Any] = {"step": step, "items": items + list(range(len(items), step * 170))}
    if step == 1:
        out["doc"] = "".join(WORDS[i % len(WORDS)] + " " for i in range(400_000))[:2_000_000]
    return out


def _again(node: str) -> Any:
    return lambda state: node if state.get("step", 0) < state.get("n", 1) else END


document = (
    StateGraph(DocumentState)
    .add_node(grow_document)
    .add_edge(START, "grow_document")
    .add_conditional_edges("grow_document", _again("grow_document"), ["grow_document", END])
    .compile()
)


class AgentState(TypedDict, total=False):
    n: int
    step: int
    messages: Annotated[list[Any], add_messages]


def agent_step(state: AgentState) -> dict[str, Any]:
    """One message a step, as an agent's conversation grows (~300 characters each)."""
    step = state.get("step", 0) + 1
    text = f"step {step}: " + " ".join(WORDS[(step + i) % len(WORDS)] for i in range(45))
    message = (
        AIMessage(content=text, id=f"m{step}") if step % 2 else HumanMessage(text, id=f"m{step}")
    )
    return {"step": step, "messages": [message]}


agent = (
    StateGraph(AgentState)
    .add_node(agent_step)
    .add_edge(START, "agent_step")
    .add_conditional_edges("agent_step", _again("agent_step"), ["agent_step", END])
    .compile()
)


toolcalls = (
    StateGraph(BenchState)
    .add_node(call_tools)
    .add_edge(START, "call_tools")
    .add_edge("call_tools", END)
    .compile()
)


# ---- an agent built of agents: 20 subagents streaming at once ----------------------------------
SUBAGENTS = 20


class Done(TypedDict, total=False):
    done: int


class TeamState(TypedDict, total=False):
    n: int
    done: Annotated[int, operator.add]  # each subagent adds its tokens


def delegate(state: TeamState) -> list[Send]:
    share = max(state.get("n", SUBAGENTS * 200) // SUBAGENTS, 1)
    return [Send("researcher", {"n": share}) for _ in range(SUBAGENTS)]


_researcher = (
    StateGraph(BenchState, output_schema=Done)
    .add_node(llm)
    .add_edge(START, "llm")
    .add_edge("llm", END)
    .compile()
)
subagents = (
    StateGraph(TeamState)
    .add_node("researcher", _researcher)
    .add_conditional_edges(START, delegate, ["researcher"])
    .add_edge("researcher", END)
    .compile()
)

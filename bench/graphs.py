"""Benchmark graphs served by the embedded server: firehoses whose size comes from the input.

`tokens` streams `n` LLM tokens through a chat model whose native `_astream` awaits
`asyncio.sleep(0)` per token. langchain-core's `GenericFakeChatModel` has no async stream and
hops to a thread per token (about 5x slower in-process), which would measure the fake model rather
than the streaming path; never awaiting would bunch every event at the end of the run.
`custom` writes `n` small custom events with `get_stream_writer`, yielding to the loop per event.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any, TypedDict

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph

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


tokens = StateGraph(BenchState).add_node(llm).add_edge(START, "llm").add_edge("llm", END).compile()
custom = (
    StateGraph(BenchState).add_node(write).add_edge(START, "write").add_edge("write", END).compile()
)

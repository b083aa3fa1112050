"""Chat models that stream deterministic tokens with no network and no API key."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel, generate_from_stream
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolCallChunk,
    ToolMessage,
    UsageMetadata,
)
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langgraph.config import get_config


def scripted_model(text: str, *, tags: list[str] | None = None) -> GenericFakeChatModel:
    """A langchain-core fake model that answers `text` once, split into word and space tokens."""
    model = GenericFakeChatModel(messages=iter([AIMessage(content=text)]))
    return model.with_config(tags=tags or [])  # type: ignore[return-value]


class PacedFakeChatModel(GenericFakeChatModel):
    """GenericFakeChatModel with a pause before each token, in sync and native async paths.

    The stock model's async path hops to a thread per token; this one awaits instead, so the
    server's event loop stays free and the pacing is what the caller asked for.
    """

    delay: float = 0.3

    def _tokens(self) -> list[str]:
        message = next(self.messages)
        text = message.content if isinstance(message, BaseMessage) else str(message)
        return [t for t in re.split(r"(\s)", str(text)) if t]

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        for token in self._tokens():
            time.sleep(self.delay)
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=token))
            if run_manager:
                run_manager.on_llm_new_token(token, chunk=chunk)
            yield chunk

    async def _astream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        for token in self._tokens():
            await asyncio.sleep(self.delay)
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=token))
            if run_manager:
                await run_manager.on_llm_new_token(token, chunk=chunk)
            yield chunk


# --- a tool-calling model that streams like the big providers ----------------------------------
ARGS_PIECE = 5  # providers send tool arguments as JSON text in small pieces


def _plan_calls(question: str, city_given: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The tool calls the scripted model makes for a question: weather, then a division."""
    city = [None, city_given] if city_given else re.search(r"weather in ([A-Z][\w-]*)", question)
    numbers = re.search(r"(\d+) divided by (\d+)", question)
    a, b = (int(numbers[1]), int(numbers[2])) if numbers else (42, 0)
    return [
        ("get_weather", {"city": city[1] if city else "Paris"}),
        ("divide", {"a": a, "b": b}),
    ]


def _answer(results: list[ToolMessage]) -> str:
    parts = []
    for result in results:
        if result.status == "error":
            parts.append(f"The {result.name} tool failed: {result.content}")
        else:
            parts.append(f"{result.name} says: {result.content}")
    return " ".join(parts) or "I have nothing to report."


Turn = str | list[tuple[str, dict[str, Any]]]  # an answer's text, or the tool calls to make


class ProviderLikeChatModel(BaseChatModel):
    """A scripted chat model whose stream has the shape real providers give.

    No network and no key, but what the widgets must get right: per tool call a first chunk
    with `name`, `id` and `index`, then the JSON arguments in ~5-character pieces that carry
    only the `index`; the finish reason and model name on the last chunk; usage split
    Anthropic-style (input tokens on the first chunk, output tokens on the last), so a client
    has to add them up. Subclasses decide each turn from the conversation (`_turn`), so one
    model serves every run of a server without a counter that runs would share.

    The run's `configurable` can set per run: `content_style` (`"blocks"`: Anthropic-style
    content blocks instead of a string: a `thinking` block, `tool_use` blocks grown by
    `input_json_delta` pieces, `text` blocks, all merged by their `index`), `delay` (seconds
    before each chunk, to watch a stream) and `args: "invalid"` (arguments that are not valid
    JSON, as a misbehaving model may stream).
    """

    content_style: str = "string"
    delay: float = 0.0
    model_name: str = "fake-tool-caller"

    @property
    def _llm_type(self) -> str:
        return "tool-calling-fake"

    def bind_tools(self, tools: Any, **kwargs: Any) -> ProviderLikeChatModel:
        return self  # the script names its tools itself

    def _configurable(self) -> dict[str, Any]:
        try:
            return dict(get_config().get("configurable", {}))
        except RuntimeError:  # called outside a graph
            return {}

    def _style(self) -> str:
        return str(self._configurable().get("content_style", self.content_style))

    def _delay(self) -> float:
        return float(self._configurable().get("delay", self.delay))

    def _turn(self, messages: list[BaseMessage]) -> Turn:
        raise NotImplementedError

    def _chunks(self, messages: list[BaseMessage]) -> list[AIMessageChunk]:
        blocks = self._style() == "blocks"
        prompt_tokens = sum(len(m.text.split()) for m in messages)
        turn = self._turn(messages)
        if isinstance(turn, str):
            chunks = _text_chunks(turn, blocks=blocks, index=0)
            finish = "stop"
        else:
            invalid = self._configurable().get("args") == "invalid"
            chunks = _tool_call_chunks(turn, blocks=blocks, invalid=invalid)
            finish = "tool_calls"
        output_tokens = len(chunks)
        chunks[0].usage_metadata = UsageMetadata(
            input_tokens=prompt_tokens, output_tokens=0, total_tokens=prompt_tokens
        )
        chunks.append(
            AIMessageChunk(
                content=[] if blocks else "",
                response_metadata={"finish_reason": finish, "model_name": self.model_name},
                usage_metadata=UsageMetadata(
                    input_tokens=0, output_tokens=output_tokens, total_tokens=output_tokens
                ),
                chunk_position="last",
            )
        )
        return chunks

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        return generate_from_stream(iter(self._stream(messages, stop, run_manager, **kwargs)))

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        delay = self._delay()
        for message in self._chunks(messages):
            time.sleep(delay)
            chunk = ChatGenerationChunk(message=message)
            if run_manager:
                run_manager.on_llm_new_token(message.text, chunk=chunk)
            yield chunk

    async def _astream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        delay = self._delay()
        for message in self._chunks(messages):
            await asyncio.sleep(delay)
            chunk = ChatGenerationChunk(message=message)
            if run_manager:
                await run_manager.on_llm_new_token(message.text, chunk=chunk)
            yield chunk


def since_question(messages: list[BaseMessage]) -> tuple[str, list[BaseMessage]]:
    """The last human message's text and what came after it: what a scripted turn reads."""
    after: list[BaseMessage] = []
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return message.text, after
        after.insert(0, message)
    return "", after


class ToolCallingFakeChatModel(ProviderLikeChatModel):
    """A scripted agent model: first it calls tools (weather, then a division), then it
    answers from their results. `configurable.city` sets the weather call's argument, whatever
    the question says; with `args: "invalid"` the agent stops without calling a tool."""

    def _turn(self, messages: list[BaseMessage]) -> Turn:
        question, after = since_question(messages)
        results = [m for m in after if isinstance(m, ToolMessage)]
        if results:
            return _answer(results)
        return _plan_calls(question, self._configurable().get("city"))


class ScriptedChatModel(ProviderLikeChatModel):
    """A provider-like model whose turns a function decides from the conversation: the text
    to answer, or the `(tool name, args)` calls to make. For agents built of agents, where each
    agent's model follows its own script."""

    script: Callable[[list[BaseMessage]], Turn]

    def _turn(self, messages: list[BaseMessage]) -> Turn:
        return self.script(messages)


def _text_chunks(text: str, *, blocks: bool, index: int) -> list[AIMessageChunk]:
    tokens = [t for t in re.split(r"(\s)", text) if t]
    if not blocks:
        return [AIMessageChunk(content=token) for token in tokens]
    return [
        AIMessageChunk(content=[{"type": "text", "text": token, "index": index}])
        for token in tokens
    ]


def _tool_call_chunks(
    calls: list[tuple[str, dict[str, Any]]], *, blocks: bool, invalid: bool = False
) -> list[AIMessageChunk]:
    chunks: list[AIMessageChunk] = []
    first = 0
    if blocks:  # Anthropic streams its reasoning first, as a block of its own
        for token in [t for t in re.split(r"(\s)", "I need two tools for this.") if t]:
            chunks.append(
                AIMessageChunk(content=[{"type": "thinking", "thinking": token, "index": 0}])
            )
        chunks.append(
            AIMessageChunk(content=[{"type": "thinking", "signature": "c2lnbmVk", "index": 0}])
        )
        first = 1
    for offset, (name, args) in enumerate(calls):
        index = first + offset
        call_id = f"call_{uuid.uuid4().hex[:24]}"
        opening = [{"type": "tool_use", "id": call_id, "name": name, "input": {}, "index": index}]
        chunks.append(
            AIMessageChunk(
                content=opening if blocks else "",
                tool_call_chunks=[ToolCallChunk(name=name, args="", id=call_id, index=index)],
            )
        )
        text = json.dumps(args)
        if invalid:  # a trailing comma and a single-quoted key: not JSON
            text = text[:-1].replace('"', "'", 2) + ",}"
        for start in range(0, len(text), ARGS_PIECE):
            piece = text[start : start + ARGS_PIECE]
            delta = [{"type": "input_json_delta", "partial_json": piece, "index": index}]
            chunks.append(
                AIMessageChunk(
                    content=delta if blocks else "",
                    tool_call_chunks=[ToolCallChunk(name=None, args=piece, id=None, index=index)],
                )
            )
    return chunks

"""Chat models that stream deterministic tokens with no network and no API key."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
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


class ToolCallingFakeChatModel(BaseChatModel):
    """A scripted agent model: first it calls tools, then it answers from their results.

    No network and no key, but the stream has the shape real providers give, which is what the
    widgets must get right: per tool call a first chunk with `name`, `id` and `index`, then the
    JSON arguments in ~5-character pieces that carry only the `index`; the finish reason and
    model name on the last chunk; usage split Anthropic-style (input tokens on the first chunk,
    output tokens on the last), so a client has to add them up.

    `content_style="blocks"` streams Anthropic-style content blocks instead of a string: a
    `thinking` block, `tool_use` blocks grown by `input_json_delta` pieces, `text` blocks, all
    merged by their `index`. The run's `configurable` can set per run: `content_style`,
    `delay` (seconds before each chunk, to watch a stream), `city` (the weather call's argument,
    whatever the question says), and `args: "invalid"` (arguments that are not valid JSON, as a
    misbehaving model may stream: the agent then stops without calling a tool).
    """

    content_style: str = "string"
    delay: float = 0.0
    model_name: str = "fake-tool-caller"

    @property
    def _llm_type(self) -> str:
        return "tool-calling-fake"

    def bind_tools(self, tools: Any, **kwargs: Any) -> ToolCallingFakeChatModel:
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

    def _chunks(self, messages: list[BaseMessage]) -> list[AIMessageChunk]:
        since_question: list[BaseMessage] = []
        for message in reversed(messages):
            if isinstance(message, HumanMessage):
                question = message.text
                break
            since_question.insert(0, message)
        else:
            question = ""
        results = [m for m in since_question if isinstance(m, ToolMessage)]
        blocks = self._style() == "blocks"
        prompt_tokens = sum(len(m.text.split()) for m in messages)
        if results:
            chunks = _text_chunks(_answer(results), blocks=blocks, index=0)
            finish = "stop"
        else:
            options = self._configurable()
            calls = _plan_calls(question, options.get("city"))
            chunks = _tool_call_chunks(
                calls, blocks=blocks, invalid=options.get("args") == "invalid"
            )
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

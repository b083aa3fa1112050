"""Chat models that stream deterministic tokens with no network and no API key."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk


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

"""The only module that calls the SDK's streaming endpoints.

New wire formats (the SDK's v2 parts, the thread-level protocol) should only touch this file.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from langgraph_sdk.client import LangGraphClient


@dataclass
class StreamRequest:
    """What to stream: a new run (`kind="stream"`) or an existing one (`kind="join"`)."""

    kind: str
    thread_id: str | None
    assistant_id: str | None = None
    run_id: str | None = None
    input: Any = None
    stream_mode: str | Sequence[str] | None = "values"
    stream_subgraphs: bool = False
    last_event_id: str | None = None
    cancel_on_disconnect: bool = False
    sdk_kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def modes(self) -> list[str]:
        if self.stream_mode is None:
            return []
        return [self.stream_mode] if isinstance(self.stream_mode, str) else list(self.stream_mode)


def open_parts(
    client: LangGraphClient,
    request: StreamRequest,
    on_run_created: Callable[[dict[str, Any]], None],
) -> AsyncIterator[Any]:
    """Start the HTTP stream; iterate the result to receive SDK parts."""
    if request.kind == "stream":
        return client.runs.stream(
            request.thread_id,
            request.assistant_id,  # type: ignore[arg-type]
            input=request.input,
            stream_mode=request.stream_mode or "values",
            stream_subgraphs=request.stream_subgraphs,
            on_run_created=on_run_created,
            **request.sdk_kwargs,
        )
    modes = request.modes
    # The SDK repeats `stream_mode` in the query for a list and this server reads only one
    # value; a single JSON array is read as the whole list.
    params = {"stream_mode": json.dumps(modes)} if len(modes) > 1 else None
    return client.runs.join_stream(
        request.thread_id,
        request.run_id,  # type: ignore[arg-type]
        stream_mode=(modes[0] if len(modes) == 1 else None),  # type: ignore[arg-type]
        last_event_id=request.last_event_id,
        cancel_on_disconnect=request.cancel_on_disconnect,
        params=params,
    )


# ---- the assistant's graph (other SDK calls a run needs live here too) -----------------------


async def fetch_graph(client: LangGraphClient, assistant_id: str, xray: bool | int) -> Any:
    """The assistant's drawable graph, `{"nodes": [...], "edges": [...]}`; with xray a
    subgraph's nodes come as `parent:child` instead of the subgraph's own node."""
    return await client.assistants.get_graph(assistant_id, xray=xray)


async def assistant_version(client: LangGraphClient, assistant_id: str) -> tuple[str, Any]:
    """`(assistant uuid, version)`: what a cached graph is keyed by. A graph name (`agent`)
    stands for the assistant the server created for that graph."""
    if _is_uuid(assistant_id):
        found: Any = await client.assistants.get(assistant_id)
    else:
        matches = await client.assistants.search(
            graph_id=assistant_id, metadata={"created_by": "system"}, limit=1
        )
        if not matches:
            return assistant_id, None
        found = matches[0]
    return str(found.get("assistant_id") or assistant_id), found.get("version")


async def run_assistant(client: LangGraphClient, thread_id: str, run_id: str) -> str | None:
    """The assistant a run belongs to (a joined run may not say)."""
    found: Any = await client.runs.get(thread_id, run_id)
    return found.get("assistant_id")


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True

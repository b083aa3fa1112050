"""The only module that calls the SDK's streaming endpoints.

New wire formats (the SDK's v2 parts, the thread-level protocol) should only touch this file.

The SDK (0.4.14) reconnects a broken stream by itself, out of sight: up to 5 attempts over ~17 s,
resuming from the last id received (which skips that millisecond's other events), and without
replay for non-resumable runs apart from a `UserWarning` on stderr. A run's task reconnects
instead (`run.task`), so that it can show it, bound it, deduplicate and report gaps: `watch()`
installs two httpx event hooks that, for the SSE requests of the task that set them only,
hide the `Location` header the SDK's reconnect keys on (so a break reaches the task, and the
SDK's warning is never raised), and set the read timeout to the heartbeat timeout (the server
sends a comment every 5 s, which the SDK drops: a read timeout is the one sign of silence).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import httpx
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
    replay: bool | None = None  # joining a thread's active run: replay it (None: if resumable)
    cancel_on_disconnect: bool = False
    sdk_kwargs: dict[str, Any] = field(default_factory=dict)
    reconnect_timeout: float = 30.0  # seconds of reconnect attempts before giving up
    heartbeat_timeout: float | None = 20.0  # seconds without a byte: the connection is dead
    # awaited by the run's task before it streams (a fork writes its values here); what it
    # raises becomes the run's error
    prepare: Callable[[LangGraphClient, StreamRequest], Awaitable[None]] | None = None
    # "runs": `runs.stream`; "agent": the thread-centric Agent Protocol (`run/agent_task.py`),
    # whose options are `since` (the thread's events already seen), `respond` (answers to
    # send with `input.respond` instead of starting a run), `namespaces` and `depth`
    protocol: str = "runs"
    protocol_options: dict[str, Any] = field(default_factory=dict)
    # a compiled graph of this process to stream instead of a server's assistant
    # (`inprocess`); the `prepare` above then gets an `inprocess.GraphClient`
    graph: Any = None

    @property
    def resumable(self) -> bool | None:
        """Whether the server keeps this run's events for replay (None: not known here)."""
        if self.kind == "stream":
            return self.thread_id is not None and bool(self.sdk_kwargs.get("stream_resumable"))
        return None

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


# ---- what a run's task needs from the HTTP layer ------------------------------------------------


@dataclass
class StreamWatch:
    """The settings and callbacks of one run task's SSE requests."""

    heartbeat_timeout: float | None
    on_open: Callable[[], None] | None = None  # a stream answered (2xx headers received)


_watch: ContextVar[StreamWatch | None] = ContextVar("lg_widgets_stream_watch", default=None)


def _is_stream(request: httpx.Request) -> bool:
    return "text/event-stream" in request.headers.get("accept", "")


async def _on_request(request: httpx.Request) -> None:
    watch = _watch.get()
    if watch is None or watch.heartbeat_timeout is None or not _is_stream(request):
        return
    timeout = dict(request.extensions.get("timeout") or {})
    timeout["read"] = watch.heartbeat_timeout
    request.extensions["timeout"] = timeout


async def _on_response(response: httpx.Response) -> None:
    watch = _watch.get()
    if watch is None or not _is_stream(response.request):
        return
    response.headers.pop("location", None)
    if watch.on_open is not None and response.status_code < 400:
        watch.on_open()


def watch(client: LangGraphClient, settings: StreamWatch) -> None:
    """Apply `settings` to the SSE requests the calling task makes with `client` from now on.

    The hooks stay on the client but do nothing outside a task that called `watch`, so a
    client passed in by the user behaves as before for its other calls.
    """
    http = client.http.client
    hooks = http.event_hooks
    if _on_request not in hooks["request"] or _on_response not in hooks["response"]:
        http.event_hooks = {
            "request": [*hooks["request"], _on_request],
            "response": [*hooks["response"], _on_response],
        }
    _watch.set(settings)


# ---- following a thread ----------------------------------------------------------------------

LIFECYCLE_PARAMS = {"stream_modes": "lifecycle"}


async def thread_lifecycle(
    client: LangGraphClient, thread_id: str, last_event_id: str | None = None
) -> AsyncIterator[Any]:
    """The thread-level stream narrowed to its runs' starts and ends: per run a `metadata`
    part `{run_id, attempt}` when it starts and `{status: "run_done", run_id}` when it ends.

    The SDK names the query parameter `stream_mode`, which this server ignores (it reads
    `stream_modes`, and would send every event of every run); the right name goes in `params`,
    beside the SDK's own. The stream never ends by itself; every part has an id to resume from.
    """
    return await client.threads.join_stream(
        thread_id, last_event_id=last_event_id, params=LIFECYCLE_PARAMS
    )


async def thread_record(client: LangGraphClient, thread_id: str) -> dict[str, Any]:
    """The server's record of a thread (NotFoundError when there is none: its thread stream
    would wait forever instead of saying so)."""
    return dict(await client.threads.get(thread_id))


def run_started(part: Any) -> str | None:
    """The run id of a lifecycle part that says a run started, else None."""
    event, data = getattr(part, "event", None), getattr(part, "data", None)
    if event != "metadata" or not isinstance(data, dict) or "status" in data:
        return None
    run_id = data.get("run_id")
    return run_id if isinstance(run_id, str) else None


async def run_record(client: LangGraphClient, thread_id: str, run_id: str) -> dict[str, Any]:
    """The server's record of a run (`kwargs` says its modes and whether it is resumable)."""
    return dict(await client.runs.get(thread_id, run_id))


async def active_run(
    client: LangGraphClient, thread_id: str
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """`pick_active` over the thread's runs."""
    return pick_active(await client.runs.list(thread_id, limit=50))


def pick_active(
    runs: Sequence[Any],
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The running run (else the oldest pending one) of a thread's runs, and the latest run.

    `(None, latest)` when nothing is running or queued; `(None, None)` for a thread with no runs.
    """
    running = [r for r in runs if r.get("status") == "running"]
    pending = sorted(
        (r for r in runs if r.get("status") == "pending"), key=lambda r: r.get("created_at") or ""
    )
    active = (running or pending or [None])[0]
    latest = max(runs, key=lambda r: r.get("created_at") or "", default=None)
    return active, latest


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


# ---- threads: history, state, waiting for idle --------------------------------------------------
async def history_page(
    client: LangGraphClient, thread_id: str, limit: int, before: str | None
) -> list[dict[str, Any]]:
    """One page of a thread's checkpoints, newest first, older than checkpoint `before`."""
    page: Any = await client.threads.get_history(
        thread_id,
        limit=limit,
        before={"configurable": {"checkpoint_id": before}} if before else None,
    )
    return list(page)


async def run_checkpoints(
    client: LangGraphClient, thread_id: str, run_id: str, page: int = 50, pages: int = 10
) -> list[dict[str, Any]]:
    """The thread's history, newest first, down to the checkpoint before the run's first (at
    most `pages` pages): what is needed to tell which checkpoint each of its steps wrote."""
    found: list[dict[str, Any]] = []
    before: str | None = None
    for _ in range(pages):
        entries = await history_page(client, thread_id, page, before)
        found.extend(entries)
        seen = [(e.get("metadata") or {}).get("run_id") == run_id for e in found]
        if len(entries) < page or (any(seen) and not seen[-1]):
            break
        before = entries[-1]["checkpoint"]["checkpoint_id"]
    return found


async def get_state(
    client: LangGraphClient, thread_id: str, checkpoint_id: str | None = None
) -> dict[str, Any]:
    """The thread's state now, or at a checkpoint."""
    found: Any = await client.threads.get_state(thread_id, checkpoint_id=checkpoint_id)
    return dict(found)


async def update_state(
    client: LangGraphClient,
    thread_id: str,
    values: Any,
    *,
    as_node: str | None = None,
    checkpoint_id: str | None = None,
) -> str | None:
    """Write `values` at a checkpoint (a new checkpoint branches off it); returns its id."""
    written: Any = await client.threads.update_state(
        thread_id, values, as_node=as_node, checkpoint_id=checkpoint_id
    )
    return ((written or {}).get("checkpoint") or {}).get("checkpoint_id")


async def thread_status(client: LangGraphClient, thread_id: str) -> str | None:
    """idle, busy, interrupted or error."""
    found: Any = await client.threads.get(thread_id)
    return found.get("status")


async def wait_for_run(client: LangGraphClient, thread_id: str, run_id: str) -> None:
    """Until the run has ended (the server answers when it has)."""
    await client.runs.join(thread_id, run_id)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True

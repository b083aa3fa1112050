"""One clear, actionable sentence for each way a request can fail before or while streaming."""

from __future__ import annotations

import re
from collections.abc import Sequence

import httpx
from langgraph_sdk.errors import (
    APIStatusError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    UnprocessableEntityError,
)

from lg_widgets.secret import redact_url, scrub_url_credentials

KNOWN_STREAM_MODES = (
    "values",
    "updates",
    "messages-tuple",
    "messages",
    "custom",
    "debug",
    "events",
    "tasks",
    "checkpoints",
)


def registered_graphs(message: str) -> list[str]:
    """The graph names listed in the server's 'Invalid assistant' message."""
    match = re.search(r"registered graphs:\s*(.+)", message, re.S)
    return [name.strip() for name in match.group(1).split(",")] if match else []


def describe_failure(
    exc: BaseException,
    *,
    url: str,
    assistant_id: str | None = None,
    thread_id: str | None = None,
    run_id: str | None = None,
    stream_mode: str | Sequence[str] | None = None,
) -> str:
    message = getattr(exc, "message", None) or str(exc) or "the connection was closed or reset"
    message, url = scrub_url_credentials(message, url), redact_url(url)
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return (
            f"Cannot reach a LangGraph server at {url} ({message}). Start the embedded one "
            "with lg_widgets.serve() (%lgserve), or point url= / LANGGRAPH_API_URL at a "
            "running server."
        )
    if isinstance(exc, UnprocessableEntityError):
        if "Invalid assistant" in message:
            graphs = registered_graphs(message)
            have = f" This server has: {', '.join(graphs)}." if graphs else ""
            return f"Unknown assistant {assistant_id!r}.{have}"
        if "is not valid under any of the schemas" in message:
            modes = [stream_mode] if isinstance(stream_mode, str) else list(stream_mode or [])
            bad = [m for m in modes if m not in KNOWN_STREAM_MODES] or modes
            return (
                f"Invalid stream mode {', '.join(map(repr, bad))}. Valid modes: "
                f"{', '.join(KNOWN_STREAM_MODES)}."
            )
        if "Invalid run ID" in message:
            return f"Run id {run_id!r} is not a UUID."
        return f"The server rejected the request (422): {message.splitlines()[0]}"
    if isinstance(exc, BadRequestError) and "hexadecimal UUID" in message:
        return (
            f"Thread id {thread_id!r} is not a UUID. Pass thread_id='new' to create a "
            "thread, None for a stateless run, or the id of an existing thread."
        )
    if isinstance(exc, NotFoundError):
        if thread_id and ("Thread" in message or "thread" in message):
            return (
                f"Thread {thread_id} was not found on {url}. Pass thread_id='new' to create "
                "one, or if_not_exists='create'."
            )
        return (
            f"Not found on {url}: {message}. Check the server URL (it should be the "
            "server's root, as printed by `langgraph dev`)."
        )
    if isinstance(exc, ConflictError):
        return (
            f"Thread {thread_id} is already running a run. Wait for it, join it with "
            "lg_widgets.join(), or pass multitask_strategy='enqueue', 'interrupt' or "
            "'rollback'."
        )
    if isinstance(exc, APIStatusError):
        return f"The server answered {exc.status_code}: {message.splitlines()[0]}"
    if isinstance(exc, httpx.HTTPError):
        return f"The connection to {url} failed while streaming: {type(exc).__name__}: {message}"
    return f"{type(exc).__name__}: {message}"

"""Checks made before a magic starts or joins a run, so that mistakes fail the cell itself.

They use a short-lived blocking client: a magic is synchronous code running inside the kernel's
event loop, and a quick HTTP request is cheaper and safer than re-entering that loop.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx
from langgraph_sdk.client import SyncLangGraphClient
from langgraph_sdk.errors import APIStatusError, NotFoundError, UnprocessableEntityError

from lg_widgets.connection import Connection
from lg_widgets.failures import describe_failure
from lg_widgets.magics import sentences
from lg_widgets.transport import pick_active

_UUID = re.compile(r"[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}")
T = TypeVar("T")
_MISSING = (NotFoundError, UnprocessableEntityError)


def is_uuid(text: str) -> bool:
    return bool(_UUID.fullmatch(text))


@contextmanager
def _client(connection: Connection) -> Iterator[SyncLangGraphClient]:
    client = connection.sync_client(timeout=10.0)
    try:
        yield client
    finally:
        client.close()


def _call(
    connection: Connection,
    request: Callable[[SyncLangGraphClient], T],
    passthrough: tuple[type[Exception], ...] = (),
    **context: Any,
) -> T:
    """Run one request; every failure but `passthrough` becomes the sentence users see."""
    with _client(connection) as client:
        try:
            return request(client)
        except passthrough:
            raise
        except APIStatusError as exc:
            if exc.status_code in (401, 403):
                raise sentences.refused(
                    connection.url, exc.status_code, connection.api_key_env
                ) from None
            raise sentences.server_failure(
                describe_failure(exc, url=connection.url, **context)
            ) from None
        except httpx.HTTPError as exc:
            raise sentences.server_failure(
                describe_failure(exc, url=connection.url, **context)
            ) from None


def server_graphs(connection: Connection) -> list[str]:
    """The graph ids the server has; also proves that it answers and accepts our key."""
    found = _call(connection, lambda c: c.assistants.search(limit=100))
    return sorted({a["graph_id"] for a in found})


def check_assistant(connection: Connection, assistant_id: str) -> None:
    """The assistant exists: a graph id (as `langgraph.json` names it) or an assistant UUID."""
    if is_uuid(assistant_id):
        try:
            _call(
                connection,
                lambda c: c.assistants.get(assistant_id),
                (NotFoundError,),
                assistant_id=assistant_id,
            )
            return
        except NotFoundError:
            pass
    else:
        try:
            search = lambda c: c.assistants.search(graph_id=assistant_id, limit=1)  # noqa: E731
            if _call(connection, search, (NotFoundError,)):
                return
        except NotFoundError:  # "Graph 'x' not found"
            pass
    raise sentences.unknown_assistant(assistant_id, connection.url, server_graphs(connection))


def check_thread(
    connection: Connection,
    thread_id: str,
    *,
    resuming: bool = False,
    multitask_strategy: str | None = None,
) -> dict[str, Any]:
    """The thread exists; if resuming, it waits at an interrupt; if busy, a strategy is given."""
    if not is_uuid(thread_id):
        raise sentences.thread_not_uuid(thread_id)
    try:
        thread = _call(
            connection, lambda c: c.threads.get(thread_id), _MISSING, thread_id=thread_id
        )
    except _MISSING:
        raise sentences.thread_not_found(thread_id, connection.url) from None
    status = thread.get("status")
    if resuming and status != "interrupted":
        raise sentences.nothing_to_resume(thread_id, status)
    if status == "busy" and multitask_strategy in (None, "reject"):
        raise sentences.thread_busy(thread_id)
    return thread


def check_followable(connection: Connection, thread_id: str) -> None:
    """`%lgfollow THREAD`: the thread exists (its stream would wait forever for none)."""
    if not is_uuid(thread_id):
        raise sentences.follow_not_uuid(thread_id)
    try:
        _call(connection, lambda c: c.threads.get(thread_id), _MISSING, thread_id=thread_id)
    except _MISSING:
        raise sentences.nothing_to_follow(thread_id, connection.url) from None


def check_run(connection: Connection, thread_id: str, run_id: str) -> dict[str, Any]:
    """The run exists on that thread; returns it (its kwargs say how it was created)."""
    check_thread(connection, thread_id, multitask_strategy="enqueue")
    if not is_uuid(run_id):
        raise sentences.run_not_uuid(run_id)
    try:
        return _call(connection, lambda c: c.runs.get(thread_id, run_id), _MISSING, run_id=run_id)
    except _MISSING:
        raise sentences.run_not_found(run_id, thread_id, connection.url) from None


def active_run(connection: Connection, thread_id: str) -> dict[str, Any]:
    """`%lgjoin THREAD`: the thread's running (else oldest queued) run, or a sentence saying
    that nothing is running there."""
    check_thread(connection, thread_id, multitask_strategy="enqueue")
    runs = _call(connection, lambda c: c.runs.list(thread_id, limit=50), thread_id=thread_id)
    active, latest = pick_active(runs)
    if active is None:
        raise sentences.nothing_running(thread_id, latest)
    return active

"""Assistants' graphs, fetched once per server, assistant, version and xray for the process.

Ten runs of one assistant fetch its graph once (each asks only for the assistant's version, a
small answer); runs started together share the fetch in flight. Entries are concurrent futures
behind a lock, so runs on different loops (a notebook's, the background one) share them. A
failed fetch is not kept: the next run tries again.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from typing import TYPE_CHECKING, Any

from lg_widgets.failures import describe_graph_failure
from lg_widgets.transport import assistant_version, fetch_graph

if TYPE_CHECKING:
    from langgraph_sdk.client import LangGraphClient

Key = tuple[str, str, Any, "bool | int"]

_graphs: dict[Key, concurrent.futures.Future[Any]] = {}
_lock = threading.Lock()


async def cached_graph(
    client: LangGraphClient, url: str, assistant_id: str, xray: bool | int
) -> Any:
    """The graph `assistants.get_graph(assistant_id, xray=xray)` answers, from the cache when
    this version of the assistant was fetched before. Raises what the fetch raised."""
    try:
        resolved, version = await assistant_version(client, assistant_id)
    except Exception:  # noqa: BLE001 - the graph endpoint may still answer; key by the id
        resolved, version = assistant_id, None
    key: Key = (url, resolved, version, xray)
    with _lock:
        future = _graphs.get(key)
        fetching = future is None
        if future is None:
            future = _graphs[key] = concurrent.futures.Future()
    if not fetching:
        return await asyncio.wrap_future(future)
    try:
        graph = await fetch_graph(client, assistant_id, xray)
    except BaseException as exc:
        with _lock:
            _graphs.pop(key, None)
        if not isinstance(exc, Exception):  # cancelled: a waiting run must not take it as its own
            exc = RuntimeError("the fetch was stopped")
        with contextlib.suppress(concurrent.futures.InvalidStateError):
            future.set_exception(exc)  # runs waiting on this fetch see the same failure
        raise
    future.set_result(graph)
    return graph


async def graph_or_failure(
    client: LangGraphClient, url: str, assistant_id: str, xray: bool | int, timeout: float
) -> tuple[Any, str | None]:
    """`(graph, None)`, or `(None, one sentence saying why there is none)`: a missing graph
    is shown, never raised, since a run or a view must not fail for it."""
    try:
        return await asyncio.wait_for(cached_graph(client, url, assistant_id, xray), timeout), None
    except Exception as exc:  # noqa: BLE001 - every failure becomes the graph panel's note
        return None, describe_graph_failure(exc, assistant_id)


def clear() -> None:
    """Forget every cached graph (the next run of each assistant fetches its graph again)."""
    with _lock:
        _graphs.clear()

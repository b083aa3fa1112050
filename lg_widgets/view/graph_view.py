"""`GraphView`: an assistant's graph without a run (`lg_widgets.graph(assistant_id)`).

A separate widget rather than a RunView showing only its graph panel: a graph alone has no
status, events, timeline or Cancel, and nothing to list in `runs()`, so a RunView would have to
pretend to be a run that never starts. GraphView shares RunView's front-end bundle and its graph
panel (the model says `kind="graph"`), so both draw a graph the same way, from the same cache.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from lg_widgets.failures import describe_graph_failure
from lg_widgets.loops import loop_for_new_run, running_loop
from lg_widgets.reducers.graph import GraphModel
from lg_widgets.run.graph_cache import graph_or_failure
from lg_widgets.streaming import _connection_for  # the same connection rules as stream()
from lg_widgets.view.widget import RunView
from lg_widgets.view.wire import graph_info, jsonable

if TYPE_CHECKING:
    from langgraph_sdk.client import LangGraphClient

    from lg_widgets.connection import Connection

FETCH_TIMEOUT_S = 30.0


class GraphView(anywidget.AnyWidget):
    """The drawn graph of one assistant. `await view` waits until it has been fetched;
    `view.graph_data` is then the same plain data as `run.graph` (without activity)."""

    _esm = RunView._esm
    _css = RunView._css

    kind = traitlets.Unicode("graph").tag(sync=True)
    graph = traitlets.Dict().tag(sync=True)
    """The drawn graph (`wire.GraphInfo`); `{}` until it has been fetched."""

    def __init__(self, assistant_id: str, *, xray: bool | int = True) -> None:
        super().__init__()
        self.assistant_id = assistant_id
        self.xray = xray
        self._model: GraphModel | None = None
        self._fetched: asyncio.Future[Any] | concurrent.futures.Future[Any] | None = None

    def show(self, data: Any = None, *, error: str | None = None) -> None:
        """Draw the server's graph data (or say in one line why there is none)."""
        if error is not None:
            model = GraphModel.unavailable(error, assistant_id=self.assistant_id, xray=self.xray)
        else:
            model = GraphModel.from_server(data, assistant_id=self.assistant_id, xray=self.xray)
        self._model = model
        self.graph = jsonable(graph_info(model))

    @property
    def graph_data(self) -> dict[str, Any] | None:
        """Nodes, subgraphs, edges and note as plain data; None until fetched."""
        return self._model.to_dict({}) if self._model is not None else None

    async def wait(self) -> GraphView:
        if self._fetched is not None:
            if isinstance(self._fetched, concurrent.futures.Future):
                await asyncio.wrap_future(self._fetched)
            else:
                await asyncio.shield(self._fetched)
        return self

    def __await__(self) -> Any:
        return self.wait().__await__()


def show_graph(
    assistant_id: str,
    *,
    xray: bool | int = True,
    client: LangGraphClient | None = None,
    url: str | None = None,
    api_key_env: str | None = None,
) -> GraphView:
    """A `GraphView` at once; its graph is fetched (or taken from the runs' cache) on the
    running loop, else the background one, and drawn when it arrives."""
    connection = _connection_for(client, url, api_key_env)
    view = GraphView(assistant_id, xray=xray)
    loop = loop_for_new_run()
    coroutine = _fetch(view, connection, client)
    if running_loop() is loop:
        view._fetched = loop.create_task(coroutine)
    else:
        view._fetched = asyncio.run_coroutine_threadsafe(coroutine, loop)
    return view


async def _fetch(view: GraphView, connection: Connection, client: LangGraphClient | None) -> None:
    sdk = client
    try:
        sdk = connection.client() if client is None else client
        data, error = await graph_or_failure(
            sdk, connection.url, view.assistant_id, view.xray, FETCH_TIMEOUT_S
        )
    except Exception as exc:  # noqa: BLE001 - the view says why it has no graph
        data, error = None, describe_graph_failure(exc, view.assistant_id)
    finally:
        if client is None and sdk is not None:
            with contextlib.suppress(Exception):
                await sdk.http.client.aclose()
    view.show(data, error=error)

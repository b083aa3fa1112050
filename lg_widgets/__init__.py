"""lg_widgets: live LangGraph runs inside Jupyter, and everything they streamed as Python data.

Public API::

    serve()      start the embedded in-memory LangGraph API server (demo graphs by default)
    connect()    make a deployment the default server (API key read from an env var)
    stream()     start a run and stream it -> Run (a server's assistant, or a compiled
                 graph object streamed in this process with no server)
    join()       join a run that is already going -> Run
    load()       rebuild a saved Run offline
    compare()    align two runs step by step and say what differs -> Comparison
    runs()       every run of this process, in start order
    history()    a thread's checkpoints as a DataFrame (oldest first; graph= for a graph's)
    thread_state()  a thread's state now or at a checkpoint
    run.resume() / run.fork() / run.replay()   the thread goes on: answer interrupts, time travel
    follow()     every run on a thread as it happens, in one view -> Follower
    RunView      the live widget of a run (`run.view()`; displaying a run shows it)
    graph()      an assistant's graph drawn without a run (a GraphView)
    watch()      in marimo: a state of a run's status, so that cells reading it re-run as the
                 run goes on and once it has ended (a run as a cell's value shows its view)

In a notebook, `%load_ext lg_widgets` adds the magics (lg_widgets.magics).
"""

from typing import Any

from lg_widgets.compare import Comparison, compare
from lg_widgets.connection import Connection
from lg_widgets.defaults import connect, current_connection, disconnect, serve
from lg_widgets.errors import (
    LgWidgetsError,
    MissingServerExtra,
    NoServerConfigured,
    ServerStartError,
)
from lg_widgets.events import Event
from lg_widgets.following import Follower, follow
from lg_widgets.run import Run
from lg_widgets.run.registry import runs
from lg_widgets.server import EmbeddedServer
from lg_widgets.storage import load_run as load
from lg_widgets.streaming import join, stream
from lg_widgets.threads import history, thread_state
from lg_widgets.view import display as _display  # noqa: F401 - registers how runs display
from lg_widgets.view.reactive import watch

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """`RunView` and `GraphView` import anywidget and the widget stack only when first used."""
    if name == "RunView":
        from lg_widgets.view.widget import RunView

        return RunView
    if name == "GraphView":
        from lg_widgets.view.graph_view import GraphView

        return GraphView
    raise AttributeError(f"module 'lg_widgets' has no attribute {name!r}")


def graph(
    assistant_id: str,
    *,
    xray: bool | int = True,
    client: Any = None,
    url: str | None = None,
    api_key_env: str | None = None,
) -> Any:
    """Draw an assistant's graph without a run: returns a `GraphView` at once and fetches the
    graph beside it (runs of the same assistant version share the fetch). `await` the view to
    wait for it; `view.graph_data` is then the graph as plain data."""
    from lg_widgets.view.graph_view import show_graph

    return show_graph(assistant_id, xray=xray, client=client, url=url, api_key_env=api_key_env)


def load_ipython_extension(ipython: object) -> None:
    """`%load_ext lg_widgets`: the magics %%lgstream, %lgjoin, %lgfollow, %lgconnect, %lgserve,
    %lgruns."""
    from lg_widgets.magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: object) -> None:
    from lg_widgets.magics import unload_ipython_extension as unload

    unload(ipython)


__all__ = [
    "Comparison",
    "Connection",
    "EmbeddedServer",
    "Event",
    "Follower",
    "GraphView",
    "LgWidgetsError",
    "MissingServerExtra",
    "NoServerConfigured",
    "Run",
    "RunView",
    "ServerStartError",
    "compare",
    "connect",
    "current_connection",
    "disconnect",
    "follow",
    "graph",
    "history",
    "join",
    "load",
    "runs",
    "serve",
    "stream",
    "thread_state",
    "watch",
]

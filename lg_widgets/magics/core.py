"""The magics: thin wrappers that parse a cell, check it, and call the public Python API.

`%%lgstream`, `%lgjoin`, `%lgconnect`, `%lgserve` and `%lgruns`. Defaults live in traitlets so
that `%config LgWidgetsMagics.default_mode = ...` (or an IPython profile) can change them.
"""

from __future__ import annotations

import shlex
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from IPython.core.error import UsageError
from IPython.core.magic import (
    Magics,
    line_cell_magic,
    line_magic,
    magics_class,
    no_var_expand,
)
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import display
from traitlets import Bool, List, Unicode, Union

import lg_widgets
from lg_widgets import defaults
from lg_widgets.connection import Connection
from lg_widgets.errors import MissingServerExtra, NoServerConfigured, ServerStartError
from lg_widgets.magics import inputs, preflight
from lg_widgets.magics.awaiting import awaited_by_cell, wait_blocking
from lg_widgets.run import Run
from lg_widgets.server import EmbeddedServer

_NO_SERVER = (
    "No LangGraph server is configured: run %lgserve to start the embedded one (demo graphs), "
    "%lgconnect URL to use a deployment, pass --url URL, or set LANGGRAPH_API_URL."
)
MULTITASK = ("reject", "interrupt", "rollback", "enqueue")


@dataclass
class _Started:
    """A run started by a magic in this kernel, for `%lgruns`."""

    magic: str
    run: Run
    variable: str | None


def _connection_arguments(func: Any) -> Any:
    func = argument(
        "--api-key-env",
        metavar="NAME",
        help="read the API key from this environment variable (for this cell only)",
    )(func)
    return argument("--url", help="the LangGraph server for this cell only")(func)


def _display_arguments(func: Any) -> Any:
    func = argument("--no-display", action="store_true", help="do not show the run under the cell")(
        func
    )
    func = argument(
        "--no-wait", action="store_true", help="return at once even if %%config default_wait"
    )(func)
    func = argument(
        "--wait",
        action="store_true",
        help="block until the run ends (a top-level await: the widget and Cancel keep working)",
    )(func)
    return argument("-o", "--out", metavar="VAR", help="bind the Run to this variable")(func)


@magics_class
class LgWidgetsMagics(Magics):
    """Stream, join and manage LangGraph runs from notebook cells."""

    default_mode = Union(
        [Unicode(), List(Unicode())],
        default_value="values",
        help="stream mode(s) of %%lgstream when --mode is not given",
    ).tag(config=True)
    default_subgraphs = Bool(False, help="stream subgraphs unless --no-subgraphs").tag(config=True)
    default_wait = Bool(False, help="wait for the end unless --no-wait").tag(config=True)
    default_thread = Unicode(
        "new", help="--thread when not given: new, none (stateless) or a thread id"
    ).tag(config=True)
    url = Unicode(
        None,
        allow_none=True,
        help="server used when no %lgconnect/%lgserve/connect()/serve() was made in this kernel",
    ).tag(config=True)
    api_key_env = Unicode(
        None, allow_none=True, help="environment variable holding the API key for `url`"
    ).tag(config=True)

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self._started: list[_Started] = []
        self._server: EmbeddedServer | None = None

    # ---- %%lgstream -----------------------------------------------------------------------------
    @line_cell_magic
    @no_var_expand
    @magic_arguments()
    @argument("assistant", help="assistant id or graph id (as in langgraph.json)")
    @argument("--thread", metavar="new|none|ID", help="new thread, stateless run, or thread id")
    @argument("--mode", nargs="+", metavar="MODE", help="stream mode(s), several allowed")
    @argument("--subgraphs", action="store_true", help="stream subgraphs too (stream_subgraphs)")
    @argument("--no-subgraphs", action="store_true", help="override %%config default_subgraphs")
    @argument("--config", metavar="JSON", help="the run's config (JSON or a Python expression)")
    @argument("--context", metavar="JSON", help="the run's context (JSON or a Python expression)")
    @argument("--metadata", metavar="JSON", help="the run's metadata (JSON or Python expression)")
    @argument("--checkpoint", metavar="ID", help="start from this checkpoint (checkpoint_id)")
    @argument("--interrupt-before", nargs="+", metavar="NODE", help="nodes to interrupt before")
    @argument("--interrupt-after", nargs="+", metavar="NODE", help="nodes to interrupt after")
    @argument("--resume", metavar="VALUE", help="resume an interrupted thread: Command(resume=...)")
    @argument("--resumable", action="store_true", help="keep events for a later join (replay)")
    @argument("--multitask-strategy", choices=MULTITASK, help="if the thread is busy")
    @argument("--on-disconnect", choices=("cancel", "continue"), help="if the stream is closed")
    @_display_arguments
    @_connection_arguments
    def lgstream(self, line: str, cell: str | None = None) -> Run | None:
        """Start a run of ASSISTANT and stream it; the cell body is the input.

        The body is JSON or a Python expression evaluated in the notebook's namespace; the line
        form `%lgstream ...` (or an empty body) sends no input, as when resuming. The cell
        returns at once with the run shown under it, unless --wait.
        """
        args = _parse(self.lgstream, inputs.expand_variables(line, self.shell.user_ns))
        inputs.check_variable(args.out)
        namespace = self.shell.user_ns
        payload = inputs.parse_input(cell or "", namespace)
        modes = inputs.parse_modes(args.mode or _as_list(self.default_mode))
        thread = self._thread(args.thread)
        kwargs = inputs.runs_stream_kwargs(args, payload, thread, namespace)
        connection, where = self._connection(args.url, args.api_key_env)
        preflight.check_assistant(connection, args.assistant)
        if thread not in (None, "new"):
            preflight.check_thread(
                connection,
                thread,
                resuming=args.resume is not None,
                multitask_strategy=args.multitask_strategy,
            )
        subgraphs = args.subgraphs or (self.default_subgraphs and not args.no_subgraphs)
        run = lg_widgets.stream(
            args.assistant,
            payload,
            thread_id=thread,
            stream_mode=modes,
            stream_subgraphs=subgraphs,
            **where,
            **kwargs,
        )
        return self._started_run("lgstream", run, args)

    # ---- %lgjoin --------------------------------------------------------------------------------
    @line_magic
    @no_var_expand
    @magic_arguments()
    @argument("thread_id", help="the run's thread")
    @argument("run_id", help="the run to join")
    @argument("--replay", action="store_true", help="replay from the start (resumable runs)")
    @argument("--mode", nargs="+", metavar="MODE", help="only these of the run's stream modes")
    @argument("--subgraphs", action="store_true", help="require the run's subgraph events")
    @argument("--cancel-on-disconnect", action="store_true", help="cancel the run if we stop")
    @_display_arguments
    @_connection_arguments
    def lgjoin(self, line: str) -> Run | None:
        """Join a run that is already going (a background run from runs.create, say)."""
        args = _parse(self.lgjoin, inputs.expand_variables(line, self.shell.user_ns))
        inputs.check_variable(args.out)
        modes = inputs.parse_modes(args.mode) if args.mode else None
        connection, where = self._connection(args.url, args.api_key_env)
        info = preflight.check_run(connection, args.thread_id, args.run_id)
        created = info.get("kwargs") or {}
        if args.replay and not created.get("resumable"):
            raise UsageError(
                f"Run {args.run_id} was not created resumable (stream_resumable=True, "
                "--resumable), so nothing can be replayed: join without --replay."
            )
        run_modes = created.get("stream_mode")
        if modes and run_modes:
            run_modes = _as_list(run_modes)
            missing = [m for m in modes if m not in run_modes]
            if missing:
                raise UsageError(
                    f"Run {args.run_id} streams {', '.join(run_modes)}, not "
                    f"{', '.join(missing)}: joining can only narrow the modes it was created with."
                )
        if args.subgraphs and not created.get("subgraphs", True):
            raise UsageError(
                f"Run {args.run_id} was created without stream_subgraphs=True: its subgraph "
                "events cannot be joined."
            )
        run = lg_widgets.join(
            args.thread_id,
            args.run_id,
            stream_mode=modes,
            replay=args.replay,
            cancel_on_disconnect=args.cancel_on_disconnect,
            assistant_id=(info.get("metadata") or {}).get("graph_id") or info.get("assistant_id"),
            **where,
        )
        return self._started_run("lgjoin", run, args)

    # ---- %lgconnect -----------------------------------------------------------------------------
    @line_magic
    @magic_arguments()
    @argument("url", nargs="?", help="the server's root URL; without it, show the connection")
    @argument("--api-key-env", metavar="NAME", help="environment variable holding the API key")
    @argument("--header", action="append", metavar="K=V", help="extra HTTP header (repeatable)")
    def lgconnect(self, line: str) -> None:
        """Make URL the default server for the magics and the Python API."""
        args = _parse(self.lgconnect, line)
        if args.url is None:
            if args.api_key_env or args.header:
                raise UsageError("Give the server URL: %lgconnect URL [--api-key-env NAME].")
            connection, _ = self._connection(None, None)
            print(f"{connection!r}; graphs: {', '.join(preflight.server_graphs(connection))}")
            return
        if args.api_key_env:
            inputs.check_env_set(inputs.check_env_name(args.api_key_env))
        headers = inputs.parse_headers(args.header)
        candidate = defaults.connection_to(args.url, api_key_env=args.api_key_env, headers=headers)
        graphs = preflight.server_graphs(candidate)
        connection = lg_widgets.connect(
            candidate.url, api_key_env=args.api_key_env, headers=headers
        )
        print(f"Connected: {connection!r}; graphs: {', '.join(graphs) or 'none'}")

    # ---- %lgserve -------------------------------------------------------------------------------
    @line_magic
    @magic_arguments()
    @argument("config", nargs="?", help="a langgraph.json (default: the bundled demo graphs)")
    @argument("--port", type=int, help="port (default: a free one)")
    @argument("--stop", action="store_true", help="stop the server %%lgserve started")
    @argument(
        "--reuse",
        action="store_true",
        help="use the current server (e.g. $LANGGRAPH_API_URL) if one answers; else start one",
    )
    def lgserve(self, line: str) -> None:
        """Start the embedded in-memory LangGraph API server and connect to it."""
        args = _parse(self.lgserve, line)
        if args.stop:
            self._stop_server()
            return
        if args.reuse and args.config is None and args.port is None and self._reuse():
            return
        config = Path(args.config).expanduser().resolve() if args.config else None
        server = self._server
        if server is not None and server.running:
            same = config in (None, server.config) and args.port in (None, _port(server.url))
            if same:
                lg_widgets.connect(server)
                print(f"The embedded server is already running at {server.url}.")
                return
            server.stop()
        try:
            server = lg_widgets.serve(config, port=args.port)
        except (MissingServerExtra, FileNotFoundError) as exc:
            raise UsageError(str(exc)) from None
        except ServerStartError as exc:
            raise UsageError(_one_line(exc)) from None
        self._server = server
        graphs = preflight.server_graphs(defaults.connection_to(server.url))
        print(
            f"Embedded LangGraph server at {server.url} (graphs: {', '.join(graphs)}); "
            f"log: {server.log_path}"
        )

    def _reuse(self) -> bool:
        try:
            connection, _ = self._connection(None, None)
            graphs = preflight.server_graphs(connection)
        except UsageError:
            return False
        print(f"Using the LangGraph server at {connection.url} (graphs: {', '.join(graphs)}).")
        return True

    def _stop_server(self) -> None:
        server = self._server
        if server is None or not server.running:
            raise UsageError("No embedded server started by %lgserve is running.")
        server.stop()
        self._server = None
        if defaults.default_server() is server:
            lg_widgets.disconnect()
        print(f"Stopped the embedded server at {server.url}.")

    # ---- %lgruns --------------------------------------------------------------------------------
    @line_magic
    @magic_arguments()
    @argument("--cancel", metavar="N|RUN_ID|all", help="cancel a run (row number or run id)")
    def lgruns(self, line: str) -> pd.DataFrame:
        """The runs of this kernel (magics and Python API) with their status; can cancel one."""
        args = _parse(self.lgruns, line)
        if args.cancel is not None:
            targets = self._select(args.cancel)
            for started in targets:
                started.run.cancel()
            print(f"Cancelling {len(targets)} run(s).")
        return self.runs_frame()

    def runs_frame(self) -> pd.DataFrame:
        now = time.time()
        rows = [
            {
                "magic": s.magic,
                "variable": s.variable,
                "assistant": s.run.assistant_id,
                "status": s.run.status,
                "events": len(s.run.events),
                "seconds": round((s.run.ended_at or now) - s.run.started_at, 2),
                "thread_id": s.run.thread_id,
                "run_id": s.run.run_id,
                "error": s.run.error,
            }
            for s in self._listed()
        ]
        columns = ["magic", "variable", "assistant", "status", "events", "seconds"]
        return pd.DataFrame(rows, columns=[*columns, "thread_id", "run_id", "error"])

    def _listed(self) -> list[_Started]:
        """Every run of the process; runs started from Python show magic `python`."""
        by_magic = {id(s.run): s for s in self._started}
        return [by_magic.get(id(run)) or _Started("python", run, None) for run in lg_widgets.runs()]

    def _select(self, which: str) -> list[_Started]:
        listed = self._listed()
        if which == "all":
            return [s for s in listed if not s.run.done]
        if which.isdigit() and int(which) < len(listed):
            return [listed[int(which)]]
        matches = [s for s in listed if s.run.run_id and s.run.run_id.startswith(which)]
        if len(matches) != 1:
            raise UsageError(
                f"No single run of this kernel matches {which!r}: give a row number of %lgruns "
                "or a run id."
            )
        return matches

    # ---- shared -------------------------------------------------------------------------------
    def wants_wait(self, magic: str, line: str) -> bool:
        """Whether this magic line waits; used by the input transformer before the cell runs."""
        func = {"lgstream": self.lgstream, "lgjoin": self.lgjoin}.get(magic)
        if func is None:
            return False
        args = _parse(func, line)
        return bool(args.wait or (self.default_wait and not args.no_wait))

    def _thread(self, given: str | None) -> str | None:
        thread = given if given is not None else self.default_thread
        return None if thread.lower() == "none" else ("new" if thread.lower() == "new" else thread)

    def _connection(
        self, url: str | None, api_key_env: str | None
    ) -> tuple[Connection, dict[str, Any]]:
        """The server for one cell, and the keyword arguments that make `stream()` use it.

        `--url` wins, then the kernel's connection (%lgconnect, %lgserve, connect(), serve()),
        then `%config LgWidgetsMagics.url`, then $LANGGRAPH_API_URL.
        """
        if api_key_env:
            inputs.check_env_set(inputs.check_env_name(api_key_env))
        if url is None and defaults.default_connection() is None and self.url:
            url, api_key_env = self.url, api_key_env or self.api_key_env
        if url is not None:
            connection = defaults.connection_to(url, api_key_env=api_key_env)
            return connection, {"url": connection.url, "api_key_env": api_key_env}
        try:
            connection = defaults.current_connection(api_key_env=api_key_env)
        except NoServerConfigured as exc:
            stopped = "has stopped" in str(exc)
            raise UsageError(str(exc) if stopped else _NO_SERVER) from None
        if api_key_env:
            return connection, {"url": connection.url, "api_key_env": api_key_env}
        return connection, {}

    def _started_run(self, magic: str, run: Run, args: Any) -> Run | None:
        self._started.append(_Started(magic, run, args.out))
        if args.out:
            self.shell.user_ns[args.out] = run
        if not args.no_display:
            display(run)
        if not (args.wait or (self.default_wait and not args.no_wait)):
            return None
        if awaited_by_cell():
            return run  # the rewritten cell awaits it on the kernel's loop
        wait_blocking(run)
        return None


def _parse(magic: Any, line: str) -> Any:
    """Parse like a POSIX shell: `--config '{"a": 1}'` arrives without its quotes, and a
    trailing `# comment` (natural after `%lgserve`) is not taken for arguments."""
    try:
        argv = shlex.split(line, comments=True, posix=True)
    except ValueError as exc:  # "No closing quotation"
        raise UsageError(f"Cannot split the magic's line: {exc}.") from None
    return magic.parser.parse_args(argv)


def _as_list(modes: str | list[str]) -> list[str]:
    return [modes] if isinstance(modes, str) else list(modes)


def _port(url: str) -> int | None:
    tail = url.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _one_line(exc: ServerStartError) -> str:
    """The start failure's first line plus the log's last line; the full log stays on disk."""
    first, *rest = str(exc).splitlines()
    last = next((line.strip() for line in reversed(rest) if line.strip()), "")
    return f"{first.rstrip(':')}: {last}" if last else first

"""`%%lgstream`, `%lgjoin` and `%lgruns`: thin wrappers that parse a cell, check it, and call the
public Python API.

Defaults live in traitlets so that `%config LgRunMagics.default_mode = ...` (or an IPython
profile) can change them. The runs are listed from `lg_widgets.runs()`, the process's one
registry: a run carries its own `origin`, and the variables holding it are read from the
notebook's namespace when listed, so nothing here can disagree with it.
"""

from __future__ import annotations

import time
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

from lg_widgets import defaults, inprocess
from lg_widgets.errors import LgWidgetsError
from lg_widgets.following import follow
from lg_widgets.magics import inputs, preflight, sentences
from lg_widgets.magics.awaiting import awaited_by_cell, wait_blocking
from lg_widgets.magics.server_magics import LgServerMagics
from lg_widgets.run import Run
from lg_widgets.run.registry import runs
from lg_widgets.streaming import AGENT_RUN_ARGUMENTS, join, stream
from lg_widgets.view.sync import PYTHON_ORIGIN

MULTITASK = ("reject", "interrupt", "rollback", "enqueue")

RUNS_COLUMNS = (
    "origin",
    "variable",
    "assistant",
    "status",
    "events",
    "seconds",
    "thread_id",
    "run_id",
    "error",
)


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
class LgRunMagics(Magics):
    """Stream, join, list and cancel LangGraph runs from notebook cells."""

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

    def __init__(self, shell: Any = None, *, servers: LgServerMagics, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self.servers = servers

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
    @argument(
        "--protocol",
        choices=("runs", "agent"),
        default="runs",
        help="runs.stream (runs), or the thread-centric Agent Protocol (agent: every channel)",
    )
    @argument(
        "--namespaces",
        nargs="+",
        metavar="NS",
        help="--protocol agent: namespace prefixes to subscribe to, with the root (a|b:id)",
    )
    @argument("--depth", type=int, metavar="N", help="--protocol agent: how deep below them")
    @_display_arguments
    @_connection_arguments
    def lgstream(self, line: str, cell: str | None = None) -> Run | None:
        """Start a run of ASSISTANT and stream it; the cell body is the input.

        The body is JSON or a Python expression evaluated in the notebook's namespace; the line
        form `%lgstream ...` (or an empty body) sends no input, as when resuming. The cell
        returns at once with the run shown under it, unless --wait.
        """
        namespace = self.shell.user_ns
        args = inputs.parse_line(self.lgstream, inputs.expand_variables(line, namespace))
        inputs.check_variable(args.out)
        payload = inputs.parse_input(cell or "", namespace)
        modes = inputs.parse_modes(args.mode or inputs.as_list(self.default_mode))
        if inprocess.meant_as_graph(namespace.get(args.assistant)):  # streamed here, no server
            return self._stream_graph(args, namespace[args.assistant], payload, modes, cell)
        thread = self._thread(args.thread)
        kwargs = inputs.runs_stream_kwargs(args, payload, thread, namespace)
        try:
            connection, where = self.servers.cell_connection(args.url, args.api_key_env)
        except UsageError as exc:
            if defaults.default_connection() is not None or args.url:
                raise
            raise sentences.neither_graph_nor_assistant(args.assistant, str(exc)) from None
        preflight.check_assistant(connection, args.assistant)
        if thread not in (None, "new"):
            preflight.check_thread(
                connection,
                thread,
                resuming=args.resume is not None,
                multitask_strategy=args.multitask_strategy,
            )
        subgraphs = args.subgraphs or (self.default_subgraphs and not args.no_subgraphs)
        narrowed = {"namespaces": args.namespaces, "depth": args.depth}
        if args.protocol == "agent":
            agent_only = {k: v for k, v in kwargs.items() if k in AGENT_RUN_ARGUMENTS}
            if len(agent_only) != len(kwargs) or args.mode:
                raise sentences.agent_protocol_options(sorted(set(kwargs) - set(agent_only)))
            try:
                run = stream(args.assistant, payload, thread_id=thread, protocol="agent",
                             **where, **narrowed, **agent_only)  # fmt: skip
            except ValueError as exc:  # a negative depth
                raise sentences.stream_refused(str(exc)) from None
            return self._hand_over("%lgstream" if cell is None else "%%lgstream", run, args)
        if args.namespaces is not None or args.depth is not None:
            raise sentences.narrowing_needs_agent_protocol()
        run = stream(
            args.assistant,
            payload,
            thread_id=thread,
            stream_mode=modes,
            stream_subgraphs=subgraphs,
            **where,
            **kwargs,
        )
        return self._hand_over("%lgstream" if cell is None else "%%lgstream", run, args)

    def _stream_graph(
        self, args: Any, graph: Any, payload: Any, modes: list[str], cell: str | None
    ) -> Run | None:
        """`%%lgstream graph` where `graph` is a variable holding a compiled graph."""
        problem = inprocess.graph_problem(graph)
        if problem is not None:
            raise sentences.not_a_graph(args.assistant, problem)
        if args.url or args.api_key_env:
            raise sentences.graph_needs_no_server(args.assistant)
        thread = self._thread(args.thread)
        if args.thread is None and not inprocess.has_checkpointer(graph):
            thread = None  # the default "new" asks for a thread only a checkpointer keeps
        kwargs = inputs.runs_stream_kwargs(args, payload, thread, self.shell.user_ns)
        for server_only in ("multitask_strategy", "on_disconnect", "stream_resumable"):
            kwargs.pop(server_only, None)
        subgraphs = args.subgraphs or (self.default_subgraphs and not args.no_subgraphs)
        try:
            run = stream(
                graph,
                payload,
                thread_id=thread,
                stream_mode=modes,
                stream_subgraphs=subgraphs,
                protocol=args.protocol,  # refused with a sentence: they choose how servers stream
                namespaces=args.namespaces,
                depth=args.depth,
                **kwargs,
            )
        except (TypeError, ValueError, LgWidgetsError) as exc:
            raise sentences.stream_refused(str(exc)) from None
        return self._hand_over("%lgstream" if cell is None else "%%lgstream", run, args)

    # ---- %lgjoin --------------------------------------------------------------------------------
    @line_magic
    @no_var_expand
    @magic_arguments()
    @argument("thread_id", help="the run's thread")
    @argument("run_id", nargs="?", help="the run to join (default: the thread's active run)")
    @argument("--replay", action="store_true", help="replay from the start (resumable runs)")
    @argument("--mode", nargs="+", metavar="MODE", help="only these of the run's stream modes")
    @argument("--subgraphs", action="store_true", help="require the run's subgraph events")
    @argument("--cancel-on-disconnect", action="store_true", help="cancel the run if we stop")
    @_display_arguments
    @_connection_arguments
    def lgjoin(self, line: str) -> Run | None:
        """Join a run that is already going (a background run from runs.create, say), or the
        thread's active run (after a kernel restart, say), replayed when it is resumable."""
        args = inputs.parse_line(self.lgjoin, inputs.expand_variables(line, self.shell.user_ns))
        inputs.check_variable(args.out)
        modes = inputs.parse_modes(args.mode) if args.mode else None
        connection, where = self.servers.cell_connection(args.url, args.api_key_env)
        if args.run_id is None:
            info = preflight.active_run(connection, args.thread_id)
            args.run_id = info["run_id"]
            args.replay = args.replay or bool((info.get("kwargs") or {}).get("resumable"))
        else:
            info = preflight.check_run(connection, args.thread_id, args.run_id)
        created = info.get("kwargs") or {}
        if args.replay and not created.get("resumable"):
            raise sentences.not_resumable(args.run_id)
        run_modes = created.get("stream_mode")
        if modes and run_modes:
            run_modes = inputs.as_list(run_modes)
            missing = [m for m in modes if m not in run_modes]
            if missing:
                raise sentences.modes_not_joinable(args.run_id, run_modes, missing)
        if args.subgraphs and not created.get("subgraphs", True):
            raise sentences.no_subgraphs_to_join(args.run_id)
        run = join(
            args.thread_id,
            args.run_id,
            stream_mode=modes,
            replay=args.replay,
            cancel_on_disconnect=args.cancel_on_disconnect,
            assistant_id=(info.get("metadata") or {}).get("graph_id") or info.get("assistant_id"),
            **where,
        )
        return self._hand_over("%lgjoin", run, args)

    # ---- %lgfollow ------------------------------------------------------------------------------
    @line_magic
    @no_var_expand
    @magic_arguments()
    @argument("thread_id", help="the thread to follow")
    @argument("-o", "--out", metavar="VAR", help="bind the Follower to this variable")
    @argument("--no-display", action="store_true", help="do not show the view under the cell")
    @_connection_arguments
    def lgfollow(self, line: str) -> None:
        """Show every run on a thread as it happens, whoever starts it (another process, a chat
        UI, a cell), in one view that goes on from run to run; VAR.stop() stops following."""
        args = inputs.parse_line(self.lgfollow, inputs.expand_variables(line, self.shell.user_ns))
        inputs.check_variable(args.out)
        connection, where = self.servers.cell_connection(args.url, args.api_key_env)
        preflight.check_followable(connection, args.thread_id)
        follower = follow(args.thread_id, **where)
        if args.out:
            self.shell.user_ns[args.out] = follower
        if not args.no_display:
            display(follower)

    # ---- %lgruns --------------------------------------------------------------------------------
    @line_magic
    @magic_arguments()
    @argument("--cancel", metavar="N|RUN_ID|all", help="cancel a run (row number or run id)")
    def lgruns(self, line: str) -> pd.DataFrame:
        """Every run of this kernel (magics and Python API) with its status; can cancel one."""
        args = inputs.parse_line(self.lgruns, line)
        if args.cancel is not None:
            targets = _select(runs(), args.cancel)
            for run in targets:
                run.cancel()
            print(sentences.cancelling(len(targets)))
        return self.runs_frame()

    def runs_frame(self) -> pd.DataFrame:
        """One row per run of `lg_widgets.runs()`, in start order (the row numbers of --cancel)."""
        now = time.time()
        variables = self._variables()
        rows = [
            {
                "origin": run.origin or PYTHON_ORIGIN,
                "variable": variables.get(id(run)),
                "assistant": run.assistant_id,
                "status": run.status,
                "events": len(run.events),
                "seconds": round((run.ended_at or now) - run.started_at, 2),
                "thread_id": run.thread_id,
                "run_id": run.run_id,
                "error": run.error,
            }
            for run in runs()
        ]
        return pd.DataFrame(rows, columns=list(RUNS_COLUMNS))

    def _variables(self) -> dict[int, str]:
        """The notebook's names of each run now (`-o VAR` or a plain assignment), by run id.

        Read when listed rather than remembered at start: a name rebound since then no longer
        holds the run and is not shown.
        """
        names: dict[int, list[str]] = {}
        for name, value in self.shell.user_ns.items():
            if isinstance(value, Run) and not name.startswith("_"):
                names.setdefault(id(value), []).append(name)
        return {key: ", ".join(sorted(found)) for key, found in names.items()}

    # ---- shared -------------------------------------------------------------------------------
    def wants_wait(self, magic: str, line: str) -> bool:
        """Whether this magic line waits; used by the input transformer before the cell runs."""
        func = {"lgstream": self.lgstream, "lgjoin": self.lgjoin}.get(magic)
        if func is None:
            return False
        args = inputs.parse_line(func, line)
        return bool(args.wait or (self.default_wait and not args.no_wait))

    def _thread(self, given: str | None) -> str | None:
        thread = given if given is not None else self.default_thread
        return None if thread.lower() == "none" else ("new" if thread.lower() == "new" else thread)

    def _hand_over(self, origin: str, run: Run, args: Any) -> Run | None:
        """Label, bind and show the run; then return, wait for it, or let the cell await it."""
        run.origin = origin
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


def _select(runs: list[Run], which: str) -> list[Run]:
    """The runs `%lgruns --cancel` means: `all` running ones, a row number, or a run id prefix."""
    if which == "all":
        return [run for run in runs if not run.done]
    if which.isdigit() and int(which) < len(runs):
        return [runs[int(which)]]
    matches = [run for run in runs if run.run_id and run.run_id.startswith(which)]
    if len(matches) != 1:
        raise sentences.no_single_run(which)
    return matches

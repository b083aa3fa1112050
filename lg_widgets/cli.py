"""`lg-widgets` console command: start the embedded server and open the quickstart notebook.

`lg-widgets demo` serves the demo graphs and opens JupyterLab on `notebooks/quickstart.ipynb`;
the lab and its kernels get `LANGGRAPH_API_URL` and the server's secret, so the notebook's
`%lgserve --reuse` finds the server and is let in. `lg-widgets demo --terminal` streams one run
to the terminal instead.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from lg_widgets.defaults import child_environment, serve
from lg_widgets.events import Event
from lg_widgets.run import Run
from lg_widgets.streaming import stream

QUICKSTART = Path("notebooks") / "quickstart.ipynb"


def _print_event(run: Run, event: Event | None) -> None:
    if event is None:
        return
    where = f" [{event.namespace_str}]" if event.namespace else ""
    print(f"{event.seq:>4} {event.mode}{where}: {json.dumps(event.data, default=repr)}", flush=True)


def stream_to_terminal(assistant_id: str, payload: dict, modes: list[str]) -> int:
    """Stream one run of the embedded demo server to stdout; exit status 0 on success."""
    with serve() as server:
        print(f"embedded LangGraph server at {server.url}", flush=True)
        run = stream(assistant_id, payload, thread_id="new", stream_mode=modes)
        run.on_change(_print_event)
        run.wait_sync()
        print(f"status: {run.status}" + (f" ({run.error})" if run.error else ""))
        print(f"final state: {json.dumps(run.values)}")
        return 0 if run.status == "success" else 1


def find_notebook(given: str | None) -> Path:
    """The notebook to open: as given, else the quickstart of this checkout."""
    candidates = (
        [Path(given)]
        if given
        else [Path.cwd() / QUICKSTART, Path(__file__).resolve().parents[1] / QUICKSTART]
    )
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    raise SystemExit(
        f"lg-widgets demo: {candidates[0]} not found. Run it from a clone of the repository "
        "(./scripts/demo) or pass --notebook PATH."
    )


def open_lab(notebook: Path, *, server_port: int | None, lab_args: list[str]) -> int:
    """Serve the demo graphs, then run JupyterLab on `notebook` until it exits or Ctrl-C."""
    if importlib.util.find_spec("jupyterlab") is None:
        raise SystemExit(
            "lg-widgets demo: JupyterLab is not installed: pip install 'lg-widgets[notebook]' "
            "(or ./scripts/setup)."
        )
    with serve(port=server_port) as server:
        print(f"embedded LangGraph server at {server.url} (log: {server.log_path})", flush=True)
        # Kernels inherit the lab's environment: this is how the notebook finds the server (its
        # URL, and the secret it requires).
        env = {**os.environ, **child_environment(server)}
        command = [sys.executable, "-m", "jupyterlab", str(notebook), *lab_args]
        lab = subprocess.Popen(command, env=env, cwd=notebook.parent)
        try:
            return lab.wait()
        except KeyboardInterrupt:
            lab.send_signal(signal.SIGTERM)  # a clean shutdown, without the lab's y/n prompt
            try:
                return lab.wait(30)
            except subprocess.TimeoutExpired:
                lab.kill()
                return lab.wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="lg-widgets", description="Live LangGraph runs inside Jupyter."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo",
        help="serve the demo graphs and open JupyterLab on the quickstart notebook",
        description="Start the embedded LangGraph server with the demo graphs and open "
        "JupyterLab on notebooks/quickstart.ipynb. Options not listed here go to JupyterLab "
        "(e.g. --ServerApp.token=...).",
    )
    demo.add_argument("--terminal", action="store_true", help="stream one run to this terminal")
    demo.add_argument("--no-browser", action="store_true", help="do not open a browser")
    demo.add_argument("--port", type=int, help="JupyterLab's port (default: its own choice)")
    demo.add_argument("--ip", help="JupyterLab's address (default: localhost)")
    demo.add_argument("--server-port", type=int, help="the LangGraph server's port (default: free)")
    demo.add_argument("--notebook", help="the notebook to open (default: the quickstart)")
    demo.add_argument("--assistant", default="agent", help="with --terminal: graph to run")
    demo.add_argument("--input", default='{"topic": "ice cream"}', help="with --terminal: JSON")
    demo.add_argument("--mode", nargs="+", default=["updates"], help="with --terminal: modes")
    args, lab_args = parser.parse_known_args(argv)
    if args.terminal:
        if lab_args:
            parser.error(f"unrecognized arguments: {' '.join(lab_args)}")
        try:
            payload = json.loads(args.input)
        except json.JSONDecodeError as exc:
            parser.error(f"--input is not JSON: {exc}")
        return stream_to_terminal(args.assistant, payload, args.mode)
    if args.no_browser:
        lab_args.append("--no-browser")
    if args.port is not None:
        lab_args.append(f"--port={args.port}")
    if args.ip is not None:
        lab_args.append(f"--ip={args.ip}")
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in lab_args:
        lab_args.append("--allow-root")  # containers often run as root; the lab refuses otherwise
    return open_lab(find_notebook(args.notebook), server_port=args.server_port, lab_args=lab_args)


if __name__ == "__main__":
    sys.exit(main())

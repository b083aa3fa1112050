"""`lg-widgets` console command: start the embedded server and show a run."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

import lg_widgets
from lg_widgets.events import Event
from lg_widgets.run import Run


def _print_event(run: Run, event: Event | None) -> None:
    if event is None:
        return
    where = f" [{event.namespace_str}]" if event.namespace else ""
    print(f"{event.seq:>4} {event.mode}{where}: {json.dumps(event.data, default=repr)}", flush=True)


def stream_to_terminal(assistant_id: str, payload: dict, modes: list[str]) -> int:
    """Stream one run of the embedded demo server to stdout; exit status 0 on success."""
    with lg_widgets.serve() as server:
        print(f"embedded LangGraph server at {server.url}", flush=True)
        run = lg_widgets.stream(assistant_id, payload, thread_id="new", stream_mode=modes)
        run.on_change(_print_event)
        run.wait_sync()
        print(f"status: {run.status}" + (f" ({run.error})" if run.error else ""))
        print(f"final state: {json.dumps(run.values)}")
        return 0 if run.status == "success" else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lg-widgets", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="serve the demo graphs and stream the joke graph")
    demo.add_argument(
        "--terminal", action="store_true", help="stream to this terminal (the only demo for now)"
    )
    demo.add_argument("--assistant", default="agent")
    demo.add_argument("--input", default='{"topic": "ice cream"}', help="run input as JSON")
    demo.add_argument("--mode", nargs="+", default=["updates"], help="stream mode(s)")
    args = parser.parse_args(argv)
    try:
        payload = json.loads(args.input)
    except json.JSONDecodeError as exc:
        parser.error(f"--input is not JSON: {exc}")
    return stream_to_terminal(args.assistant, payload, args.mode)


if __name__ == "__main__":
    sys.exit(main())

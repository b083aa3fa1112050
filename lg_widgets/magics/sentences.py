"""Every sentence the magics show a user, so that their wording is reviewed in one place.

Mistakes are `UsageError`s (IPython shows them as one line, without a traceback): each function
named after a situation returns the exception for the caller to raise. Printed lines are
functions returning the text. Argument help stays with each option's declaration, where argparse
needs it; sentences that other lg_widgets modules write (server start failures, unreachable
servers) are passed on as they are, or adapted here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from IPython.core.error import UsageError

from lg_widgets.secret import redact_url

_NO_SERVER = (
    "No LangGraph server is configured: run %lgserve to start the embedded one (demo graphs), "
    "%lgconnect URL to use a deployment, pass --url URL, or set LANGGRAPH_API_URL."
)


def _listed(names: Iterable[str]) -> str:
    return ", ".join(names)


def passed_on(message: str) -> UsageError:
    """A sentence written for users elsewhere in lg_widgets (a missing langgraph.json, say)."""
    return UsageError(message)


# ---- the magic line and the cell body -----------------------------------------------------------
def cannot_split(reason: ValueError) -> UsageError:
    return UsageError(f"Cannot split the magic's line: {reason}.")


def no_attribute(expression: str, type_name: str, attribute: str) -> UsageError:
    return UsageError(f"${expression}: {type_name} has no attribute {attribute!r}.")


def neither_json_nor_python(
    what: str, json_error: str, syntax: str, line: int | None
) -> UsageError:
    return UsageError(
        f"{what} is neither JSON ({json_error}) nor a Python expression ({syntax}, line {line})."
    )


def expression_raised(what: str, error: Exception) -> UsageError:
    return UsageError(f"{what} raised {type(error).__name__}: {error}")


def not_a_dict(option: str, value: object) -> UsageError:
    return UsageError(
        f"{option} must be a JSON object or a Python dict, not {type(value).__name__}."
    )


def unknown_modes(unknown: Sequence[str], known: Sequence[str]) -> UsageError:
    return UsageError(
        f"Unknown stream mode {_listed(map(repr, unknown))}. Valid modes: {_listed(known)}."
    )


def bad_header() -> UsageError:
    # the pair is not echoed: headers often carry credentials
    return UsageError("--header takes NAME=VALUE, one pair per --header.")


def not_an_env_name() -> UsageError:
    # the value is not echoed: it may be the key itself
    return UsageError(
        "--api-key-env takes the NAME of an environment variable (like LANGSMITH_API_KEY), "
        "not the key itself; set the key in the environment before starting Jupyter."
    )


def env_not_set(name: str) -> UsageError:
    return UsageError(
        f"The environment variable {name} is not set in this kernel: set it before starting "
        "Jupyter (never in the notebook), or pick another with --api-key-env."
    )


def not_a_variable(name: str) -> UsageError:
    return UsageError(f"-o/--out needs a Python variable name, got {name!r}.")


def context_and_configurable() -> UsageError:
    return UsageError(
        "Pass --context or a config with 'configurable', not both (the server refuses "
        "it: context replaces configurable)."
    )


def resume_with_body() -> UsageError:
    return UsageError("--resume sends a Command: leave the cell body empty.")


def resume_needs_thread() -> UsageError:
    return UsageError("--resume needs --thread ID, the thread waiting at the interrupt.")


def checkpoint_needs_thread() -> UsageError:
    return UsageError("--checkpoint needs --thread ID, the thread it belongs to.")


# ---- the server ---------------------------------------------------------------------------------
def no_server(detail: str, *, stopped: bool) -> UsageError:
    """`detail` is the connection module's own sentence, kept when it says the server stopped."""
    return UsageError(detail if stopped else _NO_SERVER)


def refused(url: str, status: int, api_key_env: str | None) -> UsageError:
    key = f"the key in ${api_key_env}" if api_key_env else "the API key (pass --api-key-env NAME)"
    return UsageError(
        f"The server at {redact_url(url)} refused the request ({status}): check {key}."
    )


def server_failure(description: str) -> UsageError:
    """The failure as `failures.describe_failure` tells it, with the magic for the remedy."""
    return UsageError(description.replace("lg_widgets.serve() (%lgserve)", "%lgserve"))


def neither_graph_nor_assistant(name: str, no_server: str) -> UsageError:
    return UsageError(
        f"{no_server} No variable of this notebook is named {name!r} either (a compiled graph "
        "there streams with no server)."
    )


def not_a_graph(name: str, problem: str) -> UsageError:
    return UsageError(f"%%lgstream {name}: the variable {name!r} is not a graph. {problem}")


def graph_needs_no_server(name: str) -> UsageError:
    return UsageError(
        f"{name} is a graph of this notebook, streamed here: --url and --api-key-env are for "
        "a server's assistants."
    )


def unknown_assistant(assistant_id: str, url: str, graphs: Sequence[str]) -> UsageError:
    have = f" This server has: {_listed(graphs)}." if graphs else " This server has none."
    return UsageError(
        f"Unknown assistant {assistant_id!r} on {redact_url(url)}.{have} No variable of "
        "this notebook has that name either (a compiled graph there is streamed in-process)."
    )


def thread_not_uuid(thread_id: str) -> UsageError:
    return UsageError(
        f"Thread id {thread_id!r} is not a UUID: use --thread new, --thread none "
        "(stateless) or the id of an existing thread."
    )


def thread_not_found(thread_id: str, url: str) -> UsageError:
    return UsageError(
        f"Thread {thread_id} was not found on {redact_url(url)}: use --thread new to create one."
    )


def follow_not_uuid(thread_id: str) -> UsageError:
    return UsageError(
        f"Thread id {thread_id!r} is not a UUID: %lgfollow takes the id of an existing thread "
        "(run.thread_id, or the thread_id column of %lgruns)."
    )


def nothing_to_follow(thread_id: str, url: str) -> UsageError:
    return UsageError(
        f"Thread {thread_id} was not found on {redact_url(url)}: follow a thread that exists "
        "there (run.thread_id, or --url for another server)."
    )


def nothing_to_resume(thread_id: str, status: object) -> UsageError:
    return UsageError(
        f"Thread {thread_id} is not waiting at an interrupt (status: {status}): there is "
        "nothing to --resume."
    )


def thread_busy(thread_id: str) -> UsageError:
    return UsageError(
        f"Thread {thread_id} is busy with another run: join it with %lgjoin, or pass "
        "--multitask-strategy enqueue, interrupt or rollback."
    )


def run_not_uuid(run_id: str) -> UsageError:
    return UsageError(f"Run id {run_id!r} is not a UUID.")


def run_not_found(run_id: str, thread_id: str, url: str) -> UsageError:
    return UsageError(
        f"Run {run_id} was not found on thread {thread_id} ({redact_url(url)}): "
        "%lgruns lists the runs of this kernel."
    )


# ---- %lgjoin ------------------------------------------------------------------------------------
def nothing_running(thread_id: str, latest: Mapping[str, Any] | None) -> UsageError:
    if latest is None:
        return UsageError(f"Nothing to join: thread {thread_id} has no runs.")
    return UsageError(
        f"Nothing is running on thread {thread_id}: its latest run {latest['run_id']} ended "
        f"{latest.get('status')}. %lgjoin {thread_id} {latest['run_id']} --replay replays it "
        "if it was created resumable."
    )


def not_resumable(run_id: str) -> UsageError:
    return UsageError(
        f"Run {run_id} was not created resumable (stream_resumable=True, --resumable), so "
        "nothing can be replayed: join without --replay."
    )


def modes_not_joinable(run_id: str, run_modes: Sequence[str], missing: Sequence[str]) -> UsageError:
    return UsageError(
        f"Run {run_id} streams {_listed(run_modes)}, not {_listed(missing)}: joining can only "
        "narrow the modes it was created with."
    )


def no_subgraphs_to_join(run_id: str) -> UsageError:
    return UsageError(
        f"Run {run_id} was created without stream_subgraphs=True: its subgraph events cannot "
        "be joined."
    )


# ---- --wait -------------------------------------------------------------------------------------
def interrupted(run_id: str | None, status: str) -> KeyboardInterrupt:
    which = f"run {run_id}" if run_id else "the run (not started yet)"
    return KeyboardInterrupt(
        f"Interrupted: {which} was cancelled on the server (status: {status})."
    )


# ---- %lgruns ------------------------------------------------------------------------------------
def cancelling(count: int) -> str:
    return f"Cancelling {count} run(s)."


def no_single_run(which: str) -> UsageError:
    return UsageError(
        f"No single run of this kernel matches {which!r}: give a row number of %lgruns or a run id."
    )


# ---- %lgconnect ---------------------------------------------------------------------------------
def connect_needs_url() -> UsageError:
    return UsageError("Give the server URL: %lgconnect URL [--api-key-env NAME].")


def connection_shown(connection: object, graphs: Sequence[str]) -> str:
    """`connection` is shown by its repr, which names the key's variable and never the key."""
    return f"{connection!r}; graphs: {_listed(graphs)}"


def connected(connection: object, graphs: Sequence[str]) -> str:
    return f"Connected: {connection!r}; graphs: {_listed(graphs) or 'none'}"


# ---- %lgserve -----------------------------------------------------------------------------------
def server_reused(url: str, graphs: Sequence[str]) -> str:
    return f"Using the LangGraph server at {redact_url(url)} (graphs: {_listed(graphs)})."


def server_already_running(url: str) -> str:
    return f"The embedded server is already running at {url}."


def server_started(url: str, graphs: Sequence[str], log_path: object) -> str:
    return f"Embedded LangGraph server at {url} (graphs: {_listed(graphs)}); log: {log_path}"


def server_start_failed(failure: Exception) -> UsageError:
    """The start failure's first line plus the log's last line; the full log stays on disk."""
    first, *rest = str(failure).splitlines()
    last = next((line.strip() for line in reversed(rest) if line.strip()), "")
    return UsageError(f"{first.rstrip(':')}: {last}" if last else first)


def nothing_to_stop() -> UsageError:
    return UsageError("No embedded server started by %lgserve is running.")


def server_stopped(url: str) -> str:
    return f"Stopped the embedded server at {url}."


def stream_refused(text: str) -> UsageError:
    """What `stream(...)` refused of a cell's options: its own sentence (a negative --depth; for
    a graph of the notebook, a server's option or a thread without a checkpointer)."""
    return UsageError(text)


def narrowing_needs_agent_protocol() -> UsageError:
    return UsageError(
        "--namespaces and --depth narrow an Agent Protocol subscription on the server: add "
        "--protocol agent (runs.stream narrows with --mode and --subgraphs)."
    )


def agent_protocol_options(options: list[str]) -> UsageError:
    given = ", ".join(f"--{o.replace('_', '-')}" for o in options) or "--mode"
    return UsageError(
        f"--protocol agent streams every channel and starts runs with --config and --metadata "
        f"only: drop {given} (or use --protocol runs)."
    )

"""What users see when a magic is misused: one `UsageError` line, before any run starts."""

from __future__ import annotations

import pytest

import lg_widgets

pytestmark = pytest.mark.integration

GRAPHS = (
    "agent, chat, custom, error, fanout, hitl, hitl_per_call, interrupt, react, slow, subgraph, "
    "team, tool_loop"
)


@pytest.fixture()
def runs_started():
    """How many runs start during the test (a failed check must start none); the runs listed
    before are held so that none is freed and miscounted."""
    before = lg_widgets.runs()
    return lambda: sum(not any(run is old for old in before) for run in lg_widgets.runs())


def test_unknown_option(usage_error, runs_started):
    assert usage_error('%%lgstream agent --bogus\n{"topic": "x"}') == (
        "unrecognized arguments: --bogus"
    )
    assert runs_started() == 0


def test_missing_assistant(usage_error):
    assert "the following arguments are required: assistant" in usage_error(
        '%%lgstream --wait\n{"topic": "x"}'
    )


def test_body_neither_json_nor_python(usage_error, runs_started):
    assert usage_error('%%lgstream agent\n{"topic": ') == (
        "The cell body is neither JSON (Expecting value at line 2 column 1) nor a Python "
        "expression ('{' was never closed, line 1)."
    )
    assert runs_started() == 0


def test_body_expression_that_fails(usage_error):
    assert usage_error('%%lgstream agent\n{"topic": undefined_topic}') == (
        "The cell body raised NameError: name 'undefined_topic' is not defined"
    )


def test_unknown_assistant_lists_the_ones_that_exist(usage_error, server, runs_started):
    assert usage_error('%%lgstream nope --wait\n{"topic": "x"}') == (
        f"Unknown assistant 'nope' on {server.url}. This server has: {GRAPHS}. No variable "
        "of this notebook has that name either (a compiled graph there is streamed in-process)."
    )
    missing = "00000000-0000-4000-8000-000000000000"
    assert usage_error(f"%lgstream {missing}").startswith(f"Unknown assistant '{missing}'")
    assert runs_started() == 0


def test_unknown_stream_mode(usage_error):
    assert usage_error('%%lgstream agent --mode updates valuez\n{"topic": "x"}') == (
        "Unknown stream mode 'valuez'. Valid modes: values, updates, messages-tuple, messages, "
        "custom, debug, events, tasks, checkpoints."
    )


def test_no_server_configured_says_how_to_connect(usage_error, monkeypatch):
    monkeypatch.delenv("LANGGRAPH_API_URL", raising=False)
    lg_widgets.disconnect()
    expected = (
        "No LangGraph server is configured: run %lgserve to start the embedded one (demo "
        "graphs), %lgconnect URL to use a deployment, pass --url URL, or set LANGGRAPH_API_URL."
    )
    assert usage_error('%%lgstream agent\n{"topic": "x"}') == expected + (
        " No variable of this notebook is named 'agent' either (a compiled graph there streams "
        "with no server)."
    )
    assert usage_error("%lgconnect") == expected


def test_server_that_does_not_answer(usage_error):
    message = usage_error('%%lgstream agent --url http://127.0.0.1:9 --wait\n{"topic": "x"}')
    assert message.startswith("Cannot reach a LangGraph server at http://127.0.0.1:9 (")
    assert message.endswith(
        "Start the embedded one with %lgserve, or point url= / LANGGRAPH_API_URL at a "
        "running server."
    )
    assert usage_error("%lgconnect http://127.0.0.1:9").startswith("Cannot reach")


def test_thread_errors(usage_error, server):
    assert usage_error('%%lgstream agent --thread nope\n{"topic": "x"}') == (
        "Thread id 'nope' is not a UUID: use --thread new, --thread none (stateless) or the id "
        "of an existing thread."
    )
    missing = "00000000-0000-4000-8000-000000000000"
    assert usage_error(f'%%lgstream agent --thread {missing}\n{{"topic": "x"}}') == (
        f"Thread {missing} was not found on {server.url}: use --thread new to create one."
    )


def test_resume_needs_an_interrupted_thread(usage_error, sdk):
    assert usage_error("%lgstream interrupt --resume yes") == (
        "--resume needs --thread ID, the thread waiting at the interrupt."
    )
    thread_id = sdk.threads.create()["thread_id"]
    assert usage_error(f"%lgstream interrupt --thread {thread_id} --resume yes") == (
        f"Thread {thread_id} is not waiting at an interrupt (status: idle): there is nothing "
        "to --resume."
    )
    assert usage_error(f'%%lgstream interrupt --thread {thread_id} --resume yes\n{{"a": 1}}') == (
        "--resume sends a Command: leave the cell body empty."
    )


def test_busy_thread_needs_a_multitask_strategy(usage_error, sdk):
    thread_id = sdk.threads.create()["thread_id"]
    busy = sdk.runs.create(thread_id, "slow", input={"topic": "b", "delay": 0.5, "tokens": 20})
    message = usage_error(f'%%lgstream agent --thread {thread_id}\n{{"topic": "x"}}')
    sdk.runs.cancel(thread_id, busy["run_id"])
    assert message == (
        f"Thread {thread_id} is busy with another run: join it with %lgjoin, or pass "
        "--multitask-strategy enqueue, interrupt or rollback."
    )


def test_option_values(usage_error):
    assert usage_error('%%lgstream agent --config "[1, 2]"\n{"topic": "x"}') == (
        "--config must be a JSON object or a Python dict, not list."
    )
    assert usage_error(
        '%%lgstream agent --config \'{"configurable": {"a": 1}}\' --context \'{"b": 2}\'\n'
        '{"topic": "x"}'
    ).startswith("Pass --context or a config with 'configurable', not both")
    assert usage_error("%lgstream agent --checkpoint abc") == (
        "--checkpoint needs --thread ID, the thread it belongs to."
    )
    assert usage_error('%%lgstream agent -o "not a name"\n{}') == (
        "-o/--out needs a Python variable name, got 'not a name'."
    )
    assert usage_error("%lgstream agent --multitask-strategy sometimes").startswith(
        "argument --multitask-strategy: invalid choice: 'sometimes'"
    )
    assert usage_error("%lgstream agent --thread 'unclosed").startswith(
        "Cannot split the magic's line: No closing quotation"
    )


def test_follow_errors(usage_error, server):
    assert usage_error("%lgfollow nope") == (
        "Thread id 'nope' is not a UUID: %lgfollow takes the id of an existing thread "
        "(run.thread_id, or the thread_id column of %lgruns)."
    )
    missing = "00000000-0000-4000-8000-000000000000"
    assert usage_error(f"%lgfollow {missing}") == (
        f"Thread {missing} was not found on {server.url}: follow a thread that exists there "
        "(run.thread_id, or --url for another server)."
    )


def test_join_errors(usage_error, sdk, server):
    missing = "00000000-0000-4000-8000-000000000000"
    assert usage_error(f"%lgjoin {missing} {missing}") == (
        f"Thread {missing} was not found on {server.url}: use --thread new to create one."
    )
    thread_id = sdk.threads.create()["thread_id"]
    assert usage_error(f"%lgjoin {thread_id} {missing}") == (
        f"Run {missing} was not found on thread {thread_id} ({server.url}): %lgruns lists the "
        "runs of this kernel."
    )
    assert usage_error(f"%lgjoin {thread_id} nope") == "Run id 'nope' is not a UUID."
    run_id = sdk.runs.create(thread_id, "agent", input={"topic": "j"})["run_id"]
    sdk.runs.join(thread_id, run_id)
    assert usage_error(f"%lgjoin {thread_id} {run_id} --replay") == (
        f"Run {run_id} was not created resumable (stream_resumable=True, --resumable), so "
        "nothing can be replayed: join without --replay."
    )
    assert usage_error(f"%lgjoin {thread_id} {run_id} --mode updates") == (
        f"Run {run_id} streams values, not updates: joining can only narrow the modes it was "
        "created with."
    )
    assert usage_error(f"%lgjoin {thread_id} {run_id} --subgraphs") == (
        f"Run {run_id} was created without stream_subgraphs=True: its subgraph events cannot "
        "be joined."
    )


def test_api_key_env_is_a_name_and_never_echoed(usage_error, monkeypatch):
    monkeypatch.delenv("LGW_UNSET_KEY", raising=False)
    assert usage_error("%lgconnect http://127.0.0.1:9 --api-key-env LGW_UNSET_KEY") == (
        "The environment variable LGW_UNSET_KEY is not set in this kernel: set it before "
        "starting Jupyter (never in the notebook), or pick another with --api-key-env."
    )
    secret = "lsv2_pt_0123456789abcdef"
    message = usage_error(f'%%lgstream agent --api-key-env {secret}\n{{"topic": "x"}}')
    assert secret not in message
    assert message.startswith("--api-key-env takes the NAME of an environment variable")
    header = usage_error('%lgconnect http://127.0.0.1:9 --header "Authorization: Bearer tok"')
    assert header == "--header takes NAME=VALUE, one pair per --header." and "tok" not in header


def test_lgserve_errors(usage_error, tmp_path):
    assert usage_error(f"%lgserve {tmp_path / 'missing.json'}") == (
        f"No langgraph.json at {tmp_path / 'missing.json'}"
    )
    assert usage_error("%lgserve --stop") == "No embedded server started by %lgserve is running."


def test_lgruns_cancel_unknown(usage_error):
    assert usage_error("%lgruns --cancel 99999") == (
        "No single run of this kernel matches '99999': give a row number of %lgruns or a run id."
    )

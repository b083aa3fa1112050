"""The magics in a real ipykernel: `--wait` keeps the kernel's loop serving, and an interrupt
during `--wait` cancels the run on the server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

from tests.conftest import started_kernel
from tests.magics.conftest import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def kernel(server) -> Iterator[tuple[KernelManager, BlockingKernelClient]]:
    with started_kernel(server.url) as (manager, client):
        execute(client, "%load_ext lg_widgets")
        yield manager, client


def execute(client: BlockingKernelClient, code: str) -> tuple[dict[str, Any], list[dict]]:
    """Run a cell; return its reply's content and its IOPub outputs."""
    outputs: list[dict] = []
    reply = client.execute_interactive(code, timeout=120, output_hook=outputs.append)
    return reply["content"], outputs


def stdout(outputs: list[dict]) -> str:
    return "".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream")


def collect_reply(client: BlockingKernelClient, msg_id: str) -> tuple[dict[str, Any], list]:
    """The reply to an execute request sent earlier, and the outputs seen until the kernel idles."""
    outputs: list[dict] = []
    while True:
        message = client.get_iopub_msg(timeout=60)
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
            break
        outputs.append(message)
    reply = client.get_shell_msg(timeout=60)
    assert reply["parent_header"]["msg_id"] == msg_id
    return reply["content"], outputs


def test_wait_returns_after_the_end_with_the_run_bound(kernel):
    _, client = kernel
    reply, outputs = execute(
        client,
        '%%lgstream slow --mode updates --wait -o run\n{"topic": "k", "delay": 0.05, "tokens": 4}',
    )
    assert reply["status"] == "ok"
    assert [m["msg_type"] for m in outputs].count("display_data") == 1
    reply, outputs = execute(client, "print(run.done, run.status, run.values['done'])")
    assert stdout(outputs).strip() == "True success True"


def test_kernel_loop_keeps_serving_during_wait(kernel, sdk):
    """A front-end message (like the widget's Cancel click) is handled while `--wait` blocks."""
    _, client = kernel
    thread_id = sdk.threads.create()["thread_id"]
    setup = """
def _cancel_on_message(comm, open_msg):
    comm.on_msg(lambda msg: waiting.cancel())
get_ipython().kernel.comm_manager.register_target("lgw-test-cancel", _cancel_on_message)
"""
    assert execute(client, setup)[0]["status"] == "ok"
    msg_id = client.execute(
        f"%%lgstream slow --thread {thread_id} --wait -o waiting\n"
        '{"topic": "cancel me", "delay": 0.5, "tokens": 40}'
    )
    runs = wait_until(
        lambda: [r for r in sdk.runs.list(thread_id) if r["status"] == "running"],
        what="the run to start on the server",
    )
    comm_id = uuid.uuid4().hex
    client.shell_channel.send(
        client.session.msg(
            "comm_open", {"comm_id": comm_id, "target_name": "lgw-test-cancel", "data": {}}
        )
    )
    client.shell_channel.send(
        client.session.msg("comm_msg", {"comm_id": comm_id, "data": {"click": "cancel"}})
    )
    reply, _ = collect_reply(client, msg_id)
    assert reply["status"] == "ok"  # the wait ended because the run was cancelled
    assert sdk.runs.get(thread_id, runs[0]["run_id"])["status"] == "interrupted"
    _, outputs = execute(client, "print(waiting.status)")
    assert stdout(outputs).strip() == "cancelled"


def test_interrupt_during_wait_cancels_the_run_on_the_server(kernel, sdk):
    manager, client = kernel
    thread_id = sdk.threads.create()["thread_id"]
    msg_id = client.execute(
        f"%%lgstream slow --thread {thread_id} --wait -o interrupted\n"
        '{"topic": "interrupt me", "delay": 0.5, "tokens": 40}'
    )
    runs = wait_until(
        lambda: [r for r in sdk.runs.list(thread_id) if r["status"] == "running"],
        what="the run to start on the server",
    )
    manager.interrupt_kernel()
    reply, outputs = collect_reply(client, msg_id)
    assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt"
    assert reply["evalue"] == (
        f"Interrupted: run {runs[0]['run_id']} was cancelled on the server (status: cancelled)."
    )
    assert sdk.runs.get(thread_id, runs[0]["run_id"])["status"] == "interrupted"
    _, outputs = execute(client, "print(interrupted.status, interrupted.run_id)")
    assert stdout(outputs).split() == ["cancelled", runs[0]["run_id"]]


def test_usage_errors_are_one_line_in_the_kernel(kernel):
    _, client = kernel
    reply, outputs = execute(client, '%%lgstream nope\n{"topic": "x"}')
    assert reply["status"] == "error" and reply["ename"] == "UsageError"
    assert reply["evalue"].startswith("Unknown assistant 'nope' on http://127.0.0.1:")
    shown = [m for m in outputs if m["msg_type"] in ("stream", "error")]
    text = "".join(m["content"].get("text", "") for m in shown)
    assert text.startswith("UsageError: Unknown assistant 'nope'") and text.count("\n") == 1
    assert not any(m["msg_type"] == "error" for m in outputs)  # no traceback shown


def test_join_with_wait_in_the_kernel(kernel, sdk):
    _, client = kernel
    thread_id = sdk.threads.create()["thread_id"]
    run_id = sdk.runs.create(
        thread_id,
        "slow",
        input={"topic": "j", "delay": 0.05, "tokens": 4},
        stream_mode=["updates"],
        stream_resumable=True,
    )["run_id"]
    reply, _ = execute(client, f"%lgjoin {thread_id} {run_id} --replay --wait -o joined")
    assert reply["status"] == "ok"
    _, outputs = execute(client, "print(joined.status, len(joined.events))")
    status, count = stdout(outputs).split()
    assert status == "success" and int(count) >= 4


def test_wait_without_autoawait_blocks_with_nest_asyncio(kernel):
    """The documented fallback: `%autoawait off` makes --wait block in run.wait_sync()."""
    _, client = kernel
    assert execute(client, "%autoawait off")[0]["status"] == "ok"
    try:
        reply, _ = execute(client, '%%lgstream agent --wait -o blocked\n{"topic": "b"}')
        assert reply["status"] == "ok"
        _, outputs = execute(client, "print(blocked.done, blocked.status)")
        assert stdout(outputs).strip() == "True success"
    finally:
        execute(client, "%autoawait on")

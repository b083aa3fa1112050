"""Inside a real ipykernel: the cell returns at once and the run goes on on the kernel's loop."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.conftest import started_kernel

pytestmark = pytest.mark.integration


@pytest.fixture()
def kernel(server) -> Iterator:
    with started_kernel(server.url) as (_, client):
        yield client


def execute(client, code: str) -> str:
    """Run a cell; return its stdout; fail on an error."""
    reply = client.execute_interactive(code, timeout=120, output_hook=_collect(out := []))
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(out)


def _collect(out: list[str]):
    def hook(message: dict) -> None:
        if message["msg_type"] == "stream":
            out.append(message["content"]["text"])
        elif message["msg_type"] == "error":
            out.append("\n".join(message["content"]["traceback"]))

    return hook


def test_stream_returns_at_once_and_await_gets_the_end(kernel):
    first = execute(
        kernel,
        """
import lg_widgets, asyncio
run = lg_widgets.stream("slow", {"topic": "x", "delay": 0.2, "tokens": 4},
                        thread_id="new", stream_mode="updates")
print(run.status)
""",
    )
    assert first.strip() in ("pending", "running")
    # the cell has returned; the task keeps running on the kernel loop between cells
    second = execute(
        kernel,
        """
await run
import json
print(json.dumps([run.status, run.values["done"], len(run.events)]))
""",
    )
    status, done, count = json.loads(second.strip().splitlines()[-1])
    assert status == "success" and done is True and count >= 4


def test_wait_sync_inside_a_cell(kernel):
    out = execute(
        kernel,
        """
import lg_widgets
run = lg_widgets.stream("agent", {"topic": "ice cream"}, stream_mode="updates").wait_sync(60)
print(run.status, run.values["joke"])
""",
    )
    assert out.strip() == "success This is a joke about ice cream and cats"

"""Human in the loop and time travel as a user does them in JupyterLab: answer the `hitl` demo's
interrupt in the view (approve; edit the tool's arguments, first with invalid JSON), then fork
from a middle timeline row; each time the same view goes on with the next run on the thread.
The kernel's side is checked by running code in the notebook's kernel after the clicks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.async_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.integration]

QUESTION = "What is the weather in Paris and 84 divided by 2?"
HITL_CELL = f"""import lg_widgets
run = lg_widgets.stream('hitl', {{'messages': [{{'role': 'user', 'content': {QUESTION!r}}}]}},
                        thread_id='new', stream_mode=['messages-tuple', 'updates'])
view = run.view()
view"""

# what the kernel's view holds after the clicks: its chain of runs, and what each tool got
CHAIN_JS = """async (code) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({code, store_history: false});
  let out = '';
  future.onIOPub = (msg) => {
    if (msg.header.msg_type === 'stream') out += msg.content.text;
    if (msg.header.msg_type === 'error') out += `${msg.content.ename}: ${msg.content.evalue}`;
  };
  await future.done;
  return out;
}"""
# a tool's result is its JSON, after the middleware's notice when a reviewer edited the call
CHAIN_CODE = """
import json
def tool_result(content):
    text = content if isinstance(content, str) else "".join(
        b if isinstance(b, str) else b.get("text", "") for b in content)
    return json.JSONDecoder().raw_decode(text[text.index('{"called_with"'):])[0]
for r in view.runs:
    await r
print(json.dumps({
    "runs": [[r.status, r.origin] for r in view.runs],
    "same_thread": len({r.thread_id for r in view.runs}) == 1,
    "tools": [tool_result(m["content"]) for m in (view.runs[-1].values or {}).get("messages", [])
              if m.get("type") == "tool"],
}))
"""


async def kernel_chain(notebook: Any) -> dict[str, Any]:
    out = await notebook.page.evaluate(CHAIN_JS, CHAIN_CODE)
    try:
        return json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise AssertionError(out) from None


async def open_hitl(open_notebook: Any) -> tuple[Any, Any]:
    notebook = await open_notebook([HITL_CELL])
    await notebook.run_all()
    view = notebook.view()
    await expect(view.get_by_test_id("status")).to_have_text("interrupted", timeout=60_000)
    return notebook, view


async def test_approve_in_the_view_continues_the_run_to_success(open_notebook):
    notebook, view = await open_hitl(open_notebook)
    interrupt = view.get_by_test_id("interrupt")
    await expect(interrupt).to_have_count(1)
    actions = interrupt.get_by_test_id("interrupt-action")
    await expect(actions.get_by_test_id("action-name")).to_have_text(["get_weather", "divide"])
    # divide allows approve and reject only
    await expect(actions.nth(1).get_by_test_id("decide-edit")).to_have_count(0)
    await notebook.screenshot("hitl_1_interrupt")
    await actions.nth(0).get_by_test_id("decide-approve").click()
    await actions.nth(1).get_by_test_id("decide-approve").click()
    approve_both = '{"decisions": [{"type": "approve"}, {"type": "approve"}]}})'
    await expect(view.get_by_test_id("python-resume")).to_contain_text(approve_both)
    await notebook.screenshot("hitl_1b_decided")
    await view.get_by_test_id("send-resume").click()

    await expect(view.get_by_test_id("status")).to_have_text("success", timeout=60_000)
    await expect(view.get_by_test_id("interrupt")).to_have_count(0)
    runs = view.get_by_test_id("thread-run")
    await expect(runs).to_have_count(2)
    await expect(runs.nth(1)).to_contain_text("resume")
    await expect(notebook.page.locator('[data-testid="lg-run-view"]')).to_have_count(1)
    # the messages go on in the same view: the tools' results and the final answer
    await expect(view.get_by_test_id("message").last).to_contain_text("get_weather says")
    await notebook.screenshot("hitl_2_approved")

    chain = await kernel_chain(notebook)
    assert [status for status, _ in chain["runs"]] == ["interrupted", "success"], chain
    assert chain["runs"][1][1] == "resume", chain
    assert chain["same_thread"], chain
    called = [tool["called_with"] for tool in chain["tools"]]
    assert called == [{"city": "Paris"}, {"a": 84, "b": 2}], chain


async def test_edited_arguments_reach_the_tool_and_invalid_json_is_refused(open_notebook):
    notebook, view = await open_hitl(open_notebook)
    actions = view.get_by_test_id("interrupt-action")
    await expect(actions).to_have_count(2)
    weather, divide = actions.nth(0), actions.nth(1)
    await weather.get_by_test_id("decide-edit").click()
    field = weather.get_by_test_id("edit-args")
    await expect(field).to_have_value(json.dumps({"city": "Paris"}, indent=2))
    await divide.get_by_test_id("decide-approve").click()

    await field.fill('{"city": "Lyon",')
    await view.get_by_test_id("send-resume").click()
    await expect(weather.get_by_test_id("edit-error")).to_contain_text("Not valid JSON")
    await expect(view.get_by_test_id("resume-error")).to_contain_text("Nothing was sent")
    await expect(view.get_by_test_id("send-resume")).to_be_enabled()
    await notebook.screenshot("hitl_3_invalid_json")
    chain = await kernel_chain(notebook)  # nothing reached the kernel: still one run
    assert chain["runs"] == [["interrupted", chain["runs"][0][1]]], chain

    await field.fill('{"city": "Lyon"}')
    await view.get_by_test_id("send-resume").click()
    await expect(view.get_by_test_id("status")).to_have_text("success", timeout=60_000)
    await expect(view.get_by_test_id("thread-run")).to_have_count(2)
    await expect(view.get_by_test_id("message").last).to_contain_text("sunny in Lyon")
    await notebook.screenshot("hitl_4_edited")

    chain = await kernel_chain(notebook)
    assert [status for status, _ in chain["runs"]] == ["interrupted", "success"], chain
    assert [tool["called_with"] for tool in chain["tools"]] == [{"city": "Lyon"}, {"a": 84, "b": 2}]


async def test_a_fork_from_a_middle_row_runs_again_in_the_same_view(open_notebook):
    notebook = await open_notebook(
        [
            "import lg_widgets\n"
            "run = lg_widgets.stream('agent', {'topic': 'ice cream'}, thread_id='new',\n"
            "                        stream_mode='updates')\n"
            "view = run.view()\n"
            "view"
        ]
    )
    await notebook.run_all()
    view = notebook.view()
    await expect(view.get_by_test_id("status")).to_have_text("success", timeout=60_000)
    await view.get_by_test_id("tab-timeline").click()
    rows = view.get_by_test_id("timeline-row")
    await expect(rows).to_have_count(2)
    await rows.nth(0).click()  # refine_topic: the middle of the run, before the joke
    detail = view.get_by_test_id("row-detail")
    fork_line = detail.get_by_test_id("python-fork")
    await expect(fork_line).to_contain_text("run.fork(checkpoint_id=")
    replay_line = detail.get_by_test_id("python-replay")
    await expect(replay_line).to_contain_text("run.replay(checkpoint_id=")
    field = detail.get_by_test_id("fork-values")
    state = json.loads(await field.input_value())
    assert state["topic"] == "ice cream and cats", state
    await field.fill(json.dumps({**state, "topic": "dogs"}, indent=2))
    await expect(fork_line).to_contain_text('values={"topic": "dogs"})')
    await detail.get_by_test_id("fork").scroll_into_view_if_needed()
    await notebook.screenshot("hitl_5_fork_edit")
    line = await fork_line.text_content()
    await detail.get_by_test_id("fork").click()

    runs = view.get_by_test_id("thread-run")
    await expect(runs).to_have_count(2, timeout=60_000)
    await expect(runs.nth(1)).to_contain_text("fork")
    await expect(view.get_by_test_id("status")).to_have_text("success", timeout=60_000)
    await expect(rows.last).to_contain_text("generate_joke")
    await expect(rows.last).to_contain_text("dogs")
    await expect(detail.get_by_test_id("time-travel-status")).to_contain_text("Forked: run")
    await notebook.screenshot("hitl_6_forked")

    out = await notebook.page.evaluate(
        CHAIN_JS,
        "import json\nfor r in view.runs:\n    await r\n"
        "print(json.dumps([[r.status, r.origin, r.values] for r in view.runs]))",
    )
    chain = json.loads(out.strip().splitlines()[-1])
    assert [(status, origin) for status, origin, _ in chain][1:] == [("success", "fork")], chain
    assert chain[1][2]["joke"] == "This is a joke about dogs", chain
    print(f"\nthe view's fork line: {line}")

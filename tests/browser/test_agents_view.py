"""Who did what, in JupyterLab: the `team` demo's researcher under the tool call that started it
(through both protocols), the subagent opened from its card, the agent filter; a tool card whose
output streams in (the Agent Protocol's `tool-output-delta`, which the embedded server never
sends: fed from a hand-made transcript into a displayed run); approve, edit and reject through
`protocol="agent"` (`input.respond`), with the wait for the person apart from the tool's time."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_hitl_view import CHAIN_JS, QUESTION
from tests.conftest import TRANSCRIPTS

pytestmark = [pytest.mark.browser, pytest.mark.integration]

EVIL = "<img src=x onerror=window.__pwned=1>"


def team_cell(protocol: str) -> str:
    modes = (
        ""
        if protocol == "agent"
        else ",\n    stream_mode=['messages-tuple', 'updates'], stream_subgraphs=True"
    )
    return (
        "import lg_widgets\n"
        "trip = {'messages': [{'role': 'user', 'content': 'Plan a trip to Paris'}]}\n"
        f"run = lg_widgets.stream('team', trip, thread_id='new', protocol={protocol!r}{modes})\n"
        "run"
    )


RESULT_CELL = """
import json
import re
await run
calls = run.tool_calls
print("RESULT " + json.dumps({
    "status": run.status,
    "calls": calls[["id", "name", "agent", "subagent"]].to_dict("records"),
    "agents": run.agents[["agent", "namespace"]].to_dict("records"),
}))
"""


async def save(locator: Any, name: str) -> None:
    """A screenshot of the view alone (the page's is taken at the end of every test)."""
    ARTIFACTS.mkdir(exist_ok=True)
    await locator.screenshot(path=str(ARTIFACTS / name))


@pytest.mark.parametrize("protocol", ["runs", "agent"])
async def test_the_tree_shows_the_researcher_under_the_call_that_started_it(
    open_notebook, protocol
):
    notebook = await open_notebook([team_cell(protocol), RESULT_CELL])
    await notebook.run_all()
    result = await notebook.result()
    assert result["status"] == "success", result
    (ask,) = [c for c in result["calls"] if c["name"] == "ask_researcher"]
    assert ask["agent"] == "coordinator" and ask["subagent"], result
    view = notebook.view()
    await expect(view.get_by_test_id("status")).to_have_text("success")

    tree = view.get_by_test_id("tree")
    call = tree.get_by_test_id("tree-call")
    await expect(call).to_have_count(1)
    await expect(call).to_have_attribute("data-call", ask["id"])
    await expect(call).to_contain_text("ask_researcher")
    # the researcher's agent sits in the call's box, below the call's row
    under = call.locator("xpath=..").get_by_test_id("tree-namespace")
    await expect(under).to_have_attribute("data-agent", "researcher")
    await expect(under).to_have_attribute("data-namespace", ask["subagent"])
    labels = tree.get_by_test_id("tree-namespace")
    await expect(labels.first).to_have_attribute("data-agent", "coordinator")
    await expect(labels.first.get_by_test_id("tree-agent")).to_have_text("coordinator")
    await expect(under.get_by_test_id("tree-node-name")).to_have_text(" tools")
    # tokens per agent: in the tree and in the header
    await expect(labels.first).to_contain_text("tok")
    await expect(view.get_by_test_id("tokens")).to_contain_text("coordinator")
    await expect(view.get_by_test_id("tokens")).to_contain_text("researcher")
    await save(view, f"tree-subagent-team-{protocol}.png")


DEEP = TRANSCRIPTS / "deep.tasks+updates+messages-tuple.subgraphs.jsonl"
DEEP_CELL = f"""import lg_widgets
run = lg_widgets.load({str(DEEP)!r})  # deepagents 0.7 on the embedded server, recorded
view = run.view()
view"""


async def test_a_deep_agents_researcher_sits_under_its_task_call_and_opens_from_its_card(
    open_notebook,
):
    notebook = await open_notebook([DEEP_CELL])
    await notebook.run_all()
    view = notebook.view()
    await expect(view.get_by_test_id("status")).to_have_text("success", timeout=60_000)
    call = view.get_by_test_id("tree-call")
    await expect(call).to_contain_text("task")
    under = call.locator("xpath=..").get_by_test_id("tree-namespace")
    await expect(under).to_have_attribute("data-agent", "researcher")
    await expect(view.get_by_test_id("tree-namespace").first).to_have_attribute(
        "data-agent", "deep"
    )
    await save(view, "tree-subagent.png")

    task = view.locator('[data-testid="tool-card"]:has([data-testid="tool-name"]:text-is("task"))')
    await task.get_by_test_id("open-subagent").click()
    await expect(view.locator('[data-testid="tree-namespace"].lgw-selected')).to_have_attribute(
        "data-agent", "researcher"
    )
    blocks = view.locator('[data-testid="message"]:visible')
    await expect(blocks.first).to_be_visible()
    agents = await blocks.evaluate_all("blocks => blocks.map(b => b.dataset.agent)")
    assert agents and set(agents) == {"researcher"}, agents
    await save(view, "subagent-opened.png")


async def test_a_task_card_opens_its_subagent_and_the_agent_filter_narrows_the_conversation(
    open_notebook,
):
    notebook = await open_notebook([team_cell("runs"), RESULT_CELL])
    await notebook.run_all()
    result = await notebook.result()
    assert result["status"] == "success", result
    (ask,) = [c for c in result["calls"] if c["name"] == "ask_researcher"]
    view = notebook.view()
    card = view.locator(f'[data-testid="tool-card"][data-call="{ask["id"]}"]')
    await expect(card.get_by_test_id("tool-state")).to_have_text("success")
    opener = card.get_by_test_id("open-subagent")
    await expect(opener).to_contain_text("researcher")
    await opener.click()

    # the researcher's agent is selected in the tree, and the conversation shows its messages
    selected = view.locator('[data-testid="tree-namespace"].lgw-selected')
    await expect(selected).to_have_attribute("data-agent", "researcher")
    blocks = view.locator('[data-testid="message"]:visible')
    await expect(blocks.first).to_be_visible()
    agents = await blocks.evaluate_all("blocks => blocks.map(b => b.dataset.agent)")
    assert agents and set(agents) == {"researcher"}, agents
    await expect(blocks.last).to_contain_text("Sunny in Paris")
    await notebook.screenshot("agents_subagent_opened")

    await view.locator(".lgw-tree .lgw-link").click()  # show all
    agent_filter = view.get_by_test_id("filter-agent")
    await expect(agent_filter).to_be_visible()
    await agent_filter.select_option("coordinator")
    agents = await blocks.evaluate_all("blocks => blocks.map(b => b.dataset.agent)")
    assert agents and set(agents) == {"coordinator"}, agents
    await expect(view.locator('[data-testid="message-agent"]:visible').first).to_have_text(
        "coordinator"
    )
    await agent_filter.select_option("researcher")
    agents = await blocks.evaluate_all("blocks => blocks.map(b => b.dataset.agent)")
    assert agents and set(agents) == {"researcher"}, agents


# A tool that streams its output (`ToolRuntime.emit_output_delta`) through the Agent Protocol,
# as the protocol's `tools` channel says it: started, output deltas, finished. The embedded
# server never sent one, so the cells feed the envelopes to a displayed run themselves.
STREAM_CELL = f"""
import lg_widgets
from lg_widgets.protocol_events import ProtocolReader
from lg_widgets.view.widget import RunView

def event(seq, method, data, namespace=()):
    params = {{"namespace": list(namespace), "timestamp": seq, "data": data}}
    return {{"type": "event", "seq": seq, "event_id": f"{{seq}}-0", "method": method,
            "params": params}}

call = {{"type": "tool_call_chunk", "id": "c1", "name": "search", "args": '{{"q": "paris"}}',
        "index": 0}}
reader, run = ProtocolReader(), lg_widgets.Run(assistant_id="searcher")
feed = lambda envelopes: [run.add(reader.part(e)) for e in envelopes]
view = RunView(run)
feed([
    event(1, "lifecycle", {{"event": "running", "graph_name": "searcher"}}),
    event(2, "messages", {{"event": "message-start", "role": "ai", "id": "m1"}}),
    event(3, "messages", {{"event": "content-block-start", "index": 0, "content": call}}),
    event(4, "messages", {{"event": "message-finish"}}),
    event(5, "tools", {{"event": "tool-started", "tool_call_id": "c1", "tool_name": "search"}}),
    event(6, "tools", {{"event": "tool-output-delta", "tool_call_id": "c1",
                        "delta": "page 1: {EVIL}\\n"}}),
    event(7, "tools", {{"event": "tool-output-delta", "tool_call_id": "c1",
                        "delta": "page 2: Paris is sunny\\n"}}),
])
view
"""
FINISH_CODE = """
output = {"type": "tool", "id": "t1", "tool_call_id": "c1", "status": "success", "name": "search",
          "content": "page 1: <img src=x onerror=window.__pwned=1>\\npage 2: Paris is sunny\\n"
                     "page 3: done"}
feed([
    event(8, "tools", {"event": "tool-output-delta", "tool_call_id": "c1",
                       "delta": "page 3: done"}),
    event(9, "tools", {"event": "tool-finished", "tool_call_id": "c1", "output": output}),
    event(10, "lifecycle", {"event": "completed", "graph_name": "searcher"}),
])
run.finish("success")
print("fed")
"""


async def test_a_tool_card_grows_its_streamed_output_while_the_tool_runs(open_notebook):
    notebook = await open_notebook([STREAM_CELL])
    await notebook.run_all()
    view = notebook.view()
    await view.get_by_test_id("tab-messages").click()  # a run with no stream modes opens elsewhere
    card = view.get_by_test_id("tool-card")
    await expect(card).to_have_count(1, timeout=60_000)
    result = card.get_by_test_id("tool-result")
    await expect(result).to_have_text(f"page 1: {EVIL}\npage 2: Paris is sunny\n")
    await expect(card).to_have_attribute("data-state", "running")
    await expect(card.get_by_test_id("tool-state")).to_have_text("running")
    await expect(card.get_by_test_id("tool-latency")).to_have_text("")  # not ended yet
    await save(view, "tool-output.png")
    await notebook.screenshot("agents_tool_output_streaming")

    out = await notebook.page.evaluate(CHAIN_JS, FINISH_CODE)
    assert out.strip().endswith("fed"), out
    await expect(result).to_have_text(f"page 1: {EVIL}\npage 2: Paris is sunny\npage 3: done")
    await expect(card).to_have_attribute("data-state", "success")
    # its own time, from its start (the first cell) to its end (the second)
    await expect(card.get_by_test_id("tool-latency")).to_contain_text("ran ")
    assert await view.locator("img").count() == 0
    assert await notebook.page.evaluate("() => window.__pwned") is None


HITL_AGENT_CELL = f"""import lg_widgets
run = lg_widgets.stream('hitl', {{'messages': [{{'role': 'user', 'content': {QUESTION!r}}}]}},
                        thread_id='new', protocol='agent')
view = run.view()
view"""
CHAIN_CODE = """
import json
import re
for r in view.runs:
    await r
last = view.runs[-1]
print(json.dumps({
    "runs": [[r.status, r.origin, r.protocol] for r in view.runs],
    "tools": [[m["name"], m["status"], m["content"]] for m in last.messages if m["role"] == "tool"],
    "waited": last.tool_calls["waited"].tolist() if len(last.tool_calls) else [],
}))
"""


async def test_edit_and_reject_in_the_view_go_through_input_respond(open_notebook):
    notebook = await open_notebook([HITL_AGENT_CELL])
    await notebook.run_all()
    view = notebook.view()
    await expect(view.get_by_test_id("status")).to_have_text("interrupted", timeout=60_000)
    actions = view.get_by_test_id("interrupt-action")
    await expect(actions.get_by_test_id("action-name")).to_have_text(["get_weather", "divide"])
    cards = view.get_by_test_id("tool-card")
    await expect(cards.first).to_have_attribute("data-state", "waiting")
    weather, divide = actions.nth(0), actions.nth(1)
    await weather.get_by_test_id("decide-edit").click()
    await weather.get_by_test_id("edit-args").fill('{"city": "Lyon"}')
    await divide.get_by_test_id("decide-reject").click()
    await divide.get_by_test_id("reject-message").fill("no dividing today")
    await view.get_by_test_id("send-resume").click()

    await expect(view.get_by_test_id("status")).to_have_text("success", timeout=60_000)
    await expect(view.get_by_test_id("thread-run")).to_have_count(2)
    await expect(view.get_by_test_id("message").last).to_contain_text("Lyon")
    out = await notebook.page.evaluate(CHAIN_JS, CHAIN_CODE)
    chain = json.loads(out.strip().splitlines()[-1])
    assert chain["runs"] == [["interrupted", None, "agent"], ["success", "resume", "agent"]]
    tools = {name: (status, content) for name, status, content in chain["tools"]}
    assert tools["get_weather"][0] == "success" and "Lyon" in tools["get_weather"][1], chain
    assert tools["divide"][0] == "error" and "no dividing today" in tools["divide"][1], chain
    # the edited call ran after the person's decision: its card gives the tool's own time and
    # the wait for the person apart; the rejected call is an error
    weather_card = view.locator(
        '[data-testid="tool-card"]:has([data-testid="tool-name"]:text-is("get_weather"))'
    )
    await expect(weather_card).to_have_attribute("data-state", "success")
    await expect(weather_card.get_by_test_id("tool-latency")).to_contain_text("ran ")
    await expect(weather_card.get_by_test_id("tool-waited")).to_contain_text("waited ")
    divide_card = view.locator(
        '[data-testid="tool-card"]:has([data-testid="tool-name"]:text-is("divide"))'
    )
    await expect(divide_card).to_have_attribute("data-state", "error")
    # the rejected call never ran: its whole time was the person's
    await expect(divide_card.get_by_test_id("tool-latency")).to_have_text("")
    await expect(divide_card.get_by_test_id("tool-waited")).to_contain_text("waited ")
    await notebook.screenshot("agents_hitl_input_respond")


async def test_approve_in_the_view_goes_through_input_respond(open_notebook):
    notebook = await open_notebook([HITL_AGENT_CELL])
    await notebook.run_all()
    view = notebook.view()
    await expect(view.get_by_test_id("status")).to_have_text("interrupted", timeout=60_000)
    actions = view.get_by_test_id("interrupt-action")
    await expect(actions).to_have_count(2)
    for i in range(2):
        await actions.nth(i).get_by_test_id("decide-approve").click()
    await view.get_by_test_id("send-resume").click()
    await expect(view.get_by_test_id("status")).to_have_text("success", timeout=60_000)
    out = await notebook.page.evaluate(CHAIN_JS, CHAIN_CODE)
    chain = json.loads(out.strip().splitlines()[-1])
    assert [r[2] for r in chain["runs"]] == ["agent", "agent"], chain
    assert [t[:2] for t in chain["tools"]] == [["get_weather", "success"], ["divide", "success"]]
    divide_card = view.locator(
        '[data-testid="tool-card"]:has([data-testid="tool-name"]:text-is("divide"))'
    )
    await expect(divide_card).to_have_attribute("data-state", "success")
    await expect(divide_card.get_by_test_id("tool-waited")).to_contain_text("waited ")


async def test_a_tools_handled_error_through_the_agent_protocol_is_an_error_card(open_notebook):
    notebook = await open_notebook(
        [
            "import lg_widgets\n"
            "q = {'messages': [{'role': 'user', 'content': 'Weather in Rome, and 10 / 0?'}]}\n"
            "run = lg_widgets.stream('react', q, thread_id='new', protocol='agent')\n"
            "run",
            "import json\nawait run\n"
            'print("RESULT " + json.dumps(run.tool_calls[["name", "status"]].values.tolist()))',
        ]
    )
    await notebook.run_all()
    output = notebook.page.locator(".jp-OutputArea-output", has_text=re.compile("RESULT "))
    await output.first.wait_for(timeout=60_000)
    assert '["divide", "error"]' in (await output.first.text_content() or "")
    view = notebook.view()
    divide = view.locator(
        '[data-testid="tool-card"]:has([data-testid="tool-name"]:text-is("divide"))'
    )
    await expect(divide).to_have_attribute("data-state", "error")
    await expect(divide.get_by_test_id("tool-result")).to_contain_text("cannot divide")
    await expect(divide.get_by_test_id("tool-latency")).to_contain_text("ran ")
    weather = view.locator(
        '[data-testid="tool-card"]:has([data-testid="tool-name"]:text-is("get_weather"))'
    )
    await expect(weather).to_have_attribute("data-state", "success")


NARROWED_CELL = """import lg_widgets
trip = {'messages': [{'role': 'user', 'content': 'Plan a trip to Paris'}]}
run = lg_widgets.stream('team', trip, protocol='agent', depth=0)
run"""

NARROWED_RESULT = """
import json
await run
print("RESULT " + json.dumps({"status": run.status, "left_out": run.left_out}))
"""


async def test_a_subtree_left_out_on_the_server_opens_from_the_tree(open_notebook):
    notebook = await open_notebook([NARROWED_CELL, NARROWED_RESULT])
    await notebook.run_all()
    result = await notebook.result()
    assert result["status"] == "success" and len(result["left_out"]) == 1, result
    (researcher,) = result["left_out"]
    view = notebook.view()
    await expect(view.get_by_test_id("status")).to_have_text("success")
    node = view.locator(f'[data-testid="tree-namespace"][data-namespace="{researcher}"]')
    await expect(node).to_have_attribute("data-agent", "researcher")
    item = node.locator("xpath=..")
    await expect(item.get_by_test_id("tree-open-note")).to_have_text(" events left out")
    said = view.locator('[data-testid="message"][data-agent="researcher"]')
    await expect(said).to_have_count(0)  # only its lifecycle came: it started, and ended
    await save(view, "tree-left-out.png")

    await item.get_by_test_id("tree-open").click()
    # its events are replayed into the ended run: the researcher's messages appear
    await expect(said.first).to_be_visible(timeout=20_000)
    await expect(item.get_by_test_id("tree-open")).to_have_count(0)
    await expect(view.get_by_test_id("messages")).to_contain_text("Sunny in Paris, 24 degrees.")
    await expect(view.get_by_test_id("status")).to_have_text("success")
    await save(view, "tree-opened.png")


LIVE_NARROWED_CELL = """import lg_widgets
trip = {'messages': [{'role': 'user', 'content': 'Plan a trip to Paris'}]}
paced = {'configurable': {'delay': 0.2}}  # each model chunk waits 200 ms: time to click
run = lg_widgets.stream('team', trip, protocol='agent', depth=0, config=paced)
run"""


async def test_a_subtree_opens_from_the_tree_while_the_run_streams(open_notebook):
    notebook = await open_notebook([LIVE_NARROWED_CELL, NARROWED_RESULT])
    await notebook.run_all()
    view = notebook.view()
    opener = view.get_by_test_id("tree-open")
    await expect(opener).to_have_count(1, timeout=30_000)  # the researcher started
    await expect(view.get_by_test_id("status")).to_have_text("running")
    await opener.click()
    said = view.locator('[data-testid="message"][data-agent="researcher"]')
    await expect(said.first).to_be_visible(timeout=20_000)
    result = await notebook.result()
    assert result == {"status": "success", "left_out": []}, result
    await expect(view.get_by_test_id("messages")).to_contain_text("Sunny in Paris, 24 degrees.")
    await expect(view.get_by_test_id("tree-open")).to_have_count(0)

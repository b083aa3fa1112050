"""The graph panel in a real JupyterLab (headless Chromium) against the embedded server: drawn
nested with xray, lit in the order the graph runs, and one selection with the timeline."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.conftest import ARTIFACTS

TRANSCRIPTS = Path(__file__).resolve().parents[1] / "transcripts"

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SUBGRAPH_RUN = "subgraph.values+tasks.subgraphs.jsonl"
RESULT_CELL = """
import json
await run
print("RESULT " + json.dumps({"status": run.status}))
"""

# Samples, on every animation frame, which nodes of the first view's graph are lit as running.
SAMPLE_RUNNING_JS = """() => {
  window.__lgwRunning = [];
  const sample = () => {
    const view = document.querySelector('[data-testid="lg-run-view"]');
    const lit = view ? [...view.querySelectorAll('[data-testid="graph-node"].lgw-g-running')]
      .map((g) => g.dataset.id).sort().join(",") : "";
    const seen = window.__lgwRunning;
    if (seen[seen.length - 1] !== lit) seen.push(lit);
    requestAnimationFrame(sample);
  };
  requestAnimationFrame(sample);
}"""


RUNNING = re.compile(r"\blgw-g-running\b")


async def shot(target: Any, name: str) -> None:
    """A screenshot of one view (legible at its own size) into artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    await target.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def node(view: Any, node_id: str) -> Any:
    return view.locator(f'[data-testid="graph-node"][data-id="{node_id}"]')


def box(view: Any, box_id: str) -> Any:
    return view.locator(f'[data-testid="graph-group"][data-id="{box_id}"]')


def inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (
        outer["x"] <= inner["x"]
        and outer["y"] <= inner["y"]
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"]
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"]
    )


async def test_subgraph_demo_nests_its_nodes_and_a_click_filters_the_timeline(open_notebook):
    notebook = await open_notebook(
        [
            "import lg_widgets\n"
            'run = lg_widgets.stream("subgraph", {"foo": "foo"}, thread_id="new",\n'
            '                        stream_mode=["updates", "tasks"], stream_subgraphs=True)\n'
            "run",
            RESULT_CELL,
            # the same demo in the middle of a run: the first 8 events of a recorded run of it
            # (subgraph_node_1 running inside node_2), with the graph the server draws
            f"recorded = lg_widgets.load({str(TRANSCRIPTS / SUBGRAPH_RUN)!r}).events[:8]\n"
            'half = lg_widgets.Run.from_log(recorded, assistant_id="subgraph",\n'
            '                               stream_mode=["values", "tasks"])\n'
            "client = lg_widgets.current_connection(run.url).client()\n"
            "half.set_graph(await client.assistants.get_graph(\n"
            '    "subgraph", xray=True))\n'
            "half",
            'lg_widgets.graph("subgraph")  # the graph without a run',
        ]
    )
    await notebook.run_all()
    result = await notebook.result()
    assert result["status"] == "success", result
    half = notebook.view(1)
    await half.get_by_test_id("tab-graph").click()
    await expect(node(half, "node_2:subgraph_node_1")).to_have_class(RUNNING)
    await expect(box(half, "node_2")).to_have_class(RUNNING)
    await expect(node(half, "node_1")).to_contain_text("×1")
    await shot(half, "graph_subgraph_mid_run")
    alone = notebook.page.locator('[data-testid="lg-graph-view"]')
    await expect(box(alone, "node_2")).to_be_visible()
    await expect(node(alone, "node_2:subgraph_node_2")).to_contain_text("subgraph_node_2")
    await expect(alone.get_by_test_id("assistant")).to_have_text("graph of subgraph")
    view = notebook.view()
    await expect(view.get_by_test_id("status")).to_have_text("success")
    await view.get_by_test_id("tab-graph").click()
    for node_id in ("node_1", "node_2:subgraph_node_1", "node_2:subgraph_node_2"):
        await expect(node(view, node_id)).to_contain_text("×1")
    outer = await box(view, "node_2").locator("rect").bounding_box()
    assert outer is not None
    for node_id in ("node_2:subgraph_node_1", "node_2:subgraph_node_2"):
        inner = await node(view, node_id).locator("rect").bounding_box()
        assert inner is not None and inside(inner, outer), (node_id, inner, outer)
    first = await node(view, "node_1").locator("rect").bounding_box()
    assert first is not None and first["y"] + first["height"] <= outer["y"]  # top to bottom
    await expect(box(view, "node_2")).to_contain_text("×1")
    await shot(view, "graph_subgraph_end")

    # one selection: a node clicked in the graph filters the timeline
    await node(view, "node_2:subgraph_node_1").click()
    await view.get_by_test_id("tab-timeline").click()
    rows = view.get_by_test_id("timeline-row")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("subgraph_node_1")
    await view.get_by_test_id("tab-graph").click()
    await box(view, "node_2").locator("rect").click(position={"x": 4, "y": 4})
    await view.get_by_test_id("tab-timeline").click()
    await expect(rows).to_have_count(3)  # both inner nodes and node_2's own update
    await view.locator(".lgw-tree .lgw-link").click()  # the tree's "show all" clears it
    await expect(rows).to_have_count(4)
    assert notebook.console_errors == []


async def test_a_slow_run_lights_its_nodes_in_the_order_they_run(open_notebook):
    notebook = await open_notebook(
        [
            "import lg_widgets\n"
            'run = lg_widgets.stream("slow", {"topic": "cats", "delay": 1.5, "tokens": 4},\n'
            '                        thread_id="new",\n'
            '                        stream_mode=["updates", "tasks", "messages-tuple"])\n'
            "run",
            RESULT_CELL,
        ]
    )
    await notebook.page.evaluate(SAMPLE_RUNNING_JS)
    await notebook.run_all()
    view = notebook.view()
    await view.get_by_test_id("tab-graph").click()
    await expect(node(view, "slow_llm")).to_have_class(RUNNING, timeout=30_000)
    await expect(node(view, "slow_a")).to_contain_text("×1")
    await shot(view, "graph_slow_mid_run")
    result = await notebook.result()
    assert result["status"] == "success", result
    await expect(node(view, "slow_c")).to_contain_text("×1")
    await expect(view.locator(".lgw-g-running")).to_have_count(0)
    seen = [lit for lit in await notebook.page.evaluate("() => window.__lgwRunning") if lit]
    assert seen == ["slow_a", "slow_llm", "slow_c"], seen
    await shot(view, "graph_slow_end")


async def test_a_fan_out_shows_its_parallel_tasks_and_a_tool_loop_its_visits(open_notebook):
    notebook = await open_notebook(
        [
            "import lg_widgets\n"
            'fan = lg_widgets.stream("fanout", {"topics": ["a", "b", "c"], "delay": 1.5},\n'
            '                        stream_mode="tasks", stream_subgraphs=True)\n'
            "fan",
            'ask = {"messages": [{"role": "user", "content": "Weather in Paris?"}]}\n'
            'run = lg_widgets.stream("tool_loop", ask, stream_mode=["messages-tuple", "updates"])\n'
            "run",
            "await fan\n" + RESULT_CELL,
        ]
    )
    await notebook.run_all()
    fan = notebook.view(0)
    await fan.get_by_test_id("tab-graph").click()
    await expect(box(fan, "worker")).to_contain_text("3 running", timeout=30_000)
    await expect(node(fan, "worker:research")).to_contain_text("3 running")
    await shot(fan, "graph_fanout_mid_run")
    assert (await notebook.result())["status"] == "success"
    await expect(box(fan, "worker")).to_contain_text("3 parallel")
    await expect(node(fan, "summarize")).to_contain_text("×1")
    await shot(fan, "graph_fanout_end")

    react = notebook.view(1)
    await react.get_by_test_id("tab-graph").click()
    await expect(node(react, "agent")).to_contain_text("×2")
    await expect(node(react, "tools")).to_contain_text("×1")
    await expect(node(react, "tools")).to_contain_text("get_weather")
    await expect(react.locator(".lgw-gedge-cond")).to_have_count(2)  # agent -> tools | end
    await shot(react, "graph_tool_loop_end")
    assert notebook.console_errors == []


async def test_the_react_agent_is_lit_on_its_graph_while_it_runs(open_notebook):
    """LangChain's create_agent on its graph: the model lit while it streams, visits after."""
    notebook = await open_notebook(
        [
            "import lg_widgets\n"
            'ask = {"messages": [{"role": "user", "content": "Weather in Rome, and 10 / 4?"}]}\n'
            'run = lg_widgets.stream("react", ask, thread_id="new",\n'
            '                        stream_mode=["messages-tuple", "updates", "tasks"],\n'
            '                        config={"configurable": {"delay": 0.2}})\n'
            "run",
            RESULT_CELL,
        ]
    )
    await notebook.run_all()
    view = notebook.view()
    await view.get_by_test_id("tab-graph").click()
    await expect(node(view, "model")).to_have_class(RUNNING, timeout=30_000)
    await shot(view, "graph_react_mid_run")
    assert (await notebook.result())["status"] == "success"
    await expect(node(view, "model")).not_to_have_class(RUNNING)
    await expect(node(view, "model")).to_contain_text(re.compile(r"×[2-9]"))
    await expect(node(view, "tools")).to_contain_text(re.compile(r"×[1-9]"))
    await expect(node(view, "tools")).to_contain_text("get_weather")
    await shot(view, "graph_react_end")
    assert notebook.console_errors == []

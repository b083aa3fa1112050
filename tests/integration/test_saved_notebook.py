"""A notebook executed headless keeps each run's final result: in the static copy next to the
widget (what GitHub, nbviewer and nbconvert show without widget state) and in the widget state."""

from __future__ import annotations

import os
import re
from html import escape

import nbformat
import pytest
from nbclient import NotebookClient
from nbconvert import HTMLExporter

from tests.widget_state import saved_snapshots

pytestmark = pytest.mark.integration

WIDGET = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# written in pieces in the cells so that only the run's output can contain it whole
EVIL = '<img src=x onerror="window.__pwned=1">'
CELLS = [
    "import asyncio, lg_widgets\n"
    "EVIL = '<img src=x ' + 'onerror=\"window.__pwned=1\">'\n"
    'question = {"messages": [{"role": "user", "content": "Weather in Rome?"}]}\n'
    'react = lg_widgets.stream("react", question, thread_id="new",\n'
    '                          stream_mode=["messages-tuple", "updates"],\n'
    '                          config={"configurable": {"city": EVIL}})\n'
    "react",
    'failing = lg_widgets.stream("error", {"topic": "x"}, thread_id="new", stream_mode="updates")\n'
    "failing",
    'asking = lg_widgets.stream("interrupt", {"topic": "x"}, thread_id="new",\n'
    '                           stream_mode="updates")\n'
    "display(asking)",
    'slow = lg_widgets.stream("slow", {"topic": "x", "delay": 0.3, "tokens": 60},\n'
    '                         thread_id="new", stream_mode=["messages-tuple", "updates"])\n'
    "slow",
    # the runs end while this later cell executes: the outputs above are replaced in place
    "first_token = asyncio.Event()\n"
    "slow.on_change(lambda run, _: first_token.set() if run.state.messages.messages else None)\n"
    "await first_token.wait()\n"
    "slow.cancel()\n"
    "for run in (react, failing, asking, slow):\n"
    "    await run\n"
    "print([run.status for run in (react, failing, asking, slow)])",
]
FINAL = ["success", "error", "interrupted", "cancelled"]


@pytest.fixture(scope="module")
def executed(server) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    client = NotebookClient(notebook, timeout=120, kernel_name="python3")
    client.execute(env={**os.environ, "LANGGRAPH_API_URL": server.url})
    return notebook


def run_output(notebook: nbformat.NotebookNode, cell: int) -> dict:
    (output,) = [o for o in notebook.cells[cell].outputs if WIDGET in o.get("data", {})]
    return output


def test_each_output_was_replaced_by_its_final_result(executed):
    assert executed.cells[4].outputs[-1].text.strip() == str(FINAL)
    for cell, status in enumerate(FINAL):
        data = run_output(executed, cell)["data"]
        assert set(data) == {WIDGET, "text/html", "text/plain"}
        badge = re.search(r'data-lgw="status"[^>]*>([a-z]+)<', data["text/html"])
        assert badge and badge.group(1) == status, data["text/html"][:500]
        assert f"status={status}" in data["text/plain"].splitlines()[0]
        assert "Static copy saved when the run ended" in data["text/html"]
    react = run_output(executed, 0)["data"]
    assert escape(f"It is always sunny in {EVIL}.") in react["text/html"]
    assert EVIL not in react["text/html"]
    assert "The graph raised ValueError" in run_output(executed, 1)["data"]["text/plain"]
    assert "Publish the piece about x?" in run_output(executed, 2)["data"]["text/html"]


def test_the_saved_widget_state_is_the_final_snapshot(executed):
    snapshots = saved_snapshots(executed)
    for cell, status in enumerate(FINAL):
        model_id = run_output(executed, cell)["data"][WIDGET]["model_id"]
        assert snapshots[model_id]["header"]["status"] == status


def test_nbconvert_without_widget_state_shows_the_static_copies(executed):
    notebook = nbformat.from_dict(executed)
    del notebook.metadata["widgets"]
    body, _ = HTMLExporter().from_notebook_node(notebook)
    assert body.count('data-lgw="static-run"') == 4
    assert WIDGET not in body  # no widget placeholder in place of the copy
    for status in FINAL:
        assert f"{status}</span>" in body
    assert "get_weather says: It is always sunny in" in body
    # shown as text: nbconvert re-serializes the HTML, so quotes in text come back unescaped
    assert EVIL not in body and "It is always sunny in &lt;img src=x onerror=" in body

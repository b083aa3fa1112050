"""A graph defined in a notebook cell, streamed in the kernel with no server, in JupyterLab."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.integration]


GRAPH_CELL = """\
from typing import Annotated, TypedDict

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AnyMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, StateGraph
from langgraph.graph.message import add_messages

import lg_widgets


class State(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]


async def poet(state: State) -> State:
    words = " ".join(f"line{i}" for i in range(40))
    model = GenericFakeChatModel(messages=iter([AIMessage(content=words)]))
    reply = await model.ainvoke(state["messages"])
    return {"messages": [reply]}


graph = (
    StateGraph(State)
    .add_node(poet)
    .add_edge(START, "poet")
    .compile(checkpointer=InMemorySaver())
)
run = lg_widgets.stream(graph, {"messages": [("user", "a poem, please")]},
                        thread_id="new", stream_mode=["messages-tuple", "updates"])
run"""

RESULT_CELL = """\
import json
await run
print("RESULT " + json.dumps({"status": run.status, "url": run.url, "text": run.text(),
                              "thread": run.thread_id is not None}))"""


async def test_a_graph_defined_in_the_notebook_streams_under_its_cell(open_notebook):
    notebook = await open_notebook([GRAPH_CELL, RESULT_CELL])
    await notebook.run_all()
    result = await notebook.result()
    assert result["status"] == "success" and result["url"] is None and result["thread"], result
    view = notebook.view(0)
    await expect(view.get_by_test_id("status")).to_have_text("success")
    ai = view.locator('[data-testid="message"][data-role="ai"] pre').first
    await expect(ai).to_have_text(result["text"])
    assert result["text"].startswith("line0 line1") and result["text"].endswith("line39")
    await expect(view.locator('[data-testid="message"][data-role="human"]').first).to_contain_text(
        "a poem, please"
    )
    assert notebook.dialogs == []
    await notebook.screenshot("inprocess-cell")

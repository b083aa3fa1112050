"""Handoffs in JupyterLab: runs of langgraph-supervisor and langgraph-swarm recorded from the
frameworks' server (tests/agents), loaded with `lg_widgets.load`. A handoff's card links to the
agent it started (`→ researcher`), a framework's hand-back to the visit it started
(`← back to supervisor · framework`), a click opens that agent, and the tree says who handed
off to an agent and with which call."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import expect

import lg_widgets
from tests.browser.test_agents_view import save
from tests.conftest import TRANSCRIPTS

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SUPERVISOR = TRANSCRIPTS / "supervisor.tasks+updates+messages-tuple.subgraphs.jsonl"
SWARM = TRANSCRIPTS / "swarm.updates+messages-tuple.subgraphs.jsonl"


def cell(path: Path) -> str:
    return (
        "import lg_widgets\n"
        f"run = lg_widgets.load({str(path)!r})  # recorded from the frameworks' server\n"
        "run.view()"
    )


def card(view, tool: str):  # noqa: ANN001, ANN201 - a Playwright locator
    return view.locator(
        f'[data-testid="tool-card"]:has([data-testid="tool-name"]:text-is("{tool}"))'
    )


async def selected_agent(view, agent: str, namespace: str) -> None:  # noqa: ANN001
    """The agent is selected in the tree, and the conversation shows only its messages."""
    chosen = view.locator('[data-testid="tree-namespace"].lgw-selected')
    await expect(chosen).to_have_attribute("data-agent", agent)
    await expect(chosen).to_have_attribute("data-namespace", namespace)
    blocks = view.locator('[data-testid="message"]:visible')
    agents = await blocks.evaluate_all("blocks => blocks.map(b => b.dataset.agent)")
    assert set(agents) <= {agent}, agents


async def test_a_supervisors_handoffs_link_to_the_agents_they_started(open_notebook):
    handoffs = lg_widgets.load(SUPERVISOR).handoffs
    to_researcher, back, to_writer, _ = handoffs.to_dict("records")
    notebook = await open_notebook([cell(SUPERVISOR)])
    await notebook.run_all()
    view = notebook.view()
    await expect(view.get_by_test_id("status")).to_have_text("success", timeout=60_000)

    # the tree: who handed off to each agent, and with which call
    rows = view.get_by_test_id("tree-namespace")
    researcher = view.locator('[data-testid="tree-namespace"][data-agent="researcher"]')
    await expect(researcher.get_by_test_id("tree-from")).to_have_text(
        " from supervisor · transfer_to_researcher"
    )
    await expect(researcher.get_by_test_id("tree-stats")).to_contain_text("success · 34 tok")
    said = (
        "agent researcher (handed off from supervisor "
        f"(namespace {to_researcher['from_namespace']}) with transfer_to_researcher, "
        f"call {to_researcher['tool_call_id']})"
    )
    await expect(researcher).to_have_attribute("title", re.compile(re.escape(said)))
    revisit = view.locator(
        f'[data-namespace="{back["to_namespace"]}"][data-testid="tree-namespace"]'
    )
    await expect(revisit.get_by_test_id("tree-from")).to_have_text(
        " back from researcher · transfer_back_to_supervisor"
    )
    assert await rows.count() == 6

    # the handoff's card opens the researcher
    link = card(view, "transfer_to_researcher").get_by_test_id("open-handoff")
    await expect(link).to_have_text("→ researcher · success · 34 tok ›")
    await expect(link).to_have_attribute("data-namespace", to_researcher["to_namespace"])
    await expect(card(view, "transfer_to_writer").get_by_test_id("open-handoff")).to_contain_text(
        "→ writer · success"
    )
    await link.scroll_into_view_if_needed()
    await save(view, "handoff-view.png")
    await link.click()
    await selected_agent(view, "researcher", to_researcher["to_namespace"])
    await expect(view.locator('[data-testid="message"]:visible').last).to_contain_text(
        "Sunny in Paris"
    )
    await view.locator(".lgw-tree .lgw-link").click()  # show all

    # the framework's hand-back: marked as the framework's, and opens the supervisor's next visit
    home = card(view, "transfer_back_to_supervisor").first
    await expect(home).to_have_attribute("data-handoff", "back")
    hand_back = home.get_by_test_id("open-handoff")
    await expect(hand_back).to_contain_text("← back to supervisor · framework · success")
    block = view.locator('[data-testid="message"]:has([data-handoff="back"])').first
    await expect(block.get_by_test_id("message-role")).to_have_text("ai · framework")
    await hand_back.scroll_into_view_if_needed()
    await save(view, "handoff-back.png")
    await hand_back.click()
    await selected_agent(view, "supervisor", back["to_namespace"])
    await save(view, "handoff-back-opened.png")
    assert to_writer["to_agent"] == "writer"


async def test_a_swarms_handoff_links_alice_to_bob(open_notebook):
    (handoff,) = lg_widgets.load(SWARM).handoffs.to_dict("records")
    notebook = await open_notebook([cell(SWARM)])
    await notebook.run_all()
    view = notebook.view()
    await expect(view.get_by_test_id("status")).to_have_text("success", timeout=60_000)
    bob = view.locator('[data-testid="tree-namespace"][data-agent="bob"]')
    await expect(bob.get_by_test_id("tree-from")).to_have_text(" from alice · transfer_to_bob")
    said = f"handed off from alice (namespace {handoff['from_namespace']}) with transfer_to_bob"
    await expect(bob).to_have_attribute("title", re.compile(re.escape(said)))
    link = card(view, "transfer_to_bob").get_by_test_id("open-handoff")
    await expect(link).to_contain_text("→ bob · success")
    await link.click()
    await selected_agent(view, "bob", handoff["to_namespace"])
    await expect(view.locator('[data-testid="message"]:visible').last).to_contain_text(
        "Bob says: sunny in Paris."
    )
    await save(view, "handoff-swarm.png")

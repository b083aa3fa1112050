"""The static copy a notebook keeps of a run: complete, escaped, bounded."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import lg_widgets
from lg_widgets.run import Run
from lg_widgets.view.static import (
    HEAD_MESSAGES,
    TAIL_MESSAGES,
    TEXT_CHARS,
    TIMELINE_ROWS,
    run_html,
    run_text,
)

TRANSCRIPTS = Path(__file__).resolve().parents[1] / "transcripts"
EVIL = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script></pre>&amp;'
ALLOWED_TAGS = {"div", "span", "b", "pre", "details", "summary", "table", "thead", "tbody"}
ALLOWED_TAGS |= {"tr", "th", "td"}


class Page(HTMLParser):
    """The tags, attributes and text of an HTML fragment, as a browser's tokenizer sees them."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def count(self, lgw: str) -> int:
        return sum(1 for _, attrs in self.tags if attrs.get("data-lgw") == lgw)

    @property
    def all_text(self) -> str:
        return "".join(self.text)


def ai_chunk(message_id: str, content: str, *, calls: list[dict[str, Any]] | None = None) -> dict:
    chunk: dict[str, Any] = {
        "content": content,
        "id": message_id,
        "type": "AIMessageChunk",
        "chunk_position": "last",
        "tool_call_chunks": calls or [],
    }
    meta = {"langgraph_node": "model", "langgraph_checkpoint_ns": "", "langgraph_step": 1}
    return {"event": "messages", "data": [chunk, meta]}


def hostile_run() -> Run:
    run = Run.from_log(assistant_id="react", thread_id="t-1", run_id="r-1")
    args = json.dumps({"city": EVIL})
    call = {"name": "get_weather", "args": args, "id": "c1", "index": 0, "type": "tool_call_chunk"}
    run.add(ai_chunk("m1", EVIL, calls=[call]))
    tool = {"type": "tool", "content": EVIL, "tool_call_id": "c1", "name": "get_weather"}
    tool["id"] = "t1"
    run.add({"event": "updates", "data": {"tools": {"messages": [tool]}}})
    run.add({"event": "values", "data": {"note": EVIL, "n": 1}})
    run.finish("error", f"The graph raised ValueError: {EVIL}")
    return run


def test_hostile_text_stays_text_and_no_markup_gets_in():
    page = Page(run_html(hostile_run()))
    assert {tag for tag, _ in page.tags} <= ALLOWED_TAGS
    for _, attrs in page.tags:
        assert not [name for name in attrs if name.startswith("on") or name in ("src", "href")]
    # every hostile string is shown, literally, as text: in the error, the LLM text and the
    # tool's result as is, in the call's arguments and the final state as JSON
    assert page.all_text.count(EVIL) == 3, page.all_text
    assert page.all_text.count(json.dumps(EVIL)) == 2, page.all_text
    assert page.count("error") == 1 and page.count("tool-call") == 1


def test_the_react_run_shows_status_ids_conversation_and_tool_results():
    run = lg_widgets.load(TRANSCRIPTS / "react.messages-tuple.jsonl")
    page = Page(run_html(run))
    text = page.all_text
    assert "success" in text and run.run_id in text and run.thread_id in text
    calls = [attrs for tag, attrs in page.tags if attrs.get("data-lgw") == "tool-call"]
    assert len(calls) == 2
    assert "It is always sunny in Paris." in text and "cannot divide 42.0 by zero" in text
    final = run.messages[-1]["text"]
    assert final in text
    # the tool results live in their call cards, not again as messages of their own
    roles = [attrs["data-role"] for tag, attrs in page.tags if attrs.get("data-lgw") == "message"]
    assert roles == ["ai", "ai"]


def test_error_and_interrupt_runs_say_how_they_ended():
    error = lg_widgets.load(TRANSCRIPTS / "error.updates.jsonl")
    page = Page(run_html(error))
    assert page.count("error") == 1 and "boom" in page.all_text
    assert run_text(error).splitlines()[1].startswith("error: The graph raised ValueError")

    interrupted = lg_widgets.load(TRANSCRIPTS / "interrupt.updates+values.jsonl")
    page = Page(run_html(interrupted))
    assert page.count("interrupts") == 1 and "Publish the piece about x?" in page.all_text
    assert "interrupts: " in run_text(interrupted)


def test_sizes_are_bounded_and_cuts_are_said():
    run = Run.from_log(assistant_id="long")
    run.add(ai_chunk("big", "x" * 200_000))
    for i in range(300):
        run.add(ai_chunk(f"m{i}", f"message {i}"))
    for i in range(100):
        run.add({"event": "updates", "data": {"step": {"i": i, "blob": "y" * 10_000}}})
    run.finish("success")
    markup = run_html(run)
    assert len(markup) < 200_000, len(markup)
    page = Page(markup)
    text = page.all_text
    assert f"… {200_000 - TEXT_CHARS:,} more characters" in text
    hidden = 301 - HEAD_MESSAGES - TAIL_MESSAGES
    assert f"… {hidden} messages not shown" in text
    assert page.count("message") == HEAD_MESSAGES + TAIL_MESSAGES
    assert "message 299" in text and "message 0" in text and "message 150" not in text
    assert page.count("timeline-row") == TIMELINE_ROWS
    assert "… 85 more rows" in text
    assert len(run_text(run)) < 2_000


def test_text_plain_names_the_run_and_its_last_answer():
    run = lg_widgets.load(TRANSCRIPTS / "react.messages-tuple.jsonl")
    lines = run_text(run).splitlines()
    assert lines[0] == repr(run)
    assert lines[1] == "messages: 4 (ai 2, tool 2); tool calls: get_weather, divide"
    assert lines[2].startswith("last AI message (model): get_weather says: It is always sunny")
    assert lines[3].startswith("state: {'messages': [")

"""`run.to_html()`: the embedded data conforms to the wire, escapes safely, carries no keys, and
answers the view's requests as the kernel does (js/test/local.test.ts checks the front end's
side against js/test/embedded.fixture.json, written here)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import orjson
import pytest

import lg_widgets
from lg_widgets.run import Run
from lg_widgets.view import export, wire
from lg_widgets.view.queries import RunQueries
from tests.unit.test_wire_contract import conforms

ROOT = Path(__file__).resolve().parents[2]
TRANSCRIPTS = ROOT / "tests" / "transcripts"
FIXTURE = ROOT / "js" / "test" / "embedded.fixture.json"
FIXTURE_RUNS = ("react.messages-tuple", "agent.multi", "subgraph.updates.subgraphs")
BUNDLE = ("export default {};", ".lgw-root{}")  # the page around the data, without a build


def fixture_answers(name: str) -> dict[str, Any]:
    """A recorded run's embedded data, and the kernel's answers to requests on it."""
    run = lg_widgets.load(TRANSCRIPTS / f"{name}.jsonl")
    queries = RunQueries(run)
    modes = sorted({e.mode for e in run.events_between(0)})
    requests: list[dict[str, Any]] = [
        {"type": "events", "modes": [], "offset": -100, "limit": 100},
        {"type": "events", "modes": None, "offset": 2, "limit": 5},
        {"type": "events", "modes": [modes[-1]], "offset": 0, "limit": 3},
        {"type": "events", "modes": modes[:2], "offset": -4, "limit": 10},
        {"type": "event", "seq": 10**6},
        *({"type": "event", "seq": seq} for seq in range(0, run.event_count, 5)),
        *({"type": "row", "index": i} for i in range(len(run.state.timeline.rows) + 1)),
    ]
    answers = []
    for request in requests:
        if request["type"] == "events":
            answer: Any = queries.events_page(request["modes"], request["offset"], request["limit"])
        elif request["type"] == "event":
            answer = queries.event_detail(request["seq"])
        else:
            answer = queries.row_detail(request["index"])
        answers.append([request, answer])
    return wire.jsonable({"name": name, "run": export.embedded_run(run), "answers": answers})


@pytest.mark.parametrize("name", FIXTURE_RUNS)
def test_the_embedded_run_conforms_to_the_wire(name: str) -> None:
    conforms(fixture_answers(name)["run"], wire.EmbeddedRun, name)


def test_the_front_ends_fixture_is_what_the_export_writes_now() -> None:
    """Regenerate with `python -m tests.unit.test_export` when the export changes."""
    assert json.loads(FIXTURE.read_text()) == [fixture_answers(n) for n in FIXTURE_RUNS]


def test_token_events_are_stored_once_per_frame() -> None:
    run = lg_widgets.load(TRANSCRIPTS / "react.messages-tuple.jsonl")
    events = export.embedded_run(run)["events"]
    tokens = [row for row in events["rows"] if row[7] >= 0]
    # tool-call chunks (frames with args slots) are written whole: the page rebuilds content only
    framed = [e for e in run.events_between(0) if e.compacted and not e.frame.slots]
    assert len(tokens) == len(framed) > 20
    assert len(events["frames"]) < len(tokens) / 5
    assert all(row[4] is None for row in tokens if isinstance(row[6], str) and len(row[6]) < 100)


def test_script_json_cannot_close_its_element_and_round_trips() -> None:
    nasty = {"a": "</script><script>alert(1)</script><!-- & \u2028\u2029 >", "</SCRIPT>": 1}
    text = export.script_json(nasty)
    assert not re.search(r"[<>&\u2028\u2029]", text)
    assert json.loads(text) == nasty


def test_the_document_embeds_safely_and_shows_a_summary_without_script() -> None:
    evil = "</script><img src=x onerror=alert(1)><!--"
    run = Run.from_log(assistant_id=evil, run_id="r1")
    run.add({"event": "values", "data": {"note": evil}})
    run.finish("success")
    page = export.run_document(run, bundle=("const s = '</script>'; export {};", "a{}</style>"))
    # exactly our three script elements, each closed where we closed it
    assert page.count("<script") == 3 and page.count("</script>") == 3
    assert page.count("</style>") == 2
    data = re.search(r'<script id="lgw-run" type="application/json">(.*?)</script>', page, re.S)
    assert data is not None
    assert orjson.loads(data.group(1))["snapshot"]["header"]["assistant_id"] == evil
    fallback = re.search(r'<div id="lgw-fallback">(.*?)</div>\n<script', page, re.S)
    assert fallback is not None and "<img" not in fallback.group(1)


def test_a_live_run_is_saved_as_it_is_and_says_so() -> None:
    run = Run.from_log(assistant_id="live")
    run.add({"event": "values", "data": {"n": 1}})
    header = export.embedded_run(run)["snapshot"]["header"]
    assert header["live"] is False and header["ended_at"] is not None
    assert header["warnings"] == ["Saved while the run was running: this copy stops at event 1."]


def test_row_states_beyond_the_budget_are_left_out_with_a_sentence(monkeypatch) -> None:
    run = Run.from_log(assistant_id="big")
    for i in range(20):
        run.add({"event": "values", "data": {"i": i, "blob": "x" * 1000}})
    run.finish("success")
    monkeypatch.setattr(export, "ROW_DETAILS_BUDGET", 12_000)
    details = export.embedded_run(run)["row_details"]
    assert len(details) == 20
    kept = [d for d in details if "error" not in d]
    assert 3 <= len(kept) <= 5
    assert details[-1]["error"].startswith(f"The state at rows {len(kept)}-19 was left out")


def test_to_html_writes_the_document_with_no_key(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MY_API_KEY", "sk-secret-value")
    run = lg_widgets.load(TRANSCRIPTS / "react.messages-tuple.jsonl")
    monkeypatch.setattr(export, "STATIC", tmp_path)  # a tiny bundle in place of the build
    (tmp_path / "widget.js").write_text(BUNDLE[0])
    (tmp_path / "widget.css").write_text(BUNDLE[1])
    path = tmp_path / "run.html"
    document = run.to_html(path)
    assert path.read_text() == document and document.startswith("<!DOCTYPE html>")
    assert "sk-secret-value" not in document and "api_key" not in document.lower()


if __name__ == "__main__":  # regenerate the front end's fixture
    FIXTURE.write_text(json.dumps([fixture_answers(n) for n in FIXTURE_RUNS], indent=1) + "\n")
    print(f"wrote {FIXTURE}")

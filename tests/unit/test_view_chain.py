"""A view shows a chain of runs on one thread: rows and events numbered across the chain, a
delta that reads only the run followed now, and the run before flushed before the next."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lg_widgets import load
from lg_widgets.run import Run
from lg_widgets.view.display import chain_bundle
from lg_widgets.view.queries import RunQueries
from lg_widgets.view.sync import RunSync
from tests.faults.helpers import recorded_view

TRANSCRIPTS = Path(__file__).resolve().parents[1] / "transcripts"


def recorded(name: str) -> list[tuple[str, Any, Any]]:
    return [(e.event, e.data, e.id) for e in load(TRANSCRIPTS / name).events]


class Untouchable(list):  # type: ignore[type-arg]
    """Stands in for an earlier run's data: a delta must not read it."""

    def __iter__(self) -> Any:
        raise AssertionError("a delta read an earlier run of the chain")

    def __getitem__(self, item: Any) -> Any:
        raise AssertionError("a delta read an earlier run of the chain")


def applied_rows(rows: list[dict[str, Any]], messages: list[dict[str, Any]]) -> list[Any]:
    """The rows as the front end's store has them after these deltas."""
    rows = [dict(r) for r in rows]
    for message in messages:
        if message.get("type") == "delta":
            rows.extend(dict(r) for r in message.get("rows", []))
            for index, checkpoint_id in message.get("checkpoints", {}).items():
                rows[int(index)]["checkpoint_id"] = checkpoint_id
    return rows


def two_run_chain() -> tuple[Run, Run, RunSync, RunQueries, list[dict[str, Any]]]:
    first = Run.from_log(assistant_id="interrupt", stream_mode=["updates", "values"])
    second = Run.from_log(assistant_id="interrupt", stream_mode=["updates", "values"])
    sync = RunSync(first)
    queries = RunQueries(first, sync.chain)
    deltas: list[dict[str, Any]] = []
    for part in recorded("interrupt.updates+values.jsonl"):
        first.add(part)
    first.finish("interrupted")
    deltas.append(sync.delta(1))
    sync.continue_with(second)
    for i, part in enumerate(recorded("agent.multi.jsonl")):
        second.add(part)
        if i % 3 == 2:
            deltas.append(sync.delta(len(deltas) + 1))
    second.finish("success")
    deltas.append(sync.delta(len(deltas) + 1))
    return first, second, sync, queries, [d for d in deltas if d is not None]


def test_rows_and_events_are_numbered_across_the_chain():
    first, second, sync, queries, deltas = two_run_chain()
    snapshot = sync.snapshot(len(deltas))
    rows = snapshot["rows"]
    n_first = len(first.state.timeline.rows)
    assert [r["index"] for r in rows] == list(range(n_first + len(second.state.timeline.rows)))
    assert [r["index"] for d in deltas for r in d.get("rows", [])] == [r["index"] for r in rows]
    assert [r["seq"] for r in rows[n_first:]] == [
        first.event_count + r["seq"] for r in second.state.timeline.rows
    ]
    assert sum(snapshot["counts"].values()) == first.event_count + second.event_count
    for run in (first, second):  # each run's own index, as its events came
        modes = [e.mode for e in run.events]
        assert run.event_counts() == {mode: modes.count(mode) for mode in dict.fromkeys(modes)}
        for mode in set(modes) | {"absent"}:
            assert list(run.event_seqs(mode)) == [e.seq for e in run.events if e.mode == mode]
    both = [e.mode for r in (first, second) for e in r.events]
    assert snapshot["counts"] == {mode: both.count(mode) for mode in dict.fromkeys(both)}
    assert [r["seq"] for r in snapshot["events_tail"]] == list(
        range(
            first.event_count + second.event_count - len(snapshot["events_tail"]),
            first.event_count + second.event_count,
        )
    )
    header = snapshot["header"]
    assert [(r["status"], r["origin"]) for r in header["runs"]] == [
        ("interrupted", "python"),
        ("success", "python"),
    ]
    assert header["status"] == "success" and header["assistant_id"] == "interrupt"

    # the answers map the view's numbers back to each run
    page = queries.events_page(None, first.event_count - 2, 4)
    assert page["total"] == first.event_count + second.event_count
    assert [r["seq"] for r in page["rows"]] == list(
        range(first.event_count - 2, first.event_count + 2)
    )
    detail = queries.event_detail(first.event_count + 1)
    assert detail["data"] == second.event_at(1).data and detail["seq"] == first.event_count + 1
    assert queries.event_detail(first.event_count + second.event_count) == {
        "error": f"no event {first.event_count + second.event_count}"
    }
    updates = queries.events_page(["updates"], 0, 500)
    assert updates["total"] == sum(e.mode == "updates" for r in (first, second) for e in r.events)
    assert [r["seq"] for r in updates["rows"]] == [
        base + e.seq
        for r, base in ((first, 0), (second, first.event_count))
        for e in r.events
        if e.mode == "updates"
    ]
    row = queries.row_detail(n_first)
    assert row["state"] == second.state_at(0)[0] and row["row"] == rows[n_first]
    assert row["previous"] == first.state.timeline.last_row("")  # across the runs
    assert queries.row_detail(n_first - 1)["state"] == first.state_at(n_first - 1)[0]


def test_a_delta_reads_only_the_run_followed_now():
    first = load(TRANSCRIPTS / "tool_loop.messages-tuple+updates.jsonl")
    second = Run.from_log(assistant_id="tool_loop", stream_mode=["messages-tuple", "updates"])
    sync = RunSync(first)
    sync.snapshot(0)
    sync.continue_with(second)
    first.state.messages.messages = Untouchable()  # type: ignore[assignment]
    first.state.timeline.rows = Untouchable()
    rows, texts = 0, ""
    parts = recorded("tool_loop.messages-tuple+updates.jsonl")
    for i, part in enumerate(parts):
        second.add(part)
        if i % 5 == 4 or i == len(parts) - 1:
            delta = sync.delta(i) or {}
            rows += len(delta.get("rows", []))
            texts += "".join(delta.get("text", {}).values())
    assert rows == len(second.state.timeline.rows) > 0
    assert texts and texts == "".join(m.content_text for m in second.streamed_messages)


def test_the_view_goes_on_once_the_run_before_has_ended():
    first = Run.from_log(assistant_id="agent", stream_mode=["debug", "updates"])
    second = Run.from_log(assistant_id="interrupt", stream_mode=["updates", "values"])
    view, recorder = recorded_view(first)
    parts = recorded("agent.debug+updates.jsonl")  # a step's checkpoint comes after its rows
    for part in parts[:2]:
        first.add(part)
    view.continue_with(second)
    assert view.run is first and view.runs == [first]  # waits for the first run's end
    view.continue_with(second)  # asked twice: followed once
    for part in parts[2:]:
        first.add(part)
    for part in recorded("interrupt.updates+values.jsonl"):
        second.add(part)  # streams meanwhile: read when its turn comes
    first.finish("success")
    assert view.run is second and view.runs == [first, second]
    assert view._on_change not in first._listeners
    assert second._listeners.count(view._on_change) == 1
    second.finish("success")
    rows = applied_rows([], recorder.messages)
    assert rows == view.snapshot["rows"]  # each row sent once, the first run's before the second's
    assert all(r["checkpoint_id"] for r in rows[: len(first.state.timeline.rows)])
    assert len(rows) == len(first.state.timeline.rows) + len(second.state.timeline.rows)
    header = view.snapshot["header"]
    assert [r["status"] for r in header["runs"]] == ["success", "success"]
    assert any("checkpoints" in m for m in recorder.messages)


def test_the_static_copy_follows_the_chain_as_each_run_ends():
    """What a displayed run's notebook output is replaced with: every run the view shows."""
    first = Run.from_log(assistant_id="interrupt", stream_mode=["updates", "values"])
    second = Run.from_log(assistant_id="agent", stream_mode=["updates"])
    view, _ = recorded_view(first)
    ended: list[list[Run]] = []
    view.on_run_ended(ended.append)
    for part in recorded("interrupt.updates+values.jsonl"):
        first.add(part)
    view.continue_with(second)
    first.finish("interrupted")
    assert ended == [[first]]
    for part in recorded("agent.multi.jsonl"):
        second.add(part)
    second.finish("success")
    assert ended == [[first], [first, second]]
    html = chain_bundle(ended[-1])["text/html"]
    statuses = [m.group(1) for m in re.finditer(r'data-lgw="status"[^>]*>([a-z]+)<', html)]
    assert statuses == ["interrupted", "success"]
    assert chain_bundle(ended[-1])["text/plain"].count("<Run ") == 2

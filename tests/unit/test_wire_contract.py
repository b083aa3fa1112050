"""The kernel <-> front-end contract is declared once (lg_widgets/view/wire.py) and mirrored in
js/src/types.ts: these tests fail when the two drift, and when what the kernel really sends (a
recorded run's snapshot and deltas) strays from the declaration."""

from __future__ import annotations

import json
import re
import typing
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

from lg_widgets import interrupts, load
from lg_widgets.run import Run
from lg_widgets.view import wire
from lg_widgets.view.queries import RunQueries
from lg_widgets.view.sync import RunSync

ROOT = Path(__file__).resolve().parents[2]
TYPES_TS = ROOT / "js" / "src" / "types.ts"
TRANSCRIPTS = ROOT / "tests" / "transcripts"
WIRE_FIXTURE = ROOT / "js" / "test" / "wire.fixture.json"

RECORDS = [
    wire.InterruptAction,
    wire.InterruptInfo,
    wire.ThreadRun,
    wire.Header,
    wire.Usage,
    wire.ToolCallInfo,
    wire.ToolCallUpdate,
    wire.MessageInfo,
    wire.MessageUpdate,
    wire.TimelineRow,
    wire.TreeHandoff,
    wire.TreeNode,
    wire.EventRow,
    wire.Snapshot,
    wire.Delta,
    wire.CancelRequest,
    wire.ResyncRequest,
    wire.RowRequest,
    wire.EventsRequest,
    wire.EventRequest,
    wire.ResumeRequest,
    wire.ForkRequest,
    wire.ReplayRequest,
    wire.StateChange,
    wire.RowActions,
    wire.RowDetail,
    wire.Continued,
    wire.EventsPage,
    wire.EventDetail,
    wire.ResponseEnvelope,
    wire.GraphNode,
    wire.GraphGroup,
    wire.GraphEdge,
    wire.GraphInfo,
    wire.NodeActivity,
    wire.EmbeddedFrame,
    wire.EmbeddedEvents,
    wire.EmbeddedRun,
]
LITERALS = {
    "RunStatus": wire.RunStatus,
    "TreeStatus": wire.TreeStatus,
    "MessageRole": wire.MessageRole,
    "ToolStatus": wire.ToolStatus,
    "NodeStatus": wire.NodeStatus,
    "GraphNodeKind": wire.GraphNodeKind,
    "InterruptKind": wire.InterruptKind,
    "DecisionType": wire.DecisionType,
}
# what the embedded server answers for the `chat` demo's graph with xray=True
CHAT_GRAPH = {
    "nodes": [
        {"id": "__start__", "type": "runnable", "data": {"name": "__start__"}},
        {"id": "write_joke", "type": "runnable", "data": {"name": "write_joke"}},
        {"id": "write_poem", "type": "runnable", "data": {"name": "write_poem"}},
        {"id": "__end__"},
        {"id": "review:critic", "type": "runnable", "data": {"name": "review:critic"}},
    ],
    "edges": [
        {"source": "__start__", "target": "write_joke"},
        {"source": "__start__", "target": "write_poem"},
        {"source": "write_joke", "target": "review:critic"},
        {"source": "write_poem", "target": "review:critic"},
        {"source": "review:critic", "target": "__end__"},
    ],
}


def ts_interfaces(source: str) -> dict[str, dict[str, bool]]:
    """`{interface: {field: optional}}` from `export interface X [extends Y] { a?: T; ... }`."""
    out: dict[str, dict[str, bool]] = {}
    for match in re.finditer(
        r"export interface (\w+)(?: extends (\w+))? \{(.*?)\n\}", source, re.DOTALL
    ):
        name, base, body = match.groups()
        fields = dict(out.get(base, {})) if base else {}
        for line in body.splitlines():
            field = re.match(r"\s*(\w+)(\??):", line)
            if field:
                fields[field.group(1)] = field.group(2) == "?"
        out[name] = fields
    return out


def ts_string_unions(source: str) -> dict[str, set[str]]:
    out = {}
    for match in re.finditer(r"export type (\w+) =([^;]*);", source, re.DOTALL):
        values = re.findall(r'"([^"]*)"', match.group(2))
        if values:
            out[match.group(1)] = set(values)
    return out


def test_every_wire_record_has_the_same_fields_in_typescript() -> None:
    interfaces = ts_interfaces(TYPES_TS.read_text())
    for record in RECORDS:
        python = {key: key in record.__optional_keys__ for key in get_type_hints(record)}
        assert record.__name__ in interfaces, f"{record.__name__} missing from types.ts"
        assert interfaces[record.__name__] == python, record.__name__


def test_status_values_are_the_same_in_typescript() -> None:
    unions = ts_string_unions(TYPES_TS.read_text())
    for name, literal in LITERALS.items():
        assert unions.get(name) == set(get_args(literal)), name


def test_interrupt_vocabulary_is_the_one_interrupts_reads() -> None:
    assert set(get_args(wire.InterruptKind)) == set(get_args(interrupts.Kind))
    assert get_args(wire.DecisionType) == interrupts.DECISIONS


def test_the_request_union_lists_every_request() -> None:
    source = TYPES_TS.read_text()
    union = re.search(r"export type Request =([^;]*);", source, re.DOTALL)
    assert union is not None
    assert set(re.findall(r"\w+", union.group(1))) == {r.__name__ for r in get_args(wire.Request)}


def conforms(value: Any, hint: Any, where: str) -> None:
    """Check `value` against a TypedDict / list / dict / union / literal hint, recursively."""
    origin = get_origin(hint)
    if hint is Any or hint is object:
        return
    if isinstance(hint, type) and typing.is_typeddict(hint):
        assert isinstance(value, dict), where
        hints = get_type_hints(hint)
        assert set(value) <= set(hints), f"{where}: undeclared {set(value) - set(hints)}"
        assert hint.__required_keys__ <= set(value), f"{where}: missing keys"
        for key, item in value.items():
            conforms(item, hints[key], f"{where}.{key}")
        return
    if origin is Literal:
        assert value in get_args(hint), f"{where}: {value!r} not in {get_args(hint)}"
        return
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        errors = []
        for option in get_args(hint):
            try:
                conforms(value, option, where)
                return
            except AssertionError as exc:
                errors.append(str(exc))
        raise AssertionError(f"{where}: no option fits: {errors}")
    if origin is list:
        assert isinstance(value, list), where
        for i, item in enumerate(value):
            conforms(item, get_args(hint)[0], f"{where}[{i}]")
        return
    if origin is dict:
        assert isinstance(value, dict), where
        for key, item in value.items():
            conforms(item, get_args(hint)[1], f"{where}[{key}]")
        return
    if hint is type(None):
        assert value is None, where
        return
    if hint is float:
        assert isinstance(value, (int, float)) and not isinstance(value, bool), where
        return
    assert isinstance(value, hint), f"{where}: {value!r} is not {hint}"


def recorded_messages() -> dict[str, Any]:
    """What the kernel sends for a recorded run: a snapshot before, deltas, a final snapshot,
    and an answer of each kind."""
    events = load(TRANSCRIPTS / "chat.messages-tuple.subgraphs.jsonl").events
    run = Run.from_log(assistant_id="chat", stream_mode=["messages-tuple", "updates"])
    sync, queries = RunSync(run), RunQueries(run)
    first = sync.snapshot(0)
    deltas = []
    for event in events:
        if event.seq == 20:  # the graph arrives while the run streams
            run.set_graph(CHAT_GRAPH)
        run.add((event.event, event.data, event.id))
        if event.seq % 10 == 9:
            delta = sync.delta(len(deltas) + 1)
            if delta is not None:
                deltas.append(delta)
    run.finish("success", ended_at=run.started_at + 1)
    deltas.append(sync.delta(len(deltas) + 1))
    answers = {
        "events": queries.events_page(None, -5, 5),
        "event": queries.event_detail(3),
        "error": queries.event_detail(10**6),
    }
    return {"first": first, "deltas": deltas, "last": sync.snapshot(len(deltas)), **answers}


def test_what_the_kernel_sends_conforms_to_the_declaration() -> None:
    sent = wire.jsonable(recorded_messages())
    conforms(sent["first"], wire.Snapshot, "first")
    conforms(sent["last"], wire.Snapshot, "last")
    assert sent["deltas"] and all(d is not None for d in sent["deltas"])
    for i, delta in enumerate(sent["deltas"]):
        conforms(delta, wire.Delta, f"delta {i}")
    conforms(sent["events"], wire.EventsPage, "events")
    conforms(sent["event"], wire.EventDetail, "event")
    conforms(sent["error"], wire.RequestError, "error")
    assert any("text" in d for d in sent["deltas"]) and sent["last"]["tree"]["children"]
    assert sent["first"]["graph"] is None and sent["last"]["graph"]["groups"]
    assert sum("graph" in d for d in sent["deltas"]) == 1  # the graph is sent once
    assert sum(len(d.get("graph_activity", [])) for d in sent["deltas"]) > 3


def test_a_supervisors_handoffs_conform() -> None:
    """The chat run has no handoffs: a supervisor's tree says who handed off to whom."""
    run = load(TRANSCRIPTS / "supervisor.tasks+updates+messages-tuple.subgraphs.jsonl")
    sent = wire.jsonable(RunSync(run).snapshot(0))
    conforms(sent, wire.Snapshot, "supervisor")
    assert sum(child["handoff"] is not None for child in sent["tree"]["children"]) == 4


def test_row_details_conform() -> None:
    run = load(TRANSCRIPTS / "subgraph.updates.subgraphs.jsonl")
    for index in range(len(run.state.timeline.rows)):
        conforms(wire.jsonable(RunQueries(run).row_detail(index)), wire.RowDetail, f"row {index}")


def test_the_front_ends_fixture_is_what_the_kernel_sends_now() -> None:
    """js/test reads this file to check the front end applies real kernel messages; when the
    kernel's output changes, regenerate it with `python -m tests.unit.test_wire_contract`."""
    fixture = json.loads(WIRE_FIXTURE.read_text())
    now = wire.jsonable(recorded_messages())
    for when in ("first", "last"):
        now[when]["header"]["started_at"] = fixture[when]["header"]["started_at"]
        now[when]["header"]["ended_at"] = fixture[when]["header"]["ended_at"]
    assert _without_times(now) == _without_times(fixture)


def _without_times(value: Any) -> Any:
    """Receive times (and durations between them) differ per load; the rest must be identical."""
    if isinstance(value, dict):
        return {
            k: _without_times(v)
            for k, v in value.items()
            if k not in ("time", "first_time", "last_time", "started_at", "ended_at", "seconds")
        }
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


if __name__ == "__main__":  # regenerate the front end's fixture
    WIRE_FIXTURE.write_text(json.dumps(wire.jsonable(recorded_messages()), indent=1) + "\n")
    print(f"wrote {WIRE_FIXTURE}")

"""RunView's kernel side: coalesced deltas under a dense event stream, with a counting sink."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
import pytest

from lg_widgets.run import Run
from lg_widgets.view.queries import RunQueries
from lg_widgets.view.sync import RunSync
from lg_widgets.view.widget import FLUSH_INTERVAL_S, SNAPSHOT_SHARE, Flusher, RunView
from lg_widgets.view.wire import preview


def token_part(i: int, message: str = "m1", node: str = "writer", ns: str = "") -> dict[str, Any]:
    chunk = {"content": f"t{i} ", "id": message, "type": "AIMessageChunk"}
    meta = {"langgraph_node": node, "langgraph_checkpoint_ns": ns, "tags": ["demo"]}
    return {"event": "messages" + (f"|{ns}" if ns else ""), "data": [chunk, meta]}


class Sink:
    """Stands in for the comm: records what RunView would send to the front end."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def __call__(self, content: dict[str, Any], buffers: Any = None) -> None:
        self.messages.append(content)


def live_run() -> Run:
    """A run fed by hand through the public API: open until `finish` is called."""
    return Run.from_log(assistant_id="fake")


def finish(run: Run) -> None:
    run.finish("success")


def view_with_sink(run: Run, **options: Any) -> tuple[RunView, Sink]:
    view = run.view(**options)
    sink = Sink()
    view.send = sink  # type: ignore[method-assign]
    return view, sink


async def feed(run: Run, tokens: int, per_yield: int = 5, pause: float = 0.0005) -> float:
    """Ingest `tokens` token parts, yielding to the loop like a real stream; returns seconds."""
    start = time.monotonic()
    for i in range(tokens):
        run.add(token_part(i))
        if i % per_yield == 0:
            await asyncio.sleep(pause)
    return time.monotonic() - start


async def test_message_rate_is_bounded_whatever_the_event_rate():
    run = live_run()
    view, sink = view_with_sink(run)
    seconds = await feed(run, 6000)
    finish(run)
    deltas = [m for m in sink.messages if m["type"] == "delta"]
    assert seconds > 0.3  # long enough for the bound to mean something
    assert len(deltas) <= seconds / FLUSH_INTERVAL_S + 2
    assert [m["seq"] for m in deltas] == list(range(1, len(deltas) + 1))
    key = view.snapshot["messages"][0]["key"]  # deltas name the message by its short key
    text = "".join(m.get("text", {}).get(key, "") for m in deltas)
    assert text == run.state.messages.messages["m1"].text
    assert view.snapshot["seq"] == deltas[-1]["seq"]
    assert view.snapshot["messages"][0]["text"] == text
    assert view.snapshot["header"]["status"] == "success"


def delta_bytes_per_token(tokens: int, per_flush: int = 10) -> float:
    """Bytes of the deltas for `tokens` tokens flushed every `per_flush` tokens (no clock)."""
    run = Run.from_log(assistant_id="fake")
    sync = RunSync(run)
    sync.snapshot(0)
    total = 0
    for i in range(tokens):
        run.add(token_part(i % 10))  # pieces of constant size
        if i % per_flush == per_flush - 1:
            total += len(orjson.dumps(sync.delta(1)))
    return total / tokens


def test_delta_bytes_grow_linearly_with_tokens():
    small, large = delta_bytes_per_token(1000), delta_bytes_per_token(16000)
    assert large < small * 1.1  # O(n): no growing string is ever re-sent
    assert large < 20  # a 4-byte piece costs a few bytes more (its share of the delta frame)


async def test_live_bytes_per_token_stay_small():
    run = live_run()
    view, _sink = view_with_sink(run)
    await feed(run, 8000)
    finish(run)
    text = len(run.state.messages.messages["m1"].text)
    final = len(orjson.dumps(view.snapshot))
    assert view.custom_bytes < 1.5 * text + 300 * view.custom_messages_sent
    # periodic snapshots stay within their share of the delta bytes; the final one is extra
    assert view.snapshot_bytes <= SNAPSHOT_SHARE * view.custom_bytes + final
    assert view.custom_bytes + view.snapshot_bytes < 3 * text


async def test_no_send_before_the_interval_and_one_after():
    sends: list[float] = []
    loop = asyncio.get_running_loop()
    flusher = Flusher(lambda: sends.append(loop.time()), interval=0.05)
    for _ in range(100):
        flusher.poke()
    assert sends == []
    await asyncio.sleep(0.08)
    assert len(sends) == 1
    flusher.poke()
    flusher.poke()
    await asyncio.sleep(0.08)
    assert len(sends) == 2 and sends[1] - sends[0] >= 0.049


async def test_timeline_rows_carry_previews_not_whole_states():
    run = live_run()
    view, sink = view_with_sink(run)
    big = "x" * 100_000
    for step in range(3):
        run.add({"event": "values", "data": {"doc": big + str(step), "step_no": step}})
        await asyncio.sleep(0.06)
    finish(run)
    rows = [row for m in sink.messages if m["type"] == "delta" for row in m.get("rows", [])]
    assert [r["index"] for r in rows] == [0, 1, 2]
    assert all(len(r["preview"]) <= 160 for r in rows)
    assert sum(len(str(m)) for m in sink.messages) < 10_000
    detail = RunQueries(run).row_detail(2)
    assert detail["state"]["doc"].endswith("2") and detail["approximate"] is False
    assert {d["key"] for d in detail["diff"]} == {"doc", "step_no"}


async def test_updates_rows_merge_into_state_and_diff():
    run = live_run()
    view, _ = view_with_sink(run)
    run.add({"event": "updates", "data": {"a": {"topic": "x"}}})
    run.add({"event": "updates", "data": {"b": {"joke": "y"}}})
    finish(run)
    detail = RunQueries(run).row_detail(1)
    assert detail["state"] == {"topic": "x", "joke": "y"} and detail["approximate"] is True
    assert detail["diff"] == [{"key": "joke", "kind": "added", "before": None, "after": "y"}]


async def test_front_end_requests_are_answered():
    run = live_run()
    view, sink = view_with_sink(run)
    for i in range(30):
        run.add(token_part(i))
    run.add({"event": "custom", "data": {"progress": 50}})
    view._on_front_end_message(view, {"type": "events", "req": "a", "modes": ["custom"]}, [])
    view._on_front_end_message(view, {"type": "events", "req": "b", "offset": -10, "limit": 10}, [])
    view._on_front_end_message(view, {"type": "event", "req": "c", "seq": 30}, [])
    answers = {m["req"]: m for m in sink.messages if m["type"] == "response"}
    assert answers["a"]["total"] == 1 and answers["a"]["rows"][0]["mode"] == "custom"
    assert answers["b"]["total"] == 31 and [r["seq"] for r in answers["b"]["rows"]] == list(
        range(21, 31)
    )
    assert answers["c"]["data"] == {"progress": 50}
    finish(run)


async def test_a_view_of_a_finished_run_is_complete_at_once():
    run = live_run()
    for i in range(50):
        run.add(token_part(i, message="m1"))
        run.add(token_part(i, message="m2", node="other", ns="sub:1"))
    finish(run)
    await asyncio.sleep(0)
    view = run.view()
    texts = {m["id"]: m["text"] for m in view.snapshot["messages"]}
    assert texts == {
        "m1": run.state.messages.messages["m1"].text,
        "m2": run.state.messages.messages["m2"].text,
    }
    assert view._unsubscribe is None


def test_preview_is_bounded():
    assert len(preview({"k": list(range(10_000))})) <= 160
    assert preview("a" * 1000).endswith("…")
    assert len(preview("a" * 1000)) == 160


def test_preview_honours_its_limit():
    """A string used to be cut at 60 characters whatever the limit (timeline previews of a
    long text never reached PREVIEW_CHARS)."""
    text = "word " * 50
    assert preview(text, 100) == text[:99] + "…"
    assert preview(text, 30) == text[:29] + "…"
    assert preview("short", 100) == "short"
    assert preview("<img src=x onerror=alert(1)>") == "<img src=x onerror=alert(1)>"


def test_unknown_options_are_rejected():
    run = Run.from_log(assistant_id="fake")
    with pytest.raises(TypeError):
        run.view(colour="red")


def test_outside_a_kernel_a_run_displays_as_its_repr():
    run = Run.from_log(assistant_id="fake")
    data, _ = run._repr_mimebundle_()
    assert data == {"text/plain": repr(run)}


def _apply(store: dict[str, dict[str, Any]], keys: dict[str, str], delta: dict[str, Any]) -> None:
    """What js/src/store.ts does with a delta's messages, in a few lines (to check the sync)."""
    for info in delta.get("messages", []):
        store[info["id"]] = {
            **info,
            "text": "",
            "tool_calls": [dict(c) for c in info["tool_calls"]],
        }
        keys[info["key"]] = info["id"]
    for update in delta.get("message_updates", []):
        message = store[keys[update["key"]]]
        message.update({k: v for k, v in update.items() if k not in ("key", "tool_calls")})
        for change in update.get("tool_calls", []):
            known = [c for c in message["tool_calls"] if c["index"] == change["index"]]
            known[0].update(change) if known else message["tool_calls"].append(dict(change))
    for key, piece in delta.get("text", {}).items():
        store[keys[key]]["text"] += piece
    for key, calls in delta.get("tool_args", {}).items():
        for index, piece in calls.items():
            call = next(c for c in store[keys[key]]["tool_calls"] if c["index"] == int(index))
            call["args_text"] = call.get("args_text", "") + piece


def test_tool_call_deltas_send_each_info_once_then_only_what_changed():
    from bench.graphs import EVENTS_PER_MESSAGE
    from bench.offline import payloads

    run = Run.from_log(assistant_id="bench")
    sync = RunSync(run)
    sent: list[dict[str, Any]] = []
    for i, (name, data) in enumerate(payloads("toolcalls", 3 * EVENTS_PER_MESSAGE)):
        run.add((name, orjson.loads(data), None))
        if i % 7 == 6:
            sent.append(orjson.loads(orjson.dumps(sync.delta(len(sent) + 1))))
    run.finish("success")
    sent.append(orjson.loads(orjson.dumps(sync.delta(len(sent) + 1))))
    store: dict[str, dict[str, Any]] = {}
    keys: dict[str, str] = {}
    for delta in sent:
        _apply(store, keys, delta)
    final = orjson.loads(orjson.dumps(sync.snapshot(len(sent))))["messages"]
    assert list(store.values()) == final
    infos = [info for delta in sent for info in delta.get("messages", [])]
    assert len(infos) == 3  # each message's whole info once; a second call or the end: updates
    assert all(len(key) == 1 for delta in sent for key in delta.get("tool_args", {}))
    ends = [u for d in sent for u in d.get("message_updates", []) if u.get("complete")]
    # the end says only that: a call's timing travels with its result (none here)
    assert [set(u) for u in ends] == [{"key", "complete", "usage"}] * 3


def test_a_flush_does_not_parse_a_calls_growing_arguments(monkeypatch):
    """The view sends a call's arguments as text: parsing them on every flush while they
    stream would cost O(arguments so far) a flush (run.tool_calls still parses them)."""
    from bench.graphs import EVENTS_PER_MESSAGE
    from bench.offline import payloads
    from lg_widgets.reducers import merging, messages

    run = Run.from_log(assistant_id="bench")
    sync = RunSync(run)

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the view parsed a call's arguments")

    with monkeypatch.context() as patched:
        patched.setattr(merging.Pieces, "parsed", refuse)
        patched.setattr(messages, "parse_json", refuse)
        for i, (name, data) in enumerate(payloads("toolcalls", 2 * EVENTS_PER_MESSAGE)):
            run.add((name, orjson.loads(data), None))
            if i % 5 == 4:
                sync.delta(i)
        sync.snapshot(0)
    assert all(call["valid_args"] for call in run.tool_calls.to_dict("records"))


def test_a_tool_result_carries_its_latency_and_a_call_carries_no_timing():
    from pathlib import Path

    import lg_widgets

    transcripts = Path(__file__).parent.parent / "transcripts"
    run = lg_widgets.load(transcripts / "react.messages-tuple.jsonl")
    messages = RunSync(run).snapshot(0)["messages"]
    calls = run.tool_calls.set_index("id")
    results = [m for m in messages if m.get("role") == "tool"]
    assert len(results) == len(calls) == 2
    for result in results:
        # the same figure as run.tool_calls' latency column, to the millisecond
        assert result["latency"] == round(calls.loc[result["tool_call_id"], "latency"], 3)
        assert result["latency"] >= 0
    assert all(
        set(c) == {"index", "id", "name", "args_text"} for m in messages for c in m["tool_calls"]
    )
    assert all("latency" not in m for m in messages if m.get("role", "ai") != "tool")


def test_a_tool_result_carries_its_own_time_and_its_wait_and_starts_go_out_once():
    """The tool's own time and the wait before it (`latency`, `waited`) are run.tool_calls'
    figures; each tool's start goes out once, in the delta after it (a card runs from there)."""
    from pathlib import Path

    import lg_widgets

    transcripts = Path(__file__).parent.parent / "transcripts"
    recorded = lg_widgets.load(transcripts / "team.tasks+updates+messages-tuple.subgraphs.jsonl")
    run = Run.from_log(assistant_id="team", stream_mode=list(recorded.stream_mode or []))
    sync = RunSync(run)
    starts: dict[str, float] = {}
    for event in recorded.events:
        run.add((event.event, event.data, event.id))
        delta = sync.delta(event.seq + 1) or {}
        for call_id, began in delta.get("tool_starts", {}).items():
            assert call_id not in starts  # once each
            starts[call_id] = began
    run.finish("success")
    calls = run.tool_calls.set_index("id")
    assert starts == run.state.agents.tool_starts and len(starts) == 2
    snapshot = sync.snapshot(10**6)
    assert snapshot["tool_starts"] == starts
    results = [m for m in snapshot["messages"] if m.get("role") == "tool"]
    assert len(results) == len(calls) >= 2
    for result in results:
        row = calls.loc[result["tool_call_id"]]
        assert result["latency"] == round(row["latency"], 3)
        assert result["waited"] == round(row["waited"], 3)


def test_what_a_framework_wrote_in_an_agents_name_is_shown_and_marked():
    from pathlib import Path

    import lg_widgets

    transcripts = Path(__file__).parent.parent / "transcripts"
    run = lg_widgets.load(transcripts / "supervisor.tasks+updates+messages-tuple.subgraphs.jsonl")
    messages = RunSync(run).snapshot(0)["messages"]
    marked = [m for m in messages if m.get("synthetic")]
    assert [m.get("role", "ai") for m in marked] == ["ai", "tool", "ai", "tool"]
    # not the agent's LLM text (run.text leaves it out), yet the view shows what was written
    assert marked[0]["text"] == "Transferring back to supervisor"
    assert all("synthetic" not in m and "owner" not in m for m in messages if m not in marked)
    # it speaks for the agent whose node wrote it, as run.messages says
    said = {m["id"]: m["agent"] for m in run.messages}
    agents = run.state.agents
    for m in marked:
        assert m["owner"] and m.get("namespace", "") != m["owner"]
        assert agents.agent_of(tuple(m["owner"].split("|"))) == said[m["id"]] != "supervisor"


@pytest.mark.parametrize(
    ("name", "moves"),
    [
        (
            "supervisor",
            [
                ("researcher", "supervisor", "transfer_to_researcher", False),
                ("supervisor", "researcher", "transfer_back_to_supervisor", True),
                ("writer", "supervisor", "transfer_to_writer", False),
                ("supervisor", "writer", "transfer_back_to_supervisor", True),
            ],
        ),
        ("swarm", [("bob", "alice", "transfer_to_bob", False)]),
    ],
)
@pytest.mark.parametrize("modes", ["updates", "tasks+updates"])
def test_an_agent_a_handoff_started_says_who_handed_off_with_which_call(name, moves, modes):
    """The tree sent to the view names, on each agent a handoff started, who handed off (and
    from where) with which tool, as `run.handoffs` says; the card of that call finds the agent
    by the call's id (`tool_call_id`)."""
    from pathlib import Path

    import lg_widgets

    transcripts = Path(__file__).parent.parent / "transcripts"
    run = lg_widgets.load(transcripts / f"{name}.{modes}+messages-tuple.subgraphs.jsonl")
    tree = RunSync(run).snapshot(0)["tree"]
    handed = [child for child in tree["children"] if child["cause"] == "handoff"]
    said = [
        (c["agent"], c["handoff"]["from_agent"], c["handoff"]["tool"], c["handoff"]["back"])
        for c in handed
    ]
    assert said == moves
    assert all(c["handoff"] is None for c in tree["children"] if c not in handed)
    assert tree["handoff"] is None
    rows = run.handoffs.set_index("tool_call_id")
    calls = {c["id"] for m in run.messages for c in m["tool_calls"]}
    for child in handed:
        row = rows.loc[child["tool_call_id"]]
        assert row["to_namespace"] == child["namespace"]
        assert row["from_namespace"] == child["handoff"]["from_namespace"]
        assert child["tool_call_id"] in calls  # a card the view shows carries the link


async def test_a_closed_view_and_its_run_are_freed():
    """Nothing outside keeps a view alive once it is closed: given its front end as a path,
    anywidget ties every view to the file's watcher (anywidget issue 929), which kept every
    run ever shown in the kernel's memory."""
    import gc
    import weakref

    run = live_run()
    view, sink = view_with_sink(run)
    await feed(run, 50)
    finish(run)
    assert sink.messages
    refs = [weakref.ref(run), weakref.ref(view)]
    view.close()
    del run, view, sink
    gc.collect()
    assert [ref() for ref in refs] == [None, None]

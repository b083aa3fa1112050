"""Successive full states share what did not change (events.StateInterner), and every event
still serializes to exactly what was received."""

from __future__ import annotations

import copy

import orjson

from lg_widgets.run.model import Run


def fresh(data: dict) -> dict:
    """What the SDK hands over: newly decoded objects, nothing shared with earlier parts."""
    return orjson.loads(orjson.dumps(data))


def values(data: dict, namespace: str = "") -> tuple[str, dict, None]:
    return ("values" + (f"|{namespace}" if namespace else ""), fresh(data), None)


def received(parts: list) -> list[bytes]:
    return [orjson.dumps(p[1]) for p in parts]


def kept(run: Run) -> list[bytes]:
    return [orjson.dumps(e.data) for e in run.events]


def test_an_unchanged_key_and_unchanged_list_items_are_one_object_across_snapshots():
    doc = "d" * 2_000_000
    messages: list[dict] = []
    parts = []
    for step in range(30):
        messages.append({"type": "ai", "content": f"message {step}", "id": f"m{step}"})
        parts.append(values({"doc": doc, "step": step, "messages": messages}))
    wire = received(parts)
    run = Run.from_log()
    for part in parts:
        run.add(part)
    states = [e.data for e in run.events]
    assert all(s["doc"] is states[0]["doc"] for s in states)
    last, before = states[-1]["messages"], states[-2]["messages"]
    assert last is not before and len(last) == len(before) + 1
    assert all(a is b for a, b in zip(last, before[: len(last)], strict=False))
    assert kept(run) == wire


def test_values_that_compare_equal_but_serialize_differently_are_not_shared():
    first = {"a": 1, "b": 0.0, "c": {"x": 1, "y": 2}, "d": [1, True], "e": float("nan")}
    second = {"a": 1.0, "b": -0.0, "c": {"y": 2, "x": 1}, "d": [True, 1], "e": None}
    third = {"a": True, "b": -0.0, "c": {"y": 2, "x": 1}, "d": [1.0, 1], "e": None}
    run = Run.from_log()
    for data in (first, second, third):
        run.add(values(data) if data is not first else ("values", copy.deepcopy(data), None))
    got = [e.data for e in run.events]
    for data, event in zip((first, second, third), got, strict=True):
        assert orjson.dumps(event) == orjson.dumps(data)
        assert [type(v) for v in event["d"]] == [type(v) for v in data["d"]]
    assert list(got[1]["c"]) == ["y", "x"] and got[2]["c"] is got[1]["c"]  # same JSON: shared
    assert got[2]["b"] is got[1]["b"]
    assert got[1]["e"] is None  # NaN serializes as null too, but is not None


def test_namespaces_and_checkpoint_states_share_with_their_own_previous_state():
    big = "s" * 100_000
    run = Run.from_log()
    run.add(values({"text": big, "n": 1}))
    run.add(values({"text": big, "n": 1}, "child:1"))  # another namespace: nothing before
    run.add(values({"text": big, "n": 2}))
    checkpoint = {"values": {"text": big, "n": 3}, "next": [], "metadata": {"step": 3}}
    run.add(("checkpoints", fresh(checkpoint), None))
    root, child, again, point = (e.data for e in run.events)
    assert again["text"] is root["text"] and child["text"] is not root["text"]
    assert point["values"]["text"] is root["text"]


def test_a_list_with_a_changed_item_shares_the_others():
    items = [{"i": i, "tag": "x" * 50} for i in range(5)]
    run = Run.from_log()
    run.add(values({"items": items}))
    changed = copy.deepcopy(items)
    changed[2]["tag"] = "changed"
    run.add(values({"items": changed}))
    before, after = (e.data["items"] for e in run.events)
    assert [a is b for a, b in zip(after, before, strict=True)] == [True, True, False, True, True]
    assert after[2]["tag"] == "changed"

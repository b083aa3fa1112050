"""Interrupt payloads read into one shape, and decisions turned into each format's resume value.

The payloads are the ones the installed langchain's HumanInTheLoopMiddleware sends (batched and
per call, as recorded from the embedded server) and the Agent Inbox schema."""

from __future__ import annotations

import pytest

from lg_widgets.errors import LgWidgetsError
from lg_widgets.interrupts import answer, read_interrupt, resume_value
from lg_widgets.threads import resume_payload

BATCHED = {
    "value": {
        "action_requests": [
            {"name": "get_weather", "args": {"city": "Rome"}, "description": "weather?"},
            {"name": "divide", "args": {"a": 10, "b": 2}, "description": "divide?"},
        ],
        "review_configs": [
            {
                "action_name": "get_weather",
                "allowed_decisions": ["approve", "edit", "reject", "respond"],
            },
            {"action_name": "divide", "allowed_decisions": ["approve", "reject"]},
        ],
    },
    "id": "i-batched",
    "response_schema": None,
}
PER_CALL = {
    "value": {
        "type": "tool_approval",
        "tool_call_id": "call_1",
        "name": "divide",
        "args": {"a": 10, "b": 2},
        "description": "divide?",
    },
    "id": "i-divide",
    "response_schema": {
        "$defs": {
            "ApproveDecision": {"properties": {"type": {"const": "approve"}}},
            "RejectDecision": {"properties": {"type": {"const": "reject"}}},
        },
        "discriminator": {"propertyName": "type"},
        "oneOf": [{"$ref": "#/$defs/ApproveDecision"}, {"$ref": "#/$defs/RejectDecision"}],
    },
}
INBOX = {
    "value": [
        {
            "action_request": {"action": "send_email", "args": {"to": "a@b.c"}},
            "config": {
                "allow_accept": True,
                "allow_edit": True,
                "allow_respond": False,
                "allow_ignore": True,
            },
            "description": "Send it?",
        }
    ],
    "id": "i-inbox",
}


def test_batched_middleware_payload():
    info = read_interrupt(BATCHED)
    assert info["kind"] == "hitl" and info["id"] == "i-batched"
    assert [(a["name"], a["allowed"]) for a in info["actions"]] == [
        ("get_weather", ["approve", "edit", "reject", "respond"]),
        ("divide", ["approve", "reject"]),
    ]
    assert info["actions"][0]["args"] == {"city": "Rome"}
    assert info["actions"][1]["description"] == "divide?"


def test_batched_decisions_become_the_middleware_resume_value():
    info = read_interrupt(BATCHED)
    value = resume_value(info, [{"type": "edit", "args": {"city": "Oslo"}}, "reject"])
    assert value == {
        "decisions": [
            {"type": "edit", "edited_action": {"name": "get_weather", "args": {"city": "Oslo"}}},
            {"type": "reject"},
        ]
    }
    responded = resume_value(info, [{"type": "respond", "message": "12 C"}, "approve"])
    assert responded["decisions"][0] == {"type": "respond", "message": "12 C"}


def test_disallowed_or_missing_decisions_are_refused_with_a_sentence():
    info = read_interrupt(BATCHED)
    with pytest.raises(LgWidgetsError, match="'edit' is not allowed for divide"):
        resume_value(info, ["approve", {"type": "edit", "args": {"a": 1, "b": 1}}])
    with pytest.raises(LgWidgetsError, match=r"asks for 2 decision\(s\)"):
        resume_value(info, ["approve"])
    with pytest.raises(LgWidgetsError, match="Unknown decision type 'maybe'"):
        resume_value(info, ["maybe", "approve"])
    with pytest.raises(LgWidgetsError, match="needs the edited arguments"):
        resume_value(info, [{"type": "edit"}, "approve"])
    with pytest.raises(LgWidgetsError, match="needs the reply as text"):
        resume_value(info, [{"type": "respond"}, "approve"])


def test_per_call_payload_reads_allowed_decisions_from_the_response_schema():
    info = read_interrupt(PER_CALL)
    assert info["kind"] == "hitl"
    assert info["actions"] == [
        {
            "name": "divide",
            "args": {"a": 10, "b": 2},
            "description": "divide?",
            "allowed": ["approve", "reject"],
        }
    ]
    # answered with one decision, not {"decisions": [...]}; the view's shape is accepted too
    assert resume_value(info, ["approve"]) == {"type": "approve"}
    assert answer(info, {"decisions": [{"type": "reject", "message": "no"}]}) == {
        "type": "reject",
        "message": "no",
    }


def test_agent_inbox_payload_and_its_own_resume_format():
    info = read_interrupt(INBOX)
    assert info["kind"] == "inbox"
    assert info["actions"][0]["name"] == "send_email"
    assert info["actions"][0]["allowed"] == ["approve", "edit", "reject"]
    assert resume_value(info, ["approve"]) == [{"type": "accept", "args": None}]
    assert resume_value(info, [{"type": "edit", "args": {"to": "x@y.z"}}]) == [
        {"type": "edit", "args": {"action": "send_email", "args": {"to": "x@y.z"}}}
    ]
    assert resume_value(info, ["ignore"]) == [{"type": "ignore", "args": None}]
    with pytest.raises(LgWidgetsError, match="'respond' is not allowed for send_email"):
        resume_value(info, [{"type": "response", "args": "hi"}])
    single = read_interrupt({"value": INBOX["value"][0], "id": "one"})
    assert single["kind"] == "inbox" and len(single["actions"]) == 1


def test_any_other_value_is_sent_as_it_is():
    info = read_interrupt({"value": {"question": "Publish?"}, "id": "q"})
    assert info == {
        "id": "q",
        "kind": "value",
        "value": {"question": "Publish?"},
        "namespace": [],
        "actions": [],
    }
    assert answer(info, "yes") == "yes"
    with pytest.raises(LgWidgetsError, match="not a HumanInTheLoopMiddleware"):
        resume_value(info, ["approve"])
    bare = read_interrupt("just text")
    assert bare["kind"] == "value" and bare["id"] is None


def test_resume_payload_by_id_and_decisions_split_across_interrupts():
    weather = read_interrupt(
        {
            **PER_CALL,
            "id": "i-weather",
            "value": {**PER_CALL["value"], "name": "get_weather", "args": {"city": "Rome"}},
            "response_schema": None,
        }
    )
    divide = read_interrupt(PER_CALL)
    pending = [weather, divide]
    assert resume_payload(pending, ["approve", "reject"]) == {
        "i-weather": {"type": "approve"},
        "i-divide": {"type": "reject"},
    }
    assert resume_payload(pending, {"i-divide": "approve"}) == {"i-divide": {"type": "approve"}}
    with pytest.raises(LgWidgetsError, match="2 interrupts are pending: answer them by id"):
        resume_payload(pending, "yes")
    with pytest.raises(LgWidgetsError, match="No pending interrupt has id 'nope'"):
        resume_payload(pending, {"i-divide": "approve", "nope": 1})
    with pytest.raises(LgWidgetsError, match="'edit' is not allowed for divide"):
        resume_payload(pending, {"i-divide": {"type": "edit", "args": {}}})
    plain = read_interrupt({"value": "Publish?", "id": "q"})
    assert resume_payload([plain], "yes") == {"q": "yes"}

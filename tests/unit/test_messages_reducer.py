"""MessageReducer against langchain-core: the merged messages must be what `AIMessageChunk.__add__`
makes of the same chunks, in every recorded transcript and in generated chunk sequences."""

from __future__ import annotations

import functools
import json
import operator
import random
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk
from langchain_core.utils.json import parse_partial_json

import lg_widgets
from lg_widgets.events import Event
from lg_widgets.reducers import merging
from lg_widgets.reducers.merging import parse_json_lenient
from lg_widgets.reducers.messages import MessageReducer, content_text

from ..conftest import TRANSCRIPTS

MESSAGE_MODES = {"messages", "messages/partial", "messages/complete"}


def _has_token_parts(run: lg_widgets.Run) -> bool:
    return any(
        e.mode in MESSAGE_MODES
        or (e.mode == "events" and e.data.get("event") == "on_chat_model_stream")
        for e in run.events
    )


TOKEN_TRANSCRIPTS = sorted(
    path.name.removesuffix(".jsonl")
    for path in Path(TRANSCRIPTS).glob("*.jsonl")
    if not path.name.endswith(".raw.jsonl") and _has_token_parts(lg_widgets.load(path))
)


def fold(name: str) -> tuple[lg_widgets.Run, MessageReducer]:
    run = lg_widgets.load(TRANSCRIPTS / f"{name}.jsonl")
    reducer = MessageReducer()
    for event in run.events:
        reducer.apply(event)
    reducer.finish()
    return run, reducer


def delta_chunks(run: lg_widgets.Run) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The delta chunks of each message per source, as received."""
    chunks: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for event in run.events:
        if event.mode == "messages":
            chunk, source = event.data[0], "messages-tuple"
        elif event.mode == "events" and event.data.get("event") == "on_chat_model_stream":
            chunk, source = event.data["data"]["chunk"], "events"
        else:
            continue
        if "Chunk" in str(chunk.get("type")):
            chunks.setdefault((source, chunk["id"]), []).append(chunk)
    return chunks


def langchain_sum(chunks: list[dict[str, Any]]) -> AIMessageChunk:
    return functools.reduce(operator.add, (AIMessageChunk(**chunk) for chunk in chunks))


def assert_same_as_langchain(message: Any, expected: AIMessageChunk) -> None:
    assert message.content == expected.content
    assert message.text == content_text(expected.content)
    valid = [c for c in message.tool_calls if c["valid_args"]]
    invalid = [c for c in message.tool_calls if not c["valid_args"]]
    assert [(c["name"] or "", c["args"], c["id"]) for c in valid] == [
        (c["name"], c["args"], c["id"]) for c in expected.tool_calls
    ]
    assert [(c["name"], c["args_text"], c["id"]) for c in invalid] == [
        (c["name"], c["args"], c["id"]) for c in expected.invalid_tool_calls
    ]
    assert message.usage == expected.usage_metadata
    assert message.response_metadata == expected.response_metadata
    assert message.additional_kwargs == expected.additional_kwargs


def test_the_recorded_transcripts_include_agents_in_every_message_mode():
    for name in (
        "react.messages-tuple",
        "react.messages-tuple.subgraphs",
        "react.messages",
        "react.events",
        "react-blocks.messages-tuple",
        "react-blocks.messages",
        "react-blocks.events",
        "react.messages-tuple+events",
        "chat.messages-tuple.subgraphs",
    ):
        assert name in TOKEN_TRANSCRIPTS


@pytest.mark.parametrize("name", TOKEN_TRANSCRIPTS)
def test_every_streamed_message_is_what_langchain_core_adds_up(name):
    run, reducer = fold(name)
    compared = 0
    for (source, message_id), chunks in delta_chunks(run).items():
        message = reducer.messages[message_id]
        if message.source != source:  # followed through the mode it was first seen in
            continue
        assert_same_as_langchain(message, langchain_sum(chunks))
        compared += 1
    partial_ids = {
        chunk["id"] for e in run.events if e.mode == "messages/partial" for chunk in e.data
    }
    assert compared or partial_ids


@pytest.mark.parametrize("name", [n for n in TOKEN_TRANSCRIPTS if n.split(".")[1] == "messages"])
def test_accumulated_messages_end_as_the_servers_last_snapshot(name):
    run, reducer = fold(name)
    last: dict[str, dict[str, Any]] = {}
    for event in run.events:
        if event.mode in ("messages/partial", "messages/complete"):
            for chunk in event.data:
                last[chunk["id"]] = chunk
    if not last:
        pytest.fail(f"{name} has no messages/partial parts")
    for message_id, snapshot in last.items():
        message = reducer.messages[message_id]
        assert message.content == snapshot["content"]
        assert [(c["name"], c["args"], c["id"]) for c in message.tool_calls] == [
            (c["name"], c["args"], c["id"]) for c in snapshot.get("tool_calls") or ()
        ]
        assert message.usage == snapshot.get("usage_metadata")
        assert message.status == snapshot.get("status")


def _without_ids(content: Any) -> Any:
    if isinstance(content, list):
        return [
            {k: v for k, v in b.items() if k != "id"} if isinstance(b, dict) else b for b in content
        ]
    return content


def canonical(reducer: MessageReducer) -> list[dict[str, Any]]:
    """What must not depend on the stream mode: ids differ between runs, and the two tools run in
    parallel, so tool results are put in the order of the calls they answer."""
    call_names: dict[str, str] = {}
    out = []
    for message in reducer.messages.values():
        for call in message.tool_calls:
            call_names[call["id"]] = call["name"]
        out.append(
            {
                "role": message.role,
                "node": message.node,
                "namespace": message.namespace,
                "step": message.step,
                "text": message.text,
                "content_text": message.content_text,
                "reasoning": message.reasoning,
                "content": _without_ids(message.content) if message.role == "ai" else None,
                "tool_calls": [(c["name"], c["args"], c["valid_args"]) for c in message.tool_calls],
                "answers": call_names.get(message.tool_call_id or ""),
                "status": message.status,
                "usage": message.usage,
                "response_metadata": message.response_metadata,
                "complete": message.complete,
            }
        )
    return sorted(out, key=lambda m: (m["step"], m["role"] == "tool", m["answers"] or ""))


@pytest.mark.parametrize("agent", ["react", "react-blocks"])
def test_every_message_mode_gives_the_same_messages(agent):
    reference = canonical(fold(f"{agent}.messages-tuple")[1])
    assert [m["role"] for m in reference] == ["ai", "tool", "tool", "ai"]
    for mode in ("messages-tuple.subgraphs", "messages", "events", "messages-tuple+events"):
        assert canonical(fold(f"{agent}.{mode}")[1]) == reference, mode


@pytest.mark.parametrize("agent", ["react", "react-blocks"])
def test_agent_tool_calls_results_and_text(agent):
    _, reducer = fold(f"{agent}.messages-tuple")
    calling, weather, division, answer = reducer.messages.values()
    assert [(c["name"], c["args"], c["valid_args"]) for c in calling.tool_calls] == [
        ("get_weather", {"city": "Paris"}, True),
        ("divide", {"a": 42, "b": 0}, True),
    ]
    assert calling.tool_calls[0]["args_text"] == '{"city": "Paris"}'
    assert calling.text == "" and calling.complete
    assert calling.usage == {
        "input_tokens": 21,
        "output_tokens": 10 if agent == "react" else 22,
        "total_tokens": 31 if agent == "react" else 43,
    }
    assert calling.response_metadata["finish_reason"] == "tool_calls"
    assert (weather.role, weather.status, weather.name) == ("tool", "success", "get_weather")
    assert weather.tool_call_id == calling.tool_calls[0]["id"]
    assert weather.content_text == "It is always sunny in Paris." and weather.text == ""
    assert (division.status, division.tool_call_id) == ("error", calling.tool_calls[1]["id"])
    assert answer.text.startswith("get_weather says: It is always sunny in Paris.")
    # LLM text only: no separator for the text-less tool-calling message, no tool results
    assert reducer.text_by_source() == {("", "model"): answer.text}
    assert reducer.text(node=["model", "tools"]) == answer.text
    assert len(answer.piece_seqs) == len(answer.text.split(" ")) * 2 - 1  # words and spaces
    assert calling.piece_seqs == [] and weather.piece_seqs == []
    if agent == "react-blocks":
        assert calling.reasoning == "I need two tools for this."
        assert [b["type"] for b in calling.blocks] == ["thinking", "tool_use", "tool_use"]
        assert calling.blocks[1]["partial_json"] == '{"city": "Paris"}'


def test_to_dict_has_the_whole_message():
    _, reducer = fold("react.messages-tuple")
    calling = next(iter(reducer.messages.values()))
    record = calling.to_dict()
    assert json.loads(json.dumps(record)) == record
    assert {
        "id",
        "namespace",
        "agent",
        "node",
        "tags",
        "step",
        "type",
        "role",
        "name",
        "text",
        "content",
        "blocks",
        "reasoning",
        "tool_calls",
        "tool_call_id",
        "status",
        "synthetic",
        "usage",
        "response_metadata",
        "additional_kwargs",
        "chunks",
        "complete",
        "source",
        "first_seq",
        "last_seq",
        "first_time",
        "last_time",
        "input",
    } == set(record)
    call = dict(record["tool_calls"][1])
    # when the call began and when its arguments last grew (the start of its latency)
    began, args_grew = call.pop("first_time"), call.pop("args_time")
    assert calling.first_time <= began <= args_grew <= calling.last_time
    assert call == {
        "id": calling.tool_calls[1]["id"],
        "name": "divide",
        "args": {"a": 42, "b": 0},
        "args_text": '{"a": 42, "b": 0}',
        "index": 1,
        "valid_args": True,
    }


def test_chat_text_per_source_is_unchanged():
    _, reducer = fold("chat.messages-tuple.subgraphs")
    texts = reducer.text_by_source()
    assert texts[("", "write_joke")] == (
        "Why did the cats cross the road? To get to the other side of the story."
    )
    assert reducer.text(tags=["poem"]) == texts[("", "write_poem")]
    assert [m.role for m in reducer.messages.values()] == ["ai", "ai", "ai"]


# --- generated chunk sequences, compared with langchain-core ---------------------------------


def _event(seq: int, chunk: dict[str, Any], node: str = "model") -> Event:
    metadata = {"langgraph_node": node, "langgraph_step": 1, "tags": []}
    return Event(seq, float(seq), "messages", (), [chunk, metadata])


def _random_chunk(rng: random.Random, blocks: bool) -> dict[str, Any]:
    chunk: dict[str, Any] = {"type": "AIMessageChunk", "id": "lc_run--m1"}
    if blocks:
        content = []
        for _ in range(rng.randint(0, 2)):
            index = rng.randint(0, 3)
            kind = ["text", "thinking", "tool_use", "reasoning"][index]
            block: dict[str, Any] = {"type": kind, "index": index}
            field = {"text": "text", "thinking": "thinking", "reasoning": "reasoning"}.get(kind)
            if field:
                block[field] = rng.choice(["a", "b c", "", "\n", "é"])
            else:
                block.update(partial_json=rng.choice(['{"x', '": 1', "}"]))
            if rng.random() < 0.2:
                block["id"] = rng.choice(["b1", "b2", None])
            content.append(block)
        if rng.random() < 0.2:
            content.append(rng.choice(["loose", ""]))
        chunk["content"] = content
    else:
        chunk["content"] = rng.choice(["", "Hello", " ", "wor", "ld", "\n\n"])
    calls = []
    for _ in range(rng.randint(0, 2)):
        index = rng.choice([0, 1, 2, None])
        opening = rng.random() < 0.3
        calls.append(
            {
                "name": rng.choice(["search", "add"]) if opening else None,
                "args": rng.choice(['{"q": "', "pa", 'ris"}', "", '{"n": 4', "2}", ",,"]),
                "id": rng.choice(["call_1", "call_2", "call_3"]) if opening else None,
                "index": index,
                "type": "tool_call_chunk",
            }
        )
    chunk["tool_call_chunks"] = calls
    if rng.random() < 0.3:
        chunk["usage_metadata"] = {
            "input_tokens": rng.randint(0, 9),
            "output_tokens": rng.randint(0, 9),
            "total_tokens": rng.randint(0, 18),
            **({"output_token_details": {"reasoning": 3}} if rng.random() < 0.5 else {}),
        }
    if rng.random() < 0.3:
        chunk["response_metadata"] = rng.choice(
            [{"model_name": "m"}, {"finish_reason": "stop"}, {"logprobs": {"n": 1}}]
        )
    if rng.random() < 0.2:
        chunk["additional_kwargs"] = {"reasoning_content": rng.choice(["think", "ing"])}
    return chunk


def _strict_args(text: str) -> Any:
    """The stdlib's parse of complete arguments: an object, or None."""
    if not text:
        return {}
    try:
        args = json.loads(text, strict=False)
    except ValueError:
        return None
    return args if isinstance(args, dict) else None


@pytest.mark.parametrize("blocks", [False, True])
def test_generated_chunk_sequences_merge_like_langchain_core(blocks):
    rng = random.Random(1234 + blocks)
    for _ in range(400):
        chunks = [_random_chunk(rng, blocks) for _ in range(rng.randint(1, 12))]
        if rng.random() < 0.5:
            chunks[-1]["chunk_position"] = "last"
        reducer = MessageReducer()
        for seq, chunk in enumerate(chunks):
            reducer.apply(_event(seq, chunk))
        (message,) = reducer.messages.values()
        expected = langchain_sum(chunks)
        assert message.complete == (expected.chunk_position == "last")
        assert message.content == expected.content
        assert message.text == content_text(expected.content)
        assert message.usage == expected.usage_metadata
        assert message.response_metadata == expected.response_metadata
        assert message.additional_kwargs == expected.additional_kwargs
        calls = message.tool_calls
        assert [(c["name"], c["args_text"], c["id"], c["index"]) for c in calls] == [
            (t["name"], t["args"] or "", t["id"], t["index"]) for t in expected.tool_call_chunks
        ]
        for call in calls:
            strict = _strict_args(call["args_text"])
            assert call["valid_args"] == isinstance(call["args"], dict)
            if message.complete or strict is not None:
                assert call["args"] == strict
            # (partial arguments against langchain-core's parse_partial_json: test below)


def test_a_string_then_blocks_keeps_langchain_cores_list():
    contents = ["", [{"type": "text", "text": "Hi", "index": 0}]]
    contents.append([{"type": "text", "text": "!", "index": 0}])
    chunks = [{"type": "AIMessageChunk", "id": "m", "content": c} for c in contents]
    chunks.append(
        {"type": "AIMessageChunk", "id": "m", "content": " tail", "chunk_position": "last"}
    )
    reducer = MessageReducer()
    for seq, chunk in enumerate(chunks):
        reducer.apply(_event(seq, chunk))
    (message,) = reducer.messages.values()
    assert (
        message.content
        == langchain_sum(chunks).content
        == [
            "",
            {"type": "text", "text": "Hi!", "index": 0},
            " tail",
        ]
    )
    assert message.text == "Hi! tail"
    assert message.blocks == [
        {"type": "text", "text": "Hi!", "index": 0},
        {"type": "text", "text": " tail"},
    ]
    assert message.piece_seqs == [1, 2, 3]


# --- malformed and partial arguments ---------------------------------------------------------


def _call_chunk(args: str, *, index: int = 0, name: str | None = None, id: str | None = None):
    return {
        "type": "AIMessageChunk",
        "id": "m",
        "content": "",
        "tool_call_chunks": [
            {"name": name, "args": args, "id": id, "index": index, "type": "tool_call_chunk"}
        ],
    }


@pytest.mark.parametrize(
    "pieces",
    [
        ['{"a": 1,', ", }"],  # two commas
        ["{'a':", " 1}"],  # single quotes
        ['{"a": 1}', "}"],  # a bracket too many
        ["[1, 2]"],  # JSON, but not an object
        ["not json at all"],
        ['{"a": tru', "ly}"],
    ],
)
def test_malformed_arguments_keep_the_raw_text_and_never_raise(pieces):
    chunks = [_call_chunk(pieces[0], name="add", id="call_1")]
    chunks += [_call_chunk(piece) for piece in pieces[1:]]
    chunks.append({"type": "AIMessageChunk", "id": "m", "content": "", "chunk_position": "last"})
    reducer = MessageReducer()
    for seq, chunk in enumerate(chunks):
        reducer.apply(_event(seq, chunk))
        # reading while it streams never raises either
        assert reducer.messages["m"].tool_calls[0]["name"] == "add"
    (call,) = reducer.messages["m"].tool_calls
    call = {k: v for k, v in call.items() if k not in ("first_time", "args_time")}
    assert call == {
        "id": "call_1",
        "name": "add",
        "args": None,
        "args_text": "".join(pieces),
        "index": 0,
        "valid_args": False,
    }
    (invalid,) = langchain_sum(chunks).invalid_tool_calls  # langchain-core rejects it too
    assert invalid["args"] == "".join(pieces)


def test_arguments_parse_leniently_while_streaming_and_strictly_at_the_end():
    reducer = MessageReducer()
    reducer.apply(_event(0, _call_chunk('{"a": 1', name="add", id="call_1")))
    (call,) = reducer.messages["m"].tool_calls
    assert (call["args"], call["valid_args"]) == ({"a": 1}, True)
    reducer.apply(
        _event(1, {"type": "AIMessageChunk", "id": "m", "content": "", "chunk_position": "last"})
    )
    (call,) = reducer.messages["m"].tool_calls
    # the model stopped mid-object: langchain-core would still call the tool with {"a": 1}
    assert (call["args"], call["valid_args"], call["args_text"]) == (None, False, '{"a": 1')


def test_lenient_parse_agrees_with_langchain_core_on_every_prefix():
    documents = [
        '{"city": "Paris"}',
        '{"q": "say \\"hi\\"\\n", "n": [1, 2.5e3, {"x": null}], "t": true, "f": false}',
        '{"nested": {"deep": {"k": [1, [2, 3]]}}, "e": "", "u": "caf\\u00e9"}',
        '{"text": "a raw\nnewline"}',
    ]
    for document in documents:
        for end in range(1, len(document) + 1):
            prefix = document[:end]
            assert parse_json_lenient(prefix) == parse_partial_json(prefix), prefix


def test_folding_ten_thousand_argument_pieces_parses_only_on_read(monkeypatch):
    parses = []
    for name in ("parse_json_lenient", "parse_json_strict"):
        real = getattr(merging, name)
        monkeypatch.setattr(
            merging, name, lambda text, real=real: parses.append(len(text)) or real(text)
        )
    reducer = MessageReducer()
    reducer.apply(_event(0, _call_chunk('{"items": [', name="collect", id="call_1")))
    for seq in range(1, 10_001):
        reducer.apply(_event(seq, _call_chunk(f'"item {seq:05}", ')))
    assert parses == []
    message = reducer.messages["m"]
    (call,) = message.tool_calls
    assert len(call["args"]["items"]) == 10_000 and call["valid_args"]
    assert message.tool_calls == [call]  # unchanged text: the cached parse
    assert len(parses) == 1
    reducer.apply(_event(10_001, _call_chunk('"last"]}')))
    reducer.apply(
        _event(
            10_002, {"type": "AIMessageChunk", "id": "m", "content": "", "chunk_position": "last"}
        )
    )
    (call,) = message.tool_calls
    assert call["args"]["items"][-1] == "last" and len(parses) == 2


def test_reasoning_blocks_are_not_llm_text():
    contents = [
        [{"type": "reasoning", "reasoning": "Let me ", "index": 0}],
        [{"type": "reasoning", "reasoning": "think.", "index": 0}],
        [{"type": "text", "text": "Done.", "index": 1}],
    ]
    reducer = MessageReducer()
    for seq, content in enumerate(contents):
        reducer.apply(_event(seq, {"type": "AIMessageChunk", "id": "m", "content": content}))
    message = reducer.messages["m"]
    assert (message.reasoning, message.text) == ("Let me think.", "Done.")
    assert message.piece_seqs == [2]
    assert not message.complete
    reducer.finish()
    assert message.complete


def test_calls_tools_says_whether_an_ai_message_called_one():
    """What the end of an Agent Protocol run asks instead of building `run.tool_calls`."""
    reducer = MessageReducer()
    text = {"type": "AIMessageChunk", "id": "a", "content": "hi"}
    reducer.apply(Event(0, 0.0, "messages", (), [text, {}]))
    assert not reducer.calls_tools()
    call = {
        "type": "AIMessageChunk", "id": "b", "content": "",
        "tool_call_chunks": [{"name": "search", "args": "", "id": "c1", "index": 0}],
    }  # fmt: skip
    reducer.apply(Event(1, 1.0, "messages", (), [call, {}]))
    assert reducer.calls_tools()
    assert reducer.messages["b"].has_tool_calls and not reducer.messages["a"].has_tool_calls

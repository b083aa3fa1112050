"""Record the transcripts that the unit tests replay, from the project's own embedded server.

Run: .venv/bin/python scripts/record_transcripts.py [NAME_PREFIX ...]
(rewrites tests/transcripts/*.jsonl; with prefixes, only the scenarios whose names start with one)

`*.jsonl` files are `Run.save()` output (a header line, then one event per line);
`*.v2.raw.jsonl` files hold the SDK's v2 parts exactly as yielded, one per line.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import orjson

import lg_widgets

OUT = Path(__file__).resolve().parent.parent / "tests" / "transcripts"

SCENARIOS: dict[str, dict] = {
    "agent.updates": dict(
        assistant_id="agent", input={"topic": "ice cream"}, stream_mode="updates"
    ),
    "agent.values": dict(assistant_id="agent", input={"topic": "ice cream"}),
    "agent.debug+updates": dict(
        assistant_id="agent", input={"topic": "ice cream"}, stream_mode=["debug", "updates"]
    ),
    "agent.multi": dict(
        assistant_id="agent",
        input={"topic": "ice cream"},
        stream_mode=["values", "updates", "tasks", "checkpoints"],
    ),
    "subgraph.updates.subgraphs": dict(
        assistant_id="subgraph", input={"foo": "foo"}, stream_mode="updates", stream_subgraphs=True
    ),
    "subgraph.values+tasks.subgraphs": dict(
        assistant_id="subgraph",
        input={"foo": "foo"},
        stream_mode=["values", "tasks"],
        stream_subgraphs=True,
    ),
    "chat.messages-tuple.subgraphs": dict(
        assistant_id="chat",
        input={"topic": "cats"},
        stream_mode="messages-tuple",
        stream_subgraphs=True,
    ),
    "chat.messages": dict(assistant_id="chat", input={"topic": "cats"}, stream_mode="messages"),
    "custom.custom.subgraphs": dict(
        assistant_id="custom", input={"topic": "x"}, stream_mode="custom", stream_subgraphs=True
    ),
    "interrupt.updates+values": dict(
        assistant_id="interrupt", input={"topic": "x"}, stream_mode=["updates", "values"]
    ),
    "error.updates": dict(assistant_id="error", input={"topic": "x"}, stream_mode="updates"),
    "error.tasks": dict(assistant_id="error", input={"topic": "x"}, stream_mode="tasks"),
    "interrupt.tasks": dict(assistant_id="interrupt", input={"topic": "x"}, stream_mode="tasks"),
    "tool_loop.messages-tuple+updates": dict(
        assistant_id="tool_loop",
        input={"messages": [{"role": "user", "content": "Weather in Paris?"}]},
        stream_mode=["messages-tuple", "updates"],
    ),
    "fanout.tasks+updates.subgraphs": dict(
        assistant_id="fanout",
        input={"topics": ["a", "b", "c"], "delay": 0.1},
        stream_mode=["tasks", "updates"],
        stream_subgraphs=True,
    ),
}

# The `react` demo (LangChain's create_agent over a model that streams tool calls like the big
# providers): the same run in every mode that carries messages, plain string content and
# Anthropic-style content blocks.
QUESTION = {
    "messages": [
        {"role": "user", "content": "What is the weather in Paris, and what is 42 divided by 0?"}
    ]
}
BLOCKS = {"configurable": {"content_style": "blocks"}}
REACT_MODES: dict[str, dict] = {
    "messages-tuple": dict(stream_mode="messages-tuple"),
    "messages-tuple.subgraphs": dict(stream_mode="messages-tuple", stream_subgraphs=True),
    "messages": dict(stream_mode="messages"),
    "events": dict(stream_mode="events"),
    "updates": dict(stream_mode="updates"),
    "messages-tuple+events": dict(stream_mode=["messages-tuple", "events"]),
}
for _mode, _spec in REACT_MODES.items():
    SCENARIOS[f"react.{_mode}"] = dict(assistant_id="react", input=QUESTION, **_spec)
    if _mode != "updates":
        SCENARIOS[f"react-blocks.{_mode}"] = dict(
            assistant_id="react", input=QUESTION, config=BLOCKS, **_spec
        )

# Agents built of agents: the `team` demo (a create_agent subagent behind a tool) here, and the
# frameworks of tests/agents (deepagents, langgraph-supervisor, langgraph-swarm) on a server of
# their own; with and without `tasks`, whose task inputs tie a subagent to its call at once.
TRIP = {"messages": [{"role": "user", "content": "plan a trip to Paris"}]}
AGENT_MODES = {
    "updates+messages-tuple.subgraphs": ["updates", "messages-tuple"],
    "tasks+updates+messages-tuple.subgraphs": ["tasks", "updates", "messages-tuple"],
}
for _name, _modes in AGENT_MODES.items():
    SCENARIOS[f"team.{_name}"] = dict(
        assistant_id="team", input=TRIP, stream_mode=_modes, stream_subgraphs=True
    )
FRAMEWORKS = Path(__file__).resolve().parent.parent / "tests" / "agents" / "langgraph.json"
FRAMEWORK_SCENARIOS: dict[str, dict] = {
    f"{graph}.{name}": dict(
        assistant_id=graph, input=TRIP, stream_mode=modes, stream_subgraphs=True
    )
    for graph in ("deep", "supervisor", "swarm")
    for name, modes in AGENT_MODES.items()
}

RAW_V2: dict[str, dict] = {
    "subgraph.updates.subgraphs.v2.raw": dict(
        assistant_id="subgraph", input={"foo": "foo"}, stream_mode="updates", stream_subgraphs=True
    ),
    "interrupt.values.v2.raw": dict(
        assistant_id="interrupt", input={"topic": "x"}, stream_mode="values"
    ),
}


def _chosen(name: str, prefixes: list[str]) -> bool:
    return not prefixes or any(name.startswith(prefix) for prefix in prefixes)


async def record_runs(scenarios: dict[str, dict], prefixes: list[str]) -> None:
    for name, spec in scenarios.items():
        if not _chosen(name, prefixes):
            continue
        run = await lg_widgets.stream(spec.pop("assistant_id"), thread_id="new", **spec)
        run.save(OUT / f"{name}.jsonl")
        print(f"{name}: {run.status}, {len(run.events)} events")


async def record(prefixes: list[str]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    await record_runs(SCENARIOS, prefixes)
    client = lg_widgets.current_connection().client()
    for name, spec in RAW_V2.items():
        if not _chosen(name, prefixes):
            continue
        thread = await client.threads.create()
        parts = [
            part
            async for part in client.runs.stream(
                thread["thread_id"], spec.pop("assistant_id"), version="v2", **spec
            )
        ]
        (OUT / f"{name}.jsonl").write_bytes(b"".join(orjson.dumps(p) + b"\n" for p in parts))
        print(f"{name}: {len(parts)} parts")


def main() -> None:
    with lg_widgets.serve():
        asyncio.run(record(sys.argv[1:]))
    if any(_chosen(name, sys.argv[1:]) for name in FRAMEWORK_SCENARIOS):
        with lg_widgets.serve(FRAMEWORKS):
            asyncio.run(record_runs(FRAMEWORK_SCENARIOS, sys.argv[1:]))


if __name__ == "__main__":
    main()

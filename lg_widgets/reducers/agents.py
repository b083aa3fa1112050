"""Who did what: the agent running in each namespace, what started it, and handoffs.

Agents are built of agents (deepagents' subagents behind its `task` tool, a supervisor's
workers, a swarm's peers). Each namespace of a run is one agent instance: the root, and every
subgraph the stream shows. This fold names it in the framework's own word and says what started
it, from what the server sends and nothing else:

- the name: `lc_agent_name` (LangChain's metadata on a model call), else the Agent Protocol's
  `lifecycle` `graph_name`, else the `subagent_type` of
  the `task` call that started it (deepagents), else the namespace's node name (a supervisor's
  and a swarm's agents are nodes of their names); the root's, else the served graph's name
  (`graph_id` metadata), else the assistant's; where no metadata streams (`values` alone), the
  `name` that every AI message of the agent's own state carries;
- the cause: `tool_call` when a tool call started it, told by the parent's `tasks`/`debug`
  event for the task (its input carries the call) or, at the tool's end, by the tool message
  the same task wrote (`langgraph_checkpoint_ns` is the subagent's namespace), or by the Agent
  Protocol's `lifecycle` `cause`; `send` for a
  `Send` task; `handoff` for an agent that a handoff named; `node` otherwise. Where the stream
  does not say, the link stays empty: nothing is matched by position or by text;
- handoffs: a handoff tool's result in the handing agent's update to its parent, naming its
  destination (langgraph-supervisor's `__handoff_destination`, langgraph-swarm's
  `active_agent`), or a framework's synthesized "transferring back" message
  (`__is_handoff_back`), which goes back to whoever the parent runs next.

Per event the work is O(1), or O(messages in the event) for a state update, as in the messages
reducer; DataFrames are built from these records on access (`run/frames.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from lg_widgets.events import Event, Namespace, namespace_key

HANDOFF_DESTINATION = "__handoff_destination"  # langgraph-supervisor's tool result metadata
HANDOFF_BACK = "__is_handoff_back"  # langgraph-supervisor's synthesized "transferring back"
PUSH = "__pregel_push"  # the trigger of a task a `Send` (or a tool call sent alone) started


_TOOL_TYPES = ("tool", "ToolMessageChunk")  # a tool's result: it can link a subagent to its call


class ToolTiming(NamedTuple):
    """When a tool ran (epoch seconds) and for how long (seconds); None where unknown."""

    started_at: float | None
    finished_at: float | None
    waited: float | None
    latency: float | None


@dataclass(slots=True)
class Handoff:
    """Control handed from one agent to another, by a tool call (or a synthesized one)."""

    parent: Namespace
    from_namespace: Namespace | None
    from_agent: str | None
    to_agent: str | None  # None for a hand-back: whoever the parent runs next
    tool_call_id: str | None
    tool: str | None
    seq: int
    time: float
    synthetic: bool
    to_namespace: Namespace | None = None

    def started(self) -> dict[str, Any]:
        """What the agent it started says of it (`run.tree`, the view's tree node): who handed
        off, from where, with which tool, and whether a framework handed back (`back`)."""
        where = self.from_namespace
        return {
            "from_agent": self.from_agent,
            "from_namespace": None if where is None else "|".join(where),
            "tool": self.tool,
            "back": self.synthetic,
        }


@dataclass(slots=True)
class AgentInstance:
    """One agent running in one namespace (a supervisor visited three times is three)."""

    namespace: Namespace
    node: str  # the namespace's node name; the root's is the graph's name
    first_seq: int
    name: str | None = None  # the framework's own word for it, when the stream says
    name_from: str | None = None  # which: "lc_agent_name", "subagent_type"
    cause: str = "node"  # "run" (the root), "node", "tool_call", "send", "handoff"
    tool_call_id: str | None = None
    tool_results: int = 0  # tool messages written by the task it runs in (one: a link)
    handoff: Handoff | None = None  # the handoff that started it (cause "handoff")

    @property
    def agent(self) -> str:
        return self.name or self.node

    @property
    def parent(self) -> Namespace | None:
        return self.namespace[:-1] if self.namespace else None


@dataclass(slots=True)
class _TaskStart:
    """What a parent's `tasks`/`debug` event said of the task a child namespace runs in."""

    cause: str
    tool_call_id: str | None
    subagent_type: str | None


class AgentReducer:
    def __init__(self, root_name: str = "root") -> None:
        self.instances: dict[Namespace, AgentInstance] = {}
        self.handoffs: list[Handoff] = []
        self._root_name = root_name
        self._starts: dict[Namespace, _TaskStart] = {}  # by the child namespace it would run
        self._pending: dict[Namespace, list[Handoff]] = {}  # handoffs awaiting their agent
        self._handoff_calls: dict[str, Handoff] = {}  # by the call that handed off
        self._latest_child: dict[tuple[Namespace, str], AgentInstance] = {}
        self._parents: set[Namespace] = set()  # namespaces an agent has run below
        # per namespace, how many of its state's messages a `values` event already showed, and
        # the swarm's active agent then: a handoff is looked for among the new messages only
        self._seen_state: dict[Namespace, tuple[int, Any]] = {}
        # when each tool call's own task started, where the stream says (`tasks`/`debug`):
        # the tool's start, after any wait for a person's approval
        self.tool_starts: dict[str, float] = {}
        self.tool_ends: dict[str, float] = {}  # when the tools channel said a tool finished
        self.version = 0  # grows with every change: the read model's cache key

    def instance(self, namespace: Namespace, seq: int) -> AgentInstance:
        found = self.instances.get(namespace)
        if found is not None:
            return found
        if namespace:
            self.instance(namespace[:-1], seq)
            node = namespace[-1].partition(":")[0]
        else:
            node = self._root_name
        found = AgentInstance(namespace, node, seq, cause="node" if namespace else "run")
        self.instances[namespace] = found
        self.version += 1
        if namespace:
            self._latest_child[(namespace[:-1], node)] = found
            self._parents.add(namespace[:-1])
            start = self._starts.pop(namespace, None)
            if start is not None:
                self._take_start(found, start)
            self._take_handoff(found)
        return found

    def apply(self, event: Event) -> None:
        mode = event.mode
        if mode in ("metadata", "error", "feedback"):
            self.instance((), event.seq)
            return
        where = self.instance(event.namespace, event.seq)
        data = event.data
        if mode == "messages":
            if type(data) is list and len(data) == 2 and type(data[1]) is dict:
                message = data[0]
                if data[1] or (type(message) is dict and message.get("type") in _TOOL_TYPES):
                    self._from_message(event, where, message, data[1])  # else it says nothing
        elif mode == "tasks":
            if isinstance(data, dict) and "input" in data:
                self._from_task(event, data)
        elif mode == "debug":
            if isinstance(data, dict) and data.get("type") == "task":
                payload = data.get("payload")
                if isinstance(payload, dict) and "input" in payload:
                    self._from_task(event, payload)
        elif mode == "updates" and isinstance(data, dict):
            for node, update in data.items():
                if isinstance(update, dict):
                    self._from_update(event, node, update)
        elif mode == "values" and isinstance(data, dict):
            new, active_before = self._new_messages(event.namespace, data)
            if new:
                active = data.get("active_agent")
                self._from_values(event, new, active if active != active_before else None)
                if where.name_from in (None, "graph_id") and where.namespace not in self._parents:
                    self._from_state(where, new)
        elif mode == "lifecycle" and isinstance(data, dict):
            self._from_lifecycle(where, data)
        elif mode == "tools" and isinstance(data, dict):
            call_id = data.get("tool_call_id")
            if isinstance(call_id, str):
                kind = data.get("event")
                if kind == "tool-started":
                    self.tool_starts[call_id] = event.time  # the tool's own start, said
                elif kind in ("tool-finished", "tool-error"):
                    self.tool_ends[call_id] = event.time
                self.version += 1

    # -- names and links from message metadata -------------------------------------------------
    def _from_message(
        self, event: Event, where: AgentInstance, message: Any, metadata: dict[str, Any]
    ) -> None:
        name = metadata.get("lc_agent_name")
        if isinstance(name, str) and name and where.name_from != "lc_agent_name":
            where.name, where.name_from = name, "lc_agent_name"
            self.version += 1
        elif not where.namespace and where.name_from is None:
            graph = metadata.get("graph_id")  # the served graph's name, not an assistant's id
            if isinstance(graph, str) and graph:
                where.name, where.name_from = graph, "graph_id"
                self.version += 1
        if not isinstance(message, dict) or message.get("type") not in _TOOL_TYPES:
            return
        call_id = message.get("tool_call_id")
        task = namespace_key(metadata.get("langgraph_checkpoint_ns"))
        child = self.instances.get(task) if task else None
        if child is None or child.parent != event.namespace or not isinstance(call_id, str):
            return
        child.tool_results += 1
        self.version += 1
        if child.tool_results == 1 and child.cause in ("node", "tool_call"):
            child.cause, child.tool_call_id = "tool_call", call_id
        elif child.tool_call_id != call_id and child.cause == "tool_call":
            child.tool_call_id = None  # one task answered several calls: which one is unsaid

    def _from_lifecycle(self, where: AgentInstance, data: dict[str, Any]) -> None:
        """The Agent Protocol says who started and what started it (`lifecycle`)."""
        name = data.get("graph_name")
        if not (isinstance(name, str) and name):
            pass
        elif data.get("event") == "started" and where.name_from != "lc_agent_name":
            where.name, where.name_from = name, "graph_name"
            self.version += 1
        elif data.get("event") == "running" and where.name_from is None:
            where.name, where.name_from = name, "graph_id"  # the root's: the served graph
            self.version += 1
        cause = data.get("cause")
        if isinstance(cause, dict) and cause.get("type") == "toolCall":
            call_id = cause.get("tool_call_id")
            if isinstance(call_id, str) and where.cause != "handoff":
                where.cause, where.tool_call_id = "tool_call", call_id
                self.version += 1

    def _from_state(self, where: AgentInstance, messages: Any) -> None:
        """An agent's own state, when its AI messages all carry one `name` (`create_agent` and
        `create_react_agent` sign them with theirs): where no metadata streamed (`values`)."""
        if not isinstance(messages, list):
            return
        names = {
            m.get("name")
            for m in messages
            if isinstance(m, dict) and m.get("type") in ("ai", "AIMessageChunk")
        }
        if len(names) == 1 and isinstance(name := names.pop(), str) and name:
            where.name, where.name_from = name, "message_name"
            self.version += 1

    def _from_task(self, event: Event, task: dict[str, Any]) -> None:
        parent = event.namespace
        task_id, node = task.get("id"), task.get("name")
        if not isinstance(task_id, str) or not isinstance(node, str):
            return
        call = _single_tool_call(task.get("input"))
        triggers = task.get("triggers") or ()
        if call is not None:
            self.tool_starts.setdefault(call["id"], event.time)
            self.version += 1
            args = call.get("args") if isinstance(call.get("args"), dict) else {}
            kind = args.get("subagent_type")
            start = _TaskStart("tool_call", call["id"], kind if isinstance(kind, str) else None)
        elif PUSH in triggers:
            start = _TaskStart("send", None, None)
        else:
            return
        child = (*parent, f"{node}:{task_id}")
        known = self.instances.get(child)
        if known is None:
            self._starts[child] = start
        else:
            self._take_start(known, start)

    def _take_start(self, instance: AgentInstance, start: _TaskStart) -> None:
        self.version += 1
        if instance.cause == "handoff":
            return
        instance.cause, instance.tool_call_id = start.cause, start.tool_call_id
        if start.subagent_type and instance.name_from is None:
            instance.name, instance.name_from = start.subagent_type, "subagent_type"

    # -- handoffs --------------------------------------------------------------------------------
    def _from_update(self, event: Event, node: str, update: dict[str, Any]) -> None:
        """A node's update to its graph: a handing agent's last word carries its handoff."""
        messages = update.get("messages")
        if not isinstance(messages, list):
            return
        active = update.get("active_agent")  # langgraph-swarm names the next agent here
        next_agent = active if isinstance(active, str) else None
        for index, message in enumerate(messages):
            if not isinstance(message, dict) or message.get("type") != "tool":
                continue
            call_id = message.get("tool_call_id")
            if not isinstance(call_id, str) or call_id in self._handoff_calls:
                continue
            last = index == len(messages) - 1
            to, back = _handoff_target(message, next_agent if last else None)
            if to is None and not back:
                continue
            handing = self._latest_child.get((event.namespace, node))
            self._record_handoff(event, message, call_id, to, back, handing, node)

    def _record_handoff(
        self,
        event: Event,
        message: dict[str, Any],
        call_id: str,
        to: str | None,
        back: bool,
        handing: AgentInstance | None,
        by: str | None,
    ) -> None:
        handoff = Handoff(
            parent=event.namespace,
            from_namespace=handing.namespace if handing else None,
            from_agent=handing.agent if handing else by,
            to_agent=to,
            tool_call_id=call_id,
            tool=message.get("name") if isinstance(message.get("name"), str) else None,
            seq=event.seq,
            time=event.time,
            synthetic=back,
        )
        self._handoff_calls[call_id] = handoff
        self.handoffs.append(handoff)
        self.version += 1
        self._pending.setdefault(event.namespace, []).append(handoff)

    def _new_messages(self, namespace: Namespace, state: dict[str, Any]) -> tuple[list[Any], Any]:
        """The messages of a graph's state that its last state did not have, and the active
        agent that state named. A graph's first state is its input (the thread's history, a
        parent's conversation): none of it is new."""
        messages = state.get("messages")
        if not isinstance(messages, list):
            return [], None
        before = self._seen_state.get(namespace)
        self._seen_state[namespace] = (len(messages), state.get("active_agent"))
        if before is None:
            return [], None
        return messages[before[0] :], before[1]  # none when messages were removed: a new baseline

    def _from_values(self, event: Event, new: list[Any], active: Any) -> None:
        """A graph's state after a step, where no `updates` stream (the Agent Protocol on this
        server): the handoffs among its new messages. The handing agent is the one that signed
        the call (its AI message's `name`), not the last to run. `active`: langgraph-swarm's
        active agent, a handoff's destination, given when it changed."""
        switched = active if isinstance(active, str) else None
        signer: dict[str, str] = {}  # a call's id -> the agent whose AI message made it
        for index, message in enumerate(new):
            if not isinstance(message, dict):
                continue
            if message.get("type") == "ai" and isinstance(message.get("name"), str):
                for call in message.get("tool_calls") or ():
                    if isinstance(call, dict) and isinstance(call.get("id"), str):
                        signer[call["id"]] = message["name"]
                continue
            if message.get("type") != "tool":
                continue
            call_id = message.get("tool_call_id")
            if not isinstance(call_id, str) or call_id in self._handoff_calls:
                continue
            to, back = _handoff_target(message, switched if index == len(new) - 1 else None)
            if to is None and not back:
                continue
            by = signer.get(call_id)
            handing = self._latest_child.get((event.namespace, by)) if by else None
            self._record_handoff(event, message, call_id, to, back, handing, by)

    def _take_handoff(self, instance: AgentInstance) -> None:
        """A new agent in a graph where a handoff waits for it: the handoff started it."""
        waiting = self._pending.get(instance.namespace[:-1])
        if not waiting:
            return
        for i, handoff in enumerate(waiting):
            if handoff.to_agent in (None, instance.node):
                del waiting[i]
                handoff.to_namespace = instance.namespace
                if handoff.to_agent is None:
                    handoff.to_agent = instance.node
                instance.cause, instance.tool_call_id = "handoff", handoff.tool_call_id
                instance.handoff = handoff
                self.version += 1
                return

    # -- reading -----------------------------------------------------------------------------------
    def agent_of(self, namespace: Namespace) -> str:
        """The agent's name in a namespace (its node's name when the run never showed it)."""
        found = self.instances.get(namespace)
        if found is not None:
            return found.agent
        return namespace[-1].partition(":")[0] if namespace else self._root_name

    def written_for(self, metadata: dict[str, Any], calls: Sequence[str]) -> Namespace | None:
        """The agent a framework wrote a message for (`synthetic`): the one whose node wrote it
        (`langgraph_checkpoint_ns` in the message's metadata) or, where no metadata says (a
        state's messages alone), the agent whose hand-back it announces (its one call); O(1)."""
        said = metadata.get("langgraph_checkpoint_ns")
        written = namespace_key(said) if isinstance(said, str) else None
        if written is None and len(calls) == 1:
            handoff = self._handoff_calls.get(calls[0])
            if handoff is not None and handoff.synthetic:
                written = handoff.from_namespace
        return written if written in self.instances else None

    def tool_timing(
        self,
        call_id: str,
        ready: float | None,
        answered_at: float | None,
        *,
        called_earlier: bool = False,
    ) -> ToolTiming:
        """A tool call's times, for `run.tool_calls` and the view alike. `ready`: the call's
        last argument chunk (it could run from there); `answered_at`: when its result arrived
        whole (None while the result still streams); `called_earlier`: the call was made in an
        earlier run of the thread (the result came after an interrupt).

        The tool runs from its start where the stream says it (`tasks`, `debug`, the Agent
        Protocol's `tools`), else from `ready`, to its end (the tools channel's, else
        `answered_at`); the wait runs from `ready` to the start: an approval's shows there. A
        result after an interrupt with no start said took the person's time, not the tool's:
        all of it is the wait (a rejected call never ran)."""
        began, ended = self.tool_starts.get(call_id), self.tool_ends.get(call_id)
        if ended is None:
            ended = answered_at
        if began is None and called_earlier:
            waited = None if ended is None or ready is None else max(ended - ready, 0.0)
            return ToolTiming(None, ended, waited, None)
        start = began if began is not None else ready
        latency = None if ended is None or start is None else max(ended - start, 0.0)
        waited = None if began is None or ready is None else max(began - ready, 0.0)
        return ToolTiming(began, ended, waited, latency)

    def subagents(self) -> dict[str, Namespace]:
        """The namespace each tool call started, by the call's id."""
        return {
            i.tool_call_id: i.namespace
            for i in self.instances.values()
            if i.cause == "tool_call" and i.tool_call_id
        }


def _handoff_target(message: dict[str, Any], active: str | None) -> tuple[str | None, bool]:
    """Where a handoff tool's result sends control, and whether a framework wrote it (a
    hand-back, to whoever the parent runs next): (None, False) for a tool result that is not a
    handoff. `active`: the swarm's newly active agent, when this result is the step's last."""
    metadata = message.get("response_metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    destination = metadata.get(HANDOFF_DESTINATION)
    if isinstance(destination, str):
        return destination, False
    if metadata.get(HANDOFF_BACK):
        return None, True
    return active, False


def _single_tool_call(given: Any) -> dict[str, Any] | None:
    """The tool call a task's input carries, when it carries exactly one: a call sent alone
    (`[{"type": "tool_call", ...}]`) or LangChain's `tool_call_with_context`."""
    if isinstance(given, dict) and isinstance(given.get("tool_call"), dict):
        given = [given["tool_call"]]
    if not isinstance(given, list) or len(given) != 1:
        return None
    call = given[0]
    if not isinstance(call, dict) or call.get("type") != "tool_call":
        return None
    return call if isinstance(call.get("id"), str) else None

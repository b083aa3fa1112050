"""Interrupt payloads read as one shape (`InterruptInfo`), and resume values built from decisions.

Pure: no I/O. Three payloads are recognised, so that the view and `run.resume` speak one
vocabulary of decisions (approve | edit | reject | respond) whatever the graph sends:

- LangChain's `HumanInTheLoopMiddleware`, batched (`{"action_requests": [...], "review_configs":
  [...]}`, resumed with `{"decisions": [...]}` matched to the actions by position) or per call
  (`{"type": "tool_approval", "name", "args", ...}` with the allowed decisions in the interrupt's
  `response_schema`, resumed with one decision keyed by the interrupt id);
- the Agent Inbox schema (`{"action_request": {"action", "args"}, "config": {"allow_accept",
  ...}, "description"}`, or a list of them), resumed with a list of `{"type": "accept" | "ignore"
  | "response" | "edit", "args": ...}`;
- anything else (`kind="value"`), resumed with whatever value the graph expects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, TypedDict

from lg_widgets.errors import LgWidgetsError

DECISIONS = ("approve", "edit", "reject", "respond")
Kind = Literal["hitl", "inbox", "value"]
# Agent Inbox's names for the same decisions, and the config flag allowing each
INBOX_TYPES = {"approve": "accept", "edit": "edit", "reject": "ignore", "respond": "response"}
INBOX_FLAGS = {
    "allow_accept": "approve",
    "allow_edit": "edit",
    "allow_ignore": "reject",
    "allow_respond": "respond",
}


class InterruptAction(TypedDict):
    """One action waiting for a decision (a tool call, for LangChain's middleware)."""

    name: str
    args: Any
    description: str | None
    allowed: list[str]  # among DECISIONS, in that order


class InterruptInfo(TypedDict):
    """A pending interrupt as the view and `run.resume` read it (a wire type too)."""

    id: str | None
    kind: Kind
    value: Any
    namespace: list[str]
    actions: list[InterruptAction]


def read_interrupt(raw: Any) -> InterruptInfo:
    """An interrupt as the server streams it (`{"value", "id", ...}`) or a bare value."""
    if isinstance(raw, Mapping) and "value" in raw:
        value, interrupt_id = raw["value"], raw.get("id")
        namespace = raw.get("ns") or raw.get("namespace") or []
        schema = raw.get("response_schema")
    else:
        value, interrupt_id, namespace, schema = raw, None, [], None
    kind, actions = _read_actions(value, schema)
    return {
        "id": interrupt_id if isinstance(interrupt_id, str) else None,
        "kind": kind,
        "value": value,
        "namespace": [str(n) for n in namespace] if isinstance(namespace, list) else [],
        "actions": actions,
    }


def read_interrupts(raws: Iterable[Any]) -> list[InterruptInfo]:
    return [read_interrupt(raw) for raw in raws]


def is_per_call(info: InterruptInfo) -> bool:
    """A per-call HITL interrupt: resumed with one decision, not `{"decisions": [...]}`."""
    value = info["value"]
    return info["kind"] == "hitl" and isinstance(value, Mapping) and "action_requests" not in value


def _read_actions(value: Any, schema: Any) -> tuple[Kind, list[InterruptAction]]:
    if isinstance(value, Mapping):
        requests, configs = value.get("action_requests"), value.get("review_configs")
        if isinstance(requests, list) and isinstance(configs, list):
            actions = _hitl_actions(requests, configs)
            if actions is not None:
                return "hitl", actions
        if value.get("type") == "tool_approval" and isinstance(value.get("name"), str):
            description = value.get("description")
            return "hitl", [
                {
                    "name": value["name"],
                    "args": value.get("args"),
                    "description": description if isinstance(description, str) else None,
                    "allowed": _schema_decisions(schema),
                }
            ]
    inbox = _inbox_actions(value)
    if inbox is not None:
        return "inbox", inbox
    return "value", []


def _hitl_actions(requests: list[Any], configs: list[Any]) -> list[InterruptAction] | None:
    """Review configs are matched to actions by position, else by action name."""
    by_name = {
        c.get("action_name"): c for c in configs if isinstance(c, Mapping) and c.get("action_name")
    }
    actions: list[InterruptAction] = []
    for index, request in enumerate(requests):
        if not isinstance(request, Mapping) or not isinstance(request.get("name"), str):
            return None
        config = configs[index] if index < len(configs) else None
        if not isinstance(config, Mapping) or config.get("action_name") != request["name"]:
            config = by_name.get(request["name"], {})
        allowed = config.get("allowed_decisions") or []
        description = request.get("description")
        actions.append(
            {
                "name": request["name"],
                "args": request.get("args"),
                "description": description if isinstance(description, str) else None,
                "allowed": [d for d in DECISIONS if d in allowed],
            }
        )
    return actions


def _schema_decisions(schema: Any) -> list[str]:
    """The decision types a per-call `response_schema` (JSON schema) lets through; all of them
    when there is no schema to read."""
    if not isinstance(schema, Mapping):
        return list(DECISIONS)
    found: set[str] = set()
    branches = [schema, *(schema.get("oneOf") or []), *(schema.get("anyOf") or [])]
    definitions = schema.get("$defs") or {}
    for branch in branches:
        if isinstance(branch, Mapping) and isinstance(branch.get("$ref"), str):
            branch = definitions.get(branch["$ref"].rsplit("/", 1)[-1], {})
        kind = ((branch or {}).get("properties") or {}).get("type") or {}
        for name in [kind.get("const"), *(kind.get("enum") or [])]:
            if name in DECISIONS:
                found.add(name)
    return [d for d in DECISIONS if d in found] or list(DECISIONS)


def _inbox_actions(value: Any) -> list[InterruptAction] | None:
    items = value if isinstance(value, list) else [value]
    actions: list[InterruptAction] = []
    for item in items:
        if not isinstance(item, Mapping):
            return None
        request, config = item.get("action_request"), item.get("config")
        if not isinstance(request, Mapping) or not isinstance(config, Mapping):
            return None
        description = item.get("description")
        actions.append(
            {
                "name": str(request.get("action", "")),
                "args": request.get("args"),
                "description": description if isinstance(description, str) else None,
                "allowed": [d for flag, d in INBOX_FLAGS.items() if config.get(flag)],
            }
        )
    return actions or None


# ---- decisions -> resume values ----------------------------------------------------------------
def decision(entry: Any) -> dict[str, Any]:
    """One decision in LangChain's shape from what a user may write: `"approve"`,
    `{"type": "edit", "args": {...}}` (or `"edited_action"`), `{"type": "reject", "message"}`,
    or Agent Inbox's own types (accept, ignore, response, edit)."""
    if isinstance(entry, str):
        entry = {"type": entry}
    if not isinstance(entry, Mapping) or not isinstance(entry.get("type"), str):
        raise LgWidgetsError(
            f"A decision is 'approve', 'edit', 'reject' or 'respond' (or a dict with that "
            f"'type'), not {entry!r}."
        )
    kind = {v: k for k, v in INBOX_TYPES.items()}.get(entry["type"], entry["type"])
    if kind not in DECISIONS:
        raise LgWidgetsError(
            f"Unknown decision type {entry['type']!r}: use approve, edit, reject or respond."
        )
    out: dict[str, Any] = {"type": kind}
    if kind == "edit":
        edited = entry.get("edited_action")
        args = edited.get("args") if isinstance(edited, Mapping) else entry.get("args")
        if isinstance(args, Mapping) and "action" in args and "args" in args:  # Inbox edit
            args = args["args"]
        if not isinstance(args, Mapping):
            raise LgWidgetsError(
                "An 'edit' decision needs the edited arguments as a dict: "
                "{'type': 'edit', 'args': {...}}."
            )
        name = edited.get("name") if isinstance(edited, Mapping) else entry.get("name")
        out["edited_action"] = {"name": name, "args": dict(args)}
    elif kind in ("reject", "respond"):
        message = entry.get("message", entry.get("args"))
        if kind == "respond" and not isinstance(message, str):
            raise LgWidgetsError(
                "A 'respond' decision needs the reply as text: {'type': 'respond', 'message': ...}."
            )
        if isinstance(message, str):
            out["message"] = message
    return out


def resume_value(info: InterruptInfo, decisions: Any) -> Any:
    """The resume value of one standard interrupt, from one decision per action (checked
    against the allowed ones, so that a wrong answer is refused before anything is sent)."""
    if info["kind"] == "value":
        raise LgWidgetsError(
            "This interrupt is not a HumanInTheLoopMiddleware or Agent Inbox request: resume it "
            "with the value the graph expects, not with decisions."
        )
    entries = (
        list(decisions)
        if isinstance(decisions, Sequence) and not isinstance(decisions, str)
        else [decisions]
    )
    actions = info["actions"]
    if len(entries) != len(actions):
        raise LgWidgetsError(
            f"The interrupt asks for {len(actions)} decision(s) ({_names(actions)}), "
            f"{len(entries)} given."
        )
    made = []
    for action, entry in zip(actions, entries, strict=True):
        chosen = decision(entry)
        if chosen["type"] not in action["allowed"]:
            raise LgWidgetsError(
                f"'{chosen['type']}' is not allowed for {action['name']}: choose one of "
                f"{', '.join(action['allowed']) or 'nothing'}."
            )
        if chosen["type"] == "edit" and chosen["edited_action"]["name"] is None:
            chosen["edited_action"]["name"] = action["name"]
        made.append(chosen)
    if info["kind"] == "inbox":
        return [_inbox_response(chosen) for chosen in made]
    if is_per_call(info):
        return made[0]
    return {"decisions": made}


def _inbox_response(chosen: dict[str, Any]) -> dict[str, Any]:
    kind = chosen["type"]
    if kind == "edit":
        action = chosen["edited_action"]
        args: Any = {"action": action["name"], "args": action["args"]}
    elif kind == "respond":
        args = chosen["message"]
    else:
        args = None
    return {"type": INBOX_TYPES[kind], "args": args}


def answer(info: InterruptInfo, given: Any) -> Any:
    """The resume value for one interrupt from an answer as the view or a user gives it:
    decisions (a list, `{"decisions": [...]}`, one decision dict) for a standard interrupt are
    checked and converted to the graph's own format; anything else is sent as it is."""
    if info["kind"] == "value":
        return given
    if isinstance(given, Mapping) and isinstance(given.get("decisions"), list):
        return resume_value(info, given["decisions"])
    if isinstance(given, Mapping) and isinstance(given.get("type"), str):
        return resume_value(info, [given])
    if isinstance(given, list) and all(
        isinstance(e, str) or (isinstance(e, Mapping) and "type" in e) for e in given
    ):
        return resume_value(info, given)
    if isinstance(given, str) and given in (*DECISIONS, *INBOX_TYPES.values()):
        return resume_value(info, [given] * len(info["actions"]))
    return given


def _names(actions: Sequence[InterruptAction]) -> str:
    return ", ".join(action["name"] for action in actions)

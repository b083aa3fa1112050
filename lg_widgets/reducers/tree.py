"""The subgraph namespace tree.

A namespace segment is `<parent node>:<task id>`; the task id equals the `id` of the parent's
`tasks` event for that node, and the parent's own `updates` for that node arrive when the
subgraph is done. Both close a subgraph here, whichever mode was streamed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lg_widgets.events import Event, Namespace

Annotate = Callable[[Namespace], dict[str, Any]]
_LIFECYCLE_END = {"completed": "success", "failed": "error", "interrupted": "interrupted"}


@dataclass(slots=True)
class NamespaceNode:
    namespace: Namespace
    name: str
    task_id: str | None
    first_time: float
    last_time: float
    status: str = "running"
    events: int = 0
    nodes: dict[str, int] = field(default_factory=dict)  # node name -> updates it emitted
    children: dict[str, NamespaceNode] = field(default_factory=dict)  # by segment

    def to_dict(self, annotate: Annotate | None = None) -> dict[str, Any]:
        """The node and its children as plain data, each with what `annotate` adds for its
        namespace (the run's agents: `agent`, `cause`, `tool_call_id`, tokens)."""
        return {
            "namespace": "|".join(self.namespace),
            "name": self.name,
            **(annotate(self.namespace) if annotate else {}),
            "task_id": self.task_id,
            "status": self.status,
            "events": self.events,
            "nodes": dict(self.nodes),
            "first_time": self.first_time,
            "last_time": self.last_time,
            "children": [child.to_dict(annotate) for child in self.children.values()],
        }


class TreeReducer:
    def __init__(self, root_name: str = "root") -> None:
        self.root: NamespaceNode | None = None
        self._root_name = root_name
        self._by_namespace: dict[Namespace, NamespaceNode] = {}
        # the token metadata whose node was noted last, and where
        self._nodes_read: tuple[Any, NamespaceNode | None] = (None, None)

    def _node_for(self, namespace: Namespace, when: float) -> NamespaceNode:
        node = self._by_namespace.get(namespace)
        if node is not None:
            return node
        if not namespace:
            node = NamespaceNode((), self._root_name, None, when, when)
            self.root = node
        else:
            parent = self._node_for(namespace[:-1], when)
            name, _, task_id = namespace[-1].partition(":")
            node = NamespaceNode(namespace, name, task_id or None, when, when)
            parent.children[namespace[-1]] = node
        self._by_namespace[namespace] = node
        return node

    def apply(self, event: Event) -> NamespaceNode | None:
        if event.mode in ("metadata", "error", "feedback"):
            if self.root is None:
                self._node_for((), event.time)
            return None
        namespace, when = event.namespace, event.time
        where = self._by_namespace.get(namespace) or self._node_for(namespace, when)
        where.events += 1
        # compared, not set: a subtree opened later (a second subscription, `run.open`)
        # replays events older than those already folded, in namespaces of their own
        if when < where.first_time:
            where.first_time = when
        if when > where.last_time:
            where.last_time = when
        for ancestor_depth in range(len(namespace)):
            ancestor = self._by_namespace[namespace[:ancestor_depth]]
            if when > ancestor.last_time:
                ancestor.last_time = when
        data = event.data
        if event.mode == "messages" and type(data) is list and len(data) == 2:
            metadata = data[1]
            read = self._nodes_read  # interned: a task's tokens share one metadata dict
            if metadata is not read[0] or where is not read[1]:
                self._nodes_read = (metadata, where)
                node = (metadata or {}).get("langgraph_node")
                if node:
                    where.nodes.setdefault(node, 0)
        elif event.mode == "updates" and isinstance(data, dict):
            for node in data:
                if node != "__interrupt__":
                    where.nodes[node] = where.nodes.get(node, 0) + 1
                    self._close_children(where, node, event.time)
        elif event.mode == "lifecycle" and isinstance(data, dict) and event.namespace:
            ended = _LIFECYCLE_END.get(str(data.get("event")))
            if ended is not None:  # the Agent Protocol says when a subgraph ends, and how
                where.status = ended
        elif event.mode == "tasks" and isinstance(data, dict) and "result" in data:
            for child in where.children.values():
                if child.task_id == data.get("id"):
                    child.status = "error" if data.get("error") else "success"
                    child.last_time = event.time
        return where

    @staticmethod
    def _close_children(parent: NamespaceNode, node: str, when: float) -> None:
        for child in parent.children.values():
            if child.name == node and child.status == "running":
                child.status = "success"
                child.last_time = max(child.last_time, when)

    def finish(self, status: str) -> None:
        """At the end of the run, subgraphs still open share the run's fate."""
        for node in self._by_namespace.values():
            if node.namespace and node.status == "running":
                node.status = status
        if self.root is not None:
            self.root.status = status

    def node(self, namespace: Namespace) -> NamespaceNode | None:
        return self._by_namespace.get(namespace)

    def to_dict(self, annotate: Annotate | None = None) -> dict[str, Any]:
        return self.root.to_dict(annotate) if self.root else {}

"""The assistant's graph, and what ran on it.

`GraphModel` is the server's drawable graph (`assistants.get_graph`) checked and shaped for
drawing: node ids as the server sends them (with xray a subgraph's nodes are `parent:child`, and
the subgraph itself becomes a box around them), edges with their `conditional` flag, a tool
node's tool names. The server's graph is untrusted input: anything that is not a graph, edges
to unknown nodes, or more nodes than can be drawn become one sentence in `note`, never an
exception.

`GraphActivity` folds events into per-node activity: running now, visits, total time, the last
outcome (success, error, interrupted, cancelled), and the most tasks of one node running at once
(a `Send` fan-out). It is keyed by graph path (`events.graph_path`), so it counts from the first
event, before the graph has arrived, whatever xray depth the graph is drawn with; `project` puts
it on a model's nodes. How exact it is depends on what was streamed:

* `tasks` or `debug`: each task's start and end — running, visits, time (receipt to receipt),
  errors, interrupts and parallel tasks are exact.
* token metadata (`messages-tuple`): a task is running from its first LLM token; it ends with
  its node's update, else when a later step of its namespace streams, else at the end of the
  run. Its time starts at its namespace's previous update (the step boundary).
* `updates` only: nothing is known to be running; a node's visit is its update, its time is
  the time since the previous update of its namespace (so parallel nodes share a step's time),
  and the node that failed or was interrupted is not named by the stream.

Each event costs O(1) (token events: one dict lookup).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lg_widgets.events import Event, Namespace, graph_path, task_part, token_sources, token_task

MAX_DRAWN_NODES = 300  # more takes the browser over a second to lay out; run.graph has them all
START, END = "__start__", "__end__"


@dataclass(slots=True)
class GraphNodeSpec:
    id: str
    name: str
    parent: str | None  # the subgraph box it is drawn in (xray), else None
    kind: str  # "start", "end" or "node"
    tools: tuple[str, ...]
    metadata: dict[str, Any]


@dataclass(slots=True)
class GraphGroupSpec:
    """A subgraph drawn as a box around its nodes (with xray)."""

    id: str
    name: str
    parent: str | None


@dataclass(slots=True)
class GraphEdgeSpec:
    source: str
    target: str
    conditional: bool
    label: str | None


def _parent(node_id: str) -> str | None:
    parent = node_id.rpartition(":")[0]
    return parent or None


def _plural(count: int, what: str) -> str:
    return f"{count:,} {what}{'' if count == 1 else 's'}"


class GraphModel:
    """One assistant's graph as drawn: nodes, subgraph boxes, edges, and what was left out."""

    def __init__(
        self,
        *,
        assistant_id: str | None,
        xray: bool | int,
        nodes: list[GraphNodeSpec],
        edges: list[GraphEdgeSpec],
        note: str | None,
        drawn: int,
    ) -> None:
        self.assistant_id = assistant_id
        self.xray = xray
        self.nodes = nodes
        self.edges = edges
        self.note = note
        self.groups: list[GraphGroupSpec] = []
        seen: set[str] = set()
        for node in nodes:
            parent = node.parent
            while parent is not None and parent not in seen:
                seen.add(parent)
                self.groups.append(
                    GraphGroupSpec(parent, parent.rpartition(":")[2], _parent(parent))
                )
                parent = _parent(parent)
        self.groups.reverse()  # outer boxes first
        self._ids = {n.id for n in nodes} | seen
        self._located: dict[str, str | None] = {}
        drawn_nodes = nodes[:drawn]
        self.drawn_ids = {n.id for n in drawn_nodes}
        for node in drawn_nodes:
            parent = node.parent
            while parent is not None and parent not in self.drawn_ids:
                self.drawn_ids.add(parent)
                parent = _parent(parent)

    @classmethod
    def unavailable(
        cls, note: str, *, assistant_id: str | None = None, xray: bool | int = True
    ) -> GraphModel:
        """No graph to draw (the fetch failed): only the sentence saying why."""
        return cls(assistant_id=assistant_id, xray=xray, nodes=[], edges=[], note=note, drawn=0)

    @classmethod
    def from_server(
        cls,
        data: Any,
        *,
        assistant_id: str | None = None,
        xray: bool | int = True,
        max_drawn: int = MAX_DRAWN_NODES,
    ) -> GraphModel:
        """Check and shape `assistants.get_graph` output (`{"nodes": [...], "edges": [...]}`)."""
        if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
            return cls.unavailable(
                f"The server's answer is not a graph (expected nodes and edges, got "
                f"{type(data).__name__}).",
                assistant_id=assistant_id,
                xray=xray,
            )
        nodes: list[GraphNodeSpec] = []
        ids: set[str] = set()
        malformed = 0
        for raw in data["nodes"]:
            raw_id = raw.get("id") if isinstance(raw, dict) else None
            if not isinstance(raw_id, (str, int)) or isinstance(raw_id, bool) or str(raw_id) in ids:
                malformed += 1
                continue
            node_id = str(raw_id)
            ids.add(node_id)
            metadata = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
            tools = metadata.get("__tools")
            name = node_id.rpartition(":")[2] or node_id
            kind = "start" if name == START else "end" if name == END else "node"
            nodes.append(
                GraphNodeSpec(
                    node_id,
                    name,
                    _parent(node_id),
                    kind,
                    tuple(str(t) for t in tools) if isinstance(tools, list) else (),
                    metadata,
                )
            )
        edges: list[GraphEdgeSpec] = []
        seen_edges: set[tuple[str, str, bool, str | None]] = set()
        dropped = 0
        for raw in data.get("edges") if isinstance(data.get("edges"), list) else ():
            source = raw.get("source") if isinstance(raw, dict) else None
            target = raw.get("target") if isinstance(raw, dict) else None
            if str(source) not in ids or str(target) not in ids:
                dropped += 1
                continue
            label = raw.get("data")
            edge = (
                str(source),
                str(target),
                bool(raw.get("conditional")),
                label if isinstance(label, str) else None,
            )
            if edge not in seen_edges:
                seen_edges.add(edge)
                edges.append(GraphEdgeSpec(*edge))
        # __start__ and __end__ are drawn even when the rest is cut
        ordered = [n for n in nodes if n.kind != "node"] + [n for n in nodes if n.kind == "node"]
        drawn = min(len(ordered), max_drawn)
        problems = []
        if drawn < len(ordered):
            problems.append(
                f"drawing the first {drawn:,} of {len(ordered):,} nodes (run.graph has them all)"
            )
        if malformed:
            problems.append(f"{_plural(malformed, 'node')} without a usable id left out")
        if dropped:
            problems.append(f"{_plural(dropped, 'edge')} to unknown nodes left out")
        if not nodes:
            problems.append("the server sent a graph with no nodes")
        note = "; ".join(problems) or None
        if note:
            note = note[0].upper() + note[1:] + "."
        return cls(
            assistant_id=assistant_id, xray=xray, nodes=ordered, edges=edges, note=note, drawn=drawn
        )

    def locate(self, path: str) -> str | None:
        """The node or subgraph box where `path` is drawn: itself, else its nearest enclosing
        one (a subgraph's inner node lights its subgraph when drawn without xray)."""
        if path in self._located:
            return self._located[path]
        where: str | None = path
        while where and where not in self._ids:
            where = where.rpartition(":")[0]
        self._located[path] = where or None
        return where or None

    def to_dict(self, activity: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """Plain data for `run.graph`: every node (with its activity), subgraph and edge."""
        idle = {"status": None, "visits": 0, "seconds": 0.0, "running": 0, "parallel": 0}

        def active(node_id: str) -> dict[str, Any]:
            found = activity.get(node_id)
            return {k: found[k] for k in idle} if found else dict(idle)

        return {
            "assistant_id": self.assistant_id,
            "xray": self.xray,
            "note": self.note,
            "nodes": [
                {
                    "id": n.id,
                    "name": n.name,
                    "parent": n.parent,
                    "kind": n.kind,
                    "tools": list(n.tools),
                    "metadata": n.metadata,
                    **active(n.id),
                }
                for n in self.nodes
            ],
            "subgraphs": [
                {"id": g.id, "name": g.name, "parent": g.parent, **active(g.id)}
                for g in self.groups
            ],
            "edges": [
                {
                    "source": e.source,
                    "target": e.target,
                    "conditional": e.conditional,
                    "label": e.label,
                }
                for e in self.edges
            ],
        }


# ---- activity ---------------------------------------------------------------------------------

FINAL_OUTCOMES = ("success", "error", "interrupted", "cancelled")


@dataclass(slots=True)
class PathActivity:
    visits: int = 0
    seconds: float = 0.0
    running: int = 0
    parallel: int = 0  # the most tasks of this node running at once
    outcome: str | None = None  # how its last finished task ended

    @property
    def status(self) -> str | None:
        return "running" if self.running else self.outcome


@dataclass(slots=True)
class _OpenTask:
    path: str
    namespace: Namespace
    start: float
    last: float
    step: int | None
    exact: bool


@dataclass(slots=True)
class GraphActivity:
    paths: dict[str, PathActivity] = field(default_factory=dict)
    latest: str | None = None  # the path of the last task that started or ended
    version: int = 0  # changes whenever anything above does
    _open: dict[str, _OpenTask] = field(default_factory=dict)  # by task id / token task key
    _open_tokens: dict[Namespace, list[str]] = field(default_factory=dict)
    _settled_tokens: set[str] = field(default_factory=set)  # ended, or told by task events
    _exact: set[Namespace] = field(default_factory=set)  # namespaces with task events
    _boundary: dict[Namespace, float] = field(default_factory=dict)  # last step end seen
    _prefixes: dict[Namespace, str] = field(default_factory=dict)  # graph path + ":" of each
    _last_time: float = 0.0

    def _at(self, path: str) -> PathActivity:
        found = self.paths.get(path)
        if found is None:
            found = self.paths[path] = PathActivity()
        return found

    def _boundary_of(self, namespace: Namespace, when: float) -> float:
        """When the namespace's current step began, as far as the stream tells: its last
        update, else when its parent's did (a subgraph starts within its parent's step)."""
        found = self._boundary.get(namespace)
        if found is None:
            found = self._boundary_of(namespace[:-1], when) if namespace else when
            self._boundary[namespace] = found
        return found

    def apply(self, event: Event) -> None:
        when = self._last_time = event.time
        namespace = event.namespace
        if namespace not in self._boundary:
            self._boundary_of(namespace, when)
        mode = event.mode
        if mode == "updates":
            if namespace not in self._exact:
                self._updates(namespace, event.data, when)
        elif mode.startswith("messages"):
            key = token_task(event)
            open_task = self._open.get(key) if key else None
            if open_task is not None:  # the common case: one more token of a running task
                open_task.last = when
            elif key is None and mode == "messages":
                return  # a token that names no task: nothing to light up
            elif key not in self._settled_tokens:
                self._new_token_task(event, when)
        elif mode in ("tasks", "debug"):
            task = task_part(event)
            if task is None:
                return
            self._exact.add(namespace)
            path = graph_path(namespace, task.name)
            if task.finished:
                outcome = (
                    "error" if task.error else "interrupted" if task.interrupted else "success"
                )
                self._end(task.id, path, when, outcome)
            else:
                self._start(task.id, path, namespace, when, None, exact=True)

    def _updates(self, namespace: Namespace, data: Any, when: float) -> None:
        """A step's updates, where no task events tell: each node in it ran (and ended)."""
        if not isinstance(data, dict):
            return
        prefix = self._prefixes.get(namespace)
        if prefix is None:
            prefix = self._prefixes[namespace] = graph_path(namespace) + ":" if namespace else ""
        open_tokens = self._open_tokens.get(namespace)
        paths = self.paths
        for node in data:
            if node.startswith("__"):  # __interrupt__, not a node
                continue
            path = prefix + node if node else graph_path(namespace)
            key = self._open_token_task(namespace, path) if open_tokens else None
            if key is not None:
                self._end(key, path, when, "success")
                continue
            # updates only: the node ran since the previous step ended
            activity = paths.get(path)
            if activity is None:
                activity = paths[path] = PathActivity()
            activity.visits += 1
            seconds = when - self._boundary[namespace]
            if seconds > 0.0:
                activity.seconds += seconds
            activity.outcome = "success"
            self.latest = path
            self.version += 1
        self._boundary[namespace] = when

    def _new_token_task(self, event: Event, when: float) -> None:
        """Tokens of a task not seen streaming yet (or of several, with subgraph sources)."""
        for source in token_sources(event):
            task = self._open.get(source.task)
            if task is not None:
                task.last = when
            elif source.task in self._settled_tokens:
                continue
            elif source.namespace in self._exact:  # task events tell about this one
                self._settled_tokens.add(source.task)
            else:
                self._close_earlier_steps(source.namespace, source.step)
                start = self._boundary_of(source.namespace, when)
                self._start(source.task, source.path, source.namespace, start, source.step)
                self._open[source.task].last = when

    def _start(
        self,
        key: str,
        path: str,
        namespace: Namespace,
        start: float,
        step: int | None,
        exact: bool = False,
    ) -> None:
        if key in self._open:
            return
        activity = self._at(path)
        activity.visits += 1
        activity.running += 1
        activity.parallel = max(activity.parallel, activity.running)
        self._open[key] = _OpenTask(path, namespace, start, start, step, exact)
        if not exact:
            self._open_tokens.setdefault(namespace, []).append(key)
        self.latest = path
        self.version += 1

    def _end(self, key: str, path: str, when: float, outcome: str) -> None:
        task = self._open.pop(key, None)
        activity = self._at(path)
        if task is None:  # its start was not streamed (joined mid-run)
            activity.visits += 1
        else:
            activity.running -= 1
            activity.seconds += max(0.0, when - task.start)
            if not task.exact:
                self._open_tokens[task.namespace].remove(key)
                self._settled_tokens.add(key)
        activity.outcome = outcome
        self.latest = path
        self.version += 1

    def _open_token_task(self, namespace: Namespace, path: str) -> str | None:
        """The oldest token-inferred task of `path` still open in `namespace`."""
        for key in self._open_tokens.get(namespace, ()):
            if self._open[key].path == path:
                return key
        return None

    def _close_earlier_steps(self, namespace: Namespace, step: int | None) -> None:
        """Tokens of a later step mean the earlier step's tasks ended (no updates streamed)."""
        if step is None:
            return
        for key in list(self._open_tokens.get(namespace, ())):
            task = self._open[key]
            if task.step is not None and task.step < step:
                self._end(key, task.path, task.last, "success")

    def finish(self, status: str) -> None:
        """The run ended: tasks still open share its fate (a token task whose node's update
        never came ends with its last token)."""
        outcome = status if status in FINAL_OUTCOMES else "cancelled"
        for key, task in list(self._open.items()):
            end = task.last if not task.exact and outcome == "success" else self._last_time
            self._end(key, task.path, end, outcome)
        self.version += 1

    def project(self, model: GraphModel) -> dict[str, dict[str, Any]]:
        """Activity per drawn node or subgraph of `model`. A path drawn inside an enclosing
        node (no xray) only marks that node running; its counts are its own."""
        out: dict[str, dict[str, Any]] = {}
        inner_running: set[str] = set()
        for path, activity in self.paths.items():
            where = model.locate(path)
            if where is None:
                continue
            if where != path:
                if activity.running:
                    inner_running.add(where)
                continue
            out[where] = {
                "id": where,
                "status": activity.status,
                "visits": activity.visits,
                "seconds": activity.seconds,
                "running": activity.running,
                "parallel": activity.parallel,
                "latest": False,
            }
        for where in inner_running:
            entry = out.setdefault(
                where,
                {
                    "id": where,
                    "status": None,
                    "visits": 0,
                    "seconds": 0.0,
                    "running": 0,
                    "parallel": 0,
                    "latest": False,
                },
            )
            entry["status"] = "running"
        latest = model.locate(self.latest) if self.latest else None
        if latest in out:
            out[latest]["latest"] = True
        return out

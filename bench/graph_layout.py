"""Section 3 (graph): a generated graph shaped like a large LangGraph app, for the graph panel's
layout and highlight timings (and the tests that need a big graph).

`generated_graph(n)` answers like `assistants.get_graph(xray=True)`: a router sends to sub-agent
subgraphs (ids `agentK:stepI`, so each is a box), each a short chain with an agent <-> tools loop
(conditional), a self-loop and a tool node, all joining into `summarize`, which may loop back
to the router (a cycle through the whole graph).
"""

from __future__ import annotations

from typing import Any

SUBGRAPH_SIZE = 10


def generated_graph(n: int = 200, size: int = SUBGRAPH_SIZE) -> dict[str, Any]:
    """Exactly `n` nodes (n >= 5) and about 1.15 edges per node."""
    nodes: list[dict[str, Any]] = [
        {"id": "__start__"},
        {"id": "router"},
        {"id": "summarize"},
        {"id": "__end__"},
    ]
    edges: list[dict[str, Any]] = [
        {"source": "__start__", "target": "router"},
        {"source": "summarize", "target": "__end__", "conditional": True},
        {"source": "summarize", "target": "router", "conditional": True},
    ]
    group = 0
    while len(nodes) < n:
        ids = [f"agent{group}:step{i}" for i in range(min(size, n - len(nodes)))]
        for i, node_id in enumerate(ids):
            node: dict[str, Any] = {"id": node_id, "type": "runnable"}
            if i == 2:
                node["metadata"] = {"__tools": ["search", "fetch_page", "calculator"]}
            nodes.append(node)
        edges.append({"source": "router", "target": ids[0], "conditional": True})
        edges += [
            {"source": a, "target": b, "conditional": i % 3 == 2}
            for i, (a, b) in enumerate(zip(ids, ids[1:], strict=False))
        ]
        if len(ids) > 2:  # the agent <-> tools loop
            edges.append({"source": ids[2], "target": ids[1]})
        if len(ids) > 4:
            edges.append({"source": ids[4], "target": ids[4], "conditional": True})
        edges.append({"source": ids[-1], "target": "summarize"})
        group += 1
    return {"nodes": nodes, "edges": edges}

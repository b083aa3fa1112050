"""The namespace tree: events counted where they happened, times bounded, nodes noted."""

from __future__ import annotations

from lg_widgets.events import Event
from lg_widgets.reducers.tree import TreeReducer


def test_a_metadata_dict_shared_by_two_namespaces_notes_its_node_in_both():
    """A task's tokens share one (interned) metadata dict, so the tree reads its node once per
    dict and namespace, never once for all namespaces."""
    tree = TreeReducer("root")
    meta = {"langgraph_node": "model"}
    chunk = {"type": "AIMessageChunk", "content": "x", "id": "m"}
    for seq, namespace in enumerate([(), (), ("a:1",), ("a:1",), ()]):
        tree.apply(Event(seq, float(seq), "messages", namespace, [chunk, meta]))
    root, child = tree.node(()), tree.node(("a:1",))
    assert root is not None and child is not None
    assert (root.nodes, child.nodes) == ({"model": 0}, {"model": 0})
    assert (root.events, child.events) == (3, 2)
    assert (root.first_time, root.last_time, child.first_time) == (0.0, 4.0, 2.0)


def test_an_older_event_replayed_later_widens_the_times_it_falls_in():
    tree = TreeReducer("root")
    tree.apply(Event(0, 10.0, "custom", (), {}))
    tree.apply(Event(1, 12.0, "custom", ("a:1",), {}))
    tree.apply(Event(2, 5.0, "custom", ("a:1",), {}))  # a subtree opened later: replayed
    child = tree.node(("a:1",))
    assert child is not None and (child.first_time, child.last_time) == (5.0, 12.0)
    assert tree.node(()).last_time == 12.0  # type: ignore[union-attr]

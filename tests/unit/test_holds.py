"""Which namespaces a narrowed subscription holds: matched as the server matches its filters
(`run.left_out` and the view's "open" button read this)."""

from __future__ import annotations

from lg_widgets.run.model import Run, holds

SUB = ("tools:a1",)
DEEPER = ("tools:a1", "model:b2")


def test_a_depth_counts_from_the_prefix():
    held = [((), 0)]
    assert holds(held, ()) and not holds(held, SUB)
    assert holds([((), 1)], SUB) and not holds([((), 1)], DEEPER)


def test_a_segment_without_a_colon_names_a_node():
    assert holds([(("tools",), None)], SUB) and holds([(("tools",), None)], DEEPER)
    assert not holds([(("model",), None)], SUB)
    assert not holds([(("tools:zz",), None)], SUB)  # with a colon: one task only


def test_an_opened_subtree_is_held_with_all_below_it():
    held = [((), 0), (SUB, None)]
    assert holds(held, DEEPER) and not holds(held, ("tools:other",))
    assert holds(None, DEEPER)  # not narrowed: everything


def test_left_out_names_the_agents_a_narrowed_run_knows_of_but_does_not_hold():
    run = Run(assistant_id="team", protocol="agent")
    run.held = [((), 0)]
    started = {"event": "started", "graph_name": "researcher"}
    run.add({"event": "lifecycle|tools:a1", "data": started, "id": "7"})
    assert run.left_out == ["tools:a1"] and not run.holds("tools:a1")
    assert run.tree["children"][0]["left_out"] is True and run.tree["left_out"] is False
    run.held.append((SUB, None))
    assert run.left_out == [] and run.tree["children"][0]["left_out"] is False

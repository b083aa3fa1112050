"""One answer for "the state at a row": `Run.values`, `run.state_at` and the view agree, also on
state keys named like a timeline column (they used to come back as `state.step` from one and
`step` from the other)."""

from __future__ import annotations

from lg_widgets.run import Run
from lg_widgets.view.queries import RunQueries


def test_values_and_the_view_agree_on_keys_named_like_columns() -> None:
    run = Run.from_log(assistant_id="t")
    run.add({"event": "updates", "data": {"a": {"step": 1, "node": "x", "topic": "cats"}}})
    run.add({"event": "updates", "data": {"b": {"step": 2}}})
    run.finish("success")
    expected = {"step": 2, "node": "x", "topic": "cats"}
    assert run.values == expected
    assert run.state_at(1) == (expected, True)
    assert RunQueries(run).row_detail(1)["state"] == expected
    assert "state.step" in run.timeline.columns  # the DataFrame keeps its prefix


def test_values_rows_are_exact_and_updates_after_them_merge() -> None:
    run = Run.from_log(assistant_id="t")
    run.add({"event": "values", "data": {"items": [1], "step": 0}})
    run.add({"event": "updates", "data": {"n": {"items": [2]}}})
    assert run.state_at(0) == ({"items": [1], "step": 0}, False)
    assert run.state_at(1) == ({"items": [2], "step": 0}, True)  # reducers not applied
    assert run.values == {"items": [1], "step": 0}  # the last full state the server sent


def test_interrupts_are_not_state() -> None:
    run = Run.from_log(assistant_id="t")
    run.add({"event": "updates", "data": {"a": {"x": 1}}})
    run.add({"event": "updates", "data": {"__interrupt__": [{"value": "ok?", "id": "i1"}]}})
    assert run.values == {"x": 1}
    assert run.interrupts == [{"value": "ok?", "id": "i1"}]

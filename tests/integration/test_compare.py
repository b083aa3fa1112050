"""`lg_widgets.compare` on real runs of the ReAct demo: the same path with another city, a run
whose tool calls were malformed (its path diverges), a fork from a checkpoint, saved files."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

import lg_widgets

pytestmark = pytest.mark.integration

QUESTION = {"messages": [{"role": "user", "content": "What is the weather, and 42 / 0?"}]}
MODES = ["messages-tuple", "updates", "values"]


async def react(configurable: dict) -> lg_widgets.Run:
    run = lg_widgets.stream(
        "react", QUESTION, thread_id="new", stream_mode=MODES,
        config={"configurable": configurable},
    )  # fmt: skip
    await run
    assert run.status == "success", run.error
    return run


@pytest.fixture(scope="module")
async def rome_and_oslo(server) -> tuple[lg_widgets.Run, lg_widgets.Run]:
    return await react({"city": "Rome"}), await react({"city": "Oslo"})


class Marks(HTMLParser):
    """The text inside <del> and <ins> of the comparison's HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.open: str | None = None
        self.found: dict[str, list[str]] = {"del": [], "ins": []}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.open = tag if tag in self.found else self.open

    def handle_endtag(self, tag: str) -> None:
        self.open = None if tag == self.open else self.open

    def handle_data(self, data: str) -> None:
        if self.open:
            self.found[self.open].append(data)


def test_another_city_same_path_different_arguments_results_and_text(rome_and_oslo):
    rome, oslo = rome_and_oslo
    cmp = lg_widgets.compare(rome, oslo, labels=("Rome", "Oslo"))
    assert cmp.aligned_by == "step" and cmp.divergence is None
    steps = cmp.steps
    assert steps["nodes_a"].tolist() == [["model"], ["tools", "tools"], ["model"]]
    assert steps["nodes_a"].tolist() == steps["nodes_b"].tolist()
    assert steps["same_path"].all() and not steps["shared"].any()
    # the model's first message already differs: the weather call's argument
    assert cmp.first_difference["step"] == steps["step"].iloc[0]
    assert cmp.first_difference["nodes_a"] == ["model"]
    assert all(keys == ["messages"] for keys in steps["state_differs"])
    first = cmp.state.iloc[0]
    assert (first["key"], first["kind"], first["new"]) == ("messages", "changed", True)

    calls = cmp.tool_calls.set_index("name_a")
    weather, divide = calls.loc["get_weather"], calls.loc["divide"]
    assert (weather["args_a"], weather["args_b"]) == ({"city": "Rome"}, {"city": "Oslo"})
    assert not weather["same_args"] and not weather["same_result"]
    assert weather["result_b"] == "It is always sunny in Oslo."
    assert divide["same_args"] and divide["same_result"] and divide["status_b"] == "error"

    (text,) = cmp.text.itertuples()
    assert not text.same and text.node == "model"
    assert "sunny in [-Rome-]{+Oslo+}." in text.diff
    nodes = cmp.nodes.set_index(["step", "node"])
    assert nodes["keys_differ"].tolist()[0] == ["messages"]

    assert cmp.summary.loc["events", "delta"] == 0
    assert (cmp.usage["total_tokens_delta"] == 0).all()
    assert cmp.steps["delta_s"].notna().all()

    marks = Marks()
    marks.feed(cmp._repr_html_())
    assert marks.found == {"del": ["Rome"], "ins": ["Oslo"]}
    assert repr(cmp).endswith("aligned by step: same path; first difference at step 1 (model)>")


async def test_malformed_tool_calls_diverge_at_the_tools_step(rome_and_oslo):
    rome, _ = rome_and_oslo
    stopped = await react({"args": "invalid"})
    cmp = lg_widgets.compare(rome, stopped)
    assert cmp.divergence == {
        "namespace": "",
        "step": 2,
        "nodes_a": ["tools", "tools"],
        "nodes_b": [],
    }
    assert cmp.steps["same_path"].tolist() == [True, False, False]
    assert cmp.summary.loc["tool_calls", "delta"] == 0  # called, but never run
    assert cmp.tool_calls["result_b"].isna().all()
    assert "paths diverge at step 2" in repr(cmp)


async def test_a_fork_from_a_checkpoint_is_aligned_by_checkpoint(server):
    first = lg_widgets.stream(
        "agent", {"topic": "ice cream"}, thread_id="new", stream_mode=["updates", "checkpoints"]
    )
    await first
    checkpoint = next(
        e.data["config"]["configurable"]["checkpoint_id"]
        for e in first.events
        if e.mode == "checkpoints" and e.data["metadata"]["step"] == 1
    )
    replay = lg_widgets.stream(
        "agent", None, thread_id=first.thread_id, checkpoint_id=checkpoint,
        stream_mode=["updates", "checkpoints"],
    )  # fmt: skip
    await replay
    cmp = lg_widgets.compare(first, replay)
    assert cmp.aligned_by == "checkpoint"
    assert cmp.fork == {"run": "b", "checkpoint": checkpoint, "step": 1, "offset": 1}
    assert cmp.steps[["step", "shared"]].values.tolist() == [[1, True], [2, False]]
    assert cmp.steps["nodes_b"].tolist() == [[], ["generate_joke"]]
    assert cmp.divergence is None and cmp.first_difference is None


def test_saved_runs_compare_like_live_ones(rome_and_oslo, tmp_path):
    rome, oslo = rome_and_oslo
    rome.save(tmp_path / "rome.jsonl")
    oslo.save(tmp_path / "oslo.jsonl")
    live = lg_widgets.compare(rome, oslo)
    saved = lg_widgets.compare(tmp_path / "rome.jsonl", str(tmp_path / "oslo.jsonl"))
    for name in ("steps", "nodes", "state", "text", "tool_calls", "usage", "summary"):
        assert getattr(saved, name).equals(getattr(live, name)), name


def test_anything_else_is_refused_in_one_sentence():
    with pytest.raises(TypeError, match=r"^compare\(\) takes two runs .*; b is a dict$"):
        lg_widgets.compare(lg_widgets.Run.from_log(), {"not": "a run"})

"""The final status is a pure function of what the stream showed and what the server said."""

from __future__ import annotations

from lg_widgets.reducers.status import SERVER_RUN_GONE, Outcome, settle


def test_a_broken_stream_is_an_error_whatever_else_happened() -> None:
    outcome = Outcome("success", failure="The connection failed.", cancelled=True, on_thread=True)
    assert settle(outcome, "success").status == "error"
    assert settle(outcome).error == "The connection failed."
    assert not outcome.ask_server_run


def test_a_local_cancel_is_cancelled_without_asking_the_server() -> None:
    outcome = Outcome("success", cancelled=True, on_thread=True)
    assert not outcome.ask_server_run and not outcome.ask_thread_state("success")
    assert settle(outcome) == settle(outcome, "success")
    assert settle(outcome).status == "cancelled"


def test_the_server_tells_what_the_stream_cannot() -> None:
    thread = Outcome("success", on_thread=True, has_root_values=True)
    assert settle(thread, "success").status == "success"
    assert settle(thread, "interrupted").status == "cancelled"  # cancelled by another client
    assert settle(thread, "error").status == "error"
    assert settle(thread, "running").status == "running"
    assert settle(thread, SERVER_RUN_GONE).status == "cancelled"  # rolled back
    assert settle(thread, None).status == "success"  # the server did not answer
    silent = Outcome("success", on_thread=True, had_events=False)
    assert settle(silent, SERVER_RUN_GONE).status == "success"


def test_events_win_over_a_server_that_agrees() -> None:
    assert settle(Outcome("error", on_thread=True), "error").error is None  # the event's own
    assert settle(Outcome("interrupted", on_thread=True), "interrupted").status == "interrupted"


def test_a_stateless_run_is_not_asked_about() -> None:
    outcome = Outcome("success", on_thread=False)
    assert settle(outcome, "interrupted").status == "success"
    assert not outcome.ask_thread_state("success")


def test_static_breakpoints_are_read_from_the_thread() -> None:
    outcome = Outcome("success", on_thread=True, breakpoints=True, has_root_values=True)
    assert outcome.ask_thread_state("success") and not outcome.ask_thread_state("error")
    stopped = settle(outcome, "success", {"next": ["ask"], "values": {"a": 1}})
    assert stopped.status == "interrupted" and stopped.breakpoint
    assert stopped.final_values is None  # the stream had root values: they stay the answer
    finished = settle(outcome, "success", {"next": [], "values": {"a": 1}})
    assert finished.status == "success" and not finished.breakpoint


def test_the_final_state_comes_from_the_thread_when_no_values_were_streamed() -> None:
    outcome = Outcome("success", on_thread=True)
    assert outcome.ask_thread_state("success")
    assert settle(outcome, "success", {"values": {"x": 1}, "next": []}).final_values == {"x": 1}


def test_a_join_that_replayed_nothing_says_why() -> None:
    outcome = Outcome("success", had_events=False, joined_with_replay=True)
    assert "stream_resumable=True" in settle(outcome).warnings[0]
    assert not settle(Outcome("success", joined_with_replay=True)).warnings

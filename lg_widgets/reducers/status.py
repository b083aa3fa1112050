"""Run status, the error sentence, and interrupts (deduplicated by id).

The stream itself never says "done": the server closes it after the last event, stays silent
after a cancel, and ends with an `error` event when the graph raised. So the final status is
settled by `finish()` with what the transport learned, after the events have been folded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lg_widgets.events import Event

LIVE_STATUSES = ("pending", "running", "reconnecting", "cancelling")
FINAL_STATUSES = ("success", "error", "cancelled", "interrupted")
STATUSES = (*LIVE_STATUSES, *FINAL_STATUSES)
_MASKED = "An internal error occurred"


def describe_graph_error(data: Any) -> str:
    if not isinstance(data, dict):
        return f"The run failed: {data!r}"
    kind, message = data.get("error", "Error"), data.get("message", "")
    if kind == "HTTPException" and "404" in str(message):
        return f"The server could not find that run or thread ({message})."
    text = f"The graph raised {kind}: {message}"
    if isinstance(data.get("node"), str):  # said by a graph run in this process
        text += f" (in node {data['node']!r})"
    if message == _MASKED:
        text += (
            " (the server hides messages of exception types outside its allow-list;"
            " the server log has the traceback)"
        )
    return text


# the modes that say nothing of a run's status, error or interrupts
_SILENT_MODES = frozenset(("messages", "custom", "messages/partial", "messages/metadata"))


class StatusReducer:
    def __init__(self) -> None:
        self.status = "pending"
        self.error: str | None = None
        self.error_data: dict[str, Any] | None = None
        self.interrupts: dict[str, dict[str, Any]] = {}
        self.breakpoint = False  # a static interrupt_before/after stop (empty __interrupt__)
        self.run_id: str | None = None
        self.attempt: int | None = None

    def apply(self, event: Event) -> bool:
        """Fold one event; returns True when status, error or interrupts changed."""
        if event.mode in _SILENT_MODES:  # most of a run's events: only that it runs
            if self.status == "pending":
                self.status = "running"
            return False
        data = event.data
        if event.mode == "metadata" and isinstance(data, dict):
            self.run_id = data.get("run_id", self.run_id)
            self.attempt = data.get("attempt", self.attempt)
            if self.status == "pending":
                self.status = "running"
                return True
            return False
        if self.status == "pending":
            self.status = "running"
        if event.mode == "lifecycle" and not event.namespace and isinstance(data, dict):
            if data.get("event") == "failed":  # the Agent Protocol: the exception's message only
                message = data.get("error")
                self.status = "error"
                self.error_data = {"message": message}
                self.error = (
                    f"The graph failed: {message}"
                    if message
                    else "The graph failed (the server said no more; its log has the details)."
                )
                return True
            return False
        if event.mode == "error":
            self.status = "error"
            self.error_data = data if isinstance(data, dict) else {"message": data}
            self.error = describe_graph_error(data)
            return True
        if (
            event.mode in ("updates", "values")
            and isinstance(data, dict)
            and ("__interrupt__" in data)
        ):
            return self._add_interrupts(data["__interrupt__"])
        if event.mode == "tasks" and isinstance(data, dict) and data.get("interrupts"):
            return self._add_interrupts(data["interrupts"])
        if event.mode == "debug" and isinstance(data, dict):
            payload = data.get("payload") or {}
            if isinstance(payload, dict) and payload.get("interrupts"):
                return self._add_interrupts(payload["interrupts"])
        return False

    def _add_interrupts(self, interrupts: Any) -> bool:
        if not interrupts:
            self.breakpoint = True
            return True
        changed = False
        for interrupt in interrupts if isinstance(interrupts, list) else [interrupts]:
            key = interrupt.get("id") if isinstance(interrupt, dict) else None
            key = key or repr(interrupt)
            if key not in self.interrupts:
                self.interrupts[key] = interrupt
                changed = True
        return changed

    def finish(self, status: str, error: str | None = None, *, breakpoint: bool = False) -> None:
        self.status = status
        if error is not None:
            self.error = error
        self.breakpoint = self.breakpoint or breakpoint

    def settle(self, *, cancelled: bool) -> str:
        """The status the events alone imply once the stream has ended."""
        if cancelled:
            return "cancelled"
        if self.status == "error":
            return "error"
        if self.interrupts or self.breakpoint:
            return "interrupted"
        return "success"


# ---- the final status: a pure decision over what was received and what the server said -------

SERVER_RUN_GONE = "gone"  # `runs.get` answered 404: the run was rolled back


@dataclass(frozen=True)
class Outcome:
    """How the stream ended, as the run's task saw it (no I/O needed to build it)."""

    received: str  # the status the events alone imply (`StatusReducer.settle`)
    failure: str | None = None  # the sentence for a transport failure, if the stream broke
    cancelled: bool = False  # cancelled locally (Cancel, a kernel interrupt)
    had_events: bool = True
    on_thread: bool = False  # a thread run whose run id is known: the server can be asked
    joined_with_replay: bool = False  # a join that asked for earlier events (last_event_id)
    breakpoints: bool = False  # interrupt_before/interrupt_after were passed
    has_root_values: bool = False  # a root `values` event arrived
    gap: bool = False  # the stream broke and what was sent meanwhile could not be replayed

    @property
    def clean(self) -> bool:
        """Neither broken nor cancelled: only then is the server's word worth asking for."""
        return self.failure is None and not self.cancelled

    @property
    def ask_server_run(self) -> bool:
        return self.clean and self.on_thread

    def ask_thread_state(self, status: str) -> bool:
        """Static breakpoints leave no trace in `values` mode, a run without root `values` has
        no final state, and after a gap the last `values` received may be stale: the thread's
        state tells all three."""
        may_have_stopped = status == "success" and self.breakpoints
        return (
            self.clean
            and self.on_thread
            and (not self.has_root_values or may_have_stopped or self.gap)
        )


@dataclass(frozen=True)
class Settlement:
    status: str
    error: str | None = None
    warnings: tuple[str, ...] = ()
    breakpoint: bool = False
    final_values: dict[str, Any] | None = None


def settle(
    outcome: Outcome,
    server_status: str | None = None,
    thread_state: dict[str, Any] | None = None,
) -> Settlement:
    """The final status of a run.

    `server_status` is the server's `runs.get` status (or SERVER_RUN_GONE, or None when it was
    not asked or did not answer); `thread_state` is `threads.get_state` (or None). The stream
    never says how it ended: a server-side cancel just stops it, a rollback deletes the run.
    """
    if outcome.failure is not None:
        return Settlement("error", outcome.failure)
    if outcome.cancelled:
        return Settlement("cancelled", "The run was cancelled.")
    status, error = _with_server_word(outcome, server_status)
    warnings: tuple[str, ...] = ()
    if outcome.joined_with_replay and not outcome.had_events:
        warnings = (
            "No events were replayed: only runs created with stream_resumable=True "
            "keep their events for a later join.",
        )
    final_values, breakpoint = None, False
    if thread_state is not None and outcome.ask_thread_state(status):
        if not outcome.has_root_values or outcome.gap:
            final_values = thread_state.get("values") or None
        if status == "success" and outcome.breakpoints and thread_state.get("next"):
            status, breakpoint = "interrupted", True
    return Settlement(status, error, warnings, breakpoint, final_values)


def _with_server_word(outcome: Outcome, server_status: str | None) -> tuple[str, str | None]:
    status = outcome.received
    if server_status is None or not outcome.ask_server_run:
        return status, None
    if server_status == SERVER_RUN_GONE:
        if status == "success" and outcome.had_events:
            return "cancelled", "The run was rolled back on the server (it no longer exists)."
        return status, None
    if server_status in ("pending", "running"):
        return "running", None
    if status == "success" and server_status == "interrupted":
        return "cancelled", (
            "The run was cancelled on the server (another client or a "
            "multitask strategy interrupted it)."
        )
    if status == "success" and server_status == "error":
        return "error", "The run failed on the server; its log has the details."
    return status, None

"""Run status, the error sentence, and interrupts (deduplicated by id).

The stream itself never says "done": the server closes it after the last event, stays silent
after a cancel, and ends with an `error` event when the graph raised. So the final status is
settled by `finish()` with what the transport learned, after the events have been folded.
"""

from __future__ import annotations

from typing import Any

from lg_widgets.events import Event

STATUSES = ("pending", "running", "success", "error", "cancelled", "interrupted")
_MASKED = "An internal error occurred"


def describe_graph_error(data: Any) -> str:
    if not isinstance(data, dict):
        return f"The run failed: {data!r}"
    kind, message = data.get("error", "Error"), data.get("message", "")
    if kind == "HTTPException" and "404" in str(message):
        return f"The server could not find that run or thread ({message})."
    text = f"The graph raised {kind}: {message}"
    if message == _MASKED:
        text += (
            " (the server hides messages of exception types outside its allow-list;"
            " the server log has the traceback)"
        )
    return text


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

    def finish(self, status: str, error: str | None = None) -> None:
        self.status = status
        if error is not None:
            self.error = error

    def settle(self, *, cancelled: bool) -> str:
        """The status the events alone imply once the stream has ended."""
        if cancelled:
            return "cancelled"
        if self.status == "error":
            return "error"
        if self.interrupts or self.breakpoint:
            return "interrupted"
        return "success"

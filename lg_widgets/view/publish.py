"""Sending to the front end on behalf of the kernel's current request, not of an old cell.

ipykernel attributes what a kernel sends (display data, widget messages) to a request through
context variables, and a run's asyncio task inherits those of the cell that started it. A run
that ends while a later cell executes would then send its final output "from" a finished cell,
and headless executors (nbclient, so nbconvert and papermill) drop such messages: the saved
notebook would keep the run as it was when its cell ended. Sent from an empty context, the
messages fall back to the kernel's current request. Front ends find their targets by display id
or comm id, whoever the parent is.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def current_request_context() -> contextvars.Context:
    """A context with no variables set: what runs in it sends on behalf of the current request
    (for loop callbacks: `loop.call_at(..., context=current_request_context())`)."""
    return contextvars.Context()


def as_current_request(send: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call `send(*args, **kwargs)` with no context variables set (see the module's docstring)."""
    return current_request_context().run(send, *args, **kwargs)

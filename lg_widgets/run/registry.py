"""Every run of this process, in start order.

asyncio keeps only weak references to tasks, so a streaming run whose variable was dropped
could be collected mid-stream: runs are held strongly while they stream and weakly after, so
finished runs nobody references free their memory.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lg_widgets.run.model import Run

_streaming: set[Run] = set()
_started: list[weakref.ref[Run]] = []


def track(run: Run) -> None:
    _streaming.add(run)
    _started.append(weakref.ref(run))


def release(run: Run) -> None:
    _streaming.discard(run)


def runs() -> list[Run]:
    """The runs of this process that still exist (streaming, or referenced somewhere)."""
    alive = [(ref, run) for ref in _started if (run := ref()) is not None]
    _started[:] = [ref for ref, _ in alive]
    return [run for _, run in alive]

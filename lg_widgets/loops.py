"""Which asyncio loop a run lives on.

In a notebook (or any running loop) the run is a task on that loop, so widget updates and
button clicks keep flowing after the cell returns. With no running loop (a plain script) runs go
to one shared daemon loop thread, so `stream()` can still return at once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable

_background: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()


def running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def background_loop() -> asyncio.AbstractEventLoop:
    global _background
    with _lock:
        if _background is None or _background.is_closed():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="lg-widgets-loop", daemon=True)
            thread.start()
            _background = loop
        return _background


def loop_for_new_run() -> asyncio.AbstractEventLoop:
    return running_loop() or background_loop()


def call_on(loop: asyncio.AbstractEventLoop, work: Callable[[], None]) -> None:
    """Run `work` on `loop` and return once it has run: at once when `loop` is this thread's
    running loop, else through the loop's thread (a task is created on the loop it belongs to)."""
    if running_loop() is loop:
        work()
        return
    done = concurrent.futures.Future[None]()
    loop.call_soon_threadsafe(lambda: (work(), done.set_result(None)))
    done.result(timeout=10)

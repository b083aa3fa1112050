"""`--wait` as a top-level await, so the kernel's loop keeps serving the widget while a cell waits.

A magic is a synchronous call: blocking in it would stop the very loop that carries widget
updates, Cancel clicks and kernel interrupts. Instead an input transformer rewrites a cell whose
magic asks to wait into `await awaited(lambda: <the usual magic call>)`. IPython then runs the
cell as a coroutine on the kernel's loop: the magic starts the run and hands it back, and the
cell awaits it. A kernel interrupt cancels that await, and the run is cancelled on the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from lg_widgets.magics import sentences
from lg_widgets.run import Run

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

WantsWait = Callable[[str, str], bool]

_AWAITED: ContextVar[bool] = ContextVar("lg_widgets_awaited", default=False)
_CANCEL_REPORT_S = 15.0
_CALL = '__import__("lg_widgets.magics.awaiting", fromlist=["awaited"]).awaited'


def awaited_by_cell() -> bool:
    """True while a magic runs under `awaited()`: it should return its run instead of blocking."""
    return _AWAITED.get()


async def awaited(start: Callable[[], Any]) -> None:
    """Call the magic (via `start`), then wait for the run it returns, in the cell's coroutine."""
    __tracebackhide__ = True
    token = _AWAITED.set(True)
    try:
        run = start()
    finally:
        _AWAITED.reset(token)
    if isinstance(run, Run):
        await wait_in_cell(run)


async def wait_in_cell(run: Run) -> None:
    """Wait for the end; on a kernel interrupt, cancel the run on the server and say so."""
    __tracebackhide__ = True
    try:
        await run.wait()
    except asyncio.CancelledError:
        # Run.wait() has already asked the server to cancel. Absorb this cancellation so the
        # cell can wait for the outcome (bounded), then report it as an interrupt.
        task = asyncio.current_task()
        if task is not None and hasattr(task, "uncancel"):
            task.uncancel()
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(run.wait()), _CANCEL_REPORT_S)
        raise sentences.interrupted(run.run_id, run.status) from None


def wait_blocking(run: Run) -> None:
    """The fallback when a cell cannot be awaited (autoawait off, or a magic called from code).

    nest_asyncio re-enters the kernel's loop: widget updates flow, but front-end messages (a
    Cancel click) wait until it returns, and an interrupt does not always reach it.
    """
    try:
        run.wait_sync()
    except KeyboardInterrupt:
        run.cancel()
        raise


class WaitTransformer:
    """An IPython cleanup transformer for `%%lgstream ... --wait` and `%lgjoin ... --wait` lines.

    `wants_wait(magic, args)` tells, from the magic's own argument parser and `%config`
    defaults, whether a magic line waits. Lines it cannot parse are left alone: the magic itself
    then reports the mistake.
    """

    def __init__(
        self,
        shell: InteractiveShell,
        wants_wait: WantsWait,
        cell_magics: set[str],
        line_magics: set[str],
    ) -> None:
        self.shell = shell
        self.wants_wait = wants_wait
        self.cell_magics = cell_magics
        self.line_magics = line_magics
        self._line = re.compile(rf"%({'|'.join(map(re.escape, sorted(line_magics)))})(\s.*)?$")

    def __call__(self, lines: list[str]) -> list[str]:
        if not lines or not getattr(self.shell, "autoawait", False):
            return lines
        try:
            if lines[0].startswith("%%"):
                return self._cell(lines)
            return [self._line_magic(line) for line in lines]
        except Exception:  # noqa: BLE001 - never break a cell: the magic reports its own errors
            return lines

    def _cell(self, lines: list[str]) -> list[str]:
        name, _, args = lines[0][2:].rstrip().partition(" ")
        if name not in self.cell_magics or not self.wants_wait(name, args):
            return lines
        body = "".join(lines[1:])
        call = f"get_ipython().run_cell_magic({name!r}, {args!r}, {body!r})"
        return [f"await {_CALL}(lambda: {call})\n"]

    def _line_magic(self, line: str) -> str:
        match = self._line.match(line.rstrip("\n"))
        if match is None or line.rstrip().endswith("\\"):
            return line
        name, args = match.group(1), (match.group(2) or "").strip()
        if not self.wants_wait(name, args):
            return line
        call = f"get_ipython().run_line_magic({name!r}, {args!r})"
        return f"await {_CALL}(lambda: {call})\n"


def install(shell: InteractiveShell, transformer: WaitTransformer) -> None:
    uninstall(shell)
    shell.input_transformers_cleanup.append(transformer)


def uninstall(shell: InteractiveShell) -> None:
    cleanup = shell.input_transformers_cleanup
    cleanup[:] = [t for t in cleanup if not isinstance(t, WaitTransformer)]

"""`RunView`: the anywidget that shows a `Run` live.

Nothing is sent per event (see `view.sync`): `Flusher` sends at most one delta per
`flush_interval`, from the loop's one `FlushScheduler` timer, which holds all views of the
kernel together to MESSAGES_PER_S (ten views send no more than one could). The full
data also lives in the `snapshot_zlib` trait (the snapshot as zlib-compressed JSON): set when
the view is created and at the end of the run, and in between at most once a second and only
while the periodic snapshots stay under SNAPSHOT_SHARE of the delta bytes (counted before
compression, so that building them stays a bounded share of the work). A snapshot carries the
whole text again, so it is compressed: the final one costs a fraction of the deltas that carried
the same text. A second view, a reloaded page and a notebook saved after the run are complete; a
view that missed deltas asks for a fresh snapshot.

A view shows a chain of runs on one thread: `continue_with(run)` (a resume, fork or replay from
the view, the next run a `follow()` saw) keeps what it showed and follows the new run once the
one before has ended and sent its last delta.
"""

from __future__ import annotations

import asyncio
import os
import time
import weakref
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import anywidget
import orjson
import traitlets

from lg_widgets.errors import LgWidgetsError
from lg_widgets.events import Event
from lg_widgets.loops import running_loop
from lg_widgets.view.publish import as_current_request, current_request_context
from lg_widgets.view.queries import RunQueries
from lg_widgets.view.sync import RunSync
from lg_widgets.view.wire import dumps

if TYPE_CHECKING:
    from lg_widgets.run.model import Run

STATIC = Path(__file__).parent.parent / "static"
FLUSH_INTERVAL_S = 0.05  # <= 20 deltas/s per widget, far below jupyter_server's IOPub limit
# All views of a kernel together: jupyter_server drops IOPub messages above 1000/s (its default,
# averaged over 3 s; comm bytes are not limited). Stay at a tenth of that, whatever the views.
MESSAGES_PER_S = 100
BURST = 20  # messages that may go at once (views ending together), within MESSAGES_PER_S a second
_MESSAGES_PER_FLUSH = 2  # a delta and a snapshot
SNAPSHOT_INTERVAL_S = 1.0
SNAPSHOT_SHARE = 0.4  # periodic snapshots add at most this share of the delta bytes
SNAPSHOT_ZLIB_LEVEL = 1  # the fastest: on JSON it compresses nearly as well as the default
# marimo's kernel handles widget messages between cells, so a Cancel click waits behind a cell
# that awaits the run (that is, until the run has ended); interrupting that cell cancels the run.
CLICKS_WAIT_NOTE = (
    "A cell is awaiting this run and marimo handles clicks only after it: stop that cell to "
    "cancel the run (without `await run`, Cancel and `run.cancel()` act at once)."
)
_NOT_BUILT_ESM = """export default { render({ el }) {
  el.textContent = "lg_widgets: front end not built (run scripts/setup, or npm run build in js/)";
} };"""


def _front_end(name: str, missing: str) -> str | Path:
    """A built front-end file as anywidget takes it: its text. Given the path, anywidget
    watches the file for its hot reload and ties every view ever made to the watcher, so no
    closed view or its run is ever freed (anywidget issue 929); only a developer who sets
    `ANYWIDGET_HMR=1` before the import gets the path, and the reload."""
    path = STATIC / name
    if not path.is_file():
        return missing
    if os.environ.get("ANYWIDGET_HMR") == "1":
        return path
    return path.read_text(encoding="utf-8")


def _sentence(exc: BaseException) -> str:
    text = str(exc).strip()
    return text if text else f"{type(exc).__name__} while starting the run."


class Flusher:
    """Calls `flush()` at most once per `interval` seconds, however often it is poked.

    The first poke after a quiet period flushes at the next turn of the loop (bounded latency);
    further pokes before the interval is over ride along. Flushes run from the loop's one
    `FlushScheduler`, which also holds every view of the kernel to one message budget.
    `flush()` may return how many messages it sent; None counts as one.
    """

    def __init__(self, flush: Callable[[], int | None], interval: float = FLUSH_INTERVAL_S) -> None:
        self._flush = flush
        self.interval = interval
        self._last = float("-inf")
        self._scheduler: FlushScheduler | None = None
        self._due = False  # waiting in a scheduler: a poke per event then costs one check

    @property
    def ready_at(self) -> float:
        return self._last + self.interval

    def poke(self) -> None:
        loop = running_loop()
        if loop is None:  # notified outside the run's loop (not the streaming path): no timer
            self.flush_now()
            return
        scheduler = self._scheduler
        if self._due and scheduler is not None and scheduler.loop is loop:
            return  # due on this loop already: every event of a stream pokes
        if scheduler is None or scheduler.loop is not loop:  # a lookup per poke would cost
            scheduler = self._scheduler = FlushScheduler.of(loop)  # more than the rest of it
        scheduler.add(self)
        self._due = True

    def flush_now(self) -> None:
        """Flush at once, whatever the budget (which it is charged to all the same)."""
        self.cancel()
        loop = running_loop()
        if loop is not None:
            self._last = loop.time()
        sent = self._flush()
        if loop is not None:
            FlushScheduler.of(loop).charge(1 if sent is None else sent)

    def flush_soon(self) -> None:
        """Flush now if the kernel's budget allows, else as soon as it does (the end of a run:
        ten views ending together must not burst past the budget)."""
        loop = running_loop()
        if loop is None or FlushScheduler.of(loop).affordable():
            self.flush_now()
            return
        self._last = float("-inf")
        self._due = False  # poked again: its scheduler looks at the new time
        self.poke()

    def cancel(self) -> None:
        self._due = False
        if self._scheduler is not None:
            self._scheduler.discard(self)


class FlushScheduler:
    """One per event loop: flushes every poked view from one timer, with one message budget for
    the whole kernel, so that ten views send no more than one could.

    The budget is a token bucket: BURST messages at most, refilled at MESSAGES_PER_S - BURST a
    second, so that no second ever sees more than MESSAGES_PER_S messages, however many views
    stream at once. A view flushes only when a whole flush (a delta and a snapshot: 2 messages)
    is affordable; views wait their turn in poke order; each sends everything new when it
    flushes, so nothing is dropped, only coalesced.
    """

    _by_loop: ClassVar[weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, FlushScheduler]] = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._due: dict[Flusher, None] = {}  # an ordered set: views flush in poke order
        self._handle: asyncio.TimerHandle | None = None
        self._tokens = float(BURST)
        self._tokens_at = loop.time()

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> FlushScheduler:
        scheduler = cls._by_loop.get(loop)
        if scheduler is None:
            scheduler = cls._by_loop[loop] = cls(loop)
        return scheduler

    def add(self, flusher: Flusher) -> None:
        self._due[flusher] = None
        self._schedule()

    def discard(self, flusher: Flusher) -> None:
        self._due.pop(flusher, None)

    def _refill(self) -> float:
        now = self.loop.time()
        rate = MESSAGES_PER_S - BURST
        self._tokens = min(float(BURST), self._tokens + (now - self._tokens_at) * rate)
        self._tokens_at = now
        return self._tokens

    def affordable(self) -> bool:
        return self._refill() >= _MESSAGES_PER_FLUSH

    def charge(self, messages: int) -> None:
        self._refill()
        self._tokens -= messages

    def _schedule(self) -> None:
        if self._handle is not None or not self._due:
            return
        shortfall = max(0.0, _MESSAGES_PER_FLUSH - self._refill())
        at = max(
            self.loop.time() + shortfall / (MESSAGES_PER_S - BURST),
            min(f.ready_at for f in self._due),
        )
        # flushes go out for the kernel's current request, not the cell that poked first
        self._handle = self.loop.call_at(at, self._round, context=current_request_context())

    def _round(self) -> None:
        self._handle = None
        now = self.loop.time()
        for flusher in list(self._due):
            if flusher.ready_at > now + 1e-3:
                continue
            if not self.affordable():
                break
            flusher.flush_now()
        self._schedule()


_VIEWS: weakref.WeakSet[RunView] = weakref.WeakSet()  # the views alive: `follow_again` finds them


def follow_again(run: Run) -> None:
    """A run that had ended gets events again (a subtree opened with `run.open`): the views
    that show it now listen to it again, until what was opened has arrived."""
    for view in list(_VIEWS):
        if view.run is run:
            view.follow_again()


class RunView(anywidget.AnyWidget):
    """The live view of a `Run`: tokens, timeline, namespace tree, events, status and Cancel.

    `run.view()` makes one; displaying a `Run` shows one. Several views of one run each keep
    their own sync state, so each stays within the message budget on its own.
    """

    _esm = _front_end("widget.js", _NOT_BUILT_ESM)
    _css = _front_end("widget.css", "")

    snapshot_zlib = traitlets.Bytes(b"").tag(sync=True)
    """The complete view state (see `RunSync.snapshot`) plus `seq`, the last delta it covers,
    as zlib-compressed JSON (a binary buffer on the wire and in a saved notebook)."""

    cancel_note = traitlets.Unicode("").tag(sync=True)
    """Empty, or the sentence the view shows at once when Cancel is clicked because the click
    cannot act now (`CLICKS_WAIT_NOTE`: in marimo, while a cell awaits the run)."""

    def __init__(
        self,
        run: Run,
        *,
        flush_interval: float = FLUSH_INTERVAL_S,
        snapshot_interval: float = SNAPSHOT_INTERVAL_S,
    ) -> None:
        super().__init__()
        self.run = run
        self._waiting: list[Run] = []  # runs to continue with once the one followed now ends
        self._requests: set[asyncio.Task[None]] = set()  # answers waiting for a run id
        self._opened: list[str] = []  # the subtrees this view opened: closing it stops them
        # called with the chain whenever a run of it ends (the display's static copy follows)
        self._on_ended: list[Callable[[list[Run]], None]] = []
        # what this view sent (JSON payload bytes, without the ~0.5 KB Jupyter envelope)
        self.custom_messages_sent = 0
        self.custom_bytes = 0
        self.snapshots_sent = 0
        self.snapshot_bytes = 0  # compressed, as sent
        self._snapshot_json_bytes = 0  # before compression: what the periodic budget counts
        self._seq = 0
        self._sync = RunSync(run)
        self._queries = RunQueries(run, self._sync.chain)
        self._flusher = Flusher(self._flush, flush_interval)
        self._snapshot_interval = snapshot_interval
        self._next_snapshot = 0.0
        self._snapshot_forced = True
        self._last_snapshot_size = 0
        self._custom_bytes_at_snapshot = 0
        self._publish_snapshot()
        self.on_msg(self._on_front_end_message)
        # marimo gives widgets its own comm (ipywidgets checks `comm.kernel`; marimo's says so)
        self._clicks_wait_for_cells = getattr(self.comm, "kernel", None) == "marimo"
        self._unsubscribe = run.on_change(self._on_change) if not run.done else None
        _VIEWS.add(self)

    @property
    def snapshot(self) -> dict[str, Any]:
        """The last snapshot published (`RunSync.snapshot`), decoded; {} before the first."""
        return orjson.loads(zlib.decompress(self.snapshot_zlib)) if self.snapshot_zlib else {}

    @property
    def runs(self) -> list[Run]:
        """The runs this view shows, oldest first (the last is the one it follows now)."""
        return list(self._sync.chain.runs)

    def on_run_ended(self, callback: Callable[[list[Run]], None]) -> None:
        """Call `callback(view.runs)` each time a run this view shows ends, the later runs of
        its chain included: the notebook's static copy of the view is replaced then."""
        self._on_ended.append(callback)

    def _ended(self) -> None:
        runs = self.runs
        for callback in self._on_ended:
            callback(runs)

    def continue_with(self, run: Run) -> None:
        """Go on showing `run`, the next run on this view's thread (a resume, a fork, a
        replay, a run started elsewhere): what the view shows stays, and its messages and
        timeline go on with the new run's. While the run followed now has not ended, the new
        one waits its turn, so that the last delta of each run is sent before the next."""
        shown = [*self._sync.chain.runs, *self._waiting]
        if any(r is run or (run.run_id is not None and r.run_id == run.run_id) for r in shown):
            return  # already shown (a follower and a resume from the view meet here)
        self._waiting.append(run)
        if self.run.ended_at is not None:
            self._advance()

    def _advance(self) -> None:
        """Follow the next waiting run, and the one after while each has ended already."""
        while self._waiting:
            run = self._waiting.pop(0)
            self._detach(keep_final_flush=True)
            self._flusher.flush_now()  # the run before: its last changes under its own rows
            self.run = run
            self._sync.continue_with(run)
            self._update_cancel_note()
            self._snapshot_forced = True
            if run.ended_at is None and not run.done:
                self._unsubscribe = run.on_change(self._on_change)
                self._flusher.poke()
                return
            self._flush_all()
            self._ended()

    # ---- kernel -> front end ----------------------------------------------------------------
    def _on_change(self, run: Run, event: Event | None) -> None:
        if run is not self.run:  # a notification already under way when the view went on
            return
        if self._clicks_wait_for_cells:
            self._update_cancel_note()
        if run.ended_at is None or run.opening:  # streaming, or a subtree opened after the end
            self._flusher.poke()
        else:  # ended_at is set once, by the run's final settlement
            as_current_request(self._flush_all)  # a saved notebook keeps the final snapshot
            self._detach(keep_final_flush=True)
            as_current_request(self._ended)
            if self._waiting:
                as_current_request(self._advance)

    def _update_cancel_note(self) -> None:
        if not self._clicks_wait_for_cells:
            return  # outside marimo the note is never shown: no trait read per event
        waits = self.run.waiting > 0 and self.run.ended_at is None
        note = CLICKS_WAIT_NOTE if waits else ""
        if note != self.cancel_note:
            self.cancel_note = note

    def _flush(self) -> int:
        """Send what is new; returns how many messages that took (for the kernel's budget)."""
        messages = self.messages_sent
        delta = self._sync.delta(self._seq + 1)
        if delta is not None:
            self._seq += 1
            self._push(delta)
        if self._snapshot_forced or self._periodic_snapshot_due():
            self._publish_snapshot()
        return self.messages_sent - messages

    def _periodic_snapshot_due(self) -> bool:
        """Once a second, while the periodic snapshots stay within SNAPSHOT_SHARE of the deltas.

        Each snapshot carries the whole text, so refreshing one every second is O(n^2) bytes over
        a long run; tying them to the delta bytes keeps the total linear. Live views never wait
        for them (a view that missed deltas asks for one); what is lost is only the freshness of
        a notebook saved while the run is still streaming. While the view's requests wait
        behind a cell that awaits the run (marimo), a view that missed deltas cannot ask, so
        the snapshot goes once a second whatever it costs.
        """
        if time.monotonic() < self._next_snapshot:
            return False
        if self.cancel_note:  # its requests wait behind a cell (marimo): it cannot ask to resync
            return True
        growth = self.custom_bytes - self._custom_bytes_at_snapshot
        estimate = self._last_snapshot_size + growth
        return self._snapshot_json_bytes + estimate <= SNAPSHOT_SHARE * self.custom_bytes

    def _flush_all(self) -> None:
        """Send what is pending, then a fresh snapshot (at the end of the run)."""
        self._snapshot_forced = True
        self._flusher.flush_soon()

    def _publish_snapshot(self) -> None:
        raw = dumps(self._sync.snapshot(self._seq))
        packed = zlib.compress(raw, SNAPSHOT_ZLIB_LEVEL)
        if packed != self.snapshot_zlib:
            self.snapshot_bytes += len(packed)
            self._snapshot_json_bytes += len(raw)
            self.snapshots_sent += 1
            self.snapshot_zlib = packed
        self._snapshot_forced = False
        self._last_snapshot_size = len(raw)
        self._custom_bytes_at_snapshot = self.custom_bytes
        self._next_snapshot = time.monotonic() + self._snapshot_interval

    def _push(self, content: dict[str, Any]) -> None:
        raw = dumps(content)
        self.custom_messages_sent += 1
        self.custom_bytes += len(raw)
        self.send(orjson.loads(raw))

    # ---- front end -> kernel ----------------------------------------------------------------
    def _on_front_end_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        kind, request = content.get("type"), content.get("req")
        if kind == "cancel":
            self.run.cancel()
            return
        if kind == "resync":  # a view missed deltas: a snapshot at the next flush heals it
            self._snapshot_forced = True
            self._flusher.poke()
            return
        if kind in ("resume", "fork", "replay"):
            self._go_on(kind, request, content)
            return
        if kind == "open":
            self._open(request, content.get("namespace"))
            return
        answer: Any = None
        if kind == "row":
            answer = self._queries.row_detail(int(content.get("index", -1)))
        elif kind == "events":
            answer = self._queries.events_page(
                content.get("modes") or None,
                int(content.get("offset", -100)),
                int(content.get("limit", 100)),
            )
        elif kind == "event":
            answer = self._queries.event_detail(int(content.get("seq", -1)))
        if answer is not None:
            self._push({"type": "response", "req": request, **answer})

    def _open(self, request: Any, namespace: Any) -> None:
        """Subscribe to a subtree left out on the server (`run.open`); the views of an ended
        run listen again while its events come (`follow_again`)."""
        if not isinstance(namespace, str):
            self._push({"type": "response", "req": request, "error": "No namespace to open."})
            return
        try:
            self.run.open(namespace)
        except (LgWidgetsError, ValueError) as exc:
            self._push({"type": "response", "req": request, "error": _sentence(exc)})
            return
        self._opened.append(namespace)
        self._push({"type": "response", "req": request, "ok": True})

    def follow_again(self) -> None:
        if self._unsubscribe is None and self.run.opening:
            self._unsubscribe = self.run.on_change(self._on_change)
            self._flusher.poke()

    def _go_on(self, kind: str, request: Any, content: dict[str, Any]) -> None:
        """Resume, fork or replay from the view: start the run (`threads`), continue the view
        with it and answer with its id once the server has one, or with the one sentence
        saying why not. An error before anything is sent leaves nothing running."""
        try:
            run = self._start_next(kind, content)
        except (LgWidgetsError, ValueError, TypeError) as exc:
            self._push({"type": "response", "req": request, "error": _sentence(exc)})
            return
        self.continue_with(run)
        loop = running_loop()
        if loop is None or run.run_id is not None or run.done:
            self._answer_started(request, run)
            return
        task = loop.create_task(self._answer_when_created(request, run))
        self._requests.add(task)
        task.add_done_callback(self._requests.discard)

    def _start_next(self, kind: str, content: dict[str, Any]) -> Run:
        if kind == "resume":
            answers = content.get("answers")
            if not isinstance(answers, dict) or not answers:
                raise LgWidgetsError("Answer at least one interrupt before resuming.")
            # an interrupt without an id is answered under "": its value is the resume value
            return self.run.resume(answers[""] if list(answers) == [""] else answers)
        index = content.get("index")
        found = self._queries.locate_row(index) if isinstance(index, int) else None
        if found is None:
            raise LgWidgetsError(f"There is no timeline row {index!r} to start from.")
        run, _local, row = found
        detail = self._queries.row_detail(index)  # type: ignore[arg-type]
        refused = detail["actions"]["refused"]  # type: ignore[typeddict-item]
        if refused is not None:
            raise LgWidgetsError(refused)
        if kind == "fork":
            values = content.get("values")
            if values is not None and not isinstance(values, dict):
                raise LgWidgetsError("The state to fork with must be a JSON object (or null).")
            return run.fork(row["checkpoint_id"], values=values)
        return run.replay(row["checkpoint_id"])

    async def _answer_when_created(self, request: Any, run: Run) -> None:
        """Wait (on the run's own notifications) for the server's run id or the run's end."""
        created = asyncio.Event()

        def check(changed: Run, _event: Any) -> None:
            if changed.run_id is not None or changed.ended_at is not None:
                created.set()

        unsubscribe = run.on_change(check)
        try:
            if run.run_id is None and run.ended_at is None:
                await created.wait()
        finally:
            unsubscribe()
        self._answer_started(request, run)

    def _answer_started(self, request: Any, run: Run) -> None:
        if run.run_id is None and run.error is not None:
            self._push({"type": "response", "req": request, "error": run.error})
        else:
            self._push({"type": "response", "req": request, "ok": True, "run_id": run.run_id})

    @property
    def messages_sent(self) -> int:
        """Comm messages sent: deltas, answers and snapshot trait updates."""
        return self.custom_messages_sent + self.snapshots_sent

    @property
    def bytes_sent(self) -> int:
        return self.custom_bytes + self.snapshot_bytes

    def _detach(self, *, keep_final_flush: bool = False) -> None:
        flusher, unsubscribe = getattr(self, "_flusher", None), getattr(self, "_unsubscribe", None)
        # absent when __init__ failed (ipywidgets closes in __del__)
        if flusher is not None and not keep_final_flush:
            flusher.cancel()
        if unsubscribe is not None:
            unsubscribe()
            self._unsubscribe = None

    def close(self) -> None:
        for namespace in getattr(self, "_opened", ()):  # what this view opened stops with it
            self.run.close_opened(namespace)
        self._detach()
        # absent when __init__ failed (ipywidgets closes in __del__)
        getattr(self, "_waiting", []).clear()
        for task in list(getattr(self, "_requests", ())):
            task.cancel()
        super().close()

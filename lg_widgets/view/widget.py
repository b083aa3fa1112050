"""`RunView`: the anywidget that shows a `Run` live.

Nothing is sent per event (see `view.sync`): `Flusher` sends at most one delta per
`flush_interval` from a `loop.call_later` timer. The full data also lives in the `snapshot`
trait: set when the view is created and at the end of the run, and in between at most once a
second and only while the periodic snapshots stay under SNAPSHOT_SHARE of the delta bytes. A
snapshot carries the whole text, so for token-heavy runs that budget admits none mid-run: total
bytes stay about 2.5x the text instead of growing as O(n^2). A second view, a reloaded page and a
notebook saved after the run are complete; a view that missed deltas asks for a fresh snapshot.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import orjson
import traitlets

from lg_widgets.events import Event
from lg_widgets.loops import running_loop
from lg_widgets.view.publish import as_current_request
from lg_widgets.view.queries import RunQueries
from lg_widgets.view.sync import RunSync

if TYPE_CHECKING:
    from lg_widgets.run.model import Run

STATIC = Path(__file__).parent.parent / "static"
FLUSH_INTERVAL_S = 0.05  # <= 20 deltas/s per widget, far below jupyter_server's IOPub limit
SNAPSHOT_INTERVAL_S = 1.0
SNAPSHOT_SHARE = 0.4  # periodic snapshots add at most this share of the delta bytes
_NOT_BUILT_ESM = """export default { render({ el }) {
  el.textContent = "lg_widgets: front end not built (run scripts/setup, or npm run build in js/)";
} };"""


class Flusher:
    """Calls `flush()` at most once per `interval` seconds, however often it is poked.

    The first poke after a quiet period flushes after at most one interval (bounded latency);
    further pokes before then ride along. Runs on the loop that pokes it.
    """

    def __init__(self, flush: Callable[[], None], interval: float = FLUSH_INTERVAL_S) -> None:
        self._flush = flush
        self.interval = interval
        self._handle: asyncio.TimerHandle | None = None
        self._last = float("-inf")

    def poke(self) -> None:
        if self._handle is not None:
            return
        loop = running_loop()
        if loop is None:  # notified outside the run's loop (not the streaming path): no timer
            self.flush_now()
            return
        delay = max(0.0, self._last + self.interval - loop.time())
        self._handle = loop.call_later(delay, self.flush_now)

    def flush_now(self) -> None:
        self.cancel()
        loop = running_loop()
        if loop is not None:
            self._last = loop.time()
        self._flush()

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


class RunView(anywidget.AnyWidget):
    """The live view of a `Run`: tokens, timeline, namespace tree, events, status and Cancel.

    `run.view()` makes one; displaying a `Run` shows one. Several views of one run each keep
    their own sync state, so each stays within the message budget on its own.
    """

    _esm = STATIC / "widget.js" if (STATIC / "widget.js").is_file() else _NOT_BUILT_ESM
    _css = STATIC / "widget.css" if (STATIC / "widget.css").is_file() else ""

    snapshot = traitlets.Dict().tag(sync=True)
    """The complete view state (see `RunSync.snapshot`) plus `seq`, the last delta it covers."""

    def __init__(
        self,
        run: Run,
        *,
        flush_interval: float = FLUSH_INTERVAL_S,
        snapshot_interval: float = SNAPSHOT_INTERVAL_S,
    ) -> None:
        super().__init__()
        self.run = run
        # what this view sent (JSON payload bytes, without the ~0.5 KB Jupyter envelope)
        self.custom_messages_sent = 0
        self.custom_bytes = 0
        self.snapshots_sent = 0
        self.snapshot_bytes = 0
        self._seq = 0
        self._sync = RunSync(run)
        self._queries = RunQueries(run)
        for event in run.events_between(0):
            self._note(event)
        self._flusher = Flusher(self._flush, flush_interval)
        self._snapshot_interval = snapshot_interval
        self._next_snapshot = 0.0
        self._snapshot_forced = True
        self._last_snapshot_size = 0
        self._custom_bytes_at_snapshot = 0
        self._publish_snapshot()
        self.on_msg(self._on_front_end_message)
        self._unsubscribe = run.on_change(self._on_change) if not run.done else None

    # ---- kernel -> front end ----------------------------------------------------------------
    def _on_change(self, run: Run, event: Event | None) -> None:
        if event is not None:
            self._note(event)
        if run.ended_at is not None:  # set once, by the run's final settlement
            as_current_request(self._flush_all)  # a saved notebook keeps the final snapshot
            self._detach()
        else:
            self._flusher.poke()

    def _note(self, event: Event) -> None:
        self._sync.note(event.mode)
        self._queries.note(event.mode, event.seq)

    def _flush(self) -> None:
        delta = self._sync.delta(self._seq + 1)
        if delta is not None:
            self._seq += 1
            self._push(delta)
        if self._snapshot_forced or self._periodic_snapshot_due():
            self._publish_snapshot()

    def _periodic_snapshot_due(self) -> bool:
        """Once a second, while the periodic snapshots stay within SNAPSHOT_SHARE of the deltas.

        Each snapshot carries the whole text, so refreshing one every second is O(n^2) bytes over
        a long run; tying them to the delta bytes keeps the total linear. Live views never wait
        for them (a view that missed deltas asks for one); what is lost is only the freshness of
        a notebook saved while the run is still streaming.
        """
        if time.monotonic() < self._next_snapshot:
            return False
        growth = self.custom_bytes - self._custom_bytes_at_snapshot
        estimate = self._last_snapshot_size + growth
        return self.snapshot_bytes + estimate <= SNAPSHOT_SHARE * self.custom_bytes

    def _flush_all(self) -> None:
        """Send what is pending, then a fresh snapshot (at the end, or on a view's request)."""
        self._flusher.cancel()
        self._snapshot_forced = True
        self._flush()

    def _publish_snapshot(self) -> None:
        raw = orjson.dumps(
            self._sync.snapshot(self._seq),
            default=repr,
            option=orjson.OPT_NON_STR_KEYS,
        )
        data = orjson.loads(raw)
        if data != self.snapshot:
            self.snapshot_bytes += len(raw)
            self.snapshots_sent += 1
            self.snapshot = data
        self._snapshot_forced = False
        self._last_snapshot_size = len(raw)
        self._custom_bytes_at_snapshot = self.custom_bytes
        self._next_snapshot = time.monotonic() + self._snapshot_interval

    def _push(self, content: dict[str, Any]) -> None:
        raw = orjson.dumps(content, default=repr, option=orjson.OPT_NON_STR_KEYS)
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

    @property
    def messages_sent(self) -> int:
        """Comm messages sent: deltas, answers and snapshot trait updates."""
        return self.custom_messages_sent + self.snapshots_sent

    @property
    def bytes_sent(self) -> int:
        return self.custom_bytes + self.snapshot_bytes

    def _detach(self) -> None:
        flusher, unsubscribe = getattr(self, "_flusher", None), getattr(self, "_unsubscribe", None)
        if flusher is not None:  # absent when __init__ failed (ipywidgets closes in __del__)
            flusher.cancel()
        if unsubscribe is not None:
            unsubscribe()
            self._unsubscribe = None

    def close(self) -> None:
        self._detach()
        super().close()

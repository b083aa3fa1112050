"""What stands in for the front end: a comm that counts what a `RunView` would put on the wire.

The bench runs without a kernel, so the widget's comm is replaced by `CountingComm`. It sizes
each message as jupyter_client's JSON packer would (`json.dumps`, non-ASCII kept), the payload
only: the kernel adds a fixed ~520 B envelope per message (header, parent, HMAC), which is
reported separately from the message count.
"""

from __future__ import annotations

import json
import time
from typing import Any

from lg_widgets.run import Run

ENVELOPE_BYTES = 520  # per comm message on ipykernel 7.4: Jupyter header, parent header, metadata


class CountingComm:
    """Duck-types `comm.base_comm.BaseComm` as far as ipywidgets uses it."""

    kernel = object()  # non-None: ipywidgets only sends when the comm has a kernel

    def __init__(self, comm_id: str = "bench") -> None:
        self.comm_id = comm_id
        self.times: list[float] = []
        self.bytes = 0
        self.kinds: dict[str, int] = {}
        self.bytes_by_kind: dict[str, int] = {}

    def send(self, data: Any = None, metadata: Any = None, buffers: Any = None, **_: Any) -> None:
        self.times.append(time.perf_counter())
        size = len(json.dumps(data, ensure_ascii=False, default=repr).encode())
        size += sum(len(memoryview(b).cast("B")) for b in buffers or ())
        self.bytes += size
        method = data.get("method", "?") if isinstance(data, dict) else "?"
        if method == "custom":
            content = data.get("content")
            method = f"custom:{content.get('type')}" if isinstance(content, dict) else method
        self.kinds[method] = self.kinds.get(method, 0) + 1
        self.bytes_by_kind[method] = self.bytes_by_kind.get(method, 0) + size

    def on_msg(self, callback: Any) -> None:
        pass

    def on_close(self, callback: Any) -> None:
        pass

    def close(self, *args: Any, **kwargs: Any) -> None:
        pass

    @property
    def messages(self) -> int:
        return len(self.times)

    def peak_per_second(self) -> int:
        """The most messages sent in any one-second window."""
        best, start = 0, 0
        for end, when in enumerate(self.times):
            while when - self.times[start] > 1.0:
                start += 1
            best = max(best, end - start + 1)
        return best


VIEW_NOTE: list[str] = []  # why the bench measured without a RunView, if it did


def attach_view(run: Run) -> tuple[Any, CountingComm]:
    """A `RunView` on `run` whose comm counts instead of sending.

    Without a usable widget module (not merged yet, or failing to construct) a no-op listener
    stands in so the harness still runs; `VIEW_NOTE` says so and the table reports it.
    """
    sink = CountingComm()
    try:
        from lg_widgets.view.widget import RunView

        view = RunView(run)
    except Exception as exc:  # noqa: BLE001 - measured and reported, never hidden
        if not VIEW_NOTE:
            VIEW_NOTE.append(f"no RunView ({type(exc).__name__}: {exc}); a no-op listener stood in")
        run.on_change(lambda _run, _event: None)
        return None, sink
    # the sink takes the widget's comm id, under which closing the view unregisters it, and the
    # comm it replaces is closed, which unregisters it from the comm manager: else every view
    # of the bench stays alive and the heap the collector walks grows run after run
    original = view.comm
    sink.comm_id = original.comm_id
    view.comm = sink
    original.close()
    return view, sink

"""A loopback TCP proxy that injects faults between the client and a server.

It runs on its own asyncio loop in a daemon thread, so faults keep happening on schedule while
the test's loop is busy. Faults apply to the server-to-client direction (what a stream reads):

- `cut_after(n, times=1)`: the next `times` connections to carry `n` bytes to the client are
  reset there (a TCP RST, as when a NAT or a proxy drops a connection); shorter ones, such
  as a status check, pass;
- `stall(seconds)`: nothing is forwarded on any connection for `seconds` (bytes are held back,
  not lost), as a frozen network path;
- `drip(chunk, interval)`: at most `chunk` bytes every `interval` seconds;
- `refuse(True)`: new connections are reset as soon as they are accepted (a server that is
  gone), and `refuse(False)` undoes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

_READ = 64 * 1024


class FaultProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._cut_bytes = 0
        self._cuts_left = 0  # connections still to cut once they carried _cut_bytes
        self._stalled_until = 0.0
        self._drip: tuple[int, float] | None = None
        self._refusing = False
        self.connections = 0  # accepted so far
        self.cut_connections = 0
        self.port = self._call(self._start)

    # ---- control (thread-safe) ------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cut_after(self, n_bytes: int, times: int = 1) -> None:
        def apply() -> None:
            self._cut_bytes, self._cuts_left = n_bytes, times

        self._call(apply)

    def stall(self, seconds: float) -> None:
        self._call(lambda: setattr(self, "_stalled_until", time.monotonic() + seconds))

    def drip(self, chunk: int | None, interval: float = 0.05) -> None:
        self._call(lambda: setattr(self, "_drip", None if chunk is None else (chunk, interval)))

    def refuse(self, on: bool = True) -> None:
        def apply() -> None:
            self._refusing = on
            if on:  # a server that is gone takes its open connections with it
                for writer in list(self._writers):
                    _reset(writer)

        self._call(apply)

    def close(self) -> None:
        async def stop() -> None:
            if self._server is not None:
                self._server.close()
            for writer in list(self._writers):
                _reset(writer)

        self._call(stop)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    # ---- the proxy ------------------------------------------------------------------------------
    def _call(self, fn: Callable[[], Any]) -> Any:
        async def run() -> Any:
            result = fn()
            return await result if asyncio.iscoroutine(result) else result

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(10)

    async def _start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self._refusing:
            _reset(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            _reset(writer)
            return
        self._writers.update((writer, up_writer))
        upstream = asyncio.ensure_future(self._pipe(reader, up_writer, downstream=False))
        downstream = asyncio.ensure_future(self._pipe(up_reader, writer, downstream=True))
        await asyncio.wait((upstream, downstream), return_when=asyncio.FIRST_COMPLETED)
        for task in (upstream, downstream):
            task.cancel()
        for w in (writer, up_writer):
            self._writers.discard(w)
            with contextlib.suppress(Exception):
                w.close()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, downstream: bool
    ) -> None:
        throttle, sent = downstream, 0
        while True:
            data = await reader.read(_READ)
            if not data:
                with contextlib.suppress(Exception):
                    writer.write_eof()
                return
            while data:
                if throttle:
                    await self._wait_while_stalled()
                chunk = data
                if throttle and self._drip is not None:
                    chunk = data[: self._drip[0]]
                if downstream and self._cuts_left and sent + len(chunk) >= self._cut_bytes:
                    self._cuts_left -= 1
                    writer.write(chunk[: max(0, self._cut_bytes - sent)])
                    with contextlib.suppress(Exception):
                        await writer.drain()
                    self.cut_connections += 1
                    _reset(writer)
                    return
                writer.write(chunk)
                await writer.drain()
                sent += len(chunk)
                data = data[len(chunk) :]
                if throttle and self._drip is not None and data:
                    await asyncio.sleep(self._drip[1])

    async def _wait_while_stalled(self) -> None:
        while (left := self._stalled_until - time.monotonic()) > 0:
            await asyncio.sleep(min(left, 0.05))


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST rather than a FIN: the peer sees a broken connection."""
    transport = writer.transport
    with contextlib.suppress(Exception):
        sock = transport.get_extra_info("socket")
        if sock is not None:
            import socket
            import struct

            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()

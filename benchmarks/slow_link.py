"""A slow link for benchmarks: a TCP relay on loopback with a rate and a delay.

Between a notebook and its sites there is a WAN; between a site's workers
and its data there is not. ``SlowLink`` stands in for the WAN: it listens on
127.0.0.1 and forwards to one target, each direction limited to ``rate``
bits per second (a token bucket shared by the link's connections, as one
line is) and delayed by ``delay`` seconds (half the round trip). It counts
the bytes it carries. It runs in a thread of its own and stops with
``stop()`` (also as a context manager).

Why a relay and not a network namespace with ``tbf``: the testbed's servers
listen on loopback only, which another namespace cannot reach, and this
kernel has no ``netem`` for the delay. A relay needs no privilege, so the
benchmark runs the same everywhere.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque

CHUNK = 16 * 1024


class _Bucket:
    """Bytes may pass at ``rate`` per second, with a burst of 10 ms (at least a
    chunk): a shallow queue, like a line's."""

    def __init__(self, bytes_per_second: float):
        self.rate = bytes_per_second
        self.burst = max(float(CHUNK), bytes_per_second * 0.01)
        self.available = self.burst
        self.updated = time.monotonic()

    async def take(self, n: int) -> None:
        while True:
            now = time.monotonic()
            self.available = min(self.burst, self.available + (now - self.updated) * self.rate)
            self.updated = now
            if self.available >= min(n, self.burst):
                self.available -= n  # may go below 0: the next waits for it
                return
            await asyncio.sleep((min(n, self.burst) - self.available) / self.rate)


class SlowLink:
    def __init__(self, target_host: str, target_port: int, rate_bits: float, delay: float):
        self.target = (target_host, target_port)
        self.delay = delay
        self.rate_bits = rate_bits
        self.port = 0
        #: Bytes carried towards the target (up) and back (down).
        self.up = 0
        self.down = 0
        #: While False the relay forwards at loopback speed, with no delay: the
        #: same path without the WAN, for a "no link" row.
        self.limited = True
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="slow-link", daemon=True)
        self._server: asyncio.base_events.Server | None = None

    def __enter__(self) -> SlowLink:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> SlowLink:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the slow link did not start")
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def reset_counts(self) -> None:
        self.up = self.down = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    # -- the relay ------------------------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._buckets = {
            "up": _Bucket(self.rate_bits / 8),
            "down": _Bucket(self.rate_bits / 8),
        }
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._connection, "127.0.0.1", 0)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._server.close()
            for task in asyncio.all_tasks(self._loop):
                task.cancel()
            self._loop.run_until_complete(asyncio.sleep(0))
            self._loop.close()

    async def _connection(self, client_reader, client_writer) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            self._pipe(client_reader, server_writer, "up"),
            self._pipe(server_reader, client_writer, "down"),
            return_exceptions=True,
        )

    async def _pipe(self, reader, writer, direction: str) -> None:
        """Read as it comes; deliver each chunk ``delay`` later, at the link's rate."""
        queue: deque[tuple[float, bytes]] = deque()
        arrived = asyncio.Event()
        done = False

        async def read() -> None:
            nonlocal done
            try:
                while data := await reader.read(CHUNK):
                    queue.append((time.monotonic() + self.delay, data))
                    arrived.set()
            finally:
                done = True
                arrived.set()

        reading = asyncio.ensure_future(read())
        bucket = self._buckets[direction]
        try:
            while True:
                while not queue:
                    if done:
                        return
                    arrived.clear()
                    await arrived.wait()
                due, data = queue.popleft()
                if self.limited:
                    if (wait := due - time.monotonic()) > 0:
                        await asyncio.sleep(wait)
                    await bucket.take(len(data))
                writer.write(data)
                await writer.drain()
                if direction == "up":
                    self.up += len(data)
                else:
                    self.down += len(data)
        except (ConnectionError, OSError):
            pass
        finally:
            reading.cancel()
            try:
                writer.close()
            except Exception:
                pass

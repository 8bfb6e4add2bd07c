"""What the benchmarks share: timing HTTP calls, percentiles, CPU of processes, tables."""

from __future__ import annotations

import http.client
import math
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

STARTED = time.monotonic()

# A benchmark stopped with SIGTERM (kill, a CI timeout) unwinds like one
# interrupted: its `finally` blocks stop the testbed, sidecar and kernels it
# started, instead of leaving them running.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))


def progress(message: str) -> None:
    """A line on stderr with the seconds since the benchmark started (stdout has the tables)."""
    print(f"[{time.monotonic() - STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


class TimedClient:
    """One keep-alive HTTP connection; ``get`` returns (seconds, status, body bytes)."""

    def __init__(self, base: str, authorization: str):
        parsed = urlparse(base)
        self.host, self.port = parsed.hostname, parsed.port
        self.headers = {"Authorization": authorization}
        self.connection: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        return self.connection

    def get(self, path: str) -> tuple[float, int, bytes]:
        for attempt in (1, 2):
            connection = self._connect()
            try:
                started = time.perf_counter()
                connection.request("GET", path, headers=self.headers)
                response = connection.getresponse()
                body = response.read()
                elapsed = time.perf_counter() - started
            except (http.client.HTTPException, ConnectionError):
                # The server closed the idle keep-alive connection: reconnect once.
                self.close()
                if attempt == 2:
                    raise
                continue
            if response.status >= 400:
                raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")
            return elapsed, response.status, body
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    index = max(0, math.ceil(q * len(sorted_values)) - 1)
    return sorted_values[index]


@dataclass
class Latency:
    what: str
    mode: str
    seconds: list[float] = field(default_factory=list)
    body_bytes: int = 0

    def row(self) -> list[str]:
        ms = sorted(s * 1000 for s in self.seconds)
        return [
            self.what,
            self.mode,
            str(len(ms)),
            f"{percentile(ms, 0.50):.2f}",
            f"{percentile(ms, 0.95):.2f}",
            f"{ms[-1]:.2f}",
            f"{statistics.fmean(ms):.2f}",
            str(self.body_bytes),
        ]


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]

    def numeric(cell: str) -> bool:
        return cell.replace(".", "", 1).replace("-", "", 1).replace(" %", "").strip().isdigit()

    def line(cells: list[str]) -> str:
        out = []
        for i, cell in enumerate(cells):
            out.append(cell.rjust(widths[i]) if i and numeric(cell) else cell.ljust(widths[i]))
        return "| " + " | ".join(out) + " |"

    separator = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), separator, *(line(r) for r in rows)])


class CpuMeter:
    """User+system CPU seconds of a set of processes between ``start()`` and ``stop()``."""

    def __init__(self, processes):
        self.processes = list(processes)
        self.before: dict[int, float] = {}

    @staticmethod
    def _cpu(proc) -> float | None:
        import psutil

        try:
            times = proc.cpu_times()
            return times.user + times.system
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            return None

    def start(self) -> CpuMeter:
        self.before = {p.pid: c for p in self.processes if (c := self._cpu(p)) is not None}
        self.started = time.monotonic()
        return self

    def stop(self) -> tuple[float, float]:
        """(CPU seconds, wall seconds), over the processes alive at both ends."""
        wall = time.monotonic() - self.started
        used = 0.0
        for proc in self.processes:
            after = self._cpu(proc)
            if after is not None and proc.pid in self.before:
                used += after - self.before[proc.pid]
        return used, wall


def rss_mib(proc) -> float:
    return proc.memory_info().rss / 2**20


def private_mib(proc) -> float:
    """Memory only this process holds (USS): its RSS without the pages it
    shares with other processes (the node binary's code, shared libraries)."""
    return proc.memory_full_info().uss / 2**20


@contextmanager
def testbed_with_kernel(size: str, name: str, idle_timeout: int = 600) -> Iterator[tuple]:
    """``(testbed info, kernel client)``: the three-site testbed, the bundled
    sidecar logged in as alice and allowed to create clusters, and a kernel
    with ``dask_sites``; everything is stopped at the end, also on failure.
    Needs ``tests/`` on ``sys.path`` (the tests' helpers start the parts)."""
    from jupyter_ext_server.testbed import Testbed
    from support.kernels import kernel_running
    from support.running import RunningSidecar, log_in, stop_clusters

    with tempfile.TemporaryDirectory(prefix=f"dask-sites-{name}-") as work:
        work_dir = Path(work)
        progress(f"starting the testbed ({size} data) …")
        bed = Testbed(
            state_dir=work_dir / "testbed",
            sites=("central", "lumi", "leonardo"),
            size=size,
            idle_timeout=idle_timeout,
        )
        sidecar = None
        try:
            info = bed.start(progress=lambda m: progress(f"  testbed: {m}"))
            sidecar = RunningSidecar(
                info.registry_path, work_dir / "sidecar", extra_args=("--auto-create-cluster",)
            ).start()
            log_in(sidecar)
            progress("starting a kernel …")
            with kernel_running(sidecar) as client:
                yield info, client
        finally:
            if sidecar:
                try:
                    stop_clusters(sidecar)
                finally:
                    sidecar.stop()
            bed.stop()

#!/usr/bin/env python
"""Sidecar benchmark against the real local testbed: API latency and live-state cost.

Starts the testbed (issuer, and per site a gateway and an object store: sites
central, lumi, leonardo, small data) and the bundled sidecar, logs in as alice
through the issuer's device-flow pages (no browser), starts clusters through
the sidecar's API (schedulers only, no workers), then measures:

1. API latency of ``GET /api/sites`` (every site's state; refreshes sites whose
   list is older than 2 s), ``GET /api/sites/<site>`` (the same for one site)
   and ``GET /api/sites/<site>/clusters`` (refreshes the list every time),
   "warm" (back to back) and "cold" (a pause longer than the 2 s freshness
   window before each request, so every answer waits for the gateways), with
   ``GET /api/health`` as a control and the gateway's own answers to the
   requests a refresh makes, for scale.
2. The live WebSocket (``/api/live``) watching all sites: bytes and messages
   per second (``benchmarks/live_bytes.mjs`` counts the raw frames) and the
   CPU of the sidecar (and of the testbed's processes) per wall second; the
   same CPU while nobody watches, before and after.
3. For 50 clusters at 1 Hz, msgpack against JSON, it runs the simulation of
   ``benchmarks/live_encoding.mjs`` (50 real schedulers would overload a
   2-core machine): see that script.

Every process it starts is stopped, also on failure or Ctrl-C.

    .venv/bin/python benchmarks/sidecar_bench.py            # about 4.5 minutes
    .venv/bin/python benchmarks/sidecar_bench.py --quick    # about 1.5 minutes
    .venv/bin/python benchmarks/sidecar_bench.py --help
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import itertools
import json
import math
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
# conftest.RunningSidecar: the tests' way to start the bundled sidecar.
sys.path.insert(0, str(ROOT / "tests"))

SITES = ("central", "lumi", "leonardo")
# What the sidecar asks a gateway for when it lists clusters (src/sidecar/gateway/client.ts).
LIST_QUERY = "/api/v1/clusters/?status=pending,running,stopping,stopped,failed"
STARTED = time.monotonic()


def progress(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


# -- small helpers ------------------------------------------------------------


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


# -- the benchmark ------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace, work_dir: Path):
        self.args = args
        self.work_dir = work_dir
        self.testbed = None
        self.info = None
        self.sidecar = None
        self.api = None  # SidecarClient (browser side) for creating and stopping
        self.clusters: list[tuple[str, str]] = []  # (site, name) started by us and not yet stopped
        self.clusters_lock = threading.Lock()
        self.live_processes: list[subprocess.Popen] = []
        self.results: dict = {}

    # -- lifecycle --

    def run(self) -> None:
        try:
            self.start()
            self.log_in()
            self.start_clusters()
            self.measure_latency()
            self.measure_live()
            self.stop_clusters()
        finally:
            self.cleanup()

    def start(self) -> None:
        from conftest import RunningSidecar

        from jupyter_ext_server.testbed import Testbed

        progress(f"starting the testbed (sites {', '.join(SITES)}, size small) in {self.work_dir}")
        self.testbed = Testbed(
            state_dir=self.work_dir / "testbed",
            sites=SITES,
            size="small",
            idle_timeout=3600,  # the clusters must outlive the benchmark
        )
        self.info = self.testbed.start(progress=lambda m: progress(f"  testbed: {m}"))
        progress("starting the bundled sidecar")
        self.sidecar = RunningSidecar(self.info.registry_path, self.work_dir / "sidecar")
        self.sidecar.start()
        self.api = self.sidecar.browser
        self.api.timeout = 300  # POST {"wait": true} waits for the scheduler

        import psutil

        self.sidecar_proc = psutil.Process(self.sidecar.process.pid)

    def log_in(self) -> None:
        from jupyter_ext_server.testbed.login import approve_device

        progress("device login as alice through the issuer's pages")
        pending = self.api.post("/api/sites/central/login")
        if pending.get("status") != "pending":
            raise RuntimeError(f"login did not start: {pending}")
        approve_device(pending["verificationUriComplete"], "alice", "alice-dask-sites")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            sites = self.api.get("/api/sites")["sites"]
            if all(s["login"]["status"] == "logged-in" for s in sites):
                return
            time.sleep(0.2)
        raise RuntimeError(f"not logged in to every site within 30 s: {sites}")

    def per_site_counts(self) -> dict[str, int]:
        total = self.args.clusters
        base, extra = divmod(total, len(SITES))
        return {site: base + (1 if i < extra else 0) for i, site in enumerate(SITES)}

    def start_clusters(self) -> None:
        counts = self.per_site_counts()
        jobs = [(site, i) for site, n in counts.items() for i in range(n)]
        jobs.sort(key=lambda job: job[1])  # interleave the sites
        progress(
            f"starting {len(jobs)} clusters ({', '.join(f'{s} {n}' for s, n in counts.items())}) "
            f'through POST /api/sites/<site>/clusters {{"wait": true}}, '
            f"{self.args.create_concurrency} at a time"
        )
        durations: list[float] = []

        def create(job):
            site, i = job
            started = time.perf_counter()
            created = self.api.post(
                f"/api/sites/{site}/clusters", {"wait": True, "displayName": f"bench {site} {i}"}
            )
            elapsed = time.perf_counter() - started
            with self.clusters_lock:
                self.clusters.append((site, created["name"]))
            if created["status"] != "RUNNING":
                raise RuntimeError(f"{site}: cluster {created['name']} is {created['status']}")
            return elapsed

        pool = concurrent.futures.ThreadPoolExecutor(self.args.create_concurrency)
        try:
            for n, elapsed in enumerate(pool.map(create, jobs), 1):
                durations.append(elapsed)
                if n % 5 == 0 or n == len(jobs):
                    progress(f"  {n}/{len(jobs)} clusters running")
        finally:
            # On failure or Ctrl-C, do not wait for the other creations: teardown stops everything.
            pool.shutdown(wait=False, cancel_futures=True)
        self.results["create"] = durations
        # Every cluster must be listed as running before anything is measured.
        for site, n in counts.items():
            listed = self.api.get(f"/api/sites/{site}/clusters")["clusters"]
            running = [c for c in listed if c["status"] == "RUNNING"]
            if len(running) != n:
                raise RuntimeError(f"{site}: {len(running)} running clusters listed, expected {n}")

    # -- 1. API latency --

    def measure_latency(self) -> None:
        from jupyter_ext_server.testbed.login import device_login

        args = self.args
        counts = self.per_site_counts()
        sidecar = TimedClient(self.sidecar.url, f"token {self.sidecar.server_secret}")
        rows: list[Latency] = []

        def check_sites(body: bytes) -> None:
            sites = json.loads(body)["sites"]
            listed = sum(1 for s in sites for c in s["clusters"] if c["status"] == "RUNNING")
            if len(sites) != len(SITES) or listed != args.clusters:
                raise RuntimeError(f"/api/sites: {len(sites)} sites, {listed} running clusters")

        def check_list(site: str, body: bytes) -> None:
            running = [c for c in json.loads(body)["clusters"] if c["status"] == "RUNNING"]
            if len(running) != counts[site]:
                raise RuntimeError(f"{site}: {len(running)} running clusters listed")

        endpoints = [
            ("GET /api/health (control)", lambda i: "/api/health", None),
            ("GET /api/sites (3 sites)", lambda i: "/api/sites", lambda i, b: check_sites(b)),
            ("GET /api/sites/<site>", lambda i: f"/api/sites/{SITES[i % 3]}", None),
            (
                "GET /api/sites/<site>/clusters",
                lambda i: f"/api/sites/{SITES[i % 3]}/clusters",
                lambda i, b: check_list(SITES[i % 3], b),
            ),
        ]

        try:
            progress(
                f"warm latency: {args.requests} requests per endpoint, back to back (sites in turn)"
            )
            for what, path, check in endpoints:
                for i in range(10):  # warm up (JIT, connections to the gateways)
                    sidecar.get(path(i))
                latency = Latency(what, "warm")
                for i in range(args.requests):
                    elapsed, _, body = sidecar.get(path(i))
                    latency.seconds.append(elapsed)
                    if check and i < 3:
                        check(i, body)
                latency.body_bytes = len(body)
                rows.append(latency)

            progress(f"cold latency: {args.cold} requests per endpoint, {args.cold_gap} s apart")
            cold = [Latency(what, f"cold ({args.cold_gap:g} s gap)") for what, _, _ in endpoints]
            for i in range(args.cold):
                for (_, path, check), latency in zip(endpoints, cold):
                    time.sleep(args.cold_gap)
                    elapsed, _, body = sidecar.get(path(i))
                    latency.seconds.append(elapsed)
                    latency.body_bytes = len(body)
                    if check:
                        check(i, body)
            rows.extend(cold)
        finally:
            sidecar.close()

        # For scale: the requests the sidecar makes to a gateway, made directly (Bearer JWT, no
        # cookie, like the sidecar).
        progress(
            f"gateway reference: {args.requests} direct requests each (a separate login as alice)"
        )
        token = device_login(self.info.issuer, "alice", "alice-dask-sites").access_token
        reference: list[Latency] = []
        for what, path in (
            ("gateway GET /api/health", "/api/health"),
            ("gateway GET /api/version", "/api/version"),
            ("gateway GET /api/v1/clusters/ (list)", LIST_QUERY),
        ):
            latency = Latency(what, "warm")
            clients = {
                site: TimedClient(self.info.sites[site].gateway, f"Bearer {token}")
                for site in SITES
            }
            try:
                for i in range(10):
                    clients[SITES[i % 3]].get(path)
                for i in range(args.requests):
                    elapsed, _, body = clients[SITES[i % 3]].get(path)
                    latency.seconds.append(elapsed)
                latency.body_bytes = len(body)
            finally:
                for client in clients.values():
                    client.close()
            reference.append(latency)
        self.results["latency"] = rows
        self.results["gateway"] = reference

    # -- 2. live state --

    def testbed_processes(self):
        from jupyter_ext_server.testbed.processes import processes_of

        return processes_of(self.info.testbed_id)

    def idle_cpu(self, label: str, seconds: float) -> dict:
        progress(f"CPU with nobody watching ({label}), {seconds:g} s")
        sidecar = CpuMeter([self.sidecar_proc]).start()
        testbed = CpuMeter(self.testbed_processes()).start()
        time.sleep(seconds)
        used, wall = sidecar.stop()
        bed_used, bed_wall = testbed.stop()
        return {
            "label": label,
            "wall": wall,
            "cpu": used / wall,
            "testbed_cpu": bed_used / bed_wall,
            "rss": rss_mib(self.sidecar_proc),
        }

    def measure_live(self) -> None:
        from jupyter_ext_server.node_runtime import find_node

        args = self.args
        live: list[dict] = [self.idle_cpu("before any watcher", args.idle_seconds)]
        testbed_procs = self.testbed_processes()

        progress(
            f"live WebSocket watching {', '.join(SITES)}: {args.settle:g} s to settle, "
            f"then {args.live_seconds:g} s measured"
        )
        lines: list[dict] = []
        errors: list[str] = []
        process = subprocess.Popen(
            [
                find_node(),
                str(ROOT / "benchmarks" / "live_bytes.mjs"),
                f"ws://127.0.0.1:{self.sidecar.port}/api/live",
                self.sidecar.server_secret,
                *SITES,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,  # node_modules
        )
        self.live_processes.append(process)
        received_at: list[float] = []

        def read() -> None:
            assert process.stdout
            for line in process.stdout:
                lines.append(json.loads(line))
                received_at.append(time.monotonic())

        def read_errors() -> None:
            assert process.stderr
            errors.extend(process.stderr)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        threading.Thread(target=read_errors, daemon=True).start()

        connect_meter = CpuMeter([self.sidecar_proc]).start()
        deadline = time.monotonic() + 15
        while not lines and time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"live_bytes.mjs exited {process.returncode}: {''.join(errors)}")
            time.sleep(0.05)
        if not lines or lines[0]["type"] != "snapshot":
            raise RuntimeError(f"no snapshot from the live socket: {lines[:1]} {''.join(errors)}")
        time.sleep(args.settle)
        connect_used, connect_wall = connect_meter.stop()
        settled = len(lines)

        sidecar = CpuMeter([self.sidecar_proc]).start()
        testbed = CpuMeter(testbed_procs).start()
        window_start = time.monotonic()
        time.sleep(args.live_seconds)
        used, wall = sidecar.stop()
        bed_used, bed_wall = testbed.stop()
        window_end = window_start + wall
        rss = rss_mib(self.sidecar_proc)
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        reader.join(2)
        if process.returncode not in (0, -signal.SIGTERM):
            raise RuntimeError(f"live_bytes.mjs failed ({process.returncode}): {''.join(errors)}")

        in_window = [m for m, t in zip(lines, received_at) if window_start <= t < window_end]
        if args.verbose:
            for m, t in zip(lines, received_at):
                where = (
                    "window"
                    if window_start <= t < window_end
                    else "connect"
                    if t < window_start
                    else "after"
                )
                progress(
                    f"  live {where} t={m['t'] / 1000:7.3f} s {m['type']:8} "
                    f"seq {m['seq']:3} {m['bytes']:6} B sites {','.join(m['sites'])} "
                    f"({m['clusters']} clusters)"
                )
        burst = lines[:settled]
        self.results["live_detail"] = {
            "snapshot": lines[0],
            "burst": burst,
            "window": in_window,
            "connect_cpu": connect_used,
            "connect_wall": connect_wall,
        }
        live.append(
            {
                "label": f"watching 3 sites, {args.clusters} clusters (steady state)",
                "wall": wall,
                "cpu": used / wall,
                "testbed_cpu": bed_used / bed_wall,
                "rss": rss,
                "messages": len(in_window),
                "bytes": sum(m["bytes"] for m in in_window),
                "frame_bytes": sum(m["frame"] for m in in_window),
            }
        )
        # Give the sidecar a moment to notice the close, then check that its timers stopped.
        time.sleep(1.0)
        live.append(self.idle_cpu("after the watcher left", args.idle_seconds))
        self.results["live"] = live

    # -- teardown --

    def stop_clusters(self) -> None:
        with self.clusters_lock:
            todo = list(self.clusters)
        if not todo:
            return
        progress(f"stopping {len(todo)} clusters through DELETE /api/sites/<site>/clusters/<name>")
        durations: list[float] = []

        def stop(job):
            site, name = job
            started = time.perf_counter()
            self.api.request("DELETE", f"/api/sites/{site}/clusters/{name}")
            with self.clusters_lock:
                self.clusters.remove(job)
            return time.perf_counter() - started

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            durations = list(pool.map(stop, todo))
        self.results["stop"] = durations

    def cleanup(self) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut teardown
        for process in self.live_processes:
            if process.poll() is None:
                process.kill()
                process.wait(5)
        if self.clusters and self.sidecar:
            try:
                self.stop_clusters()
            except Exception as err:  # the testbed's stop() below stops them anyway
                progress(
                    f"stopping clusters through the sidecar failed ({err}); the testbed stops them"
                )
        if self.sidecar:
            progress("stopping the sidecar")
            self.sidecar.stop()
        if self.testbed:
            progress("stopping the testbed")
            stragglers = self.testbed.stop()
            if stragglers:
                progress(f"  {len(stragglers)} straggler(s) had to be stopped: {stragglers}")


# -- reports ------------------------------------------------------------------


def report(bench: Bench, args: argparse.Namespace, encoding: str | None) -> str:
    results = bench.results
    out: list[str] = []
    counts = bench.per_site_counts()
    create = sorted(results.get("create", []))
    stop = sorted(results.get("stop", []))
    out.append(
        "Sidecar benchmark: real testbed "
        f"({', '.join(f'{s} {n}' for s, n in counts.items())} clusters, schedulers only), "
        f"bundled sidecar, node {node_version()}, python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average at start {args.load_at_start}, at the end "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}."
    )
    if create:
        out.append(
            f'Starting a cluster (POST .../clusters {{"wait": true}}, '
            f"{args.create_concurrency} at a time): "
            f"p50 {percentile(create, 0.5):.1f} s, max {create[-1]:.1f} s. "
            + (
                f"Stopping one (DELETE, 4 at a time): p50 {percentile(stop, 0.5) * 1000:.0f} ms, "
                f"max {stop[-1] * 1000:.0f} ms."
                if stop
                else ""
            )
        )
    out.append("")
    out.append("1. Sidecar API latency (ms; the client keeps one connection; bytes = answer body)")
    out.append("")
    headers = ["request", "mode", "n", "p50", "p95", "max", "mean", "bytes"]
    out.append(table(headers, [r.row() for r in results["latency"] + results["gateway"]]))
    out.append("")
    out.append(
        "warm: back to back, so /api/sites and /api/sites/<site> mostly answer from the "
        "sidecar's state (a site is refreshed at most every 2 s), while .../clusters refreshes "
        "the list on every request; cold: a pause longer than the 2 s freshness window before "
        "each request, so every answer waits for a refresh (/api/sites: all 3 sites at once). "
        "Sites are taken in turn. /api/health does no work (a control: "
        "what any request costs the client, the loopback and Node). The gateway rows are the "
        "requests a list refresh makes (health and version together, then the list), sent "
        "directly with a Bearer token, for scale."
    )
    out.append("")
    out.append(
        f"2. Live state ({args.live_seconds:g} s measured after {args.settle:g} s "
        "to settle; CPU = user+sys seconds per wall second)"
    )
    out.append("")
    rows = []
    for entry in results["live"]:
        watching = "messages" in entry
        rows.append(
            [
                entry["label"],
                f"{entry['messages'] / entry['wall']:.2f}" if watching else "0",
                f"{entry['bytes'] / entry['wall']:.1f}" if watching else "0",
                f"{entry['frame_bytes'] / entry['wall']:.1f}" if watching else "0",
                f"{entry['cpu']:.4f}",
                f"{entry['cpu'] * 100:.2f} %",
                f"{entry['testbed_cpu']:.3f}",
                f"{entry['rss']:.0f}",
            ]
        )
    enc_rows = encoding_rows(encoding) if encoding else []
    for name, cells in enc_rows:
        per_second = f"{int(cells['msgs']) / 60:.2f}" if cells.get("msgs", "").isdigit() else ""
        rows.append(
            [
                f"50 clusters at 1 Hz, simulated: {name}",
                per_second,
                cells["bytes/s"],
                "",
                "",
                "",
                "",
                "",
            ]
        )
    out.append(
        table(
            [
                "case",
                "msgs/s",
                "payload B/s",
                "frame B/s",
                "sidecar CPU s/s",
                "of a core",
                "testbed CPU s/s",
                "sidecar RSS MiB",
            ],
            rows,
        )
    )
    detail = results["live_detail"]
    snapshot = detail["snapshot"]
    burst = detail["burst"]
    window = detail["window"]
    out.append("")
    out.append(
        f"On connect: snapshot {snapshot['bytes']} bytes ({snapshot['clusters']} clusters); "
        f"{len(burst)} messages, {sum(m['bytes'] for m in burst)} bytes in the first "
        f"{detail['connect_wall']:.1f} s (the first poll round fills in every cluster's figures), "
        f"sidecar CPU {detail['connect_cpu']:.3f} s."
    )
    if window:
        per_message = statistics.fmean(m["bytes"] for m in window)
        sites_per = statistics.fmean(len(m["sites"]) for m in window)
        gaps = [b["t"] - a["t"] for a, b in itertools.pairwise(window)]
        out.append(
            f"Steady state: {len(window)} diffs, {per_message:.0f} bytes each on average, "
            f"{sites_per:.1f} whole sites per diff"
            + (f", every {statistics.median(gaps) / 1000:.1f} s (median)" if gaps else "")
            + "."
        )
    else:
        out.append("Steady state: no message at all in the window.")
    out.append(
        "testbed CPU: gateways (with their proxies), schedulers, issuer and object stores "
        "together; while watching, it includes the schedulers answering the sidecar's "
        "dashboard polls. CPU times come in 10 ms ticks: the resolution of a row is "
        f"{0.01 / args.idle_seconds:.4f} s/s idle, {0.01 / args.live_seconds:.4f} s/s watching."
    )
    if encoding:
        out.append("")
        out.append(
            "3. 50 clusters at 1 Hz, msgpack against JSON: "
            f"`node benchmarks/live_encoding.mjs --repeat {args.encoding_repeat}` "
            "(simulated state; encoding only)"
        )
        out.append("")
        out.append(encoding.strip())
    return "\n".join(out)


def encoding_rows(output: str) -> list[tuple[str, dict]]:
    """The rows of live_encoding.mjs's table that the live table quotes."""
    lines = [line for line in output.splitlines() if line.startswith("|")]
    if len(lines) < 3:
        return []
    headers = [cell.strip() for cell in lines[0].strip("|").split("|")]
    wanted = {"JSON snapshot", "JSON diff", "msgpack seq. records diff (LiveEncoder)"}
    rows = []
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if cells[0] in wanted:
            rows.append((cells[0], dict(zip(headers, cells))))
    return rows


def node_version() -> str:
    from jupyter_ext_server.node_runtime import find_node

    return subprocess.run([find_node(), "--version"], capture_output=True, text=True).stdout.strip()


def run_encoding(args: argparse.Namespace) -> str | None:
    from jupyter_ext_server.node_runtime import find_node

    progress(f"node benchmarks/live_encoding.mjs --repeat {args.encoding_repeat}")
    done = subprocess.run(
        [
            find_node(),
            str(ROOT / "benchmarks" / "live_encoding.mjs"),
            "--repeat",
            str(args.encoding_repeat),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        progress(f"live_encoding.mjs failed ({done.returncode}): {done.stderr.strip()[-500:]}")
        return None
    return done.stdout


# -- command line -------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(
            "Sidecar API latency and live-state cost against the real local testbed "
            "(sites central, lumi, leonardo; size small) and the bundled sidecar. "
            "Prints plain-text tables on stdout, progress on stderr."
        ),
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a short run: 6 clusters, 50 warm and 5 cold requests, 10 s live, "
        "5 s idle (options given explicitly still win)",
    )
    parser.add_argument(
        "--clusters",
        type=int,
        default=None,
        help="clusters in total, spread over the 3 sites [default: 20, quick: 6]",
    )
    parser.add_argument(
        "--requests",
        type=int,
        default=None,
        help="warm requests per endpoint [default: 200, quick: 50]",
    )
    parser.add_argument(
        "--cold", type=int, default=None, help="cold requests per endpoint [default: 20, quick: 5]"
    )
    parser.add_argument(
        "--cold-gap",
        type=float,
        default=2.1,
        help="seconds before each cold request; the sidecar's lists are fresh "
        "for 2 s [default: 2.1]",
    )
    parser.add_argument(
        "--live-seconds",
        type=float,
        default=None,
        help="seconds the live socket is measured [default: 30, quick: 10]",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=5.0,
        help="seconds after the live socket connects before measuring [default: 5]",
    )
    parser.add_argument(
        "--idle-seconds",
        type=float,
        default=None,
        help="seconds of CPU measurement with nobody watching [default: 15, quick: 5]",
    )
    parser.add_argument(
        "--create-concurrency",
        type=int,
        default=2,
        help="clusters started at the same time; 2 cores: keep it small [default: 2]",
    )
    parser.add_argument(
        "--encoding-repeat",
        type=int,
        default=None,
        help="--repeat of live_encoding.mjs [default: 10, quick: 3]",
    )
    parser.add_argument("--no-encoding", action="store_true", help="skip live_encoding.mjs")
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="also print every live message (time, bytes, type, sites) on stderr",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the working directory (testbed and sidecar logs); it is kept anyway on failure",
    )
    args = parser.parse_args(argv)
    defaults = {
        "clusters": (20, 6),
        "requests": (200, 50),
        "cold": (20, 5),
        "live_seconds": (30.0, 10.0),
        "idle_seconds": (15.0, 5.0),
        "encoding_repeat": (10, 3),
    }
    for name, (full, quick) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    if args.clusters < 1 or args.requests < 1 or args.cold < 1:
        parser.error("--clusters, --requests and --cold must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.load_at_start = " ".join(f"{x:.2f}" for x in os.getloadavg())

    def terminate(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, terminate)
    work_dir = Path(tempfile.mkdtemp(prefix="dask-sites-bench-"))
    ok = False
    bench = Bench(args, work_dir)
    try:
        bench.run()
        encoding = None if args.no_encoding else run_encoding(args)
        print(report(bench, args, encoding))
        ok = True
    except KeyboardInterrupt:
        progress("interrupted; everything started was stopped")
        return 130
    finally:
        if ok and not args.keep:
            shutil.rmtree(work_dir, ignore_errors=True)
        else:
            progress(f"working directory (logs): {work_dir}")
        progress(f"done in {time.monotonic() - STARTED:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

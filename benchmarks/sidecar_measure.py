"""The sidecar benchmark's measurements, against a testbed and sidecar it starts
(see ``sidecar_bench.py`` for what is measured and how to run it)."""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import signal
import subprocess
import threading
import time
from pathlib import Path

from bench_support import CpuMeter, Latency, TimedClient, progress, rss_mib

ROOT = Path(__file__).resolve().parent.parent
SITES = ("central", "lumi", "leonardo")
# What the sidecar asks a gateway for when it lists clusters (src/sidecar/gateway/client.ts).
LIST_QUERY = "/api/v1/clusters/?status=pending,running,stopping,stopped,failed"


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
        from jupyter_ext_server.testbed import Testbed
        from support.running import RunningSidecar

        progress(f"starting the testbed (sites {', '.join(SITES)}, size small) in {self.work_dir}")
        self.testbed = Testbed(
            state_dir=self.work_dir / "testbed",
            sites=SITES,
            size="small",
            idle_timeout=3600,  # the clusters must outlive the benchmark
            access_token_ttl=getattr(self.args, "access_token_ttl", 300),
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

    def live_bytes(self) -> subprocess.Popen:
        """``live_bytes.mjs`` watching every site on the sidecar's live socket
        (a JSON line per message on stdout); stopped by ``cleanup()``."""
        from jupyter_ext_server.node_runtime import find_node

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
        return process

    def measure_live(self) -> None:
        args = self.args
        live: list[dict] = [self.idle_cpu("before any watcher", args.idle_seconds)]
        testbed_procs = self.testbed_processes()

        progress(
            f"live WebSocket watching {', '.join(SITES)}: {args.settle:g} s to settle, "
            f"then {args.live_seconds:g} s measured"
        )
        lines: list[dict] = []
        errors: list[str] = []
        process = self.live_bytes()
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
                    f"({m['clusters']} clusters) patched {','.join(m.get('patched', []))} "
                    f"({m.get('patchedClusters', 0)} clusters)"
                )
        burst = lines[:settled]
        self.results["live_detail"] = {
            "snapshot": lines[0],
            "burst": burst,
            "window": in_window,
            "window_wall": wall,
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

#!/usr/bin/env python
"""Cluster ready: from "create" to one worker connected, through the sidecar
against the bare ``dask_gateway`` client, on the same gateway, interleaved.

- sidecar: what the panel does: ``POST /api/sites/central/clusters`` (wait
  until it runs), ``POST …/scale {"count": 1}``; then a ``Client`` from the
  kernel route (``GET /kernel/sites/central/connection?cluster=…``) waits for
  the worker.
- bare: ``Gateway.new_cluster()``, ``cluster.scale(1)``,
  ``cluster.get_client().wait_for_workers(1)`` with a token of the same user.

Both end the same way (a ``Client`` sees one worker), and each round
stops its cluster before the next. Rounds alternate (sidecar first in odd
rounds) so a trend on the machine falls on both.

    .venv/bin/python benchmarks/cluster_ready_bench.py [--rounds 10] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from bench_support import percentile, progress, table

SITE = "central"
OPTIONS = {"worker_cores": 1, "worker_memory": 1}


def connect(connection: dict):
    """A ``Client`` of the cluster in a kernel-route answer, as a kernel makes it."""
    from dask_gateway.client import GatewaySecurity
    from distributed import Client

    security = GatewaySecurity(tls_key=connection["tlsKey"], tls_cert=connection["tlsCert"])
    return Client(connection["address"], security=security, set_as_default=False, timeout=60)


def seconds_to_one_worker(client, started: float) -> float:
    """Both ways end here: ``client`` sees one worker (then it is closed)."""
    try:
        client.wait_for_workers(1, timeout=180)
        return time.perf_counter() - started
    finally:
        client.close()


def via_sidecar(sidecar) -> float:
    started = time.perf_counter()
    created = sidecar.browser.post(
        f"/api/sites/{SITE}/clusters", {"options": OPTIONS, "wait": True}
    )
    name = created["name"]
    try:
        sidecar.browser.post(f"/api/sites/{SITE}/clusters/{name}/scale", {"count": 1})
        connection = sidecar.kernel.get(f"/kernel/sites/{SITE}/connection", cluster=name)
        return seconds_to_one_worker(connect(connection), started)
    finally:
        sidecar.browser.request("DELETE", f"/api/sites/{SITE}/clusters/{name}")


def bare(ends, token: str) -> float:
    from dask_gateway import Gateway

    from jupyter_ext_server.gateway_auth import BearerAuth

    gateway = Gateway(ends.gateway, proxy_address=ends.proxy, auth=BearerAuth(token))
    try:
        started = time.perf_counter()
        cluster = gateway.new_cluster(**OPTIONS)
        try:
            cluster.scale(1)
            return seconds_to_one_worker(cluster.get_client(set_as_default=False), started)
        finally:
            cluster.shutdown()
    finally:
        gateway.close()
        # dask_gateway's __del__ closes again and trips over distributed's
        # stopped loop (a traceback on stderr per round): it is closed already.
        gateway.close = lambda *args, **kwargs: None  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=None, help="rounds each [10; quick: 3]")
    parser.add_argument("--quick", action="store_true", help="3 rounds each")
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 10)

    from jupyter_ext_server.testbed import Testbed
    from jupyter_ext_server.testbed.login import device_login
    from support.running import RunningSidecar, log_in

    with tempfile.TemporaryDirectory(prefix="dask-sites-ready-") as work:
        work_dir = Path(work)
        progress("starting the testbed (central) …")
        bed = Testbed(state_dir=work_dir / "testbed", sites=(SITE,), size="small")
        sidecar = None
        try:
            info = bed.start(progress=lambda m: progress(f"  testbed: {m}"))
            sidecar = RunningSidecar(info.registry_path, work_dir / "sidecar").start()
            log_in(sidecar)
            times: dict[str, list[float]] = {"sidecar": [], "bare": []}
            for round_ in range(1, rounds + 1):
                # A fresh token each round: the testbed's last 5 minutes.
                token = device_login(info.issuer, "alice", "alice-dask-sites").access_token
                order = ["sidecar", "bare"] if round_ % 2 else ["bare", "sidecar"]
                for way in order:
                    seconds = (
                        via_sidecar(sidecar) if way == "sidecar" else bare(info.sites[SITE], token)
                    )
                    times[way].append(seconds)
                    progress(f"round {round_}: {way} {seconds:.2f} s")
        finally:
            if sidecar:
                sidecar.stop()
            bed.stop()

    rows = []
    for way, label in (
        ("sidecar", "through the sidecar (the panel)"),
        ("bare", "bare dask_gateway client"),
    ):
        values = sorted(times[way])
        rows.append(
            [
                label,
                f"{statistics.median(values):.2f}",
                f"{percentile(values, 0.9):.2f}",
                f"{values[0]:.2f}",
            ]
        )
    ratio = statistics.median(times["sidecar"]) / statistics.median(times["bare"])
    print(
        f"Cluster ready (create → one worker connected), {rounds} rounds each, "
        f"interleaved, one gateway ({SITE}), local process backend:\n"
    )
    print(table(["path", "median s", "p90 s", "best s"], rows))
    print(f"\nsidecar : bare (medians) = {ratio:.2f} (target ≤ 1.10)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

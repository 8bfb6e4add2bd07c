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
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# support.running.RunningSidecar: the tests' way to start the bundled sidecar.
sys.path.insert(0, str(ROOT / "tests"))

from bench_support import STARTED, progress  # noqa: E402
from sidecar_measure import Bench  # noqa: E402
from sidecar_report import report, run_encoding  # noqa: E402

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

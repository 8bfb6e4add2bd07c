#!/usr/bin/env python
"""Sidecar footprint: resident memory and CPU with 3 sites, 20 clusters and a
watching browser, at start and through an hour-equivalent of activity.

Against the real testbed and the bundled sidecar (``sidecar_measure.Bench``
starts them, logs in and starts the clusters). Then, for ``--minutes``:

- logins renewed: the issuer's access tokens live ``--token-ttl`` seconds
  (the default compresses an hour of 20-second tokens, 180 renewals, into
  the run);
- clusters created and stopped: every ``--churn`` seconds one more is
  started through the sidecar and the oldest of those is stopped;
- live figures streaming: a WebSocket client (``live_bytes.mjs``) watches the
  three sites the whole time, as an open panel does.

The sidecar's RSS and CPU are sampled every ``--sample`` seconds; the table
shows them a minute apart, and the growth from the first minute (once the
clusters, the watcher and the JIT have settled) to the end says whether
memory is flat.

    .venv/bin/python benchmarks/footprint_bench.py [--quick] [--minutes M]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the tests' helpers start the sidecar

from bench_support import CpuMeter, private_mib, progress, rss_mib, table  # noqa: E402
from sidecar_measure import SITES, Bench  # noqa: E402

HOUR_OF_RENEWALS = 3600 / 20  # 20-second tokens for an hour


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 minutes, 6 clusters")
    parser.add_argument("--minutes", type=float, help="activity [10; quick: 2]")
    parser.add_argument("--clusters", type=int, help="clusters kept running [20; quick: 6]")
    parser.add_argument("--churn", type=float, default=15.0, help="seconds between create+stop")
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between samples")
    parser.add_argument(
        "--token-ttl",
        type=int,
        help="access token lifetime, s [the run holds an hour of 20 s tokens]",
    )
    args = parser.parse_args(argv)
    args.minutes = args.minutes or (2.0 if args.quick else 10.0)
    args.clusters = args.clusters or (6 if args.quick else 20)
    args.access_token_ttl = args.token_ttl or max(2, round(args.minutes * 60 / HOUR_OF_RENEWALS))
    args.create_concurrency = 4
    return args


class Watcher:
    """``live_bytes.mjs`` on the sidecar's live socket: messages, bytes and
    decoding time seen (the browser's decoder)."""

    def __init__(self, bench: Bench):
        self.messages = 0
        self.bytes = 0
        self.decode_ms = 0.0
        self.process = bench.live_bytes()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        import json

        assert self.process.stdout
        for line in self.process.stdout:
            message = json.loads(line)
            self.messages += 1
            self.bytes += message["frame"]
            self.decode_ms += message.get("decodeMs", 0.0)


def churn_once(bench: Bench, churned: list[tuple[str, str]], n: int) -> None:
    """Start one cluster, and stop the oldest one started this way."""
    site = SITES[n % len(SITES)]
    created = bench.api.post(
        f"/api/sites/{site}/clusters", {"wait": True, "displayName": f"churn {n}"}
    )
    with bench.clusters_lock:
        bench.clusters.append((site, created["name"]))
    churned.append((site, created["name"]))
    if len(churned) > 1:
        old_site, old_name = churned.pop(0)
        bench.api.request("DELETE", f"/api/sites/{old_site}/clusters/{old_name}")
        with bench.clusters_lock:
            bench.clusters.remove((old_site, old_name))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work_dir = Path(tempfile.mkdtemp(prefix="dask-sites-footprint-"))
    bench = Bench(args, work_dir)
    samples: list[dict] = []
    ok = False
    try:
        bench.start()
        proc = bench.sidecar_proc
        samples.append(
            {
                "t": 0.0,
                "what": "started, nothing done",
                "rss": rss_mib(proc),
                "private": private_mib(proc),
            }
        )
        bench.log_in()
        bench.start_clusters()
        watcher = Watcher(bench)
        progress(
            f"{args.minutes:g} minutes of activity: tokens of {args.access_token_ttl} s, "
            f"a cluster created and one stopped every {args.churn:g} s, "
            "a watcher on the live socket"
        )
        started = time.monotonic()
        end = started + args.minutes * 60
        next_churn = started + args.churn
        churned: list[tuple[str, str]] = []
        churns = 0
        meter = CpuMeter([proc]).start()
        next_sample = started + args.sample
        while time.monotonic() < end:
            now = time.monotonic()
            if now >= next_churn:
                churn_once(bench, churned, churns)
                churns += 1
                next_churn += args.churn
            if now >= next_sample:
                used, wall = meter.stop()
                meter = CpuMeter([proc]).start()
                samples.append(
                    {
                        "t": now - started,
                        "rss": rss_mib(proc),
                        "private": private_mib(proc),
                        "cpu": used / wall,
                        "messages": watcher.messages,
                        "bytes": watcher.bytes,
                        "decode_ms": watcher.decode_ms,
                        "churns": churns,
                    }
                )
                next_sample += args.sample
            time.sleep(0.2)
        sites = bench.api.get("/api/sites")["sites"]
        logged_in = all(s["login"]["status"] == "logged-in" for s in sites)
        print(report(args, samples, churns, logged_in))
        ok = True
    except KeyboardInterrupt:
        progress("interrupted; everything started is stopped")
        return 130
    finally:
        bench.cleanup()
        if ok:
            shutil.rmtree(work_dir, ignore_errors=True)
        else:
            progress(f"working directory (logs): {work_dir}")
    return 0


def report(args: argparse.Namespace, samples: list[dict], churns: int, logged_in: bool) -> str:
    activity = [s for s in samples if "cpu" in s]
    first = samples[0]
    rows = [
        [
            "start (before login and clusters)",
            "",
            f"{first['rss']:.1f}",
            f"{first['private']:.1f}",
            "",
            "",
            "",
        ]
    ]
    shown = 0.0
    for s in activity:
        if s["t"] >= shown or s is activity[-1]:
            rows.append(
                [
                    f"{s['t'] / 60:.1f} min",
                    str(s["churns"]),
                    f"{s['rss']:.1f}",
                    f"{s['private']:.1f}",
                    f"{100 * s['cpu']:.1f} %",
                    str(s["messages"]),
                    f"{s['bytes'] / max(s['t'], 1):.0f}",
                ]
            )
            shown = (int(s["t"] // 60) + 1) * 60
    settled = next((s for s in activity if s["t"] >= 60), activity[0])
    last = activity[-1]
    peak = max(s["rss"] for s in samples)
    peak_private = max(s["private"] for s in samples)
    # A GC heap saws up and down: what it keeps shows in the troughs. Memory is
    # flat when the second half's lowest RSS is no higher than the first half's.
    after_settling = [s for s in activity if s["t"] >= settled["t"]]
    half = len(after_settling) // 2
    trough_first = min(s["rss"] for s in after_settling[: max(half, 1)])
    trough_second = min(s["rss"] for s in after_settling[half:])
    renewals = args.minutes * 60 / args.access_token_ttl
    lines = [
        f"Sidecar footprint: 3 sites, {args.clusters} clusters, a watching browser, "
        f"{args.minutes:g} min of activity (tokens of {args.access_token_ttl} s: "
        f"~{renewals:.0f} renewals, an hour of 20 s tokens is {HOUR_OF_RENEWALS:.0f}; "
        f"{churns} clusters created and stopped); sampled every {args.sample:g} s.\n",
        table(
            ["time", "churned", "RSS MiB", "private MiB", "CPU", "live msgs", "live B/s"],
            rows,
        ),
        "",
        f"RSS from {settled['t'] / 60:.1f} min to the end: {settled['rss']:.1f} → "
        f"{last['rss']:.1f} MiB ({last['rss'] - settled['rss']:+.1f}); peak {peak:.1f} MiB "
        f"({peak * 1.048576:.1f} MB), of which private (not shared with other processes) "
        f"{peak_private:.1f} MiB. Lowest RSS in the first and second half from then: "
        f"{trough_first:.1f} and {trough_second:.1f} MiB ({trough_second - trough_first:+.1f}). "
        f"Logged in at the end: {'yes' if logged_in else 'NO'}.",
        f"Live stream over the run: {last['messages']} messages, "
        f"{last['bytes'] / max(last['t'], 1):.0f} B/s, the browser's decoding "
        f"{last['decode_ms'] / max(last['t'], 1):.3f} ms per second.",
        "Targets: memory flat and under 80 MB.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

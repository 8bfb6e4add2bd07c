"""The sidecar benchmark's report: its tables and notes, and the encoding simulation it quotes."""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import statistics
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from bench_support import percentile, progress, table

if TYPE_CHECKING:  # the report reads the benchmark's results; it never runs one
    from sidecar_bench import Bench

ROOT = Path(__file__).resolve().parent.parent


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
        changed_per = statistics.fmean(m.get("patchedClusters", 0) for m in window)
        decode_ms = sum(m.get("decodeMs", 0.0) for m in window) / detail["window_wall"]
        gaps = [b["t"] - a["t"] for a, b in itertools.pairwise(window)]
        out.append(
            f"Steady state: {len(window)} diffs, {per_message:.0f} bytes each on average, "
            f"{sites_per:.1f} whole sites and {changed_per:.1f} changed clusters per diff, "
            f"decoding {decode_ms:.3f} ms per second"
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

#!/usr/bin/env python
"""At scale: what routing costs as graphs grow, single-site and split over two sites.

A chunked array reduction (``((x * k + 1) ** 2).sum()`` over ``n`` chunks,
the inputs marked as living at a site with ``dask_sites.at``) of about 10 k and
100 k tasks (``--quick``: 10 k only, a couple of minutes; ``--sizes
10000,100000,1000000`` adds 1 M, which takes over an hour here), each computed:

- **routed**: ``.compute()`` in an untagged cell; Dask Sites plans it and
  sends it to the site (single), or splits it (each site sums its part, the
  two sums are added here);
- **by hand**: what a user does with a ``Client`` per site:
  ``client.compute(part).result()`` on each site's client (the same clients,
  from ``dask_sites.client``), combining the results here.

Where the routed time goes comes from the cell's record (``phases``:
planning, building the split's parts, submission, the sites' work, bringing
parts back, combining). Task counts are of the graph as written, before
any optimisation. Both ways are timed inside the kernel.

    .venv/bin/python benchmarks/scale_bench.py [--quick] [--sizes 10000,100000]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the tests' helpers start the sidecar and drive kernels

from bench_support import progress, table, testbed_with_kernel  # noqa: E402

TASKS_PER_CHUNK = 5  # ones, *k, +1, **2, the chunk's partial sum (plus a small tree)

SETUP = """
import dask, dask.array as da, json, time, dask_sites
from jupyter_ext_server.kernel.state import current_router

def part(n, site, k):
    # Each site's own input (the same array twice would be one layer, at one site).
    x = dask_sites.at(da.full(n * 4, 1.0 + len(site), chunks=4), site)
    return ((x * k + 1) ** 2).sum()

def tasks(*collections):
    return sum(len(c.__dask_graph__()) for c in collections)
"""


def run_cell(client, code: str):
    from support.kernels import run

    out = run(client, code, timeout=3600)
    if out.error:
        raise RuntimeError(f"{code[:80]!r} failed: {out.error}")
    return out


def measure(client, chunks: int, split: bool) -> dict:
    """Routed and by hand, for one size; the routed cell's phases."""
    k = chunks  # a different graph per size: nothing cached between sizes
    if split:
        build = (
            f"a = part({chunks // 2}, 'central', {k}); b = part({chunks // 2}, 'lumi', {k + 1})\n"
            "total = a + b\n"
            "n_tasks = tasks(total)\n"
        )
        by_hand = (
            "t = time.perf_counter()\n"
            "fa = dask_sites.client('central').compute(a)\n"
            "fb = dask_sites.client('lumi').compute(b)\n"
            "value = float(fa.result() + fb.result())\n"
            "hand_s = time.perf_counter() - t\n"
        )
    else:
        build = f"total = part({chunks}, 'central', {k})\nn_tasks = tasks(total)\n"
        by_hand = (
            "t = time.perf_counter()\n"
            "value = float(dask_sites.client('central').compute(total).result())\n"
            "hand_s = time.perf_counter() - t\n"
        )
    run_cell(client, build)
    run_cell(client, by_hand + "hand = value")
    run_cell(
        client,
        "t = time.perf_counter()\n"
        "value = float(total.compute())\n"
        "routed_s = time.perf_counter() - t",
    )
    out = run_cell(
        client,
        "record = current_router().last_record\n"
        "json.dumps({'routed': routed_s, 'hand': hand_s, 'tasks': n_tasks, "
        "'same': abs(value - hand) <= 1e-9 * abs(hand), "
        "'sites': sorted(record.as_dict()['sites']), "
        "'phases': record.phases})",
    )
    return json.loads(eval(out.result))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 k tasks only")
    parser.add_argument("--sizes", help="task counts, comma-separated")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in (args.sizes or ("10000" if args.quick else "10000,100000")).split(",")]

    results: list[tuple[str, int, dict]] = []
    with testbed_with_kernel("small", "scale-bench", idle_timeout=3600) as (_info, client):
        run_cell(client, SETUP)
        progress("warming up both sites (clusters, connections)")
        measure(client, 200, split=True)
        for tasks in sizes:
            chunks = max(2, tasks // TASKS_PER_CHUNK)
            for split in (False, True):
                shape = "split over central and lumi" if split else "single site (central)"
                progress(f"~{tasks:,} tasks, {shape} …")
                result = measure(client, chunks, split)
                results.append((shape, tasks, result))
                progress(  # as it comes: a 1 M-task run is long
                    f"  {result['tasks']:,} tasks: routed {result['routed']:.2f} s, "
                    f"by hand {result['hand']:.2f} s; {result['phases']}"
                )

    rows = []
    for shape, _tasks, r in results:
        shape += "" if len(r["sites"]) > 1 or "split" not in shape else " (NOT SPLIT)"
        phases = ", ".join(f"{name} {seconds:.2f}" for name, seconds in r["phases"].items())
        rows.append(
            [
                shape,
                f"{r['tasks']:,}",
                f"{r['routed']:.2f}",
                f"{r['hand']:.2f}",
                f"{r['routed'] / r['hand']:.2f}",
                phases,
            ]
        )
    print(
        "\nAt scale: a chunked array reduction, routed by Dask Sites against a Client per "
        "site by hand (the same clusters and clients), seconds in the kernel:\n"
    )
    print(
        table(
            ["shape", "tasks", "routed s", "by hand s", "routed ÷ hand", "routed: phases (s)"], rows
        )
    )
    same = all(r["same"] for _, _, r in results)
    print(f"\nSame values both ways: {same}. Target: routed within 1.2× of by hand at 100 k tasks.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

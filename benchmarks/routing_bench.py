#!/usr/bin/env python
"""Kernel routing benchmark against the real testbed: added latency and bytes moved.

Starts the testbed (three sites), the bundled sidecar (logged in as alice
through the issuer's pages, allowed to create each site's cluster) and a real
ipykernel with ``dask_sites`` loaded, then measures:

1. Routing overhead. A trivial Dask cell (``dask.delayed(inc)(1).compute()``)
   run N times tagged ``lumi`` (cell metadata, as JupyterLab sends it), against
   the same cell untagged but computing on the very same ``Client`` with
   ``scheduler=client``. Both are timed from the client side
   (execute_request to idle), so the difference is what routing adds: hooks,
   the cell's site scheduler, the record under the cell.
2. Bytes brought back for the flood case (DEDL, Pakistan 2022): flood extent
   and built-up coarsened at central, rainfall accumulated over 18-30 Aug at
   lumi, combined in the notebook. Routed (untagged cells on
   ``dask_sites.open_zarr`` data, split by the planner) against opening the
   same inputs in the notebook and computing locally (every input chunk
   travels: stored size and in-memory size).

Every process it starts is stopped, also on failure or Ctrl-C.

    .venv/bin/python benchmarks/routing_bench.py                 # ~1 minute
    .venv/bin/python benchmarks/routing_bench.py --size medium   # the demo's data, ~2 minutes
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the tests' helpers start the sidecar and drive kernels

from bench_support import progress, table, testbed_with_kernel  # noqa: E402

FLOOD_SETUP = """
import dask_sites, xarray as xr
flood = dask_sites.open_zarr('s3://central-gfm/flood_extent.zarr').flood_extent
built = dask_sites.open_zarr('s3://central-ghsl/built_up.zarr').built_up
rain = dask_sites.open_zarr('s3://lumi-era5/rainfall.zarr').tp
"""
# Both sites coarsen to one 32x32 grid (central from its raster, lumi from its
# cube), then the notebook combines the two grids.
FLOOD_WORK = """
grid = 32
f, r = flood.sizes['lat'] // grid, rain.sizes['lat'] // grid
flooded = flood.astype('f4').coarsen(lat=f, lon=f).mean()
exposed = (flood * built).coarsen(lat=f, lon=f).sum()
storm = rain.sel(time=slice('2022-08-18', '2022-08-30')).sum('time').coarsen(lat=r, lon=r).mean()
# Mixes the sites: split by the planner, each site sends its 32x32 grid.
rain_on_flood = float((flooded.data * storm.data).sum() / flooded.data.sum())
result = [float(flooded.mean()), float(exposed.sum()), float(storm.mean()), rain_on_flood]
"""


def timed(client, code: str, metadata: dict | None = None) -> float:
    from support.kernels import run

    started = time.perf_counter()
    out = run(client, code, metadata)
    elapsed = time.perf_counter() - started
    if out.error:
        raise RuntimeError(f"{code!r} failed: {out.error}")
    return elapsed


def overhead(client, rounds: int) -> tuple[list[float], list[float]]:
    from support.kernels import run

    setup = run(
        client,
        "import dask\nfrom jupyter_ext_server.kernel.state import current_router\n"
        "inc = lambda x: x + 1\n"
        "lumi = current_router().client_for('lumi')\n",
    )
    assert setup.error is None, setup
    tagged_cell = "dask.delayed(inc)(1).compute()"
    direct_cell = "dask.delayed(inc)(1).compute(scheduler=lumi)"
    for _ in range(5):  # warm up both paths
        timed(client, tagged_cell, {"dask-sites": {"site": "lumi"}})
        timed(client, direct_cell)
    tagged, direct = [], []
    for _ in range(rounds):  # interleaved, so drift hits both alike
        tagged.append(timed(client, tagged_cell, {"dask-sites": {"site": "lumi"}}))
        direct.append(timed(client, direct_cell))
    return tagged, direct


def flood_bytes(client, testbed) -> dict:
    from support.kernels import run

    assert run(client, FLOOD_SETUP).error is None
    routed = run(client, FLOOD_WORK)
    if routed.error:
        raise RuntimeError(routed.error)
    records = [d for d in routed.displays if "application/vnd.dask-sites.record+json" in d]
    record = records[-1]["application/vnd.dask-sites.record+json"] if records else None
    # The same inputs, opened in the notebook and computed here: every chunk travels.
    local = run(
        client,
        "import dask\nwith dask.config.set(scheduler='threads'):\n"
        + "\n".join("    " + line for line in FLOOD_WORK.strip().splitlines())
        + "\nlocal_result = result\n"
        "import fsspec\n"
        "stored = 0\n"
        f"for url in {[u for _, u in INPUTS]!r}:\n"
        "    stored += fsspec.core.url_to_fs(url)[0].du(url)\n"
        "in_memory = int(flood.nbytes + built.nbytes + rain.nbytes)\n"
        "(stored, in_memory, local_result)",
    )
    if local.error:
        raise RuntimeError(local.error)
    stored, in_memory, local_result = eval(local.result, {"np": __import__("numpy")})
    routed_result = eval(run(client, "result").result, {"np": __import__("numpy")})
    return {
        "record": record,
        "stored": stored,
        "in_memory": in_memory,
        "same_result": all(
            abs(a - b) <= 1e-6 * max(1.0, abs(b)) for a, b in zip(routed_result, local_result)
        ),
    }


INPUTS = (
    ("central", "s3://central-gfm/flood_extent.zarr"),
    ("central", "s3://central-ghsl/built_up.zarr"),
    ("lumi", "s3://lumi-era5/rainfall.zarr"),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rounds", type=int, default=60, help="cells per path (default: %(default)s)"
    )
    parser.add_argument(
        "--size", choices=("small", "medium"), default="small", help="testbed data size"
    )
    args = parser.parse_args(argv)

    from jupyter_ext_server.kernel.units import format_bytes

    with testbed_with_kernel(args.size, "routing-bench") as (info, client):
        progress(f"routing overhead: {args.rounds} tagged and {args.rounds} direct cells …")
        tagged, direct = overhead(client, args.rounds)
        progress("flood case: routed, then local …")
        flood = flood_bytes(client, info)

    ms = lambda values, q: statistics.quantiles(values, n=100)[q - 1] * 1000  # noqa: E731
    added = statistics.median(tagged) - statistics.median(direct)
    print(f"\nRouting overhead, trivial cell at lumi, {args.rounds} rounds (ms, client side):\n")
    print(
        table(
            ["path", "p50", "p95"],
            [
                [
                    "tagged cell (routed by Dask Sites)",
                    f"{statistics.median(tagged) * 1000:.2f}",
                    f"{ms(tagged, 95):.2f}",
                ],
                [
                    "same Client, scheduler=client",
                    f"{statistics.median(direct) * 1000:.2f}",
                    f"{ms(direct, 95):.2f}",
                ],
                ["added by routing (median difference)", f"{added * 1000:.2f}", ""],
            ],
        )
    )
    record = flood["record"] or {}
    print(f"\nFlood case ({args.size} data), bytes that reach the notebook:\n")
    rows = [
        [
            f"routed ({', '.join(record.get('sites', []))}, planner split)",
            format_bytes(record.get("bytesBack", 0)),
        ],
        ["local: inputs as stored (compressed Zarr)", format_bytes(flood["stored"])],
        ["local: inputs in memory", format_bytes(flood["in_memory"])],
    ]
    print(table(["how", "bytes"], rows))
    print(f"\nSame result both ways: {flood['same_result']}")
    return 0 if flood["same_result"] else 1


if __name__ == "__main__":
    sys.exit(main())

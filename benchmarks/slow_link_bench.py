#!/usr/bin/env python
"""Over a slow link: routed by Dask Sites against pulling the inputs into the notebook.

The notebook reaches each site's gateway proxy (its schedulers) and object
store through a ``SlowLink`` (``slow_link.py``: 50 Mbit/s each way, 40 ms
round trip by default); the sites' own workers read their data directly, at
full speed. The sidecar the kernel uses is given a registry whose
``proxy_address`` points at the links, so every byte between the kernel and
a scheduler crosses them; the pulled baseline opens the inputs with plain
xarray through the links' store addresses. The links count the bytes.

Cases, each three ways where it applies:

- *flood (medium)*: the DEDL flood analysis of ``routing_bench.py`` (both
  sites coarsen to a 32×32 grid, the notebook combines);
- *big meets small*: ``placement_bench.py``'s shape (central's raster minus
  lumi's mean, averaged over latitude): placement, the previous plan (mix
  always here) and pulling.

    .venv/bin/python benchmarks/slow_link_bench.py [--size small|medium] [--rate 50] [--rtt 40]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the tests' helpers start the sidecar and drive kernels

from bench_support import progress, table  # noqa: E402
from placement_bench import DATA, SHAPES  # noqa: E402
from routing_bench import FLOOD_SETUP, FLOOD_WORK, INPUTS  # noqa: E402
from slow_link import SlowLink  # noqa: E402

SITES = ("central", "lumi")


def run_cell(client, code: str):
    from support.kernels import run

    out = run(client, code, timeout=1800)
    if out.error:
        raise RuntimeError(f"{code[:80]!r} failed: {out.error}")
    return out


def slowed_registry(registry_path: Path, links: dict, out: Path) -> Path:
    """The registry with each site's gateway proxy behind its slow link."""
    registry = json.loads(registry_path.read_text())
    for site in registry["sites"]:
        if site["name"] in links:
            site["gateway"]["proxy_address"] = f"gateway://{links[site['name']].address}"
    out.write_text(json.dumps(registry, indent=1))
    return out


def timed(client, code: str, links: list[SlowLink]) -> tuple[float, int]:
    """Seconds of a cell and the bytes it moved over the links (both ways)."""
    for link in links:
        link.reset_counts()
    started = time.perf_counter()
    run_cell(client, code)
    seconds = time.perf_counter() - started
    return seconds, sum(link.up + link.down for link in links)


@contextmanager
def links_opened(links: list[SlowLink]) -> Iterator[None]:
    """The same relays at loopback speed: what the work costs without the WAN."""
    for link in links:
        link.limited = False
    try:
        yield
    finally:
        for link in links:
            link.limited = True


def pulled(code: str) -> str:
    """``code`` computed in the notebook on the plain inputs (dask's threads)."""
    return "import dask\nwith dask.config.set(scheduler='threads'):\n" + "\n".join(
        "    " + line for line in code.strip().splitlines()
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("small", "medium"), default="medium")
    parser.add_argument("--quick", action="store_true", help="small data")
    parser.add_argument("--rate", type=float, default=50.0, help="Mbit/s each way [50]")
    parser.add_argument("--rtt", type=float, default=40.0, help="round trip, ms [40]")
    args = parser.parse_args(argv)
    size = "small" if args.quick else args.size

    from jupyter_ext_server.kernel.units import format_bytes
    from jupyter_ext_server.testbed import Testbed
    from support.kernels import kernel_running
    from support.running import RunningSidecar, log_in, stop_clusters

    rows: list[list[str]] = []
    ratios: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="dask-sites-slow-") as work, ExitStack() as stack:
        work_dir = Path(work)
        progress(f"starting the testbed ({size} data) …")
        bed = Testbed(state_dir=work_dir / "testbed", sites=SITES, size=size, idle_timeout=1800)
        stack.callback(bed.stop)
        info = bed.start(progress=lambda m: progress(f"  testbed: {m}"))
        rate, delay = args.rate * 1e6, args.rtt / 2000

        def link_to(address: str) -> SlowLink:
            host, port = address.rsplit("//", 1)[-1].split(":")
            return stack.enter_context(SlowLink(host, int(port), rate, delay))

        gateway_links = {s: link_to(info.sites[s].proxy) for s in SITES}
        store_links = {s: link_to(info.sites[s].storage) for s in SITES}
        links = [*gateway_links.values(), *store_links.values()]
        registry = slowed_registry(
            Path(info.registry_path), gateway_links, work_dir / "slow-registry.json"
        )
        sidecar = RunningSidecar(
            registry, work_dir / "sidecar", extra_args=("--auto-create-cluster",)
        ).start()
        stack.callback(sidecar.stop)
        stack.callback(stop_clusters, sidecar, SITES)
        log_in(sidecar)
        client = stack.enter_context(kernel_running(sidecar))
        progress(f"links: {args.rate:g} Mbit/s each way, {args.rtt:g} ms round trip")

        # The same inputs for pulling: plain xarray through the slow store addresses.
        # Another address than the site's store gets none of its keys unasked: hand the
        # user's keys for the site over explicitly.
        plain = [
            "import xarray as xr, numpy as np",
            "from jupyter_ext_server.storage.keys import KEYS",
            "def through(endpoint, site):",
            "    k = KEYS.get(site)",
            "    return {'client_kwargs': {'endpoint_url': endpoint}, "
            "'key': k.key, 'secret': k.secret, 'token': k.token}",
        ]
        for name, (site, url, variable) in DATA.items():
            if site in SITES:
                endpoint = f"http://{store_links[site].address}"
                plain.append(
                    f"{name}_plain = xr.open_zarr({url!r}, "
                    f"storage_options=through({endpoint!r}, {site!r})).{variable}"
                )
        for site, url in INPUTS:
            endpoint = f"http://{store_links[site].address}"
            variable = url.rsplit("/", 1)[-1].split(".")[0]
            plain.append(
                f"{variable}_pulled = xr.open_zarr({url!r}, "
                f"storage_options=through({endpoint!r}, {site!r}))"
            )
        run_cell(client, FLOOD_SETUP + "\n".join(plain) + "\n")
        for name in DATA:
            if DATA[name][0] in SITES:
                run_cell(
                    client, f"{name} = dask_sites.open_zarr({DATA[name][1]!r}).{DATA[name][2]}"
                )

        # Flood: routed (split by the planner) against pulling every input chunk.
        progress("flood: warming up (clusters, caches)")
        run_cell(client, FLOOD_WORK)
        routed_s, routed_b = timed(client, FLOOD_WORK + "\nrouted = result", links)
        with links_opened(links):
            open_routed_s, _ = timed(client, FLOOD_WORK, links)
        # The same work on the plain inputs (every chunk comes through the store links).
        pull_code = (
            "flood = flood_extent_pulled.flood_extent\n"
            "built = built_up_pulled.built_up\n"
            "rain = rainfall_pulled.tp\n" + FLOOD_WORK
        )
        pull_s, pull_b = timed(client, pulled(pull_code) + "\npulled = result", links)
        with links_opened(links):
            open_pull_s, _ = timed(client, pulled(pull_code), links)
        same = run_cell(
            client, "all(abs(a - b) <= 1e-6 * max(1, abs(b)) for a, b in zip(routed, pulled))"
        ).result
        # The flood names must be the routed ones again for what follows.
        run_cell(client, FLOOD_SETUP)
        rows += [
            ["flood", "routed (split)", f"{routed_s:.2f}", format_bytes(routed_b), ""],
            ["flood", "pull inputs", f"{pull_s:.2f}", format_bytes(pull_b), ""],
            ["flood", "routed, no link (loopback)", f"{open_routed_s:.2f}", "", ""],
            ["flood", "pull inputs, no link (loopback)", f"{open_pull_s:.2f}", "", ""],
        ]
        ratios["flood"] = pull_s / routed_s
        rows[-4][-1] = f"{ratios['flood']:.1f}"
        rows[-2][-1] = f"{open_pull_s / open_routed_s:.1f}"

        # Big meets small: placement, the previous plan, pulling.
        expression, _inputs = SHAPES["big meets small"]
        flood_var = DATA["flood"]
        run_cell(client, f"flood = dask_sites.open_zarr({flood_var[1]!r}).{flood_var[2]}")
        run_cell(client, f"warm = ({expression}).compute()")
        results = {}
        for plan, mode in (("placement", "auto"), ("previous plan (mix here)", "here")):
            code = (
                f"with dask.config.set({{'dask-sites.placement': {mode!r}}}):\n"
                f"    value = np.asarray(({expression}).compute())"
            )
            results[plan] = timed(client, code, links)
        plain_expression = expression.replace("flood", "flood_plain").replace("rain", "rain_plain")
        results["pull inputs"] = timed(
            client, pulled(f"value = np.asarray(({plain_expression}).compute())"), links
        )
        for plan, (seconds, moved) in results.items():
            rows.append(["big meets small", plan, f"{seconds:.2f}", format_bytes(moved), ""])
        ratios["big meets small"] = results["pull inputs"][0] / results["placement"][0]
        rows[-3][-1] = f"{ratios['big meets small']:.1f}"

    print(
        f"\nOver a slow link ({args.rate:g} Mbit/s each way, {args.rtt:g} ms round trip "
        f"between the notebook and the sites; workers read their data directly), "
        f"{size} data. Bytes: all that crossed the link, both ways, TLS and HTTP included.\n"
    )
    print(table(["case", "way", "seconds", "over the link", "pulled s ÷ routed s"], rows))
    print(
        f"\nFlood results the same both ways: {same}. Target: routed ≥ 10× faster than "
        f"pulling for the medium flood case: {ratios['flood']:.1f}×."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

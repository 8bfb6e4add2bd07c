"""Cross-site work runs where its bytes are: big meets small, three sites, refusals, explain.

A real ipykernel, the real sidecar and gateways, the testbed's data. Where each
step ran is proven by each site scheduler's own transition log; the numbers
by the same computation done here with plain xarray; the bytes by the record.
The testbed's data is small, so the cells lower ``dask-sites.placement-margin``
(1 MB by default) to let a site's saving count.
"""

from __future__ import annotations

import json

import pytest

from support.kernels import kernel_running, run

pytestmark = pytest.mark.integration

SITES = ("central", "lumi", "leonardo")
SMALL_MARGIN = "dask.config.set({'dask-sites.placement-margin': '10 kB'})"


@pytest.fixture(scope="module")
def kernel(routing_sidecar):
    setup = (
        "import dask, json, numpy as np, xarray as xr\n"
        "import dask_sites\n"
        "flood = dask_sites.open_zarr('s3://central-gfm/flood_extent.zarr')\n"
        "rain = dask_sites.open_zarr('s3://lumi-era5/rainfall.zarr')\n"
        "soil = dask_sites.open_zarr('s3://leonardo-era5/soil_moisture.zarr')\n"
    )
    with kernel_running(routing_sidecar, setup) as client:
        yield client


@pytest.fixture(scope="module")
def local(kernel, testbed):
    """The same data, opened here with plain xarray (no Dask Sites routing)."""

    def open_here(name: str, site: str, url: str) -> str:
        endpoint = testbed.sites[site].storage
        return (
            f"{name}_here = xr.open_zarr({url!r}, storage_options={{'client_kwargs': "
            f"{{'endpoint_url': {endpoint!r}}}}}).compute()\n"
        )

    code = "with dask.config.set(scheduler='sync'):\n" + "".join(
        "    " + open_here(*spec)
        for spec in (
            ("flood", "central", "s3://central-gfm/flood_extent.zarr"),
            ("rain", "lumi", "s3://lumi-era5/rainfall.zarr"),
            ("soil", "leonardo", "s3://leonardo-era5/soil_moisture.zarr"),
        )
    )
    out = run(kernel, code)
    assert out.error is None, out


def value(out):
    assert out.error is None, out
    return out.result


def steps_at(logs, mark, site: str, step: str) -> int:
    """How many keys of the step ``step`` (``sub``, ``astype``) ``site``'s scheduler handled."""
    return sum(1 for key in logs.keys(site, mark) if f"'{step}-" in key or key.startswith(step))


def hops(record) -> list[tuple[str, str]]:
    return [(hop["from"], hop["to"]) for hop in record["hops"]]


def test_big_meets_small_runs_at_the_big_side(kernel, logs, local):
    mark = logs.mark()
    code = (
        f"with {SMALL_MARGIN}:\n"
        "    profile = (flood.flood_extent.astype('float32') - rain.tp.mean()).mean('lat')"
        ".compute()\n"
        "here = (flood_here.flood_extent.astype('float32') - rain_here.tp.mean()).mean('lat')\n"
        "json.dumps([float(abs(profile - here).max() / abs(here).max()), profile.nbytes,"
        " int(profile.size)])"
    )
    difference, result_bytes, size = json.loads(eval(value(run(kernel, code))))
    assert difference < 1e-6 and size == 256
    record = run(kernel, "dask_sites.last_record()").result
    record = eval(record)
    assert record["mixedAt"] == "central", record
    assert hops(record) == [("lumi", "here"), ("here", "central"), ("central", "here")]
    # Only lumi's scalar crossed on the way there, and only the profile came back.
    assert record["hops"][0]["bytes"] < 100 and record["hops"][1]["bytes"] < 100
    assert abs(record["hops"][2]["bytes"] - result_bytes) < 200  # as measured at central
    # central's scheduler ran the mix ('sub'); lumi's only reduced its rain.
    assert steps_at(logs, mark, "central", "sub") > 0
    assert steps_at(logs, mark, "lumi", "sub") == 0
    assert steps_at(logs, mark, "lumi", "mean_agg") > 0


def test_reduce_then_combine_still_combines_here(kernel):
    code = (
        f"with {SMALL_MARGIN}:\n"
        "    both = float(flood.flood_extent.astype('f8').mean() * rain.tp.mean())\n"
    )
    assert run(kernel, code).error is None
    record = eval(value(run(kernel, "dask_sites.last_record()")))  # the record of the cell before
    assert record["mixedAt"] is None
    assert all(hop["to"] == "here" for hop in record["hops"])
    assert sum(hop["bytes"] for hop in record["hops"]) < 1_000


def test_three_sites_send_their_small_parts_to_the_big_one(kernel, logs, local):
    mark = logs.mark()
    code = (
        f"with {SMALL_MARGIN}:\n"
        "    fixed = (flood.flood_extent.astype('float32') - rain.tp.mean() - soil.swvl1.mean())"
        ".sum('lon').compute()\n"
        "here = (flood_here.flood_extent.astype('float32') - rain_here.tp.mean()"
        " - soil_here.swvl1.mean()).sum('lon')\n"
        "float(abs(fixed - here).max() / abs(here).max())"
    )
    assert float(value(run(kernel, code))) < 1e-5
    record = eval(value(run(kernel, "dask_sites.last_record()")))
    assert record["mixedAt"] == "central"
    assert sorted(hops(record)) == sorted(
        [
            ("lumi", "here"),
            ("here", "central"),
            ("leonardo", "here"),
            ("here", "central"),
            ("central", "here"),
        ]
    )
    assert steps_at(logs, mark, "central", "sub") > 0
    assert steps_at(logs, mark, "leonardo", "sub") == 0 and steps_at(logs, mark, "lumi", "sub") == 0


def test_both_sides_big_is_refused_with_a_hint_and_runs_nothing(kernel, logs):
    mark = logs.mark()
    code = (  # two unreduced 31 x 32 slices, each bigger than the limit
        "a = flood.flood_extent.data.astype('f8')[:31, :32]\n"
        "b = rain.tp.data[:, 0, :]\n"
        "with dask.config.set({'dask-sites.move-limit': '4 kB'}):\n"
        "    (a * b).sum().compute()\n"
    )
    out = run(kernel, code)
    assert out.error and out.error.startswith("MoveRefused: Not run: this split would move")
    assert "more than the limit of 4.00 kB" in out.error
    assert "Moves:" in out.error and "lumi → this kernel" in out.error
    assert "Reduce or coarsen" in out.error and "before combining it" in out.error
    assert all(run_at == "" for run_at in (logs.since(mark, site) for site in SITES))


def test_explain_names_what_was_opened_where_it_runs_and_every_hop(kernel):
    code = (
        f"with {SMALL_MARGIN}:\n"
        "    text = repr(dask_sites.explain("
        "(flood.flood_extent.astype('float32') - rain.tp.mean()).mean('lat')))\n"
        "print(text)"
    )
    out = run(kernel, code)
    text = out.stdout
    assert "flood_extent from s3://central-gfm/flood_extent.zarr: at central" in text, text
    assert "tp from s3://lumi-era5/rainfall.zarr: at lumi" in text
    assert "the part that mixes them runs at central" in text
    assert "central: computes astype" in text and "and keeps it there" in text
    assert "lumi → this kernel:" in text and "this kernel → central:" in text
    assert "central → this kernel:" in text
    assert "unknown size" not in text
    assert "(dask-sites.move-limit): 256 MB" in text

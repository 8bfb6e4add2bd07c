"""Untagged cells run where their data lives; graphs over several sites are split.

A real ipykernel, the real sidecar and gateways, the testbed's Zarr data in
its per-site object stores. Where work ran is proven by the task itself
(``DASK_SITES_SITE``) and by each site scheduler's own transition log.
"""

from __future__ import annotations

import pytest

from support.kernels import kernel_running, run

pytestmark = pytest.mark.integration

PROBE = "from jupyter_ext_server.testbed.probes import where_am_i\n"


@pytest.fixture(scope="module")
def kernel(routing_sidecar):
    setup = PROBE + (
        "import dask, dask.array as da, numpy as np, xarray as xr\n"
        "import dask_sites\n"
        "flood = dask_sites.open_zarr('s3://central-gfm/flood_extent.zarr')\n"
        "rain = dask_sites.open_zarr('s3://lumi-era5/rainfall.zarr')\n"
    )
    with kernel_running(routing_sidecar, setup) as client:
        yield client


SITES = ("central", "lumi", "leonardo")


def value(out) -> str:
    assert out.error is None, out
    return out.result


def test_data_opened_with_the_helper_runs_at_its_site(kernel, logs):
    name = value(run(kernel, "total = rain.tp.sum()\nrain.tp.data.name")).strip("'")
    mark = logs.mark()
    out = run(kernel, "float(total)")
    assert float(value(out)) > 0
    assert out.record["sites"] == ["lumi"] and out.record["source"] == "data location"
    assert name in logs.since(mark, "lumi")  # the scheduler read the input there
    assert logs.since(mark, "central") == "" and logs.since(mark, "leonardo") == ""


def test_a_task_on_marked_data_sees_its_site(kernel):
    out = run(kernel, "dask_sites.at(dask.delayed(where_am_i)(), 'leonardo').compute()")
    assert value(out) == "'leonardo'"


def test_a_store_matching_a_sites_patterns_routes_there(kernel, logs, testbed):
    """Plain xarray, no helper, no storage options: the Zarr store's URL matches central's
    registry patterns, so the kernel reaches central's store with the user's keys."""
    code = (
        "built = xr.open_zarr('s3://central-ghsl/built_up.zarr')\n"
        "built.attrs.pop('location')\n"  # only the store says where it lives
        "share = built.built_up.mean()\nbuilt.built_up.data.name"
    )
    name = value(run(kernel, code)).strip("'")
    mark = logs.mark()
    out = run(kernel, "float(share)")
    assert 0 < float(value(out)) < 1
    assert out.record["sites"] == ["central"]
    assert name in logs.since(mark, "central") and logs.since(mark, "lumi") == ""


def test_attrs_location_routes_without_a_tag(kernel):
    code = (
        "marked = xr.DataArray(da.ones(10, chunks=5), dims='x', attrs={'location': 'leonardo'})\n"
        "marked.data.map_blocks(lambda b: np.full(b.shape, where_am_i() == 'leonardo'), "
        "dtype=bool).all().compute()"
    )
    out = run(kernel, code)
    assert value(out) == "np.True_"
    assert out.record["sites"] == ["leonardo"]


def test_a_tag_cannot_take_another_sites_keys(kernel, logs):
    """Tagged central, reading lumi's data: lumi's keys go to lumi's workers only, so the
    cell is refused before anything runs, with the reason and the fix."""
    mark = logs.mark()
    out = run(kernel, "%%site central\nfloat(rain.tp.mean())")
    assert out.error is not None and "SiteError" in out.error
    assert "reads data that lives at lumi" in out.error
    assert "lumi's object store gives keys to lumi's own workers only" in out.error
    assert "Untag the cell" in out.error
    assert logs.since(mark, "central") == "" and logs.since(mark, "lumi") == ""
    # Untagged, the same expression runs at lumi with lumi's keys.
    out = run(kernel, "float(rain.tp.mean())")
    assert float(value(out)) > 0 and out.record["sites"] == ["lumi"]


def test_two_sites_split_each_reduces_its_own_data(kernel, logs):
    code = (
        "flooded = flood.flood_extent.data.astype('f8').mean()\n"
        "wet = rain.tp.data.mean()\n"
        "flooded.name, wet.name"
    )
    flooded_name, wet_name = eval(value(run(kernel, code)))
    mark = logs.mark()
    out = run(kernel, "combined = float(flooded * wet)\ncombined")
    local = run(kernel, "float(flooded.compute(scheduler='sync') * wet.compute(scheduler='sync'))")
    assert float(value(out)) == pytest.approx(float(value(local)))
    assert sorted(out.record["sites"]) == ["central", "lumi"]
    # Only the two scalars moved, not the rasters (the inputs are ~70 kB and ~130 kB).
    site_runs = [r for r in out.record["runs"] if r["site"] != "local"]
    assert all(r["bytes_back"] < 1_000 for r in site_runs), out.record
    central, lumi = logs.since(mark, "central"), logs.since(mark, "lumi")
    assert flooded_name in central and flooded_name not in lumi
    assert wet_name in lumi and wet_name not in central


def test_explain_shows_the_plan(kernel):
    out = run(kernel, "print(repr(dask_sites.explain(flood.flood_extent.mean() * rain.tp.mean())))")
    text = value(out) if out.result else out.stdout
    assert "split across 2 sites" in text
    assert "central: computes" in text and "lumi: computes" in text
    assert "tp from s3://lumi-era5/rainfall.zarr: at lumi" in text
    magic = run(kernel, "%site explain rain.tp.mean()")
    assert "the whole graph runs at lumi" in (magic.result or magic.stdout)


def test_the_move_limit_refuses_with_the_plan_and_runs_nothing(kernel, logs):
    mark = logs.mark()
    code = (
        "big = flood.flood_extent.data.astype('f8') * 1.5\n"  # a raster, not reduced
        "with dask.config.set({'dask-sites.move-limit': '64 kB'}):\n"
        "    (big.sum() + rain.tp.data.mean() * big).sum().compute()\n"
    )
    out = run(kernel, code)
    assert out.error and out.error.startswith("MoveRefused: Not run: this split would move")
    assert "more than the limit of 64.0 kB" in out.error
    assert "central: computes" in out.error and "dask-sites.move-limit" in out.error
    assert all(logs.since(mark, site) == "" for site in SITES)


def test_persist_keeps_data_at_its_site(kernel):
    out = run(
        kernel,
        "kept = rain.tp.data.persist()\n"
        "type(distributed_futures := "
        "kept.__dask_graph__().to_dict()[kept.__dask_keys__()[0][0][0]]).__name__",
    )
    assert "Future" in value(out), out
    assert out.record["sites"] == ["lumi"]


@pytest.mark.parametrize(
    "source, cell, metadata",
    [
        ("cell magic", "%%site leonardo\n{}", None),
        ("cell metadata", "{}", {"dask-sites": {"site": "leonardo"}}),
        ("notebook default", "{}", None),
    ],
)
def test_each_tag_source_runs_at_its_site_by_the_schedulers_record(
    kernel, logs, source, cell, metadata
):
    key = f"probe-{source.replace(' ', '-')}"
    if source == "notebook default":
        run(kernel, "%site leonardo")
    try:
        mark = logs.mark()
        out = run(
            kernel,
            cell.format(f"dask.delayed(where_am_i)(dask_key_name={key!r}).compute()"),
            metadata,
        )
        assert value(out) == "'leonardo'"
        assert out.record["route"] == "leonardo" and out.record["source"] == source
        assert key in logs.since(mark, "leonardo")
        assert key not in logs.since(mark, "central") + logs.since(mark, "lumi")
    finally:
        run(kernel, "%site --off")


def test_a_tagged_cell_makes_its_client_current_for_futures_and_xarray(kernel):
    code = (
        "from distributed import get_client\n"
        "at = get_client().submit(where_am_i, pure=False).result()\n"
        "kept = rain.tp.isel(time=0).persist()\n"
        "loaded = kept.load()\n"
        "(at, loaded.shape)"
    )
    out = run(kernel, code, {"dask-sites": {"site": "lumi"}})
    assert value(out).startswith("('lumi', (32, 32))"), out

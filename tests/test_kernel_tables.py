"""Dataframes run where their tables live; two sites' tables are reduced at each site.

A real ipykernel, the real sidecar and gateways, the testbed's station tables
(Parquet) in the per-site object stores. Where work ran is proven by each
site scheduler's own transition log; numbers are checked against pandas
reading the same files in the kernel.
"""

from __future__ import annotations

import json

import pytest

from jupyter_ext_server.testbed.storage import writer_keys
from support.kernels import kernel_running, run

pytestmark = pytest.mark.integration

CENTRAL = "s3://central-stations/observations.parquet"
LUMI = "s3://lumi-stations/observations.parquet"
SITES = ("central", "lumi", "leonardo")


@pytest.fixture(scope="module")
def kernel(routing_sidecar, testbed):
    setup = (
        "import json, dask, pandas as pd, dask.dataframe as dd\n"
        "import dask_sites\n"
        "from jupyter_ext_server.testbed.datasets import storage_options\n"
        f"ENDPOINTS = {json.dumps({s: testbed.sites[s].storage for s in SITES})}\n"
        # The sites' writer keys, for pandas to read the expected numbers with.
        f"KEYS = {json.dumps({s: writer_keys(testbed.sites[s].writer_file) for s in SITES})}\n"
        f"central = dask_sites.open_parquet({CENTRAL!r})\n"
        f"lumi = dask_sites.open_parquet({LUMI!r})\n"
        "both = dd.concat([central, lumi])\n"
        # The same files read by pandas here, for the expected numbers.
        f"pd_central = pd.read_parquet({CENTRAL!r}, "
        "storage_options=storage_options(ENDPOINTS['central'], KEYS['central']))\n"
        f"pd_lumi = pd.read_parquet({LUMI!r}, "
        "storage_options=storage_options(ENDPOINTS['lumi'], KEYS['lumi']))\n"
        "pd_both = pd.concat([pd_central, pd_lumi])\n"
        "def readers(obj):\n"
        "    plan = dask_sites.explain(obj, measure=False).plan\n"
        "    return {site: name for name, (site, _) in plan.inputs.items()}\n"
    )
    with kernel_running(routing_sidecar, setup) as client:
        yield client


def value(out) -> str:
    assert out.error is None, out
    return out.result


def test_a_table_opened_with_the_helper_runs_at_its_site(kernel, logs):
    reader = eval(value(run(kernel, "readers(central.temperature.mean())")))["central"]
    mark = logs.mark()
    out = run(kernel, "got = float(central.temperature.mean().compute())\ngot")
    expected = value(run(kernel, "float(pd_central.temperature.mean())"))
    assert float(value(out)) == pytest.approx(float(expected))
    assert out.record["sites"] == ["central"] and out.record["source"] == "data location"
    assert reader in logs.since(mark, "central")  # the site's scheduler read the table
    assert logs.since(mark, "lumi") == "" and logs.since(mark, "leonardo") == ""


def test_plain_read_parquet_matching_a_sites_patterns_routes_there(kernel, logs):
    """No helper, no storage options, no keys: the URL matches lumi's registry patterns."""
    code = f"plain = dd.read_parquet({LUMI!r})\nint(plain.precipitation.count().compute())"
    mark = logs.mark()
    out = run(kernel, code)
    assert int(value(out)) == int(value(run(kernel, "int(pd_lumi.precipitation.count())")))
    assert out.record["sites"] == ["lumi"]
    assert logs.since(mark, "lumi") != "" and logs.since(mark, "central") == ""


def test_two_sites_tables_are_reduced_each_at_its_site_and_combined(kernel, logs):
    setup = (
        "agg = both.groupby('station').agg({'temperature': 'mean', 'precipitation': 'sum'})\n"
        "readers(agg)"
    )
    names = eval(value(run(kernel, setup)))  # the readers of this computation, lowered
    mark = logs.mark()
    code = (
        "per_station = agg.compute()\n"
        "expected = pd_both.groupby('station').agg("
        "{'temperature': 'mean', 'precipitation': 'sum'})\n"
        "pd.testing.assert_frame_equal(per_station.sort_index(), expected.sort_index(), "
        "check_index_type=False)\n"
        "len(per_station)"
    )
    out = run(kernel, code)
    assert int(value(out)) == 8  # 3 stations at central, 5 at lumi
    assert sorted(out.record["sites"]) == ["central", "lumi"]
    # Only one partial per site moved (a row per station), never the tables.
    site_runs = [r for r in out.record["runs"] if r["site"] != "local"]
    assert site_runs and all(r["bytes_back"] < 5_000 for r in site_runs), out.record
    central, lumi = logs.since(mark, "central"), logs.since(mark, "lumi")
    assert names["central"] in central and names["central"] not in lumi
    assert names["lumi"] in lumi and names["lumi"] not in central
    assert "tree-partial" in central and "tree-partial" in lumi


def test_means_counts_and_len_over_two_sites_match_pandas(kernel):
    code = (
        # Months span both sites with different numbers of stations: a mean of the
        # sites' means would be wrong.
        "monthly = both.groupby(both.time.dt.month).temperature.mean().compute()\n"
        "pd.testing.assert_series_equal(monthly.sort_index(), "
        "pd_both.groupby(pd_both.time.dt.month).temperature.mean().sort_index())\n"
        "wet = len(both[both.precipitation > 0])\n"
        "total = float(both.precipitation.sum().compute())\n"
        "mean = float(both.temperature.mean().compute())\n"
        "(wet, round(total, 6), round(mean, 6)) == "
        "(int((pd_both.precipitation > 0).sum()), round(float(pd_both.precipitation.sum()), 6), "
        "round(float(pd_both.temperature.mean()), 6))"
    )
    out = run(kernel, code)
    assert value(out) == "True"
    assert sorted(out.record["sites"]) == ["central", "lumi"]


def test_per_site_results_combine_in_plain_arithmetic(kernel):
    out = run(
        kernel,
        "float((central.precipitation.sum() - lumi.precipitation.sum()).compute()) == "
        "float(pd_central.precipitation.sum() - pd_lumi.precipitation.sum())",
    )
    assert value(out) == "True"
    assert sorted(out.record["sites"]) == ["central", "lumi"]


def test_mixing_sites_rows_is_refused_with_the_reason_and_runs_nothing(kernel, logs):
    mark = logs.mark()
    out = run(kernel, "len(central.merge(lumi, on='time'))")
    assert out.error is not None and out.error.startswith("SiteError: Not run:"), out
    assert "mixes rows of central and lumi: a merge/join of the tables" in out.error
    assert f"read_parquet {CENTRAL}" in out.error and f"read_parquet {LUMI}" in out.error
    assert "Reduce each site's table first" in out.error and "%%site NAME" in out.error
    median = run(kernel, "both.temperature.median_approximate().compute()")
    assert median.error and "a quantile or median" in median.error
    assert all(logs.since(mark, site) == "" for site in SITES)


def test_a_tag_cannot_pull_other_sites_tables(kernel, logs):
    """A tag wins over where the tables live, but the tables' sites give keys to their
    own workers only: leonardo cannot read central's or lumi's rows, so the cell is
    refused before anything runs. Tagged at the tables' own site, it runs there."""
    mark = logs.mark()
    out = run(kernel, "%%site leonardo\nlen(central.merge(lumi, on='time'))")
    assert out.error is not None and "reads data that lives at central" in out.error
    assert "central's object store gives keys to central's own workers only" in out.error
    assert all(logs.since(mark, site) == "" for site in SITES)
    out = run(kernel, "%%site lumi\nlen(lumi)")
    assert value(out) == value(run(kernel, "len(pd_lumi)"))
    assert out.record["sites"] == ["lumi"] and out.record["source"] == "cell magic"


def test_explain_describes_a_dataframe_split(kernel):
    out = run(
        kernel,
        "print(repr(dask_sites.explain(both.groupby('station').temperature.mean(), "
        "measure=False)))",
    )
    text = out.stdout
    assert "split across 2 sites" in text, out
    assert f"read_parquet {CENTRAL} (opened with dask_sites.open_parquet" in text
    assert "central: computes mean-tree-partial" in text
    assert "lumi: computes mean-tree-partial" in text
    assert "this kernel: runs mean-tree" in text


def test_arrays_and_tables_of_two_sites_in_one_compute_are_refused(kernel, logs):
    """Dataframes are split by their readers, arrays by their layers: one compute of
    both at two sites is refused before anything runs, saying to compute them apart."""
    run(kernel, "flood = dask_sites.open_zarr('s3://central-gfm/flood_extent.zarr')")
    mark = logs.mark()
    out = run(kernel, "dask.compute(lumi.temperature.mean(), flood.flood_extent.mean())")
    assert out.error is not None and "mixes dataframes with arrays of central" in out.error
    assert "Compute them in separate calls" in out.error
    assert all(logs.since(mark, site) == "" for site in SITES)


def test_persist_in_a_tagged_cell_cannot_take_another_sites_rows(kernel, logs):
    mark = logs.mark()
    out = run(kernel, "%%site central\nkept = lumi.persist()")
    assert out.error is not None and "reads data that lives at lumi" in out.error
    assert all(logs.since(mark, site) == "" for site in SITES)

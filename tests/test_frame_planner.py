"""Dataframes' tables located on the expression tree, split by site, or refused.

Local Parquet/CSV files stand for two sites' tables (the catalogue's patterns
match their directories); fake clients compute with the local scheduler. The
real testbed runs in tests/test_kernel_tables.py.
"""

from __future__ import annotations

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from jupyter_ext_server.kernel.catalogue import SiteCatalogue, SiteData
from jupyter_ext_server.kernel.describe import describe, step_name
from jupyter_ext_server.kernel.errors import SiteError
from jupyter_ext_server.kernel.frame_planner import COMBINE, PARTIAL
from jupyter_ext_server.kernel.locations import DataLocations
from jupyter_ext_server.kernel.record import CellRecord
from jupyter_ext_server.kernel.routing import Route
from jupyter_ext_server.kernel.scheduler import SiteScheduler, plan_frames
from support.fakes import FakeClient

PARTS = 5  # files per site's table


def table(site: str, stations: int) -> pd.DataFrame:
    rng = np.random.default_rng(len(site))
    n = 40 * stations
    return pd.DataFrame(
        {
            "station": [f"{site}-{i % stations}" for i in range(n)],
            "month": np.arange(n) % 4,
            "temperature": np.round(rng.normal(15, 5, n), 1),
            "precipitation": np.round(rng.gamma(1, 3, n), 1),
        }
    )


@pytest.fixture
def tables(tmp_path):
    """Two sites' tables as directories of Parquet files (and a CSV copy)."""
    frames = {"central": table("central", 3), "lumi": table("lumi", 5)}
    for site, frame in frames.items():
        (tmp_path / site).mkdir()
        size = -(-len(frame) // PARTS)
        for i in range(PARTS):
            frame.iloc[i * size : (i + 1) * size].to_parquet(
                tmp_path / site / f"part.{i}.parquet", index=False
            )
        frame.to_csv(tmp_path / f"{site}.csv", index=False)
    catalogue = SiteCatalogue.of(
        # CSV readers name their files as URLs (file:///...), Parquet as given.
        [
            SiteData(site, (f"{tmp_path}/{site}*", f"file://{tmp_path}/{site}*"))
            for site in (*frames, "leonardo")
        ]
    )
    central, lumi = (dd.read_parquet(str(tmp_path / s)) for s in frames)
    return {
        "dir": tmp_path,
        "pandas": frames,
        "central": central,
        "lumi": lumi,
        "locations": DataLocations(catalogue),
    }


def scheduler(tables, route=None):
    clients = {site: FakeClient() for site in ("central", "lumi", "leonardo")}
    record = CellRecord(route, "cell magic" if route else "local")
    sched = SiteScheduler(
        Route(route, "cell magic" if route else "local"),
        lambda s: clients[s],
        tables["locations"],
        record,
    )
    return sched, clients, record


def both(tables):
    return dd.concat([tables["central"], tables["lumi"]])


def pandas_both(tables):
    return pd.concat(list(tables["pandas"].values()))


def test_readers_are_found_and_located_by_pattern(tables):
    graph, _, plan = plan_frames([tables["central"].temperature.sum()], tables["locations"])
    assert plan.kind == "single" and plan.site == "central" and graph is None
    (why,) = [why for _, why in plan.inputs.values()]
    assert why.startswith(f"read_parquet {tables['dir']}/central") and "central's data" in why


def test_csv_files_are_located_too(tables):
    frame = dd.read_csv(str(tables["dir"] / "lumi.csv"))
    _, _, plan = plan_frames([frame.temperature.mean()], tables["locations"])
    assert plan.kind == "single" and plan.site == "lumi"
    assert "lumi.csv" in next(iter(plan.inputs.values()))[1]


def test_in_memory_frames_have_no_site(tables):
    frame = dd.from_pandas(tables["pandas"]["central"], npartitions=2)
    _, _, plan = plan_frames([frame.temperature.sum()], tables["locations"])
    assert plan.kind == "none"


def test_a_recorded_url_wins_over_the_patterns(tables):
    tables["locations"].record(tables["central"], "leonardo", "marked by hand")
    _, _, plan = plan_frames([tables["central"].temperature.sum()], tables["locations"])
    assert plan.site == "leonardo" and "marked by hand" in next(iter(plan.inputs.values()))[1]


def test_one_reader_over_two_sites_is_refused(tables):
    paths = [str(tables["dir"] / "central" / "part.0.parquet")]
    paths.append(str(tables["dir"] / "lumi" / "part.0.parquet"))
    with pytest.raises(SiteError, match=r"One read_parquet reads tables of central and lumi"):
        plan_frames([dd.read_parquet(paths).temperature.sum()], tables["locations"])


@pytest.mark.parametrize(
    "label",
    ["sum", "mean", "std", "count of a filter", "groupby agg", "groupby month mean", "arith"],
)
def test_decomposable_reductions_split_and_equal_pandas(tables, label):
    lazy, pandas = both(tables), pandas_both(tables)
    central, lumi = tables["central"], tables["lumi"]
    pc, pl = tables["pandas"]["central"], tables["pandas"]["lumi"]
    aggs = {"temperature": "mean", "precipitation": "sum"}
    cases = {
        "sum": (lazy.precipitation.sum(), pandas.precipitation.sum()),
        "mean": (lazy.temperature.mean(), pandas.temperature.mean()),
        "std": (lazy.temperature.std(), pandas.temperature.std()),
        "count of a filter": (
            lazy[lazy.precipitation > 2].station.count(),
            (pandas.precipitation > 2).sum(),
        ),
        "groupby agg": (lazy.groupby("station").agg(aggs), pandas.groupby("station").agg(aggs)),
        # Each month has rows at both sites, in different numbers.
        "groupby month mean": (
            lazy.groupby("month").temperature.mean(),
            pandas.groupby("month").temperature.mean(),
        ),
        "arith": (
            central.temperature.sum() - lumi.temperature.mean(),
            pc.temperature.sum() - pl.temperature.mean(),
        ),
    }
    computation, expected = cases[label]
    _, _, plan = plan_frames([computation], tables["locations"])
    assert plan.kind == "split" and plan.sites == ("central", "lumi")
    sched, clients, record = scheduler(tables)
    (got,) = dask.compute(computation, scheduler=sched)
    if isinstance(expected, pd.DataFrame | pd.Series):
        check = pd.testing.assert_frame_equal if isinstance(expected, pd.DataFrame) else None
        check = check or pd.testing.assert_series_equal
        check(got.sort_index(), expected.sort_index(), check_index_type=False)
    else:
        assert float(got) == pytest.approx(float(expected))
    assert {r.site for r in record.runs} == {"central", "lumi", "local"}
    # Each site computed only its own reduction: one partial (or result) per reduction.
    for site, client in clients.items():
        partials = [k for k in client.keys_run]
        if site == "leonardo":
            assert partials == []
        else:
            assert partials and all(PARTIAL in str(k[0]) or label == "arith" for k in partials), (
                partials
            )


def test_each_site_combines_its_partitions_in_a_tree(tables):
    """Many partitions and a small split_every: the site combines in levels
    down to one partial, and only that moves."""
    lazy = dd.concat([tables["central"].repartition(npartitions=10), tables["lumi"]])
    computation = lazy.temperature.sum(split_every=3)
    graph, _, plan = plan_frames([computation], tables["locations"])
    central = next(p for p in plan.parts if p.site == "central")
    assert len(central.keys) == 1 and PARTIAL in str(central.keys[0][0])
    levels = {k[2] for k in graph.to_dict() if COMBINE in str(k[0])}
    assert levels == {1, 2}  # 10 → 4 → 2 → 1
    sched, _, _ = scheduler(tables)
    (got,) = dask.compute(computation, scheduler=sched)
    assert float(got) == pytest.approx(float(pandas_both(tables).temperature.sum()))


def test_explain_reads_like_an_arrays_split(tables):
    computation = both(tables).groupby("station").temperature.mean()
    _, _, plan = plan_frames([computation], tables["locations"])
    text = describe(plan)
    assert "split across 2 sites" in text
    assert "central: computes mean-tree-partial" in text
    assert "lumi: computes mean-tree-partial" in text
    assert "this kernel: runs mean-tree" in text
    assert step_name("chunk-0123456789abcdef0123@central") == "chunk"


@pytest.mark.parametrize(
    "label, says",
    [
        ("merge", "a merge/join of the tables"),
        ("median", "a quantile or median"),
        ("whole concat", "the tables' rows brought together whole"),
        ("nunique", "a shuffle of rows between partitions"),
        ("groupby median", "a shuffle of rows between partitions"),
    ],
)
def test_mixing_sites_rows_is_refused_and_nothing_runs(tables, label, says):
    lazy, central, lumi = both(tables), tables["central"], tables["lumi"]
    cases = {
        "merge": central.merge(lumi, on="month"),
        "median": lazy.temperature.median_approximate(),
        "whole concat": lazy,
        "nunique": lazy.station.nunique(),
        "groupby median": lazy.groupby("station").temperature.median(),
    }
    sched, clients, _ = scheduler(tables)
    with pytest.raises(SiteError) as refused:
        dask.compute(cases[label], scheduler=sched)
    message = str(refused.value)
    assert message.startswith("Not run: this dataframe computation mixes rows of central and lumi")
    assert says in message
    assert f"read_parquet {tables['dir']}/central" in message and "at lumi" in message
    assert "Reduce each site's table first" in message and "%%site NAME" in message
    assert all(client.keys_run == [] for client in clients.values())


def test_a_tag_runs_everything_at_its_site_and_warns(tables):
    sched, clients, record = scheduler(tables, route="leonardo")
    computation = tables["central"].merge(tables["lumi"], on="month")
    with pytest.warns(UserWarning, match="crosses from central to leonardo"):
        (got,) = dask.compute(computation, scheduler=sched)
    pc, pl = tables["pandas"]["central"], tables["pandas"]["lumi"]
    assert len(got) == len(pc.merge(pl, on="month"))
    assert clients["leonardo"].keys_run and not clients["central"].keys_run
    assert [r.site for r in record.runs] == ["leonardo"]


def test_persist_over_two_sites_is_refused(tables):
    sched, _, _ = scheduler(tables)
    with pytest.raises(SiteError, match=r"persist\(\) cannot keep data of several sites"):
        sched.persist([both(tables).temperature.sum()])
    with pytest.raises(SiteError, match="mixes rows of central and lumi"):
        sched.persist([both(tables)])


@pytest.mark.parametrize(
    "label, says",
    [
        ("nlargest", "a top-n (nlargest)"),
        ("unique", "distinct rows (unique/drop_duplicates)"),
        ("drop_duplicates", "distinct rows (unique/drop_duplicates)"),
        ("groupby first", "a groupby agg that keeps rows' values"),
    ],
)
def test_tree_reductions_whose_partials_are_rows_are_refused(tables, label, says):
    """They lower to a tree reduction too, but each site's partial would be its
    rows (its top-n, its distinct rows): refused before anything runs."""
    lazy = both(tables)
    cases = {
        "nlargest": lazy.nlargest(1000, "precipitation"),
        "unique": lazy.station.unique(split_out=1),
        "drop_duplicates": lazy.drop_duplicates(split_out=1),
        "groupby first": lazy.groupby("month").agg({"temperature": "first"}),
    }
    sched, clients, _ = scheduler(tables)
    with pytest.raises(SiteError) as refused:
        dask.compute(cases[label], scheduler=sched)
    message = str(refused.value)
    assert message.startswith("Not run: this dataframe computation mixes rows of central and lumi")
    assert says in message and "Reduce each site's table first" in message
    assert all(client.keys_run == [] for client in clients.values())


def test_value_counts_and_one_sites_top_n_still_split(tables):
    """Counts per value are a groupby size; a top-n within one site, summed
    there, moves only the sum."""
    central, lumi = tables["central"], tables["lumi"]
    pc, pl = tables["pandas"]["central"], tables["pandas"]["lumi"]
    counts = both(tables).month.value_counts(split_out=1)
    top = central.precipitation.nlargest(5).sum() + lumi.precipitation.sum()
    sched, _, _ = scheduler(tables)
    got_counts, got_top = dask.compute(counts, top, scheduler=sched)
    expected = pandas_both(tables).month.value_counts()
    pd.testing.assert_series_equal(got_counts.sort_index(), expected.sort_index())
    assert float(got_top) == pytest.approx(
        pc.precipitation.nlargest(5).sum() + pl.precipitation.sum()
    )


def test_an_in_memory_frame_in_the_concat_is_reduced_with_the_mix(tables):
    """Its partitions have no site: their partial is computed with the mix
    (here), each site's from its own partitions only."""
    extra = table("extra", 2)
    mixed = dd.concat([tables["central"], tables["lumi"], dd.from_pandas(extra, npartitions=2)])
    computation = mixed.temperature.sum()
    graph, _, plan = plan_frames([computation], tables["locations"])
    assert plan.kind == "split" and plan.sites == ("central", "lumi")
    assert any(layer.endswith("@here") and PARTIAL in layer for layer in graph.layers)
    sched, clients, _ = scheduler(tables)
    (got,) = dask.compute(computation, scheduler=sched)
    expected = pd.concat([pandas_both(tables), extra]).temperature.sum()
    assert float(got) == pytest.approx(float(expected))
    for site in ("central", "lumi"):
        assert [PARTIAL in str(k[0]) for k in clients[site].keys_run] == [True]


def test_every_file_of_a_long_csv_list_is_located(tables):
    """200 files, lumi's from the 101st on: both sites are found (one reader
    over two sites is refused), not just the first files' site."""
    paths = []
    for site in ("central", "lumi"):
        folder = tables["dir"] / f"{site}-many"
        folder.mkdir()
        for i in range(100):
            path = folder / f"part.{i:03}.csv"
            path.write_text("month,temperature\n1,2.5\n")
            paths.append(str(path))
    frame = dd.read_csv(paths)
    with pytest.raises(SiteError, match=r"One read_csv reads tables of central and lumi"):
        plan_frames([frame.temperature.sum()], tables["locations"])

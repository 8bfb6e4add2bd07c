"""The planner, the site catalogue and data locations on their own (no sites needed).

Fake clients run the parts with dask's local scheduler; the real thing is in
test_kernel_data_routing.py.
"""

from __future__ import annotations

from typing import ClassVar

import dask
import dask.array as da
import numpy as np
import pytest

from jupyter_ext_server.kernel.catalogue import SiteCatalogue, SiteData
from jupyter_ext_server.kernel.describe import describe
from jupyter_ext_server.kernel.errors import DataWouldCrossSites, MoveRefused, SiteError
from jupyter_ext_server.kernel.locations import DataLocations, _storage_of
from jupyter_ext_server.kernel.planner import plan_graph
from jupyter_ext_server.kernel.record import CellRecord
from jupyter_ext_server.kernel.routing import Route
from jupyter_ext_server.kernel.scheduler import SiteScheduler
from support.fakes import FakeClient

CATALOGUE = SiteCatalogue.of(
    [
        SiteData("central", ("s3://central-*/**",), ("http://s3.central.example",)),
        SiteData("lumi", ("s3://lumi-*/**",), ("http://s3.lumi.example/",)),
    ]
)


@pytest.fixture
def sites():
    clients = {"central": FakeClient(), "lumi": FakeClient()}
    locations = DataLocations(CATALOGUE)
    return clients, locations


LOCAL = Route(None, "local")


def scheduler(sites, route=LOCAL):
    clients, locations = sites
    record = CellRecord(route.site, route.source)
    return SiteScheduler(route, lambda s: clients[s], locations, record), record


def test_catalogue_matches_patterns_and_endpoints():
    assert CATALOGUE.site_of_url("s3://lumi-era5/rainfall.zarr") == "lumi"
    assert CATALOGUE.site_of_url("s3://central-gfm") == "central"
    assert CATALOGUE.site_of_url("s3://elsewhere/x.zarr") is None
    assert CATALOGUE.site_of_endpoint("HTTP://s3.lumi.example") == "lumi"
    assert CATALOGUE.endpoint_of("central") == "http://s3.central.example"


def test_no_site_data_plans_nothing():
    x = da.ones(10, chunks=5).sum()
    plan = plan_graph(x.__dask_graph__(), x.__dask_keys__(), {})
    assert plan.kind == "none"
    assert "runs where the cell runs" in describe(plan)


def test_split_cuts_after_each_sites_reduction(sites):
    _, locations = sites
    a, b = da.ones(100, chunks=10), da.arange(50, chunks=10)
    locations.record(a, "central", "test")
    locations.record(b, "lumi", "test")
    total = a.sum() * b.mean()
    graph = total.__dask_graph__()
    plan = plan_graph(graph, total.__dask_keys__(), locations.inputs_of(graph))
    assert plan.kind == "split" and plan.sites == ("central", "lumi")
    cut = {part.site: part.cut_layers for part in plan.parts}
    assert cut["central"][0].startswith("sum-aggregate") and cut["lumi"][0].startswith("mean_agg")
    assert plan.estimated_bytes == 16  # two float64 scalars


def test_split_runs_each_part_at_its_site_and_combines_here(sites):
    clients, locations = sites
    a, b = da.ones(100, chunks=10), da.arange(50, chunks=10)
    locations.record(a, "central", "test")
    locations.record(b, "lumi", "test")
    sched, record = scheduler(sites)
    assert float((a.sum() * b.mean()).compute(scheduler=sched)) == 100 * 24.5
    # Central never saw lumi's keys, and the reverse.
    assert all("arange" not in str(k) for k in clients["central"].keys_run)
    assert all("ones" not in str(k) for k in clients["lumi"].keys_run)
    assert [run.site for run in record.runs] == ["central", "lumi", "local"]


def test_one_site_runs_whole_there(sites):
    clients, locations = sites
    a = da.ones(100, chunks=10)
    locations.record(a, "lumi", "test")
    sched, record = scheduler(sites)
    assert (a + 1).sum().compute(scheduler=sched) == 200
    assert clients["lumi"].keys_run and not clients["central"].keys_run
    assert record.source == "data location"


def test_unlocated_data_runs_here(sites):
    clients, _ = sites
    sched, record = scheduler(sites)
    assert da.ones(4, chunks=2).sum().compute(scheduler=sched) == 4
    assert not clients["lumi"].keys_run and [run.site for run in record.runs] == ["local"]
    assert not record.remote


def test_a_tag_contradicting_the_data_warns_and_runs_at_the_tag(sites):
    clients, locations = sites
    a = da.ones(10, chunks=5)
    locations.record(a, "lumi", "opened at lumi")
    sched, record = scheduler(sites, Route("central", "cell metadata"))
    with pytest.warns(DataWouldCrossSites, match="crosses from lumi to central"):
        assert a.sum().compute(scheduler=sched) == 10
    assert clients["central"].keys_run and not clients["lumi"].keys_run
    assert record.warnings


def test_move_limit_refuses_before_anything_runs(sites):
    clients, locations = sites
    a, b = da.ones((100, 100), chunks=50), da.zeros((100, 100), chunks=50)
    locations.record(a, "central", "test")
    locations.record(b, "lumi", "test")
    sched, _ = scheduler(sites)
    with (
        dask.config.set({"dask-sites.move-limit": "10 kB"}),
        pytest.raises(MoveRefused, match=r"would move 160 kB") as refused,
    ):
        (a + b).sum().compute(scheduler=sched)
    assert "central: computes" in str(refused.value)
    assert not clients["central"].keys_run and not clients["lumi"].keys_run


def test_persist_of_two_sites_is_refused_with_the_plan(sites):
    _, locations = sites
    a, b = da.ones(10, chunks=5), da.zeros(10, chunks=5)
    locations.record(a, "central", "test")
    locations.record(b, "lumi", "test")
    sched, _ = scheduler(sites)
    with pytest.raises(SiteError, match="persist\\(\\) cannot keep data of several sites"):
        dask.persist(a + b, scheduler=sched)


def test_an_unusable_site_names_the_data_that_needs_it(sites):
    _, locations = sites
    a = da.ones(10, chunks=5)
    locations.record(a, "lumi", "opened with open_zarr")

    def refuse(site):
        raise SiteError(f"{site}: log in first (Dask Sites panel or %site login {site}).")

    sched = SiteScheduler(Route(None, "local"), refuse, locations, CellRecord(None, "local"))
    with pytest.raises(
        SiteError, match=r"(?s)reads data at lumi.*opened with open_zarr.*log in first"
    ):
        a.sum().compute(scheduler=sched)


def test_storage_probe_finds_fsspec_stores():
    class FS:
        protocol = ("s3",)
        client_kwargs: ClassVar[dict] = {"endpoint_url": "http://s3.lumi.example"}

        def unstrip_protocol(self, path):
            return f"s3://{path}"

    class Store:
        fs, path = FS(), "lumi-era5/rainfall.zarr"

    class Wrapper:  # like xarray's lazy-array wrappers
        def __init__(self, inner):
            self.array = inner

    assert _storage_of(Wrapper(Wrapper(Store())), 0) == (
        "s3://lumi-era5/rainfall.zarr",
        "http://s3.lumi.example",
    )
    assert _storage_of(np.ones(3), 0) is None


def test_a_records_seconds_are_the_wall_time_not_the_sum_of_sites(sites):
    _, locations = sites
    a, b = da.ones(100, chunks=10), da.arange(50, chunks=10)
    locations.record(a, "central", "test")
    locations.record(b, "lumi", "test")
    sched, record = scheduler(sites)
    (a.sum() * b.mean()).compute(scheduler=sched)
    published = record.as_dict()
    assert published["seconds"] == record.wall_seconds > 0
    assert published["sites"] == ["central", "lumi"] and published["bytesBack"] > 0


def test_an_old_sidecar_is_named_as_the_cause():
    from jupyter_ext_server.kernel.errors import site_error_from as explain
    from jupyter_ext_server.sidecar_client import SidecarError

    assert "older than the kernel's dask_sites" in str(explain(SidecarError(404, "not found")))
    assert (
        str(explain(SidecarError(404, 'unknown site "mars"', "unknown-site")))
        == 'unknown site "mars"'
    )


# -- found in review: each of these failed before its fix ---------------------------


def test_site_free_work_two_sites_share_runs_once(sites):
    _, locations = sites
    a, b = da.ones(4, chunks=2), da.zeros(4, chunks=2)
    locations.record(a, "central", "test")
    locations.record(b, "lumi", "test")
    noise = da.from_delayed(dask.delayed(np.random.random, pure=False)(4), (4,), float)
    sched, _ = scheduler(sites)
    x, y = dask.compute((a + noise).sum(), (b + noise).sum(), scheduler=sched)
    assert x - y == pytest.approx(4.0)  # the same draw on both sides


def test_a_site_whose_data_is_not_needed_is_not_asked(sites):
    clients, locations = sites
    a, b = da.ones(4, chunks=2), da.zeros(4, chunks=2)
    locations.record(a, "central", "test")
    locations.record(b, "lumi", "test")
    sched, _ = scheduler(sites)
    assert da.stack([a, b])[0].sum().compute(scheduler=sched) == 4
    assert clients["central"].keys_run and not clients["lumi"].keys_run


def test_data_passed_to_delayed_keeps_its_site(sites):
    clients, locations = sites
    a = da.ones(4, chunks=2)
    locations.record(a, "lumi", "test")
    sched, _ = scheduler(sites)
    assert dask.delayed(lambda x: x.sum())(a).compute(scheduler=sched) == 4
    assert clients["lumi"].keys_run


def test_data_persisted_at_a_site_is_known_to_live_there(sites):
    _, locations = sites
    a = da.ones(4, chunks=2)
    locations.record(a, "lumi", "test")
    sched, _record = scheduler(sites)
    (kept,) = dask.persist(a + 1, scheduler=sched)
    assert set(locations.inputs_of(kept.__dask_graph__()).values()) == {
        ("lumi", "persisted at lumi")
    }


def test_a_refusal_after_computing_cancels_the_sites_work(sites):
    clients, locations = sites
    x, y = dask.delayed(lambda: 1)(), dask.delayed(lambda: 2)()  # no size known beforehand
    locations.record(x, "central", "test")
    locations.record(y, "lumi", "test")
    sched, _ = scheduler(sites)
    with (
        dask.config.set({"dask-sites.move-limit": 10}),  # the fake measures 8 B a key
        pytest.raises(MoveRefused, match="computed, and would move 16 B"),
    ):
        dask.delayed(lambda p, q: p + q)(x, y).compute(scheduler=sched)
    assert clients["central"].cancelled and clients["lumi"].cancelled


def test_a_layer_that_cannot_be_looked_into_is_not_located():
    class Broken:
        @property
        def path(self):
            raise ValueError("I/O operation on closed file")

        fs = property(lambda self: (_ for _ in ()).throw(OSError("gone")))

    from dask.highlevelgraph import HighLevelGraph, MaterializedLayer

    graph = HighLevelGraph(
        {"original-x": MaterializedLayer({"original-x": Broken()})}, {"original-x": set()}
    )
    locations = DataLocations(CATALOGUE)
    assert locations.inputs_of(graph) == {}


def test_tuple_layer_names_are_planned(sites):
    _, locations = sites
    x = dask.delayed(lambda: 1)(dask_key_name=("central-input", 0))
    y = dask.delayed(lambda: 2)(dask_key_name=("lumi-input", 0))
    locations.record(x, "central", "test")
    locations.record(y, "lumi", "test")
    sched, _ = scheduler(sites)
    assert dask.delayed(lambda p, q: p + q)(x, y).compute(scheduler=sched) == 3

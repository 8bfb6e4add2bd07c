"""Where the part of a split graph that mixes sites runs (fakes; the real sites are in
test_kernel_placement.py)."""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
import pytest

from jupyter_ext_server.kernel.api import Explanation
from jupyter_ext_server.kernel.catalogue import SiteCatalogue, SiteData
from jupyter_ext_server.kernel.describe import describe, step_name
from jupyter_ext_server.kernel.errors import MoveRefused, SiteError
from jupyter_ext_server.kernel.locations import DataLocations
from jupyter_ext_server.kernel.placement import HERE, Hop, PartSize, choose_placement, hops_for
from jupyter_ext_server.kernel.planner import plan_graph
from jupyter_ext_server.kernel.record import CellRecord
from jupyter_ext_server.kernel.routing import Route
from jupyter_ext_server.kernel.scheduler import SiteScheduler, graph_and_keys, plan_collections
from jupyter_ext_server.kernel.split import SplitRun, measure_parts
from jupyter_ext_server.kernel.units import format_bytes
from support.fakes import FakeClient

SITES = ("central", "lumi", "leonardo")


def test_the_mix_goes_where_the_big_part_is():
    placement = choose_placement({"central": PartSize(151_000_000), "lumi": PartSize(4)}, 24_576)
    assert placement.where == "central"
    assert placement.hops == (
        Hop("lumi", HERE, 4),
        Hop(HERE, "central", 4),
        Hop("central", HERE, 24_576),
    )
    assert placement.total == 24_584


def test_small_parts_are_combined_here():
    placement = choose_placement({"central": PartSize(4_500), "lumi": PartSize(4_500)}, 8)
    assert placement.where == HERE
    assert placement.hops == (Hop("central", HERE, 4_500), Hop("lumi", HERE, 4_500))


def test_a_site_must_save_more_than_the_margin():
    parts = {"central": PartSize(1_100_000), "lumi": PartSize(100_000)}
    assert choose_placement(parts, 1_000).where == HERE  # saves 0.999 MB: not enough
    assert choose_placement(parts, 1_000, margin=0).where == "central"


def test_unknown_sizes_keep_the_mix_here_and_say_so():
    placement = choose_placement({"central": PartSize(None), "lumi": PartSize(8)}, 8)
    assert placement.where == HERE and placement.total is None


def test_an_unknown_result_is_bounded_by_its_part_then_left_unknown():
    placement = choose_placement({"central": PartSize(50_000_000), "lumi": PartSize(8)}, None)
    assert placement.where == "central"
    assert placement.hops[-1] == Hop("central", HERE, None)


def test_caller_keys_come_here_wherever_the_mix_runs():
    parts = {"central": PartSize(10_000_000, 8), "lumi": PartSize(8, 8)}
    hops = hops_for("central", parts, 100)
    assert hops == (Hop("lumi", HERE, 16), Hop(HERE, "central", 8), Hop("central", HERE, 108))


def test_one_unit_system():
    assert format_bytes(256_000_000) == "256 MB"
    assert format_bytes(1536) == "1.54 kB"
    assert format_bytes(999) == "999 B"
    assert format_bytes(None) == "unknown size"
    assert step_name("mean_chunk-3f2a1b2c9d8e7f6a5b4c") == "mean_chunk"
    assert step_name(("astype-0123456789abcdef0123", 0)) == "astype"
    assert step_name("rechunk-merge") == "rechunk-merge"


# -- the scheduler with fake sites -------------------------------------------------------


@pytest.fixture
def world():
    clients = {site: FakeClient(real_sizes=True) for site in SITES}
    locations = DataLocations(SiteCatalogue.of([SiteData(site) for site in SITES]))
    record = CellRecord(None, "local")
    scheduler = SiteScheduler(Route(None, "local"), lambda s: clients[s], locations, record)
    return clients, locations, record, scheduler


def big_and_small(locations):
    big = da.arange(2_000_000, chunks=500_000).reshape(1000, 2000).rechunk((500, 1000))
    small = da.ones(100, chunks=50) * 3.0
    locations.record(big, "central", "field from s3://central-gfm/field.zarr")
    locations.record(small, "lumi", "obs from s3://lumi-era5/obs.zarr")
    return big, small


def test_big_meets_small_runs_at_the_big_side(world):
    clients, locations, record, scheduler = world
    big, small = big_and_small(locations)
    profile = (big.astype("float32") - small.mean()).mean(axis=0)
    with dask.config.set(scheduler=scheduler):
        value = profile.compute()
    expected = (np.arange(2_000_000).reshape(1000, 2000).astype("float32") - 3.0).mean(axis=0)
    np.testing.assert_allclose(value, expected, rtol=1e-5)
    assert record.mixed_at == "central"

    # The mix ran at central: its steps were computed there, lumi's scalar sent there.
    def steps_at(site):
        return {str(k[0] if isinstance(k, tuple) else k) for k in clients[site].tasks_run}

    assert any(name.startswith("sub-") for name in steps_at("central"))
    assert not any(name.startswith("sub-") for name in steps_at("lumi"))
    assert clients["central"].scattered and not clients["lumi"].scattered
    sources = [(h.source, h.target) for h in record.hops]
    assert sources == [("lumi", HERE), (HERE, "central"), ("central", HERE)]
    assert record.hops[-1].bytes == value.nbytes  # only the result came back
    assert sum(h.bytes for h in record.hops) < 10 * value.nbytes
    published = record.as_dict()
    assert published["mixedAt"] == "central" and len(published["hops"]) == 3
    assert "mixed at central (lumi → this kernel" in record.summary()


def test_reduce_then_combine_stays_here(world):
    clients, locations, record, scheduler = world
    big, small = big_and_small(locations)
    with dask.config.set(scheduler=scheduler):
        value = (big.mean() * small.mean()).compute()
    assert value == pytest.approx(np.arange(2_000_000).mean() * 3.0)
    assert record.mixed_at is None
    assert not any(client.scattered for client in clients.values())
    assert all(h.target == HERE for h in record.hops)


def test_three_sites_send_their_small_parts_to_the_big_one(world):
    _, locations, record, scheduler = world
    big, small = big_and_small(locations)
    other = da.full(100, 2.0, chunks=50)
    locations.record(other, "leonardo", "bias from s3://leonardo-era5/bias.zarr")
    with dask.config.set(scheduler=scheduler):
        value = (big - small.mean() - other.mean()).sum(axis=0).compute()
    expected = (np.arange(2_000_000).reshape(1000, 2000) - 5.0).sum(axis=0)
    np.testing.assert_allclose(value, expected)
    assert record.mixed_at == "central"
    assert sorted(h.source for h in record.hops if h.target == HERE) == [
        "central",
        "leonardo",
        "lumi",
    ]
    assert [h.target for h in record.hops if h.source == HERE] == ["central", "central"]


def test_both_sides_big_is_refused_with_a_hint(world):
    clients, locations, _, scheduler = world
    big, _ = big_and_small(locations)
    wide = da.ones((1000, 2000), chunks=(500, 1000), dtype="float32")  # half of big's bytes
    locations.record(wide, "lumi", "rain from s3://lumi-era5/rain.zarr")
    with (
        dask.config.set({"dask-sites.move-limit": "1 MB"}),
        dask.config.set(scheduler=scheduler),
        pytest.raises(MoveRefused) as refused,
    ):
        (big * wide).sum().compute()
    text = str(refused.value)
    assert "more than the limit of 1.00 MB" in text
    assert "Reduce or coarsen lumi's data (rain from s3://lumi-era5/rain.zarr)" in text
    assert "Moves:" in text and "lumi → this kernel" in text
    assert not any(client.keys_run for client in clients.values())  # refused on estimates


def test_describe_names_inputs_steps_and_hops(world):
    _, locations, _, _ = world
    big, small = big_and_small(locations)
    profile = (big.astype("float32") - small.mean()).mean(axis=0)
    plan = plan_collections([profile], locations)
    placement = choose_placement(
        {"central": PartSize(8_000_000), "lumi": PartSize(8)}, profile.nbytes
    )
    text = describe(plan, 256_000_000, placement)
    assert "field from s3://central-gfm/field.zarr: at central" in text
    assert "the part that mixes them runs at central" in text
    assert "central: computes astype" in text and "and keeps it there" in text
    assert "lumi → this kernel: 8 B" in text and "this kernel → central: 8 B" in text
    assert "(dask-sites.move-limit): 256 MB" in text
    assert "-" + "0" * 6 not in text  # no tokens


def test_placement_here_keeps_the_previous_plan_and_bad_modes_are_refused(world):
    clients, locations, record, scheduler = world
    big, small = big_and_small(locations)
    profile = (big.astype("float32") - small.mean()).mean(axis=0)
    with dask.config.set({"dask-sites.placement": "here"}), dask.config.set(scheduler=scheduler):
        profile.compute()
    assert record.mixed_at is None and not clients["central"].scattered
    with (
        dask.config.set({"dask-sites.placement": "nearest"}),
        dask.config.set(scheduler=scheduler),
        pytest.raises(SiteError, match=r"takes 'auto'.*or 'here'"),
    ):
        profile.compute()


def test_explain_measures_a_size_it_cannot_know_and_says_so(world):
    clients, locations, _, _ = world
    big, small = big_and_small(locations)
    picked = big[big > 1_500_000]  # how many: known only once computed
    graph, keys = graph_and_keys([picked * small.mean()])
    plan = plan_graph(graph, keys, locations.inputs_of(graph))
    split = SplitRun(graph, keys, plan)
    assert split.estimated_sizes()["central"].for_mix is None
    placement, sizes, seconds = measure_parts(split, clients)
    assert sizes["central"].for_mix == 499_999 * 8  # the int64 values above 1.5 M
    text = repr(Explanation(plan, 256_000_000, placement, split.described_parts(sizes), seconds))
    assert "each site computed its part to measure it" in text
    assert "unknown size" not in text
    assert clients["central"].cancelled  # and let it go

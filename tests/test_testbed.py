"""The whole testbed, used the way a scientist would with the plain dask_gateway client."""

from __future__ import annotations

import numpy as np
import psutil
import pytest
import requests
from dask_gateway import Gateway

from jupyter_ext_server.gateway_auth import BearerAuth
from jupyter_ext_server.registry import load_registry
from jupyter_ext_server.testbed import Testbed
from jupyter_ext_server.testbed.datasets import DATASETS, datasets_of
from jupyter_ext_server.testbed.login import device_login
from jupyter_ext_server.testbed.probes import dataset_sum, where_am_i
from jupyter_ext_server.testbed.processes import processes_of
from jupyter_ext_server.testbed.storage import writer_keys

pytestmark = pytest.mark.integration


def gateway_for(info, site: str, username: str) -> Gateway:
    tokens = device_login(info.issuer, username, f"{username}-dask-sites")
    ends = info.sites[site]
    return Gateway(
        address=ends.gateway, proxy_address=ends.proxy, auth=BearerAuth(tokens.access_token)
    )


VARIABLES = {
    "flood_extent.zarr": "flood_extent",
    "built_up.zarr": "built_up",
    "rainfall.zarr": "tp",
    "soil_moisture.zarr": "swvl1",
    "land_cover.zarr": "land_cover",
    "soil_water.zarr": "swvl1",
}


@pytest.mark.parametrize("site", ["central", "lumi", "leonardo"])
def test_work_runs_at_the_site_next_to_its_data(testbed, site):
    gateway = gateway_for(testbed, site, "alice")
    cluster = gateway.new_cluster(worker_cores=1, worker_memory=1.0)
    try:
        cluster.scale(1)
        with cluster.get_client(set_as_default=False) as client:
            client.wait_for_workers(1, timeout=60)
            assert client.submit(where_am_i, pure=False).result(timeout=60) == site
            for spec in datasets_of(site):
                variable = VARIABLES[spec.key]
                keys = writer_keys(testbed.sites[site].writer_file)
                remote = client.submit(dataset_sum, spec.url, variable, keys).result(timeout=120)
                expected = float(spec.build("small")[variable].astype("float64").sum())
                assert remote == pytest.approx(expected, rel=1e-9)
                assert remote > 0
    finally:
        cluster.shutdown()
        gateway.close()


def test_bob_cannot_see_or_stop_alices_cluster(testbed):
    alice = gateway_for(testbed, "central", "alice")
    bob = gateway_for(testbed, "central", "bob")
    cluster = alice.new_cluster()
    try:
        assert cluster.name in {c.name for c in alice.list_clusters()}
        assert cluster.name not in {c.name for c in bob.list_clusters()}
        with pytest.raises(Exception, match=r"403|lacks permissions|Forbidden"):
            bob.stop_cluster(cluster.name)
        with pytest.raises(Exception, match=r"403|lacks permissions|Forbidden"):
            bob.connect(cluster.name)
        assert alice.get_cluster(cluster.name).status.name in ("PENDING", "RUNNING")
    finally:
        cluster.shutdown()
        alice.close()
        bob.close()


def test_gateway_refuses_bad_tokens_and_logs_why_without_the_token(testbed):
    ends = testbed.sites["lumi"]
    bogus = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.c2lnbmF0dXJl"
    answer = requests.get(
        f"{ends.gateway}/api/v1/clusters/", headers={"Authorization": f"Bearer {bogus}"}, timeout=10
    )
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert requests.get(f"{ends.gateway}/api/v1/clusters/", timeout=10).status_code == 401
    log = (site_logs_dir(testbed) / "lumi-gateway.log").read_text()
    assert "Refused GET /api/v1/clusters/: token has no key id" in log
    assert bogus not in log


def site_logs_dir(info):
    from pathlib import Path

    return Path(info.state_dir) / "logs"


def test_registry_file_describes_the_sites(testbed):
    registry = load_registry(testbed.registry_path)
    by_name = {site["name"]: site for site in registry["sites"]}
    assert set(by_name) == {"central", "lumi", "leonardo"}
    for name, ends in testbed.sites.items():
        site = by_name[name]
        assert site["gateway"]["address"] == ends.gateway
        assert site["auth"]["issuer"] == testbed.issuer
        assert site["data"]["storage_endpoints"] == [ends.storage]
        assert requests.get(site["gateway"]["address"] + "/api/health", timeout=5).ok


def test_datasets_are_deterministic():
    for spec in DATASETS:
        a, b = spec.build("small"), spec.build("small")
        assert a.attrs["location"] == spec.site
        for name in a.data_vars:
            np.testing.assert_array_equal(a[name].values, b[name].values)


def test_stop_leaves_no_process_behind(tmp_path):
    bed = Testbed(state_dir=tmp_path / "bed", sites=("lumi",), size="small")
    info = bed.start()
    try:
        gateway = gateway_for(info, "lumi", "alice")
        cluster = gateway.new_cluster()
        cluster.scale(1)
        with cluster.get_client(set_as_default=False) as client:
            client.wait_for_workers(1, timeout=60)
        # issuer, object store, gateway (+ its proxy), scheduler, worker
        ours = processes_of(bed.testbed_id)
        names = " ".join(" ".join(p.cmdline()) for p in ours)
        assert "scheduler" in names and "worker" in names
    finally:
        bed.stop()
    # The testbed stopped the cluster; keep the client from trying again at exit.
    cluster.shutdown_on_close = False
    cluster.close()
    gateway.close()
    assert processes_of(bed.testbed_id) == []
    assert not any(
        psutil.pid_exists(p.pid) and p.is_running() and p.status() != "zombie" for p in ours
    )

"""Clusters that die under a kernel: a split ends at once naming the site, a dead
cluster is not handed out again.

A sidecar of its own, logged in as bob (the gateways show a user all of their
clusters; alice's are other tests'), that may create clusters. Schedulers are
killed for real (SIGKILL by pid); every cluster is stopped at the end.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
from dask_gateway.client import GatewaySecurity
from distributed import Client

from jupyter_ext_server.sidecar_client import SidecarError
from support.kernels import kernel_environment, kernel_running, run, start_kernel, stop_kernel
from support.running import sidecar_session
from support.waiting import wait_for

pytestmark = pytest.mark.integration

AT = {site: {"dask-sites": {"site": site}} for site in ("central", "lumi", "leonardo")}
WHERE = (
    "import dask, os\ndask.delayed(lambda: os.environ.get('DASK_SITES_SITE', 'local'))().compute()"
)
# Each site works 25 s on its own part; the parts then meet here.
# (meta given: map_blocks would otherwise call slow() here to find out what it returns)
SLOW_SPLIT = """
import time, numpy as np, dask.array as da, dask_sites
def slow(block):
    time.sleep(25)
    return block
meta = np.array((), dtype=float)
a = dask_sites.at(da.full(4, 1.0, chunks=4).map_blocks(slow, meta=meta), "central")
b = dask_sites.at(da.full(4, 2.0, chunks=4).map_blocks(slow, meta=meta), "lumi")
float(a.sum() + b.sum())
"""


@pytest.fixture(scope="module")
def sidecar(testbed, tmp_path_factory):
    with sidecar_session(
        testbed.registry_path,
        tmp_path_factory.mktemp("failures-sidecar"),
        extra_args=("--auto-create-cluster",),
        user="bob",
    ) as running:
        yield running


class Scheduler:
    """A site's current cluster, as the kernel API gives it, seen from the test."""

    def __init__(self, sidecar, site: str):
        connection = sidecar.kernel.get(f"/kernel/sites/{site}/connection")
        self.cluster = connection["cluster"]
        self.client = Client(
            connection["address"],
            timeout=30,
            set_as_default=False,
            security=GatewaySecurity(connection["tlsKey"], connection["tlsCert"]),
        )

    def pid(self) -> int:
        return self.client.run_on_scheduler(os.getpid)

    def processing(self) -> int:
        return self.client.run_on_scheduler(
            lambda dask_scheduler: sum(
                1 for ts in dask_scheduler.tasks.values() if ts.state == "processing"
            )
        )

    def close(self) -> None:
        self.client.close()


def send(client, code: str) -> str:
    """Start a cell without waiting for it; its message id."""
    message = client.session.msg(
        "execute_request",
        {"code": code, "silent": False, "store_history": True, "user_expressions": {}},
    )
    client.shell_channel.send(message)
    return message["header"]["msg_id"]


def error_of(client, msg_id: str, timeout: float) -> str:
    """The error the cell ``msg_id`` ended with ("" if it did not fail)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = client.get_shell_msg(timeout=deadline - time.monotonic())
        if reply["parent_header"].get("msg_id") == msg_id:
            content = reply["content"]
            if content["status"] != "error":
                return ""
            return f"{content['ename']}: {content['evalue']}"
    raise AssertionError("the cell did not end")


def test_a_site_that_dies_during_a_split_ends_it_at_once_naming_the_site(sidecar):
    with kernel_running(sidecar) as kernel:
        # Both sites' clusters, made by the kernel, with a worker each.
        for site in ("central", "lumi"):
            assert run(kernel, WHERE, AT[site]).result == f"'{site}'"
        lumi, central = Scheduler(sidecar, "lumi"), Scheduler(sidecar, "central")
        try:
            cell = send(kernel, SLOW_SPLIT)
            wait_for(lambda: central.processing() > 0, what="central's part to start")
            time.sleep(2)
            os.kill(lumi.pid(), signal.SIGKILL)
            killed = time.monotonic()
            error = error_of(kernel, cell, timeout=60)
            took = time.monotonic() - killed
            # Not after central's 25 s of work: at once, naming lumi and what to do.
            assert took < 15, (took, error)
            assert error.startswith("SiteError: lumi: this split computation failed there")
            assert "scheduler was lost" in error and "central" in error
            assert "start a new one" in error
            # central's part was cancelled with it.
            wait_for(lambda: central.processing() == 0, timeout=10, what="central's part cancelled")
        finally:
            lumi.close()
            central.close()


def test_an_interrupted_split_cancels_every_sites_part(sidecar):
    manager, kernel = start_kernel(kernel_environment(sidecar))
    try:
        for site in ("central", "leonardo"):
            assert run(kernel, WHERE, AT[site]).result == f"'{site}'"
        central, leonardo = Scheduler(sidecar, "central"), Scheduler(sidecar, "leonardo")
        try:
            cell = send(kernel, SLOW_SPLIT.replace('"lumi"', '"leonardo"'))
            wait_for(
                lambda: central.processing() > 0 and leonardo.processing() > 0,
                what="both parts to start",
            )
            manager.interrupt_kernel()
            interrupted = time.monotonic()
            error = error_of(kernel, cell, timeout=60)
            assert error.startswith("KeyboardInterrupt"), error
            assert time.monotonic() - interrupted < 10
            wait_for(
                lambda: central.processing() == 0 and leonardo.processing() == 0,
                timeout=10,
                what="both parts cancelled",
            )
        finally:
            central.close()
            leonardo.close()
    finally:
        stop_kernel(manager, kernel)


def test_a_dead_cluster_is_not_handed_out_again(sidecar):
    with kernel_running(sidecar) as kernel:
        assert run(kernel, WHERE, AT["lumi"]).result == "'lumi'"
        lumi = Scheduler(sidecar, "lumi")
        dead = lumi.cluster
        try:
            os.kill(lumi.pid(), signal.SIGKILL)
        finally:
            lumi.close()
        killed = time.monotonic()

        # Asked without leave to create one, the sidecar soon says what is wrong
        # (what it learnt of the cluster is reused for 2 s).
        def refusal():
            try:
                sidecar.kernel.get("/kernel/sites/lumi/connection")
            except SidecarError as err:
                return err
            return None

        refused = wait_for(refusal, timeout=15, what="the dead cluster refused")
        assert time.monotonic() - killed < 15
        assert refused.code == "cluster-unreachable", refused
        message = str(refused)
        assert dead in message and "scheduler does not answer" in message
        assert "start a new one" in message
        # The panel shows it, while the gateway still lists it as running.
        listed = {c["name"]: c for c in sidecar.browser.get("/api/sites/lumi")["clusters"]}
        assert listed[dead]["status"] == "RUNNING" and listed[dead]["unreachable"]["reason"]
        # A kernel that may create clusters gets a fresh one: the next tagged cell runs.
        started = time.monotonic()
        out = run(kernel, WHERE, AT["lumi"])
        assert out.result == "'lumi'", out
        assert time.monotonic() - started < 45
        fresh = sidecar.kernel.get("/kernel/sites/lumi/connection")["cluster"]
        assert fresh != dead

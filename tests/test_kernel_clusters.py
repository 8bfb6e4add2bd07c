"""Clusters made for kernels end with them, through a real Jupyter server on the real testbed.

The server runs the kernels (so its kernel watch sees them end however they end)
and may create clusters for them, with a 3 s grace period. It logs in as bob at
leonardo (the gateways show a user all of their clusters; alice's are other
tests'). Kernels are shut down, restarted and killed (SIGKILL) for real.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time

import pytest

from jupyter_ext_server.testbed.login import approve_device
from support.kernels import run

pytest_plugins = ["pytest_jupyter.jupyter_server"]
pytestmark = pytest.mark.integration

GRACE = 3.0
AT_LEONARDO = {"dask-sites": {"site": "leonardo"}}
WHERE = (
    "import dask, os\ndask.delayed(lambda: os.environ.get('DASK_SITES_SITE', 'local'))().compute()"
)


@pytest.fixture
def jp_server_config(testbed, tmp_path):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_ext_server": True}},
        "DaskSites": {
            "registry": testbed.registry_path,
            "state_dir": str(tmp_path / "state"),
            "auto_create_cluster": True,
            "kernel_cluster_grace": GRACE,
        },
    }


async def in_thread(function, *args):
    """Run blocking kernel-client code off the server's loop. (Not asyncio.to_thread: it
    copies the context, and jupyter_core would then find the server's running loop.)"""
    return await asyncio.get_running_loop().run_in_executor(None, function, *args)


class Server:
    """The Jupyter server under test: its sidecar API (through the proxy) and its kernels."""

    def __init__(self, app, fetch):
        self.app = app
        self.fetch = fetch
        self.kernels = app.kernel_manager
        self.clients = {}

    async def api(self, method: str, path: str, body=None) -> dict | None:
        answer = await self.fetch(
            "dask-sites",
            *path.strip("/").split("/"),
            method=method,
            body=None if method in ("GET", "DELETE") else json.dumps(body or {}),
            raise_error=False,
        )
        assert answer.code < 400, (path, answer.code, answer.body[:300])
        return json.loads(answer.body) if answer.body else None

    async def ready(self) -> None:
        """The sidecar is up and logged in as bob at leonardo."""
        assert await self.app.web_app.settings["dask_sites"].sidecar.wait_ready(30)
        await self.log_in("leonardo")

    async def log_in(self, site: str) -> None:
        state = await self.api("POST", f"api/sites/{site}/login")
        if state["status"] == "pending":
            await in_thread(
                approve_device, state["verificationUriComplete"], "bob", "bob-dask-sites"
            )
        await self.until(
            lambda s: s["login"]["status"] == "logged-in", site, what="the login", timeout=60
        )

    async def cluster(self, site: str, name: str) -> dict | None:
        state = await self.api("GET", f"api/sites/{site}")
        return next((c for c in state["clusters"] if c["name"] == name), None)

    async def until(self, check, site: str, what: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            state = await self.api("GET", f"api/sites/{site}")
            if check(state):
                return state
            assert time.monotonic() < deadline, f"timed out waiting for {what}: {state}"
            await asyncio.sleep(0.5)

    async def start_kernel(self) -> str:
        kernel_id = await self.kernels.start_kernel(kernel_name="python3")
        manager = self.kernels.get_kernel(kernel_id)

        def connect():  # a blocking client runs its own loop: not on the server's
            client = manager.blocking_client()
            client.start_channels()
            client.wait_for_ready(60)
            return client

        self.clients[kernel_id] = await in_thread(connect)
        return kernel_id

    async def cluster_made_for(self, kernel_id: str) -> str:
        """Run a cell tagged leonardo in the kernel; the cluster the sidecar made for it."""
        assert (await self.run(kernel_id, WHERE, AT_LEONARDO)).result == "'leonardo'"
        state = await self.api("GET", "api/sites/leonardo")
        made = [c["name"] for c in state["clusters"] if c.get("forKernels")]
        assert len(made) == 1, state["clusters"]
        return made[0]

    async def run(self, kernel_id: str, code: str, metadata: dict | None = None):
        return await in_thread(run, self.clients[kernel_id], code, metadata)

    def pid(self, kernel_id: str) -> int:
        return self.kernels.get_kernel(kernel_id).provisioner.process.pid

    async def stop_all(self) -> None:
        for client in self.clients.values():
            await in_thread(client.stop_channels)
        await self.kernels.shutdown_all(now=True)
        for site in ("leonardo",):
            state = await self.api("GET", f"api/sites/{site}")
            for cluster in state["clusters"]:
                if cluster["status"] in ("PENDING", "RUNNING"):
                    await self.api("DELETE", f"api/sites/{site}/clusters/{cluster['name']}")


@pytest.fixture
def server(jp_serverapp, jp_fetch, jp_asyncio_loop):
    """The server; each test logs in (an async step) with ``await server.ready()``."""
    app = jp_serverapp.web_app.settings["dask_sites"]
    run_here = jp_asyncio_loop.run_until_complete
    server = Server(jp_serverapp, jp_fetch)
    try:
        yield server
    finally:
        try:
            run_here(server.stop_all())
        finally:
            run_here(app.sidecar.stop())


def running(name: str):
    return lambda state: any(
        c["name"] == name and c["status"] in ("PENDING", "RUNNING") for c in state["clusters"]
    )


def gone(name: str):
    return lambda state: not running(name)(state)


async def test_a_cluster_two_kernels_share_stops_when_the_last_ends(server):
    await server.ready()
    first = await server.start_kernel()
    name = await server.cluster_made_for(first)

    second = await server.start_kernel()
    assert (await server.run(second, WHERE, AT_LEONARDO)).result == "'leonardo'"

    def used_by_two(state):
        cluster = next(c for c in state["clusters"] if c["name"] == name)
        return cluster["forKernels"]["kernels"] == 2

    await server.until(used_by_two, "leonardo", what="two kernels on the cluster", timeout=15)

    # The first shuts down cleanly: the second still uses the cluster.
    await server.kernels.shutdown_kernel(first)
    await asyncio.sleep(GRACE + 6)
    still = await server.cluster("leonardo", name)
    assert still and still["status"] == "RUNNING" and still["forKernels"]["kernels"] == 1, still

    # The second is killed (the server's restarter starts a new process): the cluster stops.
    os.kill(server.pid(second), signal.SIGKILL)
    killed = time.monotonic()
    await server.until(gone(name), "leonardo", what="the cluster stopped", timeout=60)
    assert time.monotonic() - killed < 40


async def test_a_restarted_kernel_ends_the_cluster_made_for_it(server):
    await server.ready()
    kernel = await server.start_kernel()
    name = await server.cluster_made_for(kernel)
    await server.kernels.restart_kernel(kernel, now=True)
    restarted = time.monotonic()
    stopping = await server.until(
        lambda s: any(
            c["name"] == name and (c.get("forKernels") or {}).get("stopsAt") for c in s["clusters"]
        ),
        "leonardo",
        what="the panel to say when it stops",
        timeout=30,
    )
    assert stopping
    await server.until(gone(name), "leonardo", what="the cluster stopped", timeout=60)
    assert time.monotonic() - restarted < 40


async def test_a_cluster_chosen_for_kernels_is_kept(server):
    await server.ready()
    kernel = await server.start_kernel()
    name = await server.cluster_made_for(kernel)
    await server.api("PUT", "api/sites/leonardo/chosen-cluster", {"cluster": name})
    await server.kernels.shutdown_kernel(kernel)
    await asyncio.sleep(GRACE + 8)
    kept = await server.cluster("leonardo", name)
    assert kept and kept["status"] == "RUNNING" and "forKernels" not in kept

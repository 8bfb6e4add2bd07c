"""Fixtures that run real parts: the testbed issuer, the whole testbed.

Every fixture stops what it starts, also when a test fails (yield + finally).

Two tiers: tests marked ``integration`` start real processes (issuer,
gateways, sidecar, kernels, a Jupyter server); the rest start none and make
up ``make test-fast``. A test that is not marked and still starts a process
fails, so the fast tier stays fast and the marker stays true. The guard
catches ``subprocess`` (asyncio's subprocesses go through it too), not
``multiprocessing`` or a bare ``os.fork``: nothing here uses those.
"""

from __future__ import annotations

import subprocess

import pytest

from jupyter_ext_server.testbed import Testbed
from support.running import SIDECAR_CALLBACK, RunningIssuer, sidecar_session
from support.schedulers import SchedulerLogs


@pytest.fixture
def make_issuer(tmp_path):
    started: list[RunningIssuer] = []

    def make(name: str = "issuer", access_token_ttl: int = 300) -> RunningIssuer:
        issuer = RunningIssuer(tmp_path / name, access_token_ttl)
        started.append(issuer)
        return issuer.start()

    try:
        yield make
    finally:
        for issuer in started:
            issuer.stop()


@pytest.fixture(scope="session")
def testbed(tmp_path_factory):
    """The whole testbed (three sites, small data), shared by the tests of a run."""
    bed = Testbed(
        state_dir=tmp_path_factory.mktemp("testbed"),
        sites=("central", "lumi", "leonardo"),
        size="small",
        idle_timeout=600,
        redirect_uris=[SIDECAR_CALLBACK],
    )
    try:
        yield bed.start()
    finally:
        bed.stop()


@pytest.fixture(scope="session")
def routing_sidecar(testbed, tmp_path_factory):
    """A sidecar logged in as alice that creates each site's cluster on a kernel's first use."""
    # At the end, the clusters kernels had created are stopped (the testbed would too).
    with sidecar_session(
        testbed.registry_path,
        tmp_path_factory.mktemp("routing-sidecar"),
        extra_args=("--auto-create-cluster",),
        user="alice",
    ) as running:
        yield running


@pytest.fixture(scope="module")
def logs(routing_sidecar, kernel):
    """What each site's scheduler handled, for modules whose ``kernel`` uses the routing
    sidecar (connected after that kernel, so its clusters exist)."""
    logs = SchedulerLogs(routing_sidecar, ("central", "lumi", "leonardo"))
    try:
        yield logs
    finally:
        logs.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """While a test that is not marked ``integration`` sets up, runs and tears
    down (fixtures of any scope included), starting a process fails it."""
    if item.get_closest_marker("integration"):
        yield
        return
    start = subprocess.Popen._execute_child  # type: ignore[attr-defined]

    def refuse(self, args, *rest, **kwargs):
        raise AssertionError(
            f"{item.nodeid} starts a process ({args!r}): mark it @pytest.mark.integration "
            "(see tests/conftest.py)"
        )

    subprocess.Popen._execute_child = refuse  # type: ignore[attr-defined]
    try:
        yield
    finally:
        subprocess.Popen._execute_child = start  # type: ignore[attr-defined]


#: Fixtures that start processes: a test using one must be marked (said at collection).
PROCESS_FIXTURES = {"testbed", "routing_sidecar", "make_issuer", "jp_serverapp", "jp_fetch"}


def pytest_collection_modifyitems(config, items):
    unmarked = [
        item.nodeid
        for item in items
        if PROCESS_FIXTURES & set(getattr(item, "fixturenames", ()))
        and not item.get_closest_marker("integration")
    ]
    if unmarked:
        raise pytest.UsageError(
            "these tests use fixtures that start processes but are not marked "
            "@pytest.mark.integration: " + ", ".join(unmarked)
        )

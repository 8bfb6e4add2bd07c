"""A sidecar restart loses nothing the user can see: the clusters stay in view, the
panel says why it asks for a login, kernels keep a working connection, and a kept
login is back before the first answer.

A sidecar of its own, logged in as bob (the gateways show a user all of their
clusters; alice's are other tests'), restarted for real (stopped and started
again on the same port, secrets and state directory, as the server's supervisor
does). Every cluster is stopped at the end.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests

from support.kernels import kernel_running, run
from support.running import RunningSidecar, log_in, stop_clusters
from support.waiting import wait_for

pytestmark = pytest.mark.integration

AT_LUMI = {"dask-sites": {"site": "lumi"}}
WHERE = (
    "import dask, os\ndask.delayed(lambda: os.environ.get('DASK_SITES_SITE', 'local'))().compute()"
)
RESTARTED = "Dask Sites restarted and did not keep this login; log in again"


def restart(sidecar: RunningSidecar) -> None:
    sidecar.stop()
    sidecar.start()


def lumi(sidecar: RunningSidecar) -> dict:
    return sidecar.browser.get("/api/sites/lumi")


@pytest.fixture
def sidecar(testbed, tmp_path):
    running = RunningSidecar(
        testbed.registry_path, tmp_path / "sidecar", extra_args=("--auto-create-cluster",)
    ).start()
    try:
        log_in(running, site="lumi", user="bob", password="bob-dask-sites")
        yield running
    finally:
        try:
            log_in(running, site="lumi", user="bob", password="bob-dask-sites")
            stop_clusters(running)
        finally:
            running.stop()


def test_after_a_restart_the_clusters_stay_in_view_and_kernels_keep_working(sidecar):
    with kernel_running(sidecar) as kernel:
        assert run(kernel, WHERE, AT_LUMI).result == "'lumi'"
        cluster = sidecar.kernel.get("/kernel/sites/lumi/connection")["cluster"]
        restart(sidecar)

        # The very first answer: why a login is asked for, and the cluster as last seen.
        state = lumi(sidecar)
        assert state["login"] == {"status": "logged-out", "reason": RESTARTED}
        assert [c["name"] for c in state["clusters"]] == [cluster]
        assert state["clusters"][0]["status"] == "RUNNING"
        assert state["clustersAsOf"] > 0
        assert "tlsKey" not in json.dumps(state)

        # The kernel's connection still works, past its 10 s re-check with the sidecar.
        time.sleep(11)
        out = run(kernel, WHERE, AT_LUMI)
        assert out.result == "'lumi'", out

        # Logged in again: a fresh list replaces the one last seen.
        log_in(sidecar, site="lumi", user="bob", password="bob-dask-sites")

        def fresh_list():
            state = lumi(sidecar)
            return state if "clustersAsOf" not in state else None

        fresh = wait_for(fresh_list, what="a fresh cluster list")
        assert cluster in [c["name"] for c in fresh["clusters"]]
        assert fresh["login"]["status"] == "logged-in"


@pytest.fixture
def kept_login_registry(testbed, tmp_path) -> str:
    registry = json.loads(Path(testbed.registry_path).read_text())
    for site in registry["sites"]:
        site["auth"]["persist_refresh_token"] = True
    path = tmp_path / "registry-kept.json"
    path.write_text(json.dumps(registry))
    return str(path)


def test_a_kept_login_is_back_before_the_first_answer(kept_login_registry, tmp_path):
    sidecar = RunningSidecar(kept_login_registry, tmp_path / "kept").start()
    try:
        log_in(sidecar, site="lumi", user="bob", password="bob-dask-sites")
        for _ in range(3):
            sidecar.stop()
            sidecar.process.start(sidecar.marker)
            # Ask as soon as the port answers, not when the sidecar says it is ready.
            first = wait_for(
                lambda: _answer(f"{sidecar.url}/api/sites/lumi", sidecar.server_secret),
                timeout=30,
                interval=0.02,
                what="the restarted sidecar's first answer",
            )
            assert first["login"]["status"] == "logged-in", first["login"]
    finally:
        sidecar.stop()


def _answer(url: str, secret: str) -> dict | None:
    try:
        answer = requests.get(url, headers={"Authorization": f"token {secret}"}, timeout=10)
    except requests.ConnectionError:
        return None
    return answer.json() if answer.ok else None

"""Cells run where they are tagged: a real ipykernel, the real sidecar, real gateways."""

from __future__ import annotations

import os
import queue
import time

import pytest
from jupyter_client.manager import start_new_kernel

from jupyter_ext_server.testbed.login import approve_device

pytestmark = pytest.mark.testbed

WHERE = (
    "import dask, os\n"
    "dask.delayed(lambda: os.environ.get('DASK_SITES_SITE', 'local'))().compute()"
)


@pytest.fixture(scope="module")
def sidecar(testbed, tmp_path_factory):
    from conftest import RunningSidecar

    running = RunningSidecar(testbed.registry_path, tmp_path_factory.mktemp("kernel-sidecar"),
                             extra_args=("--auto-create-cluster",)).start()
    try:
        state = running.browser.post("/api/sites/central/login")
        if state["status"] == "pending":
            approve_device(state["verificationUriComplete"], "alice", "alice-dask-sites")
        deadline = time.monotonic() + 30
        while running.browser.get("/api/sites/central")["login"]["status"] != "logged-in":
            assert time.monotonic() < deadline, "login did not complete"
            time.sleep(0.3)
        yield running
    finally:
        try:  # the clusters the kernel had created (the testbed would stop them too)
            for site in ("central", "lumi", "leonardo"):
                for cluster in running.browser.get(f"/api/sites/{site}/clusters")["clusters"]:
                    if cluster["status"] in ("PENDING", "RUNNING"):
                        running.browser.request("DELETE", f"/api/sites/{site}/clusters/{cluster['name']}")
        finally:
            running.stop()


@pytest.fixture(scope="module")
def kernel(sidecar):
    env = {**os.environ, "DASK_SITES_SIDECAR": sidecar.url, "DASK_SITES_KERNEL_SECRET": sidecar.kernel_secret}
    manager, client = start_new_kernel(kernel_name="python3", env=env)
    try:
        run(client, "%load_ext dask_sites")
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def run(client, code: str, metadata: dict | None = None, timeout: float = 120) -> dict:
    """Execute like JupyterLab does (cell metadata in the request); collect the outputs."""
    message = client.session.msg("execute_request", {
        "code": code, "silent": False, "store_history": True, "user_expressions": {},
        "allow_stdin": False, "stop_on_error": True}, metadata=metadata or {})
    client.shell_channel.send(message)
    outputs = {"result": None, "stdout": "", "error": None}
    while True:
        try:
            reply = client.get_iopub_msg(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no answer from the kernel for {code!r}") from None
        if reply["parent_header"].get("msg_id") != message["header"]["msg_id"]:
            continue
        kind, content = reply["msg_type"], reply["content"]
        if kind == "execute_result":
            outputs["result"] = content["data"]["text/plain"]
        elif kind == "stream":
            outputs["stdout"] += content["text"]
        elif kind == "error":
            outputs["error"] = f"{content['ename']}: {content['evalue']}"
        elif kind == "status" and content["execution_state"] == "idle":
            return outputs


def test_cell_metadata_routes_to_its_site(kernel):
    out = run(kernel, WHERE, {"dask-sites": {"site": "lumi"}})
    assert out["result"] == "'lumi'", out


def test_cell_magic_wins_over_metadata(kernel):
    out = run(kernel, "%%site central\n" + WHERE, {"dask-sites": {"site": "lumi"}})
    assert out["result"] == "'central'", out


def test_untagged_cell_after_a_tagged_one_runs_locally(kernel):
    assert run(kernel, WHERE, {"dask-sites": {"site": "lumi"}})["result"] == "'lumi'"
    assert run(kernel, WHERE)["result"] == "'local'"


def test_notebook_default_and_off(kernel):
    assert "now runs at lumi" in run(kernel, "%site lumi")["stdout"]
    assert run(kernel, WHERE)["result"] == "'lumi'"
    assert run(kernel, WHERE, {"dask-sites": {"site": "central"}})["result"] == "'central'"
    run(kernel, "%site --off")
    assert run(kernel, WHERE)["result"] == "'local'"


def test_a_failing_cell_restores_local_work(kernel):
    out = run(kernel, WHERE + "\nraise ValueError('boom')", {"dask-sites": {"site": "lumi"}})
    assert out["error"] == "ValueError: boom"
    assert run(kernel, WHERE)["result"] == "'local'"


def test_unknown_site_is_refused_and_the_cell_does_not_run(kernel):
    out = run(kernel, "ran = True", {"dask-sites": {"site": "mars"}})
    assert "unknown site \"mars\"; known sites: central, lumi, leonardo" in (out["error"] or "")
    assert run(kernel, "'ran' in dir()")["result"] == "False"


def test_site_magic_shows_sites(kernel):
    shown = run(kernel, "%site")["stdout"]
    assert "central" in shown and "logged-in as alice" in shown

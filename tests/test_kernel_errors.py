"""Every way a tagged cell can fail to reach its site says why and what to do, and runs nothing.

A sidecar of its own that starts logged out and may not create clusters, so
each error can be met in turn: not logged in, no cluster, a cluster stopped
under the kernel, an interrupted cell, and a sidecar that is not there. It
logs in as bob: the gateways show a user all of their clusters, and alice's
are started by other tests.
"""

from __future__ import annotations

import time

import pytest

from jupyter_ext_server.testbed.processes import free_port
from support.kernels import kernel_environment, run, start_kernel, stop_kernel
from support.running import log_in, sidecar_session, stop_clusters
from support.waiting import wait_for

pytestmark = pytest.mark.integration

WHERE = (
    "import dask, os\n"
    "ran = True\n"
    "dask.delayed(lambda: os.environ.get('DASK_SITES_SITE', 'local'))().compute()"
)
AT_LUMI = {"dask-sites": {"site": "lumi"}}


@pytest.fixture(scope="module")
def sidecar(testbed, tmp_path_factory):
    with sidecar_session(
        testbed.registry_path, tmp_path_factory.mktemp("strict-sidecar")
    ) as running:
        yield running


@pytest.fixture(scope="module")
def kernel(sidecar):
    manager, client = start_kernel(kernel_environment(sidecar))
    try:
        yield manager, client
    finally:
        stop_kernel(manager, client)


def refused(out) -> str:
    assert out.result is None, out
    return out.error or ""


def did_not_run(client) -> bool:
    return run(client, "'ran' in dir()").result == "False"


def test_not_logged_in_points_to_the_panel_and_the_magic(kernel):
    _, client = kernel
    error = refused(run(client, WHERE, AT_LUMI))
    assert (
        "Not logged in to LUMI" in error
        and "%site login lumi" in error
        and "Dask Sites panel" in error
    )
    assert did_not_run(client)


def test_site_login_magic_prints_the_device_code(kernel):
    _, client = kernel
    out = run(client, "%site login lumi")
    assert "confirm the code" in out.stdout and "/device" in out.stdout


def test_no_cluster_says_how_to_start_one(kernel, sidecar):
    _, client = kernel
    log_in(sidecar, user="bob", password="bob-dask-sites")
    error = refused(run(client, WHERE, AT_LUMI))
    assert "lumi: no running cluster. Start one in the Dask Sites panel" in error
    assert "c.DaskSites.auto_create_cluster = True" in error
    assert did_not_run(client)


def test_a_stopped_cluster_is_noticed_by_the_next_cell(kernel, sidecar):
    _, client = kernel
    cluster = sidecar.browser.post("/api/sites/lumi/clusters", {"wait": True})
    sidecar.browser.post(f"/api/sites/lumi/clusters/{cluster['name']}/scale", {"count": 1})
    assert run(client, WHERE, AT_LUMI).result == "'lumi'"
    sidecar.browser.request("DELETE", f"/api/sites/lumi/clusters/{cluster['name']}")

    def refused_for_the_lost_cluster():
        out = run(client, WHERE, AT_LUMI)
        return out if out.error and "no running cluster" in out.error else None

    # The kernel's client notices the lost scheduler within seconds.
    out = wait_for(
        refused_for_the_lost_cluster,
        timeout=30,
        interval=1,
        what="a cell refused for the stopped cluster",
    )
    assert "Start one in the Dask Sites panel" in out.error


def test_an_interrupted_tagged_cell_leaves_the_next_cell_local(kernel, sidecar):
    manager, client = kernel
    cluster = sidecar.browser.post("/api/sites/lumi/clusters", {"wait": True})
    sidecar.browser.post(f"/api/sites/lumi/clusters/{cluster['name']}/scale", {"count": 1})
    request = client.session.msg(
        "execute_request",
        {
            "code": "import time\ntime.sleep(60)",
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
        metadata=AT_LUMI,
    )
    client.shell_channel.send(request)
    time.sleep(2)
    manager.interrupt_kernel()
    reply = client.get_shell_msg(timeout=30)
    while reply["parent_header"].get("msg_id") != request["header"]["msg_id"]:
        reply = client.get_shell_msg(timeout=30)
    assert (
        reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
    )
    assert run(client, WHERE).result == "'local'"
    # Untagged: at most the data-location scheduler, routed nowhere, and no site client current.
    out = run(
        client,
        "import dask, distributed\n"
        "(getattr(dask.config.get('scheduler', None), 'route', None), "
        "distributed.client._current_client.get())",
    )
    assert out.result == "(Route(site=None, source='local'), None)", out


@pytest.mark.parametrize(
    ("set_default", "why"),
    [
        # What the Lab sends, silently, for a notebook whose default names no site.
        ("%site --from-notebook ../../x", "unknown site"),
        # A site the registry knows, where bob has no cluster.
        ("%site leonardo", "no running cluster"),
    ],
)
def test_an_unusable_notebook_default_fails_only_dask_work_and_can_be_cleared(
    kernel, sidecar, set_default, why
):
    _, client = kernel
    log_in(sidecar, user="bob", password="bob-dask-sites")
    stop_clusters(sidecar, sites=("leonardo",))
    run(client, set_default, silent=set_default.startswith("%site --from-notebook"))
    try:
        # A cell without Dask work runs.
        assert run(client, "1 + 1").result == "2"
        # Dask work says why it cannot go there and how to clear the default, at once.
        started = time.monotonic()
        error = run(client, WHERE).error or ""
        assert time.monotonic() - started < 15
        assert "notebook's default site" in error and why in error, error
        assert "%site --off" in error and "notebook toolbar" in error
        # %site commands always run, also in a cell the default would route.
        assert "Notebook default site" in run(client, "%site").stdout
    finally:
        cleared = run(client, "%site --off")
    assert "runs on this machine" in cleared.stdout, cleared
    assert run(client, WHERE).result == "'local'"


def test_an_unreachable_sidecar_is_named(testbed):
    class Gone:
        url, kernel_secret = f"http://127.0.0.1:{free_port()}", "nothing-listens-here"

    manager, client = start_kernel(kernel_environment(Gone))
    try:
        error = refused(run(client, WHERE, AT_LUMI))
        assert "Dask Sites cannot reach its sidecar" in error and Gone.url in error
        assert did_not_run(client)
    finally:
        stop_kernel(manager, client)


@pytest.mark.parametrize(
    "site",
    [
        "central/../lumi",
        "central/connection?cluster=0000#",
        "lumi%2F..",
        "<img src=x onerror=alert(1)>",
        "x" * 10_000,
    ],
)
def test_a_site_name_that_is_no_site_is_refused_before_any_url_is_built(kernel, site):
    _, client = kernel
    run(client, "globals().pop('ran', None)")  # earlier tests' cells did run
    error = refused(run(client, WHERE, {"dask-sites": {"site": site}}))
    assert "unknown site" in error and "known sites: central, lumi, leonardo" in error
    assert len(error) < 400  # the name is cut short, not repeated whole
    assert did_not_run(client)

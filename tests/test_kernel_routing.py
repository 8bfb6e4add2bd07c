"""Cells run where they are tagged: a real ipykernel, the real sidecar, real gateways."""

from __future__ import annotations

import pytest

from support.kernels import kernel_environment, run, start_kernel, stop_kernel

pytestmark = pytest.mark.integration

WHERE = (
    "import dask, os\ndask.delayed(lambda: os.environ.get('DASK_SITES_SITE', 'local'))().compute()"
)


@pytest.fixture(scope="module")
def kernel(routing_sidecar):
    manager, client = start_kernel(kernel_environment(routing_sidecar))
    try:
        yield client
    finally:
        stop_kernel(manager, client)


def test_cell_metadata_routes_to_its_site(kernel):
    out = run(kernel, WHERE, {"dask-sites": {"site": "lumi"}})
    assert out.result == "'lumi'", out


def test_cell_magic_wins_over_metadata(kernel):
    out = run(kernel, "%%site central\n" + WHERE, {"dask-sites": {"site": "lumi"}})
    assert out.result == "'central'", out
    assert out.results == 1  # the body runs as the cell itself: its value shows once


def test_an_error_in_a_site_magic_cell_fails_the_cell(kernel):
    out = run(kernel, "%%site central\n" + WHERE + "\nraise ValueError('at central')")
    assert out.error == "ValueError: at central" and out.status == "error"
    assert run(kernel, WHERE).result == "'local'"


def test_untagged_cell_after_a_tagged_one_runs_locally(kernel):
    assert run(kernel, WHERE, {"dask-sites": {"site": "lumi"}}).result == "'lumi'"
    assert run(kernel, WHERE).result == "'local'"


def test_notebook_default_and_off(kernel):
    assert "now runs at lumi" in run(kernel, "%site lumi").stdout
    assert run(kernel, WHERE).result == "'lumi'"
    assert run(kernel, WHERE, {"dask-sites": {"site": "central"}}).result == "'central'"
    run(kernel, "%site --off")
    assert run(kernel, WHERE).result == "'local'"


def test_the_lab_passes_the_notebook_default_silently(kernel):
    """What the Lab UI sends before a cell when the notebook's default site changed."""
    quiet = run(kernel, "%site --from-notebook lumi", silent=True)
    assert quiet.stdout == "" and not quiet.displays and quiet.status == "ok"
    out = run(kernel, WHERE)
    assert out.result == "'lumi'" and out.record["source"] == "notebook default"
    run(kernel, "%site --from-notebook --off", silent=True)
    assert run(kernel, WHERE).result == "'local'"


def test_a_failing_cell_restores_local_work(kernel):
    out = run(kernel, WHERE + "\nraise ValueError('boom')", {"dask-sites": {"site": "lumi"}})
    assert out.error == "ValueError: boom"
    assert run(kernel, WHERE).result == "'local'"


def test_unknown_site_is_refused_and_the_cell_does_not_run(kernel):
    out = run(kernel, "ran = True", {"dask-sites": {"site": "mars"}})
    assert 'unknown site "mars"; known sites: central, lumi, leonardo' in (out.error or "")
    assert run(kernel, "'ran' in dir()").result == "False"


def test_site_magic_shows_sites(kernel):
    shown = run(kernel, "%site").stdout
    assert "central" in shown and "logged-in as alice" in shown


def test_the_kernel_secret_is_not_in_the_environment_user_code_can_ship(kernel):
    """Dask pickles a function's globals: os.environ sent to a site would carry the secret."""
    shipped = run(
        kernel,
        "import dask, os\n"
        "dask.delayed(os.environ.get)('DASK_SITES_KERNEL_SECRET', 'absent').compute()",
        {"dask-sites": {"site": "lumi"}},
    )
    assert shipped.result == "'absent'", shipped
    here = run(
        kernel,
        "import os, subprocess\n"
        "('DASK_SITES_KERNEL_SECRET' in os.environ,"
        " 'DASK_SITES_KERNEL_SECRET' in subprocess.run(['env'], capture_output=True,"
        " text=True).stdout)",
    )
    assert here.result == "(False, False)", here
    # The kernel still reaches its sidecar: the secret is kept in memory.
    assert "lumi" in run(kernel, "%site").stdout

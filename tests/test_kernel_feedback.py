"""What a notebook user sees of remote work: live progress, version checks, short
errors, the default told to the Lab, a Client on demand, a module the site lacks.

A real ipykernel, the real sidecar, real gateways and clusters (the routing
sidecar creates each site's cluster on a kernel's first use).
"""

from __future__ import annotations

import json

import pytest

from support.kernels import kernel_running, run

pytestmark = pytest.mark.integration

PROGRESS = "application/vnd.dask-sites.progress+json"
RECORD = "application/vnd.dask-sites.record+json"
AT_LUMI = {"dask-sites": {"site": "lumi"}}
# ~10 s of work at one thread: long enough for several progress updates.
SLOW = (
    "import dask, time\n"
    "def nap(i):\n"
    "    time.sleep(0.5)\n"
    "    return i\n"
    "total = sum(dask.compute(*[dask.delayed(nap)(i) for i in range(20)]))\n"
    "total"
)
WHERE = (
    "import dask, os\ndask.delayed(lambda: os.environ.get('DASK_SITES_SITE', 'local'))().compute()"
)
INTERNAL = ("extension.py", "catalogue.py", "magics.py", "router.py", "jupyter_ext_server")


@pytest.fixture(scope="module")
def kernel(routing_sidecar):
    with kernel_running(routing_sidecar) as client:
        yield client


def versions_reported_as(**packages: str) -> str:
    """Code that makes this kernel report other versions of ``packages`` (as
    ``distributed.versions.get_versions`` says them, which the client uses)."""
    return (
        "import distributed.versions as dv\n"
        "_real = dv.get_versions\n"
        "def _patched(packages=None):\n"
        "    v = _real(packages)\n"
        f"    v['packages'].update({packages!r})\n"
        f"    if {'python' in packages}: v['host']['python'] = {packages.get('python')!r}\n"
        "    return v\n"
        "dv.get_versions = _patched\n"
    )


def progress_steps(data: dict) -> list[dict]:
    return data[PROGRESS]["steps"]


def test_progress_shows_while_a_site_computes_and_becomes_the_record(kernel):
    out = run(kernel, SLOW, AT_LUMI)
    assert out.result == "190", out
    shown = [m for m in out.messages if m.kind == "display_data" and PROGRESS in m.data]
    assert len(shown) == 1, out.messages
    display_id = shown[0].display_id
    updates = [m for m in out.messages if m.kind == "update_display_data"]
    assert all(u.display_id == display_id for u in updates)
    counting = [u for u in updates if PROGRESS in u.data and progress_steps(u.data)[0]["total"]]
    # Counts from lumi's scheduler arrive while it computes, seconds before the end.
    midway = [u for u in counting if 0 < progress_steps(u.data)[0]["done"] < 20 + 1]
    assert midway and midway[0].at < out.ended_at - 1.0, [u.data for u in updates]
    step = progress_steps(midway[0].data)[0]
    assert step["site"] == "lumi" and step["total"] >= 20 and "lumi" in midway[0].data["text/plain"]
    # At the end the same output becomes the record (no second output).
    assert RECORD in updates[-1].data and updates[-1].data[RECORD]["sites"] == ["lumi"]
    assert not [d for d in out.displays if RECORD in d]  # not published again as a new output
    assert out.record["sites"] == ["lumi"]
    text = json.dumps([m.data for m in out.messages])
    assert "tls" not in text.lower() and "token" not in text.lower()


def test_a_sub_second_cell_shows_no_progress(kernel):
    out = run(kernel, WHERE, AT_LUMI)
    assert out.result == "'lumi'"
    assert not [m for m in out.messages if PROGRESS in m.data]
    assert out.record["sites"] == ["lumi"]


def test_a_split_shows_one_line_per_site_and_the_combine(kernel):
    code = (
        "import dask, dask.array as da, time, dask_sites\n"
        "def slow(block):\n"
        "    time.sleep(0.4)\n"
        "    return block\n"
        "a = dask_sites.at(da.ones(12, chunks=1).map_blocks(slow), 'lumi')\n"
        "b = dask_sites.at(da.arange(12, chunks=1).map_blocks(slow), 'central')\n"
        "int((a.sum() + b.sum()).compute())"
    )
    out = run(kernel, code)
    assert out.result == "78", out
    assert sorted(out.record["sites"]) == ["central", "lumi"]
    updates = [m for m in out.messages if PROGRESS in m.data]
    assert updates, out.messages
    labels = {step["label"] for u in updates for step in progress_steps(u.data)}
    assert {"lumi", "central"} <= labels
    sites_counted = {
        step["site"]
        for u in updates
        if u.at < out.ended_at - 0.5
        for step in progress_steps(u.data)
        if step["total"]
    }
    assert {"lumi", "central"} <= sites_counted, [u.data for u in updates]


def test_own_errors_are_short_and_user_errors_keep_their_traceback(kernel):
    out = run(kernel, "%site nonexistent")
    assert out.status == "error" and 'unknown site "nonexistent"' in out.error
    assert not any(name in line for line in out.traceback for name in INTERNAL), out.traceback
    assert len(out.traceback) <= 2

    code = (
        "import dask\n"
        "def users_own(x):\n"
        "    raise ValueError('bad value ' + str(x))\n"
        "dask.delayed(users_own)(3).compute()"
    )
    out = run(kernel, code, AT_LUMI)
    assert out.error == "ValueError: bad value 3"
    tb = "\n".join(out.traceback)
    assert "users_own" in tb and "raised at site lumi" in tb


def test_a_missing_dataset_names_the_url_and_the_site(kernel):
    out = run(
        kernel, "import dask_sites\ndask_sites.open_zarr('s3://lumi-era5/no-such-thing.zarr')"
    )
    assert out.status == "error"
    assert "no dataset at s3://lumi-era5/no-such-thing.zarr (site lumi)" in out.error
    assert len("\n".join(out.traceback)) < 1000, out.traceback


def test_the_kernel_tells_the_lab_when_its_default_changes(kernel):
    def told(out) -> list[dict]:
        return [c["data"] for c in out.comm_opens if c["target_name"] == "dask-sites.default"]

    assert told(run(kernel, "%site central")) == [{"site": "central"}]
    assert told(run(kernel, "%site --off")) == [{"site": None}]
    # What the Lab itself sends is not echoed back.
    assert told(run(kernel, "%site --from-notebook lumi", silent=True)) == []
    run(kernel, "%site --from-notebook --off", silent=True)


def test_a_client_of_a_site_on_demand(kernel):
    out = run(
        kernel,
        "import dask_sites, os\n"
        "c = dask_sites.client('lumi')\n"
        "sorted(set(c.run(lambda: os.environ.get('DASK_SITES_SITE')).values()))",
    )
    assert out.result == "['lumi']", out
    out = run(kernel, "import dask_sites\ndask_sites.client('mars')")
    assert 'unknown site "mars"' in out.error and len(out.traceback) <= 2


def test_a_module_only_this_kernel_has_is_named_with_the_fix(kernel, tmp_path):
    (tmp_path / "kernel_only_helpers.py").write_text("def double(x):\n    return 2 * x\n")
    run(kernel, f"import sys\nsys.path.insert(0, {str(tmp_path)!r})")
    out = run(
        kernel,
        "import dask, kernel_only_helpers\ndask.delayed(kernel_only_helpers.double)(2).compute()",
        AT_LUMI,
    )
    assert out.status == "error", out
    assert "kernel_only_helpers" in out.error and "lumi" in out.error
    assert "upload_file" in out.error and "image" in out.error


def test_a_module_only_this_kernel_has_is_named_in_a_split_too(kernel, tmp_path):
    (tmp_path / "kernel_only_split.py").write_text("def double(x):\n    return 2 * x\n")
    run(kernel, f"import sys\nsys.path.insert(0, {str(tmp_path)!r})")
    out = run(
        kernel,
        "import dask.array as da, dask_sites, kernel_only_split\n"
        "a = dask_sites.at(da.ones(4, chunks=1), 'lumi').map_blocks(kernel_only_split.double)\n"
        "b = dask_sites.at(da.arange(4, chunks=1), 'central')\n"
        "int((a.sum() + b.sum()).compute())",
    )
    assert out.status == "error", out
    assert "kernel_only_split" in out.error and "lumi" in out.error, out.error
    assert "upload_file" in out.error and "cancelled" in out.error, out.error
    assert out.error.startswith("SiteError: ") and len(out.traceback) <= 2, out.traceback


def test_a_version_difference_is_said_once_and_shown_on_the_card(routing_sidecar):
    # This kernel reports numpy 0.0.1: lumi's cluster runs the real one.
    patch = versions_reported_as(numpy="0.0.1")
    with kernel_running(routing_sidecar, patch) as client:
        first = run(client, WHERE, AT_LUMI)
        assert first.result == "'lumi'", first
        assert "numpy: this kernel 0.0.1, lumi's cluster" in first.stderr
        assert "image" in first.stderr
        assert "VersionMismatchWarning" not in first.stderr  # distributed's own, replaced
        again = run(client, WHERE, AT_LUMI)
        assert again.result == "'lumi'" and "numpy" not in again.stderr
    clusters = routing_sidecar.browser.get("/api/sites/lumi/clusters")["clusters"]
    marked = [c for c in clusters if c.get("versionMismatches")]
    assert marked and marked[0]["versionMismatches"][0]["package"] == "numpy"


def test_a_python_difference_refuses_the_cluster_saying_why(routing_sidecar):
    patch = versions_reported_as(python="3.1.0")
    with kernel_running(routing_sidecar, patch) as client:
        out = run(client, WHERE, AT_LUMI)
        assert out.status == "error", out
        assert "will not use lumi's cluster: python" in out.error.lower()
        assert len(out.traceback) <= 2


def test_headless_runs_get_the_record_in_place_of_the_progress(routing_sidecar, tmp_path):
    """nbclient (papermill's engine) keeps one output per display: updated in
    place while lumi computes, the record at the end."""
    import nbformat
    from nbclient import NotebookClient

    from support.kernels import kernel_environment

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("%%site lumi\n" + SLOW)])
    updates: list[dict] = []

    class Recording(NotebookClient):
        def _update_display_id(self, display_id, msg):
            if msg["header"]["msg_type"] == "update_display_data":
                updates.append(msg["content"]["data"])
            super()._update_display_id(display_id, msg)

    client = Recording(
        notebook,
        timeout=300,
        kernel_name="python3",
        extra_arguments=["--ext=dask_sites"],
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute(env=kernel_environment(routing_sidecar))
    outputs = notebook.cells[0].outputs
    displays = [o for o in outputs if o["output_type"] == "display_data"]
    assert len(displays) == 1, outputs
    assert RECORD in displays[0]["data"] and PROGRESS not in displays[0]["data"]
    assert displays[0]["data"]["text/plain"].startswith("Dask Sites (cell magic): lumi")
    assert any("tasks" in u.get("text/plain", "") for u in updates if PROGRESS in u), updates
    assert [o["data"]["text/plain"] for o in outputs if o["output_type"] == "execute_result"] == [
        "190"
    ]

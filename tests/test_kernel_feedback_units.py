"""The pure parts behind what a notebook user sees: version comparison, the
progress output, site errors. (Against real kernels and clusters:
test_kernel_feedback.py.)"""

from __future__ import annotations

import threading

import pytest

from jupyter_ext_server.kernel.errors import CellRefused, SiteError, short_traceback
from jupyter_ext_server.kernel.progress import PROGRESS_MIMETYPE, CellProgress
from jupyter_ext_server.kernel.site_errors import missing_module, site_failure
from jupyter_ext_server.kernel.versions import compare, message


def report(python="3.11.9.final.0", **packages) -> dict:
    base = {"python": python, "dask": "2026.7.1", "distributed": "2026.7.1"}
    base.update({"cloudpickle": "3.1.3", "msgpack": "1.2.4", "numpy": "2.4.6"})
    base.update(packages)
    return {"host": {"python": python}, "packages": base}


def test_the_same_versions_match_and_python_patch_levels_do_not_matter():
    same = {
        "client": report(),
        "scheduler": report(python="3.11.4.final.0"),
        "workers": {"tcp://a": report(), "tcp://b": report()},
    }
    assert compare(same) == []


def test_a_difference_names_package_versions_and_who_has_them():
    versions = {
        "client": report(numpy="2.4.6"),
        "scheduler": report(numpy="1.26.4"),
        "workers": {"tcp://a": report(numpy="1.26.4"), "tcp://b": report(numpy="1.26.4")},
    }
    [mismatch] = compare(versions)
    assert mismatch.package == "numpy" and not mismatch.fatal
    assert mismatch.here == "2.4.6" and mismatch.there == "1.26.4 (scheduler and 2 workers)"
    text = message("lumi", [mismatch])
    assert "numpy: this kernel 2.4.6, lumi's cluster 1.26.4 (scheduler and 2 workers)" in text
    assert "image option of the new-cluster form" in text


@pytest.mark.parametrize(
    ("changes", "package"),
    [({"python": "3.12.1.final.0"}, "python"), ({"cloudpickle": "2.2.1"}, "cloudpickle")],
)
def test_only_what_pickles_cannot_cross_is_fatal(changes, package):
    theirs = report(**changes)
    if "python" in changes:
        theirs["host"]["python"] = changes["python"]
    mismatches = compare({"client": report(), "scheduler": theirs, "workers": {}})
    assert [m.package for m in mismatches if m.fatal] == [package]
    assert message("lumi", mismatches).startswith("Dask Sites will not use lumi's cluster")


def test_reports_fit_what_the_sidecar_accepts_and_missing_is_never_fatal():
    workers = {f"tcp://w{i}": report(numpy=f"1.{i}.0") for i in range(40)}
    [mismatch] = compare({"client": report(), "scheduler": report(), "workers": workers})
    assert len(mismatch.there) > 256 and len(mismatch.as_dict()["there"]) == 256
    gone = compare({"client": report(), "scheduler": report(cloudpickle=None), "workers": {}})
    assert [(m.package, m.fatal) for m in gone] == [("cloudpickle", False)]


def test_a_package_missing_on_one_side_is_said():
    versions = {"client": report(xarray="2026.9.0"), "scheduler": report(), "workers": {}}
    [mismatch] = compare(versions)
    assert mismatch.package == "xarray" and mismatch.there == "missing (scheduler)"


def test_malformed_reports_compare_as_unknown_not_as_a_crash():
    assert compare({"client": None, "scheduler": "nonsense", "workers": None}) == []


class Published:
    def __init__(self):
        self.calls: list[tuple[dict, dict]] = []
        self.event = threading.Event()

    def __call__(self, data, transient=None, update=False):
        self.calls.append((data, {"display_id": transient["display_id"], "update": update}))
        self.event.set()


def test_progress_shows_nothing_for_quick_work():
    published = Published()
    progress = CellProgress(publish=published, delay=0.5)
    with progress.step("lumi", "lumi"):
        pass
    assert progress.close() is None and published.calls == []


def test_progress_shows_after_the_delay_and_updates_in_place():
    published = Published()
    progress = CellProgress(publish=published, delay=0.01, interval=0.01)
    step = progress.begin("lumi", "lumi")
    step.total, step.done = 40, 10
    assert published.event.wait(5)
    with progress.step("combine here"):
        pass
    progress.end(step)
    shown = progress.close()
    first, last = published.calls[0], published.calls[-1]
    assert shown and first[1] == {"display_id": shown, "update": False}
    assert last[1] == {"display_id": shown, "update": True}
    steps = last[0][PROGRESS_MIMETYPE]["steps"]
    assert [s["label"] for s in steps] == ["lumi", "combine here"]
    assert steps[0] == {**steps[0], "site": "lumi", "done": 10, "total": 40, "state": "done"}
    assert steps[1]["site"] is None
    assert "lumi" in last[0]["text/plain"] and "10/40 tasks" in last[0]["text/plain"]


def test_a_failed_step_says_so():
    progress = CellProgress(publish=Published(), delay=10)
    with pytest.raises(ValueError), progress.step("lumi", "lumi"):
        raise ValueError("boom")
    assert progress.bundle()[PROGRESS_MIMETYPE]["steps"][0]["state"] == "failed"
    progress.close()


def test_own_errors_render_without_frames():
    assert short_traceback(SiteError("no cluster at lumi")) == [
        "\x1b[0;31mSiteError\x1b[0m: no cluster at lumi"
    ]
    assert CellRefused("Not run").__class__._render_traceback_ is not None


def test_a_module_the_site_lacks_is_named_with_the_fix(tmp_path, monkeypatch):
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))  # this kernel has it; the site does not
    try:
        try:
            raise ModuleNotFoundError("No module named 'helpers.io'", name="helpers.io")
        except ModuleNotFoundError as cause:
            raise RuntimeError("Error during deserialization of the task graph") from cause
    except RuntimeError as err:
        assert missing_module(err) == "helpers"
        failure = site_failure(err, "lumi", client=None)
    assert isinstance(failure, SiteError)
    assert "module 'helpers'" in str(failure) and "lumi" in str(failure)
    assert "dask_sites.client('lumi').upload_file('helpers.py')" in str(failure)
    assert "lumi said: RuntimeError: Error during deserialization" in str(failure)


def test_an_import_error_of_the_users_own_stays_theirs():
    err = ModuleNotFoundError("No module named 'not_anywhere'", name="not_anywhere")
    assert site_failure(err, "lumi", client=None) is err
    assert err.__notes__ == ["(raised at site lumi)"]


def test_the_users_own_error_keeps_itself_with_the_site_noted():
    err = ValueError("bad value")
    assert site_failure(err, "lumi", client=None) is err
    assert site_failure(err, "lumi", client=None) is err
    assert err.__notes__ == ["(raised at site lumi)"]
    interrupted = KeyboardInterrupt()
    assert site_failure(interrupted, "lumi", client=None) is interrupted

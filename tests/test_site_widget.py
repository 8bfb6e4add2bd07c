"""The notebook widget of a site: ``%site NAME`` and ``dask_sites.widget(NAME)``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ipywidgets import DOMWidget

from jupyter_ext_server.kernel.errors import SiteError
from jupyter_ext_server.kernel.widget import MODULE_NAME, MODULE_VERSION, SiteWidget, widget
from support.kernels import kernel_environment, run, start_kernel, stop_kernel

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
PACKAGE = json.loads((Path(__file__).resolve().parents[1] / "package.json").read_text())
FALLBACK = "Dask Sites: site lumi — open in JupyterLab with Dask Sites to see it live"


def test_the_model_names_the_labextension_and_its_version():
    assert PACKAGE["name"] == MODULE_NAME
    assert f"^{PACKAGE['version']}" == MODULE_VERSION
    w = SiteWidget(site="lumi")
    state = w.get_state()
    assert state["_model_module"] == state["_view_module"] == "jupyterlab-dask-sites"
    assert state["_model_module_version"] == state["_view_module_version"] == MODULE_VERSION
    assert (state["_model_name"], state["_view_name"]) == ("SiteWidgetModel", "SiteWidgetView")
    assert state["site"] == "lumi"
    # Only the name crosses to the browser: the figures come from the labextension.
    assert set(w.keys) - set(DOMWidget.class_trait_names(sync=True)) == {"site"}
    w.close()


def test_text_fallback_says_what_it_is():
    w = SiteWidget(site="lumi")
    bundle = w._repr_mimebundle_()
    assert bundle["text/plain"] == FALLBACK
    assert WIDGET_VIEW in bundle
    w.close()


def test_widget_needs_the_extension():
    from jupyter_ext_server.kernel.state import current_router

    assert current_router() is None
    with pytest.raises(SiteError, match="load_ext dask_sites"):
        widget("lumi")


@pytest.fixture(scope="module")
def kernel(routing_sidecar):
    manager, client = start_kernel(kernel_environment(routing_sidecar))
    try:
        yield client
    finally:
        stop_kernel(manager, client)


@pytest.mark.integration
class TestInAKernel:
    def test_unknown_site_is_refused_with_the_known_ones(self, kernel):
        out = run(kernel, "import dask_sites\ndask_sites.widget('mars')")
        assert (
            out.error == 'SiteError: unknown site "mars"; known sites: central, lumi, leonardo'
        ), out

    def test_widget_of_a_known_site(self, kernel):
        out = run(kernel, "import dask_sites\ndask_sites.widget('lumi')")
        assert out.error is None, out
        assert out.result == FALLBACK

    def test_site_magic_shows_the_widget(self, kernel):
        opened = []
        out = run_collecting_comms(kernel, "%site lumi", opened)
        assert "now runs at lumi" in out.stdout
        [display] = [d for d in out.displays if WIDGET_VIEW in d]
        assert display["text/plain"] == FALLBACK
        widgets = [c for c in opened if c["target_name"] == "jupyter.widget"]
        [comm] = [c for c in widgets if c["data"]["state"].get("_model_name") == "SiteWidgetModel"]
        # The Lab is told of the new default too (its toolbar follows).
        assert [c["data"] for c in opened if c["target_name"] == "dask-sites.default"] == [
            {"site": "lumi"}
        ]
        assert display[WIDGET_VIEW]["model_id"] == comm["comm_id"]
        state = comm["data"]["state"]
        assert state["site"] == "lumi"
        assert state["_view_module"] == "jupyterlab-dask-sites"
        assert state["_view_module_version"] == MODULE_VERSION
        run(kernel, "%site --off")


def run_collecting_comms(client, code: str, opened: list) -> object:
    """``run``, and the ``comm_open`` messages the cell sent (the widget models it created)."""
    original = client.get_iopub_msg

    def get_iopub_msg(timeout=None):
        while True:
            message = original(timeout=timeout)
            if message["msg_type"] == "comm_open":
                opened.append(message["content"])
                continue
            return message

    client.get_iopub_msg = get_iopub_msg
    try:
        return run(client, code)
    finally:
        client.get_iopub_msg = original

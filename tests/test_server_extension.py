"""The Jupyter server extension loads with the server and reads c.DaskSites."""

from __future__ import annotations

import json

import pytest

pytest_plugins = ["pytest_jupyter.jupyter_server"]

REGISTRY = {"version": 1, "sites": [
    {"name": "central", "label": "Central", "gateway": {"address": "http://127.0.0.1:9"},
     "auth": {"type": "none"}}]}


def server_config(registry) -> dict:
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_ext_server": True}},
        "DaskSites": {"registry": str(registry)},
    }


@pytest.fixture
def registry_path(tmp_path):
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(REGISTRY))
    return path


@pytest.fixture
def jp_server_config(registry_path):
    return server_config(registry_path)


def test_extension_reads_the_registry(jp_serverapp, registry_path):
    state = jp_serverapp.web_app.settings["dask_sites"]
    assert state.config.registry == str(registry_path)
    assert [site["name"] for site in state.registry["sites"]] == ["central"]
    assert state.registry_error is None


class TestBadRegistry:
    @pytest.fixture
    def jp_server_config(self, tmp_path):
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps({"version": 1, "sites": [
            {"name": "lumi", "label": "LUMI", "gateway": {}, "auth": {"type": "none"}}]}))
        return server_config(bad)

    def test_a_bad_registry_is_reported_and_the_server_still_runs(self, jp_serverapp):
        assert "jupyter_ext_server" in jp_serverapp.extension_manager.extensions
        state = jp_serverapp.web_app.settings["dask_sites"]
        assert state.registry is None
        assert "site \"lumi\": gateway: 'address' is a required property" in state.registry_error

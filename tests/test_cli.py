"""The dask-sites command line: help everywhere, and a detached testbed's up/status/down."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from jupyter_ext_server.testbed import read_state
from jupyter_ext_server.testbed.processes import free_port, processes_of

pytestmark = pytest.mark.integration  # each runs the dask-sites command

HELP_PATHS = [
    [],
    ["testbed"],
    ["testbed", "up"],
    ["testbed", "down"],
    ["testbed", "status"],
    ["demo"],
    ["registry"],
    ["registry", "validate"],
]


# The installed console script of this environment, as a user would run it.
DASK_SITES = str(Path(sys.executable).with_name("dask-sites"))


def run(*args, timeout=300):
    return subprocess.run([DASK_SITES, *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("path", HELP_PATHS, ids=lambda p: " ".join(p) or "dask-sites")
def test_every_command_has_help(path):
    result = run(*path, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: dask-sites" in result.stdout


def test_registry_validate_names_site_and_field(tmp_path):
    path = tmp_path / "registry.json"
    path.write_text(
        json.dumps(
            {
                "version": 1,
                "sites": [
                    {
                        "name": "lumi",
                        "label": "LUMI",
                        "gateway": {"address": "ftp://x"},
                        "auth": {"type": "none"},
                    }
                ],
            }
        )
    )
    result = run("registry", "validate", str(path))
    assert result.returncode == 1
    assert 'site "lumi": gateway.address' in result.stderr


def test_registry_validate_refuses_metadata_hosts_unless_allowed(tmp_path):
    site = {
        "name": "lumi",
        "label": "LUMI",
        "gateway": {"address": "http://metadata.google.internal/"},
        "auth": {"type": "none"},
    }
    path = tmp_path / "registry.json"
    path.write_text(json.dumps({"version": 1, "sites": [site]}))
    refused = run("registry", "validate", str(path))
    assert refused.returncode == 1
    assert "metadata.google.internal is a cloud metadata service" in refused.stderr
    allowed = run("registry", "validate", "--allow-link-local-hosts", str(path))
    assert allowed.returncode == 0, allowed.stderr
    assert "is not encrypted (http://)" in allowed.stderr  # and warned about


def test_unknown_site_is_a_clear_error(tmp_path):
    result = run("testbed", "up", "--sites", "central,mars", "--state-dir", str(tmp_path))
    assert result.returncode != 0
    assert "unknown testbed site(s) mars; choose from central, lumi, leonardo" in result.stderr


def test_detached_up_status_down(tmp_path):
    state_dir = tmp_path / "bed"
    up = run("testbed", "up", "--detach", "--sites", "leonardo", "--state-dir", str(state_dir))
    info = read_state(state_dir)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        assert "alice / alice-dask-sites" in up.stdout
        assert info is not None and info.status == "ready"
        assert "leonardo" in up.stdout and info.registry_path in up.stdout
        again = run(
            "testbed", "up", "--detach", "--sites", "leonardo", "--state-dir", str(state_dir)
        )
        assert again.returncode == 1 and "already running" in again.stderr
        status = run("testbed", "status", "--state-dir", str(state_dir))
        assert status.returncode == 0, status.stdout
        assert "leonardo gateway" in status.stdout and "v2026" in status.stdout
    finally:
        down = run("testbed", "down", "--state-dir", str(state_dir))
    assert down.returncode == 0
    assert "Testbed stopped" in down.stdout
    assert processes_of(info.testbed_id) == []
    after = run("testbed", "status", "--state-dir", str(state_dir))
    assert after.returncode == 3 and "No testbed is running" in after.stdout


def test_hub_options_are_checked_before_anything_starts(tmp_path):
    alone = run("testbed", "up", "--hub-auth-sites", "lumi", "--state-dir", str(tmp_path))
    assert alone.returncode == 2
    assert "--hub-auth-sites needs --hub" in alone.stderr
    elsewhere = run(
        "testbed", "up", "--hub", "--sites", "central", "--hub-auth-sites", "lumi",
        "--state-dir", str(tmp_path),
    )  # fmt: skip
    assert elsewhere.returncode == 2
    assert "--hub-auth-sites names sites that do not run: lumi" in elsewhere.stderr
    assert read_state(tmp_path) is None  # nothing started


def test_demo_behind_the_hub_starts_and_stops(tmp_path):
    port = free_port()
    demo = subprocess.Popen(
        [DASK_SITES, "demo", "--hub", "--sites", "central", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "DASK_SITES_TESTBED_DIR": str(tmp_path / "bed")},
    )
    try:
        printed = output_until(demo, "JupyterHub with Dask Sites:")
        assert f"http://127.0.0.1:{port}/hub/login" in printed
        assert "alice / alice-dask-sites" in printed
        info = read_state(tmp_path / "bed")
        assert info and info.hub == f"http://127.0.0.1:{port}"
        login = requests.get(f"{info.hub}/hub/login", timeout=10)
        assert login.status_code == 200 and "Sign in with" in login.text
    finally:
        demo.send_signal(signal.SIGINT)
        assert demo.wait(60) == 0
    assert processes_of(info.testbed_id) == []


def output_until(process: subprocess.Popen, marker: str) -> str:
    """The process's output up to the first line holding ``marker`` (pytest's timeout
    ends a wait that never sees it)."""
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if marker in line:
            return "".join(lines)
    raise AssertionError(f"exited ({process.wait()}) before {marker!r}:\n" + "".join(lines))

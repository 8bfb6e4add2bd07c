"""Jupyter server for the Galata tests: Galata's test setup, Dask Sites pointed
at a local testbed that this file starts, and stops again when the server ends.

Run by Playwright's ``webServer`` (see playwright.config.ts), or by hand:

    ../.venv/bin/jupyter lab --config jupyter_server_test_config.py   # http://127.0.0.1:8888/user/alice/lab

Environment (all optional):
    DASK_SITES_UI_PORT       port of the server (default 8888, 127.0.0.1 only)
    DASK_SITES_UI_BASE_URL   the server's base URL (default /user/alice/, as under
                             JupyterHub; the Lab is at <base URL>lab)
    DASK_SITES_UI_STATE_DIR  the testbed's state dir (default ui-tests/.testbed)
    DASK_SITES_UI_SITES      sites to run (default central,lumi)
    DASK_SITES_UI_HOSTILE    sites whose schedulers also serve a hostile dashboard page
                             (default lumi; the security test opens it)

The testbed is stopped at exit (SIGTERM, SIGINT, a normal shutdown or a failed
start-up); Playwright's global teardown and `make ui-test` run
`dask-sites testbed down` on the same state dir as a second line of defence
(against SIGKILL).
"""

import atexit
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from jupyterlab.galata import configure_jupyter_server

from jupyter_ext_server.testbed import read_state
from jupyter_ext_server.testbed.testbed import notebook_environment

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

HERE = Path(__file__).parent.resolve()
PORT = int(os.environ.get("DASK_SITES_UI_PORT", "8888"))
STATE_DIR = Path(os.environ.get("DASK_SITES_UI_STATE_DIR", HERE / ".testbed")).resolve()
SITES = os.environ.get("DASK_SITES_UI_SITES", "central,lumi")
HOSTILE = os.environ.get("DASK_SITES_UI_HOSTILE", "lumi")
# A JupyterHub-style base URL: every UI test also proves the extension right there.
BASE_URL = "/" + "/".join(p for p in os.environ.get("DASK_SITES_UI_BASE_URL", "/user/alice/").split("/") if p)
BASE_URL = BASE_URL.rstrip("/") + "/"

configure_jupyter_server(c)
c.ServerApp.ip = "127.0.0.1"
c.ServerApp.port = PORT
c.ServerApp.base_url = BASE_URL
c.ServerApp.allow_root = True  # CI runs as root


def _testbed(*args: str, check: bool = True) -> None:
    subprocess.run(
        [sys.executable, "-m", "jupyter_ext_server.cli", "testbed", *args, "--state-dir", str(STATE_DIR)],
        check=check,
        stdin=subprocess.DEVNULL,
    )


_stopped = False


def _stop_testbed() -> None:
    global _stopped
    if not _stopped:
        _stopped = True
        _testbed("down", check=False)


def _exit_on_signal(signum, frame):
    # Until the server installs its own handlers (which end in a normal exit),
    # turn SIGTERM/SIGHUP into SystemExit so that atexit stops the testbed.
    sys.exit(128 + signum)


for _sig in (signal.SIGTERM, signal.SIGHUP):
    signal.signal(_sig, _exit_on_signal)
atexit.register(_stop_testbed)

# A testbed left behind by a run that was killed would block `up`.
_testbed("down", check=False)
_testbed(
    "up", "--detach", "--sites", SITES, *(["--hostile-dashboards", HOSTILE] if HOSTILE else []),
    "--redirect-uri", f"http://127.0.0.1:{PORT}{BASE_URL}dask-sites/oidc/callback",
)
_info = read_state(STATE_DIR)
if _info is None:
    raise RuntimeError(f"the testbed in {STATE_DIR} did not write its state")

c.DaskSites.registry = _info.registry_path
c.DaskSites.auto_create_cluster = True
# lumi's cluster is made for the notebook's kernel, which each test's end shuts
# down; later tests still use it (and the panel shows when it will stop).
c.DaskSites.kernel_cluster_grace = 900
c.DaskSites.state_dir = tempfile.mkdtemp(prefix="dask-sites-ui-state-")
# Kernels inherit the server's environment: the testbed's object-store credentials.
os.environ.update(notebook_environment())

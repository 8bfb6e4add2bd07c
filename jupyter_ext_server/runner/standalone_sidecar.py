"""A sidecar of its own for notebooks run without a Jupyter server (``dask-sites run``,
papermill's ``dask-sites`` engine).

It holds the logins, as the server's sidecar does; kernels get its address and
kernel secret, never a token. Sites that need a login get one first: a
persisted one (where the registry allows ``persist_refresh_token``) or a device
code printed for the person running the notebook. Its state directory is its
own: two sidecars refreshing one rotating refresh token would revoke it.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from jupyter_core.paths import jupyter_data_dir

from ..server.sidecar_process import SidecarProcess
from ..sidecar_client import SidecarClient, SidecarError

REGISTRY_ENV = "DASK_SITES_REGISTRY"
NEEDS_NOTHING = ("logged-in", "not-required")


class RunError(RuntimeError):
    """The run cannot go on; the message says why and what to do."""


def default_state_dir() -> Path:
    return Path(
        os.environ.get("DASK_SITES_RUN_STATE_DIR") or Path(jupyter_data_dir()) / "dask-sites-run"
    )


def registry_from_environment() -> str:
    registry = os.environ.get(REGISTRY_ENV, "")
    if not registry:
        raise RunError(
            f"no site registry: pass --registry FILE (or set ${REGISTRY_ENV}), the file or "
            "URL a Jupyter server's c.DaskSites.registry names"
        )
    return registry


def say_on_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def standalone_sidecar(
    registry: str,
    state_dir: Path | None = None,
    *,
    login_timeout: float = 600.0,
    say: Callable[[str], None] = say_on_stderr,
) -> Iterator[dict[str, str]]:
    """Start a sidecar, see every site logged in, and yield what a kernel's environment
    needs to use it (its address and kernel secret). Stops it at the end."""
    state_dir = Path(state_dir or default_state_dir())
    state_dir.mkdir(parents=True, exist_ok=True)
    state_dir.chmod(0o700)
    runtime = Path(tempfile.mkdtemp(prefix="dask-sites-run-"))
    sidecar = SidecarProcess(
        registry=registry,
        public_url=None,  # no browser: logins use the device flow
        state_dir=state_dir,
        runtime_dir=runtime,
        node_command=None,
        auto_create_cluster=True,  # as the demo: a run may start each site's cluster
        log=logging.getLogger("dask_sites.run"),
    )
    endpoint = sidecar.endpoint
    log_path = state_dir / "sidecar.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            sidecar.command(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=sidecar.environment(),
            start_new_session=True,
        )
    try:
        client = SidecarClient(endpoint.url, endpoint.server_secret, timeout=60)
        _wait_until_up(client, process, log_path)
        see_logged_in(client, login_timeout, say)
        yield endpoint.kernel_environment()
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(runtime, ignore_errors=True)
        shutil.rmtree(sidecar.socket_dir, ignore_errors=True)


def _wait_until_up(client: SidecarClient, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace").splitlines()[-10:]
            raise RunError(
                f"the sidecar exited with code {process.returncode}:\n" + "\n".join(tail)
            )
        try:
            client.get("/api/health", timeout=2)
            return
        except (SidecarError, OSError):
            time.sleep(0.1)
    raise RunError(f"the sidecar did not answer within 30 s; see {log_path}")


def see_logged_in(
    client: SidecarClient, timeout: float, say: Callable[[str], None] = say_on_stderr
) -> None:
    """Every site that needs a login has one: start a device login per login the sites
    share, say where to confirm it, and wait. A login that fails ends the run."""
    deadline = time.monotonic() + timeout
    asked: set[str] = set()
    while True:
        sites = client.get("/api/sites")["sites"]
        waiting = [s for s in sites if s["login"]["status"] not in NEEDS_NOTHING]
        if not waiting:
            return
        for site in waiting:
            key, login = site["loginKey"], site["login"]
            sharing = ", ".join(s["label"] for s in sites if s["loginKey"] == key)
            if key in asked and login["status"] == "login-needed":
                raise RunError(f"the login to {sharing} failed: {login.get('reason', '?')}")
            if key in asked:
                continue
            asked.add(key)
            state = client.post(
                f"/api/sites/{quote(site['name'], safe='')}/login", {"flow": "device"}
            )
            if state["status"] == "pending":
                link = state.get("verificationUriComplete") or state["verificationUri"]
                say(f"Log in to {sharing}: open {link} and confirm the code {state['userCode']}")
        if time.monotonic() > deadline:
            names = ", ".join(s["label"] for s in waiting)
            raise RunError(
                f"not logged in to {names} within {timeout:.0f} s; run again and confirm the code"
            )
        time.sleep(1)

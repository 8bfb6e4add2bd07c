"""Real parts for tests: the testbed issuer alone, and the bundled sidecar.

Each ``start()`` waits until the part answers; each ``stop()`` also ends
whatever it started (processes are found by a marker in their environment).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from jupyter_ext_server.node_runtime import bundled_program, find_node
from jupyter_ext_server.sidecar_client import SidecarClient, SidecarError
from jupyter_ext_server.testbed.issuer import issuer_is_healthy, issuer_process, write_issuer_config
from jupyter_ext_server.testbed.login import approve_device
from jupyter_ext_server.testbed.processes import ManagedProcess, free_port, kill_stragglers

from .waiting import wait_for

#: The redirect URI of a ``RunningIssuer``'s clients (nothing listens: a code
#: flow stops at the redirect).
CALLBACK_URI = "http://127.0.0.1:1/callback"

#: A confidential client (as a hub is) that every ``RunningIssuer`` registers.
CONFIDENTIAL_CLIENT = {
    "client_id": "confidential-test",
    "client_name": "A confidential client",
    "client_secret": "confidential-test-secret-0123456789",
    "redirect_uris": [CALLBACK_URI],
}


class RunningIssuer:
    """A testbed issuer on its own, for authenticator tests that need odd settings."""

    def __init__(self, state_dir: Path, access_token_ttl: int = 300):
        self.state_dir = state_dir
        self.access_token_ttl = access_token_ttl
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.keys_file = state_dir / "issuer-keys.json"
        self.testbed_id = f"issuer-{os.getpid()}-{self.port}"
        self.process = None

    def start(self) -> RunningIssuer:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        config = self.state_dir / "issuer.json"
        write_issuer_config(
            config,
            port=self.port,
            access_token_ttl=self.access_token_ttl,
            keys_file=self.keys_file,
            redirect_uris=[CALLBACK_URI],
            other_clients=(CONFIDENTIAL_CLIENT,),
        )
        self.process = issuer_process(config, self.state_dir / "issuer.log")
        self.process.start(self.testbed_id)
        self.process.wait_ready(lambda: issuer_is_healthy(self.url), timeout=60)
        return self

    def stop(self) -> None:
        if self.process:
            self.process.stop()
        kill_stragglers(self.testbed_id)

    def restart_with_new_keys(self) -> None:
        """Simulate key rotation: same URL, a fresh signing key."""
        self.stop()
        self.keys_file.unlink(missing_ok=True)
        self.start()

    def jwks(self) -> dict:
        return requests.get(f"{self.url}/jwks", timeout=5).json()


# Where the issuer sends the browser after a code-flow login (through Jupyter's proxy).
SIDECAR_PUBLIC_URL = "http://127.0.0.1:8888/"
SIDECAR_CALLBACK = SIDECAR_PUBLIC_URL + "dask-sites/oidc/callback"


class RunningSidecar:
    """The bundled sidecar on a loopback port, against a registry file."""

    def __init__(
        self,
        registry_path: str,
        state_dir: Path,
        public_url: str = SIDECAR_PUBLIC_URL,
        extra_args: tuple[str, ...] = (),
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server_secret = f"server-{os.getpid()}-{self.port}"
        self.kernel_secret = f"kernel-{os.getpid()}-{self.port}"
        self.state_dir = state_dir
        self.log_path = state_dir / "sidecar.log"
        self.marker = f"sidecar-{os.getpid()}-{self.port}"
        self.process = ManagedProcess(
            name="sidecar",
            command=[
                find_node(),
                str(bundled_program("sidecar.mjs")),
                "--registry",
                str(registry_path),
                "--listen",
                f"127.0.0.1:{self.port}",
                "--public-url",
                public_url,
                "--state-dir",
                str(state_dir),
                "--parent-pid",
                str(os.getpid()),  # gone with pytest, even if it is killed
                *extra_args,
            ],
            log_path=self.log_path,
            env={
                "DASK_SITES_SIDECAR_SECRET": self.server_secret,
                "DASK_SITES_KERNEL_SECRET": self.kernel_secret,
            },
        )
        self.browser = SidecarClient(self.url, self.server_secret)  # what the Jupyter proxy sends
        self.kernel = SidecarClient(self.url, self.kernel_secret)

    def start(self) -> RunningSidecar:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.process.start(self.marker)
        self.process.wait_ready(
            lambda: requests.get(f"{self.url}/api/health", timeout=2).ok, timeout=30
        )
        return self

    def stop(self) -> None:
        self.process.stop()
        kill_stragglers(self.marker)


def log_in(
    sidecar: RunningSidecar,
    site: str = "central",
    user: str = "alice",
    password: str = "alice-dask-sites",
) -> None:
    """Device login through the issuer's real pages, as a person would do it."""
    state = sidecar.browser.post(f"/api/sites/{site}/login")
    if state["status"] == "pending":
        approve_device(state["verificationUriComplete"], user, password)
    wait_for(
        lambda: sidecar.browser.get(f"/api/sites/{site}")["login"]["status"] == "logged-in",
        what=f"the login at {site}",
    )


def stop_clusters(sidecar: RunningSidecar, sites=("central", "lumi", "leonardo")) -> None:
    """Stop every running cluster of the logged-in user (a site not logged in has none)."""
    for site in sites:
        try:
            clusters = sidecar.browser.get(f"/api/sites/{site}/clusters")["clusters"]
        except SidecarError as err:
            if err.code in ("login-needed", "unknown-site"):  # a testbed of fewer sites
                continue
            raise
        for cluster in clusters:
            if cluster["status"] in ("PENDING", "RUNNING"):
                sidecar.browser.request("DELETE", f"/api/sites/{site}/clusters/{cluster['name']}")


@contextmanager
def sidecar_session(
    registry_path: str,
    state_dir: Path,
    extra_args: tuple[str, ...] = (),
    user: str | None = None,
    sites: tuple[str, ...] = ("central",),
) -> Iterator[RunningSidecar]:
    """A started sidecar (logged in as ``user`` at ``sites``, if given); at the end the
    user's clusters are stopped and the sidecar with them, also when the test failed."""
    running = RunningSidecar(registry_path, state_dir, extra_args=extra_args).start()
    try:
        for site in sites if user else ():
            log_in(running, site=site, user=user, password=f"{user}-dask-sites")
        yield running
    finally:
        try:
            stop_clusters(running)
        finally:
            running.stop()

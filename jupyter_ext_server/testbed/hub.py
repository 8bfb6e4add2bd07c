"""The testbed's JupyterHub: users sign in at the testbed issuer, each gets a JupyterLab.

The hub is real (PyPI ``jupyterhub``, its proxy ``configurable-http-proxy``
from npm, ``oauthenticator``'s generic OAuth authenticator). It reads its
settings from a JSON file this module writes; ``jupyterhub_config.py`` next
to it turns them into the hub's configuration the way a deployment would.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import requests

from .processes import ManagedProcess

HUB_CLIENT_ID = "jupyterhub"
HUB_CONFIG = Path(__file__).with_name("jupyterhub_config.py")
SETTINGS_ENV = "DASK_SITES_HUB_SETTINGS"
PROXY_PROGRAM = "configurable-http-proxy"


class HubSetupError(RuntimeError):
    """The hub cannot run here; the message says what is missing and how to get it."""


@dataclass
class HubSettings:
    """Everything ``jupyterhub_config.py`` needs, written as JSON (0600: it holds secrets)."""

    public_url: str  # what the browser sees: the proxy's address
    hub_bind_url: str  # the hub's own API, behind the proxy
    proxy_api_url: str
    proxy_command: list[str]
    issuer: str
    client_secret: str
    admin_token: str  # the testbed's service token: start servers, make user tokens (tests)
    state_dir: str  # the hub's database, cookie secret and users' homes
    registry_path: str
    users: list[str]
    environment: dict[str, str] = field(default_factory=dict)  # for users' servers
    notebook_dir: str = ""  # empty: each user's home
    # Services of gateways that trust the hub (name: API token); users may use them.
    gateway_services: dict[str, str] = field(default_factory=dict)
    # More arguments for every user's server (the UI tests add Galata's config).
    user_server_args: list[str] = field(default_factory=list)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def issuer_client(public_url: str, client_secret: str) -> dict:
    """The hub's confidential client in the testbed issuer's format."""
    return {
        "client_id": HUB_CLIENT_ID,
        "client_name": "JupyterHub",
        "redirect_uris": [f"{public_url}/hub/oauth_callback"],
        "client_secret": client_secret,
    }


def sidecar_callbacks(public_url: str, users: list[str]) -> list[str]:
    """Where each user's Dask Sites code flow returns, under the hub's public URL."""
    return [f"{public_url}/user/{name}/dask-sites/oidc/callback" for name in users]


def find_proxy_command() -> list[str]:
    """configurable-http-proxy: $DASK_SITES_PROXY_COMMAND, PATH, or this checkout's npm packages."""
    configured = os.environ.get("DASK_SITES_PROXY_COMMAND")
    if configured:
        return [configured]
    on_path = shutil.which(PROXY_PROGRAM)
    if on_path:
        return [on_path]
    checkout = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / PROXY_PROGRAM
    if checkout.exists():
        return [str(checkout)]
    raise HubSetupError(
        f"the hub needs its proxy, {PROXY_PROGRAM}, which is neither on PATH nor in this "
        f"checkout's node_modules. Install it with `npm install -g {PROXY_PROGRAM}` "
        "(or `npm install` in a Dask Sites checkout), or set DASK_SITES_PROXY_COMMAND."
    )


def write_settings(path: Path, settings: HubSettings) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(settings), indent=2))
    path.chmod(0o600)


def read_settings(path: Path | str) -> HubSettings:
    return HubSettings(**json.loads(Path(path).read_text()))


def hub_process(settings_path: Path, log_path: Path, state_dir: Path) -> ManagedProcess:
    return ManagedProcess(
        name="hub",
        command=[sys.executable, "-m", "jupyterhub", "-f", str(HUB_CONFIG)],
        log_path=log_path,
        env={SETTINGS_ENV: str(settings_path)},
        cwd=state_dir,
    )


def hub_is_healthy(public_url: str) -> bool:
    """The hub answers its API through its proxy (so both run)."""
    response = requests.get(f"{public_url}/hub/api/", timeout=2)
    return response.status_code == 200 and "version" in response.json()

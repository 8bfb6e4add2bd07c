"""The testbed's OpenID Connect issuer: the bundled ``oidc-provider`` program."""

from __future__ import annotations

import json
from pathlib import Path

import requests

from ..node_runtime import bundled_program, find_node
from .processes import ManagedProcess
from .sites import (
    CLIENT_ID,
    GATEWAY_AUDIENCE,
    GATEWAY_RESOURCE,
    GATEWAY_SCOPE,
    USERS,
)


def write_issuer_config(
    path: Path,
    *,
    port: int,
    access_token_ttl: int,
    keys_file: Path,
    redirect_uris: list[str],
    other_clients: tuple[dict, ...] = (),
) -> None:
    """``other_clients``: more clients in the issuer's format (``client_id``,
    ``client_name``, ``redirect_uris``, ``client_secret`` for a confidential
    one such as a hub), after Dask Sites' own."""
    config = {
        "host": "127.0.0.1",
        "port": port,
        "access_token_ttl_seconds": access_token_ttl,
        "refresh_token_ttl_seconds": 14 * 24 * 3600,
        "device_code_ttl_seconds": 600,
        "keys_file": str(keys_file),
        "clients": [
            {"client_id": CLIENT_ID, "client_name": "Dask Sites", "redirect_uris": redirect_uris},
            *other_clients,
        ],
        "resources": [
            {"indicator": GATEWAY_RESOURCE, "audience": GATEWAY_AUDIENCE, "scope": GATEWAY_SCOPE}
        ],
        "users": [
            {
                "username": u.username,
                "password": u.password,
                "name": u.name,
                "email": u.email,
                "groups": list(u.groups),
            }
            for u in USERS
        ],
    }
    path.write_text(json.dumps(config, indent=2))
    path.chmod(0o600)  # it holds the test users' passwords (and any client secret)


def issuer_process(config_path: Path, log_path: Path) -> ManagedProcess:
    return ManagedProcess(
        name="issuer",
        command=[
            find_node(),
            str(bundled_program("testbed-issuer.mjs")),
            "--config",
            str(config_path),
        ],
        log_path=log_path,
    )


def issuer_is_healthy(issuer: str) -> bool:
    response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2)
    return response.status_code == 200 and response.json().get("issuer") == issuer

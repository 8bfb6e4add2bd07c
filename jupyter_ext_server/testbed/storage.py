"""A per-site S3-compatible object store: moto in server mode, one process per site.

DEDL serves each site's data from its own endpoint (``s3.<site>...``); one
moto server per site on its own loopback port gives the same shape, speaks
the real S3 protocol to s3fs/zarr, and installs from PyPI with no binary
download. It checks keys as a real site's store does, and gives users keys
for their OIDC access token (``object_store.py``). It keeps objects in
memory, so data is rewritten on each start.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import requests

from .processes import ManagedProcess


def storage_process(
    site: str, port: int, log_path: Path, *, issuer: str, audience: str, writer_file: Path
) -> ManagedProcess:
    writer_file.unlink(missing_ok=True)  # keys of an earlier run are unknown to this one
    return ManagedProcess(
        name=f"{site} object store",
        command=[
            sys.executable,
            "-m",
            "jupyter_ext_server.testbed.object_store",
            "--port",
            str(port),
            "--site",
            site,
            "--issuer",
            issuer,
            "--audience",
            audience,
            "--writer-file",
            str(writer_file),
        ],
        log_path=log_path,
        env={"MOTO_ALLOW_NONEXISTENT_REGION": "true"},
    )


def storage_is_healthy(endpoint: str) -> bool:
    # 200 once the site's users and roles exist and keys are checked.
    return requests.get(endpoint + "/_health", timeout=2).status_code == 200


def writer_keys(writer_file: Path | str) -> dict:
    """The site's writer key (``key``, ``secret``): it may write the site's buckets only."""
    return json.loads(Path(writer_file).read_text())

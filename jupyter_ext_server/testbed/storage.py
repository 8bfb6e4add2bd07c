"""A per-site S3-compatible object store: moto in server mode, one process per site.

DEDL serves each site's data from its own endpoint (``s3.<site>...``); one
moto server per site on its own loopback port gives the same shape, speaks
the real S3 protocol to s3fs/zarr, and installs from PyPI with no binary
download. It keeps objects in memory, so data is rewritten on each start.
"""

from __future__ import annotations

import sys
from pathlib import Path

import requests

from .processes import ManagedProcess


def storage_process(site: str, port: int, log_path: Path) -> ManagedProcess:
    return ManagedProcess(
        name=f"{site} object store",
        command=[sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        log_path=log_path,
        env={"MOTO_ALLOW_NONEXISTENT_REGION": "true"},
    )


def storage_is_healthy(endpoint: str) -> bool:
    # ListBuckets; moto answers 200 with any credentials.
    return requests.get(endpoint + "/", timeout=2).status_code == 200

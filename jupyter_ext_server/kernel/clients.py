"""One ``distributed.Client`` per site, from the sidecar's kernel API.

Created on first use, reused while the site's cluster stays the same,
rebuilt when it changes, closed when the kernel shuts down. The sidecar is
asked again at most every ``recheck_seconds`` while the client is connected
(a cluster chosen in the sidebar is picked up after that), and at once when
the connection is lost. A working connection is kept when the sidecar
cannot answer (a restart that lost the login): only a lost connection, or
another cluster, replaces it.

On each new connection the kernel compares its package versions with the
cluster's (``versions.py``): a difference is said once, under the cell, and
reported to the sidecar for the cluster's card; one that cannot work
refuses the cluster until it changes.
"""

from __future__ import annotations

import sys
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from ..sidecar_client import SidecarClient, SidecarError
from .errors import SiteError, site_error_from
from .versions import EXTRA_PACKAGES, compare, message

# Answers that say nothing about the cluster (a working connection is kept);
# others (no cluster, its scheduler gone, another one chosen) replace it.
CANNOT_SAY_NOW = ("network", "login-needed")


@dataclass
class _Entry:
    cluster: str
    client: Any  # a distributed.Client (not imported here: see _connect)
    dashboard_path: str
    checked_at: float = field(default_factory=time.monotonic)
    #: Why this cluster cannot be used from this kernel (versions that cannot work).
    refusal: str | None = None


class SiteClients:
    def __init__(
        self,
        sidecar: SidecarClient,
        auto_create: bool = True,
        recheck_seconds: float = 10.0,
        owner: str | None = None,
        on_connect: Callable[[str, Any], None] | None = None,
    ):
        self.sidecar = sidecar
        # Told of each new connection (storage_access.py gives its workers keys).
        self.on_connect = on_connect
        self.auto_create = auto_create
        # This kernel's name (owner.py): clusters made for it end with it.
        self.owner = owner
        self.recheck_seconds = recheck_seconds
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()  # threads computing in one cell share one Client per site

    def client_for(self, site: str):
        """The Client of ``site``'s current cluster (building it if needed)."""
        with self._lock:
            before = self._entries.get(site)
            client = self._client_for(site)
            entry = self._entries[site]
        if entry.refusal:
            raise SiteError(entry.refusal)
        if entry is not before and self.on_connect:
            # Outside the lock: it may wait on the sidecar while other sites connect.
            self.on_connect(site, client)
        return client

    def _client_for(self, site: str):
        entry = self._entries.get(site)
        if (
            entry
            and getattr(entry.client, "status", None) == "running"
            and time.monotonic() - entry.checked_at < self.recheck_seconds
        ):
            return entry.client
        try:
            connection = self.sidecar.get(
                f"/kernel/sites/{quote(site, safe='')}/connection",
                create="1" if self.auto_create else None,
                owner=self.owner,
            )
        except SidecarError as err:
            if (
                err.code in CANNOT_SAY_NOW
                and entry
                and getattr(entry.client, "status", None) == "running"
            ):
                # The sidecar cannot say now (it restarted and lost its login, or
                # is away a moment); the connection in hand still works: keep it.
                entry.checked_at = time.monotonic()
                return entry.client
            raise site_error_from(err) from None
        if entry and entry.cluster == connection["cluster"] and entry.client.status == "running":
            entry.checked_at = time.monotonic()
            return entry.client
        if entry:
            self._close(entry)
        client = _connect(connection)
        entry = _Entry(connection["cluster"], client, connection["dashboardPath"])
        entry.refusal = self._check_versions(site, entry)
        self._entries[site] = entry
        return client

    def _check_versions(self, site: str, entry: _Entry) -> str | None:
        """Compare versions with a newly connected cluster: say a difference once
        (stderr, under the cell), tell the sidecar, and return why the cluster
        cannot be used, if so."""
        try:
            report = entry.client.get_versions(check=False, packages=EXTRA_PACKAGES)
        except Exception:
            return None  # the cluster cannot say now; its work will
        mismatches = compare(report)
        try:
            self.sidecar.request(
                "PUT",
                f"/kernel/sites/{quote(site, safe='')}/clusters/"
                f"{quote(entry.cluster, safe='')}/versions",
                {"mismatches": [m.as_dict() for m in mismatches]},
                timeout=5,
            )
        except SidecarError:
            pass  # only the card misses it
        if not mismatches:
            return None
        text = message(site, mismatches)
        if any(m.fatal for m in mismatches):
            return text
        print(text, file=sys.stderr)
        return None

    def close_all(self) -> None:
        for entry in self._entries.values():
            self._close(entry)
        self._entries.clear()

    @staticmethod
    def _close(entry: _Entry) -> None:
        try:
            entry.client.close()
        except Exception:
            pass


def _connect(connection: dict):
    """A Client of the cluster in the sidecar's connection answer (mutual TLS
    through the gateway's proxy; the key stays in this kernel's memory).

    ``distributed`` and ``dask_gateway`` are imported here, at the first
    connection, not at the top: together they take about a second to load,
    and a kernel that never computes at a site must not pay for them.
    """
    from dask_gateway.client import GatewaySecurity  # noqa: PLC0415 (see above)
    from distributed import Client  # noqa: PLC0415 (see above)
    from distributed.versions import VersionMismatchWarning  # noqa: PLC0415 (see above)

    security = GatewaySecurity(tls_key=connection["tlsKey"], tls_cert=connection["tlsCert"])
    with warnings.catch_warnings():
        # distributed's own warning is long and names no site: versions.py says it better.
        warnings.simplefilter("ignore", VersionMismatchWarning)
        return Client(connection["address"], security=security, set_as_default=False, timeout=60)

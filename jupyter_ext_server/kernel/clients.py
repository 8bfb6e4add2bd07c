"""One ``distributed.Client`` per site, from the sidecar's kernel API.

Created on first use, reused while the site's cluster stays the same,
rebuilt when it changes, closed when the kernel shuts down. The sidecar is
asked again at most every ``recheck_seconds`` while the client is connected
(a cluster chosen in the sidebar is picked up after that), and at once when
the connection is lost. A working connection is kept when the sidecar
cannot answer (a restart that lost the login): only a lost connection, or
another cluster, replaces it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from ..sidecar_client import SidecarClient, SidecarError
from .errors import site_error_from

# Answers that say nothing about the cluster (a working connection is kept);
# others (no cluster, its scheduler gone, another one chosen) replace it.
CANNOT_SAY_NOW = ("network", "login-needed")


@dataclass
class _Entry:
    cluster: str
    client: Any  # a distributed.Client (not imported here: see _connect)
    dashboard_path: str
    checked_at: float = field(default_factory=time.monotonic)


class SiteClients:
    def __init__(
        self,
        sidecar: SidecarClient,
        auto_create: bool = True,
        recheck_seconds: float = 10.0,
        owner: str | None = None,
    ):
        self.sidecar = sidecar
        self.auto_create = auto_create
        # This kernel's name (owner.py): clusters made for it end with it.
        self.owner = owner
        self.recheck_seconds = recheck_seconds
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()  # threads computing in one cell share one Client per site

    def client_for(self, site: str):
        """The Client of ``site``'s current cluster (building it if needed)."""
        with self._lock:
            return self._client_for(site)

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
        self._entries[site] = _Entry(connection["cluster"], client, connection["dashboardPath"])
        return client

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

    security = GatewaySecurity(tls_key=connection["tlsKey"], tls_cert=connection["tlsCert"])
    return Client(connection["address"], security=security, set_as_default=False, timeout=60)

"""One ``distributed.Client`` per site, from the sidecar's kernel API.

Created on first use, reused while the site's cluster stays the same,
rebuilt when it changes, closed when the kernel shuts down. The sidecar is
asked again at most every ``recheck_seconds`` while the client is connected
(a cluster chosen in the sidebar is picked up after that), and at once when
the connection is lost.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from ..sidecar_client import SidecarClient, SidecarError


class SiteError(RuntimeError):
    """Why a cell cannot run at a site, and what to do about it."""


@dataclass
class _Entry:
    cluster: str
    client: object  # distributed.Client
    dashboard_path: str
    checked_at: float = field(default_factory=time.monotonic)


def explain(err: SidecarError) -> SiteError:
    """The sidecar's error for the notebook. Its messages already name the
    site and the fix (log in, start a cluster, known sites); only an
    unreachable sidecar needs saying here."""
    if err.status == 0:
        return SiteError(f"Dask Sites cannot reach its sidecar: {err}")
    if err.status == 404 and err.code is None:
        return SiteError(
            "The Dask Sites sidecar does not know this request: it is older than the kernel's "
            "dask_sites. Restart the Jupyter server (it starts the sidecar) after an upgrade."
        )
    return SiteError(str(err))


class SiteClients:
    def __init__(self, sidecar: SidecarClient, auto_create: bool = True, recheck_seconds: float = 10.0):
        self.sidecar = sidecar
        self.auto_create = auto_create
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
                f"/kernel/sites/{site}/connection", create="1" if self.auto_create else None
            )
        except SidecarError as err:
            raise explain(err) from None
        if entry and entry.cluster == connection["cluster"] and entry.client.status == "running":
            entry.checked_at = time.monotonic()
            return entry.client
        if entry:
            self._close(entry)
        from dask_gateway.client import GatewaySecurity
        from distributed import Client

        security = GatewaySecurity(tls_key=connection["tlsKey"], tls_cert=connection["tlsCert"])
        client = Client(connection["address"], security=security, set_as_default=False, timeout=60)
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

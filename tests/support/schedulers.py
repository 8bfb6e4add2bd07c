"""What each site's scheduler recorded: the proof of where work ran."""

from __future__ import annotations

import time

from dask_gateway.client import GatewaySecurity
from distributed import Client


class SchedulerLogs:
    """What each site's scheduler has recorded in its own transition log."""

    def __init__(self, sidecar, sites):
        self.sidecar = sidecar
        self.sites = sites
        self.clients = {}

    def _client(self, site: str):
        connection = self.sidecar.kernel.get(f"/kernel/sites/{site}/connection", create="1")
        known = self.clients.get(site)
        if known and known[0] == connection["cluster"]:
            return known[1]
        client = Client(
            connection["address"],
            timeout=60,
            set_as_default=False,
            security=GatewaySecurity(connection["tlsKey"], connection["tlsCert"]),
        )
        self.clients[site] = (connection["cluster"], client)
        return client

    def keys(self, site: str, after: float) -> list[str]:
        # The log keeps the last 1000 transitions, each with the scheduler's clock
        # (this machine's): select by time, not by position.
        return self._client(site).run_on_scheduler(
            lambda dask_scheduler: [
                str(t.key) for t in dask_scheduler.transition_log if t.timestamp >= after
            ]
        )

    def mark(self) -> float:
        for site in self.sites:
            self._client(site)  # connect (and start clusters) before the clock starts
        return time.time()

    def since(self, mark: float, site: str) -> str:
        """The keys ``site``'s scheduler handled after ``mark``, one per line."""
        return "\n".join(self.keys(site, mark))

    def close(self) -> None:
        for _, client in self.clients.values():
            client.close()

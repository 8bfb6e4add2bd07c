"""Tell the sidecar which kernels run, so that clusters made for kernels end with them.

The Jupyter server is the one that sees kernels end, whatever ends them: a
clean shutdown, a restart (same kernel id, a new process) or ``kill -9``
(the server's restarter then starts a new process, or gives up). Every few
seconds this compares the server's kernels, named ``<kernel id>/<pid>`` as
kernels name themselves (``kernel/owner.py``), with what the sidecar was last
told, and tells it again when they differ (and now and then anyway, so a
restarted sidecar learns them). The sidecar stops a cluster it made for
kernels a grace period after none of them runs (``c.DaskSites.kernel_clusters``).
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid

from ..sidecar_client import SidecarClient, SidecarError
from .sidecar_process import SidecarEndpoint

# The sidecar's route for it: never forwarded from the browser (proxy.py).
ROUTE = "/server/kernels"
# Kernel ids the sidecar takes (the protocol's KERNEL_OWNER); jupyter_server's are uuids.
_KERNEL_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def running_kernels(kernel_manager) -> list[str]:
    """``<kernel id>/<pid>`` of each kernel the server runs (``<kernel id>/*`` when its
    process is not known here, e.g. a kernel on a remote provisioner)."""
    names = []
    for kernel_id in list(kernel_manager.list_kernel_ids()):
        if not _KERNEL_ID.match(kernel_id):
            continue  # not a name the sidecar takes: its clusters are never stopped
        try:
            manager = kernel_manager.get_kernel(kernel_id)
        except KeyError:
            continue  # ended while we looked
        process = getattr(getattr(manager, "provisioner", None), "process", None)
        pid = getattr(process, "pid", None)
        names.append(f"{kernel_id}/{pid}" if pid else f"{kernel_id}/*")
    return sorted(names)


class KernelWatch:
    def __init__(
        self,
        kernel_manager,
        endpoint: SidecarEndpoint,
        log,
        interval: float = 2.0,
        resend_after: float = 30.0,
    ):
        self.kernel_manager = kernel_manager
        self.sidecar = SidecarClient(endpoint.url, endpoint.server_secret, timeout=10)
        # This server's id for this run: kernels it never reported are not its to end.
        self.server = uuid.uuid4().hex
        self.log = log
        self.interval = interval
        self.resend_after = resend_after
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _run(self) -> None:
        told: list[str] | None = None
        told_at = 0.0
        loop = asyncio.get_running_loop()
        while True:
            try:
                running = running_kernels(self.kernel_manager)
                due = running != told or time.monotonic() - told_at > self.resend_after
                if due and await loop.run_in_executor(None, self._tell, running):
                    told, told_at = running, time.monotonic()
            except Exception as err:  # never let the watch end: kernels would be kept for good
                self.log.warning("Dask Sites: watching kernels failed: %s", err)
            await asyncio.sleep(self.interval)

    def _tell(self, running: list[str]) -> bool:
        try:
            self.sidecar.request("PUT", ROUTE, body={"server": self.server, "running": running})
            return True
        except SidecarError as err:
            # Starting or restarting: told on the next round.
            self.log.debug("Dask Sites: could not tell the sidecar which kernels run: %s", err)
            return False

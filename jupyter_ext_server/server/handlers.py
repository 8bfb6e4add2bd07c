"""The server extension's URLs under ``<base_url>dask-sites/``: the first that matches serves.

- ``frame/...``: dashboard pages under a capability (``frame_proxy.py``), with no
  Jupyter authentication: the capability in the path is the credential;
- everything else: the sidecar's browser API and the stable dashboard links
  (``proxy.py``), behind Jupyter's authentication and XSRF check.
"""

from __future__ import annotations

from .frame_proxy import FrameProxyHandler
from .proxy import SidecarProxyHandler
from .sidecar_process import SidecarEndpoint

# The sidecar is reached on its Unix socket or a loopback port, never elsewhere.
HOST_ALLOWLIST = ["localhost", "127.0.0.1", "::1"]


def proxy_handlers(endpoint: SidecarEndpoint) -> list[tuple]:
    """Handlers for an ExtensionApp (which prefixes the server's base URL)."""
    options = {"endpoint": endpoint, "host_allowlist": HOST_ALLOWLIST}
    return [
        # A dashboard left open is not the user at work: no activity for the idle culler.
        (r"/dask-sites/frame/(.*)", FrameProxyHandler, dict(options, update_last_activity=False)),
        (r"/dask-sites/(.*)", SidecarProxyHandler, options),
    ]

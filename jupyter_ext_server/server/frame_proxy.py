"""Dashboard pages under a capability: ``<base_url>dask-sites/frame/<capability>/<path>``.

A dashboard page runs code its site controls. The panel shows it in a frame
with an opaque origin, and every answer here carries a ``sandbox`` policy, so
the page can read no Jupyter cookie, read no answer of Jupyter's API (no CORS
for an opaque origin) and script no other window (ARCHITECTURE.md,
"Dashboards"). It does not need Jupyter's cookie, which Chromium does not
send for it (Firefox may: Jupyter's cookies have no SameSite attribute; its
XSRF check then still refuses writes, and reads stay unreadable): the
capability in the path, issued by the sidecar for one cluster after Jupyter
authenticated the user (the stable ``dashboard/<site>/<cluster>/`` link
redirects here), is the only credential, and the sidecar checks it.

So this handler skips Jupyter's authentication, and in exchange forwards
nothing that authenticates anyone: no cookie, no token, no secret of ours.
It serves only reads (GET, HEAD) and WebSockets (Bokeh's), only under
``frame/``, with the path judged by the same rule as everywhere else.
"""

from __future__ import annotations

import logging
import re

from jupyter_server.base.handlers import JupyterHandler

from .paths import segments_path
from .proxy import SidecarProxyHandler

FRAME_PREFIX = "frame"
READS = ("GET", "HEAD")
# A capability in a logged URL (the access log, jupyter-server-proxy's WebSocket lines).
# (`.../dask-sites/frame/<capability>/` as the browser asks, `/frame/<capability>/` at the sidecar)
CAPABILITY_IN_PATH = re.compile(r"(/frame/)[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")


class CapabilityRedaction(logging.Filter):
    """Log lines show ``frame/…/``, never a capability: it opens a dashboard for minutes."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = CAPABILITY_IN_PATH.sub(r"\1…", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


class FrameProxyHandler(SidecarProxyHandler):
    async def prepare(self, *args, **kwargs):
        # Not Jupyter's prepare: it would ask for a login the frame cannot have.
        # The Host check against DNS rebinding still applies.
        self.current_user = self._jupyter_current_user = None
        if not self.check_host():
            self._answer(403, "host not allowed", "not-authorised")
            return
        if self.request.method not in READS:
            self.set_header("Allow", ", ".join(READS))
            self._answer(405, "dashboards are read-only: GET or HEAD", "method-not-allowed")

    def check_origin(self, origin=None):
        # A sandboxed page's WebSocket says `Origin: null`; the capability is
        # what authenticates it, so an opaque origin is fine, a foreign one is not.
        if origin is None:
            origin = self.request.headers.get("Origin")
        return origin == "null" or JupyterHandler.check_origin(self, origin)

    def check_xsrf_cookie(self):
        # Only reads get this far (see prepare); they change nothing.
        return None

    def proxy_request_headers(self):
        # No secret of ours: the sidecar serves this request only under its capability.
        return self._headers_without_credentials()

    def _guard(self) -> str | None:
        segments = self._segments()
        if segments is None:
            return None
        # Only the frame door: the handler's pattern says so, and this makes sure.
        if not segments or segments[0] != FRAME_PREFIX:
            self._answer(404, "not found", "unknown-route")
            return None
        return segments_path(segments)

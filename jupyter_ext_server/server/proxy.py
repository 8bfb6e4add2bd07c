"""Serve the sidecar under ``<base_url>/dask-sites/`` behind Jupyter's own authentication.

Built on jupyter-server-proxy's ``ProxyHandler`` (HTTP and WebSocket), with
three changes: the target is the sidecar's Unix socket (or an external
sidecar's address); the browser's credentials (Jupyter cookies, tokens) are
replaced by the sidecar's server secret; and state-changing calls must carry
Jupyter's XSRF token, which jupyter-server-proxy leaves to the proxied app.
"""

from __future__ import annotations

import json
from urllib.parse import urlparse

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from jupyter_server_proxy.handlers import ProxyHandler

from .paths import PathRefused, path_segments, segments_path
from .sidecar_process import SidecarEndpoint

# Never forwarded: they authenticate the browser to Jupyter, not to the sidecar.
DROPPED_HEADERS = ("Cookie", "Authorization", "X-XSRFToken", "X-Xsrftoken")
# Never forwarded from the browser: the kernel API hands out TLS keys (kernels
# reach it directly), and the server API is the Jupyter server's own word on
# which kernels run (the server extension calls it directly).
PRIVATE_PREFIXES = ("kernel", "server")


class SidecarProxyHandler(ProxyHandler):
    def initialize(self, endpoint: SidecarEndpoint):
        self.endpoint = endpoint

    @property
    def unix_socket(self):
        return self.endpoint.unix_socket

    def _target(self) -> tuple[str, int]:
        if self.endpoint.unix_socket:
            return "localhost", 0
        parsed = urlparse(self.endpoint.url)
        return parsed.hostname or "127.0.0.1", parsed.port or 80

    def check_xsrf_cookie(self):
        # jupyter-server-proxy defers XSRF to the proxied app; our sidecar
        # trusts this proxy, so the check happens here.
        return JupyterHandler.check_xsrf_cookie(self)

    def proxy_request_headers(self):
        headers = self._headers_without_credentials()
        headers["Authorization"] = f"token {self.endpoint.server_secret}"
        return headers

    def _headers_without_credentials(self):
        headers = self.request.headers.copy()
        for name in DROPPED_HEADERS:
            if name in headers:
                del headers[name]
        # Lets the sidecar build links (dashboards, callback) under the right base URL.
        headers["X-Dask-Sites-Base-Url"] = url_path_join(self.base_url, "dask-sites/")
        return headers

    def _rewrite_location_header(self, location, host, port, proxied_path):
        # The sidecar's redirects already name the full path under the base URL.
        return location

    def _guard(self) -> str | None:
        """The path to forward (from the sidecar's root), judged on the path as
        it came (tornado's argument is decoded already: ``%2F`` would be a
        separator, ``%2e`` a dot); None when refused (the JSON answer is sent)."""
        segments = self._segments()
        if segments is None:
            return None
        if segments and segments[0] in PRIVATE_PREFIXES:
            self._answer(404, "not found", "unknown-route")
            return None
        return segments_path(segments)

    def _segments(self) -> list[str] | None:
        """The decoded segments after ``<base_url>dask-sites/``; None when refused."""
        prefix = url_path_join(self.base_url, "dask-sites/")
        raw = self.request.path[len(prefix) :] if self.request.path.startswith(prefix) else ""
        try:
            return path_segments(raw)
        except PathRefused as refused:
            self._answer(400, str(refused), "invalid-request")
            return None

    def _answer(self, status: int, message: str, code: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps({"error": message, "code": code}))

    async def _proxy(self, proxied_path: str):
        path = self._guard()
        if path is None:
            return None
        host, port = self._target()
        return await self.proxy(host, port, path)

    async def http_get(self, proxied_path):
        return await self._proxy(proxied_path)

    async def open(self, proxied_path):
        path = self._guard()
        if path is None:
            return None
        host, port = self._target()
        return await self.proxy_open(host, port, path)

    def post(self, proxied_path):
        return self._proxy(proxied_path)

    def put(self, proxied_path):
        return self._proxy(proxied_path)

    def patch(self, proxied_path):
        return self._proxy(proxied_path)

    def delete(self, proxied_path):
        return self._proxy(proxied_path)

    def head(self, proxied_path):
        return self._proxy(proxied_path)

    def options(self, proxied_path):
        return self._proxy(proxied_path)

"""A small client of the sidecar's API, for kernels and tests.

The sidecar listens on a Unix socket (or loopback port) and wants
``Authorization: token <secret>``. Kernels find both in their environment
(``DASK_SITES_SIDECAR``, ``DASK_SITES_KERNEL_SECRET``).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
from typing import Literal, get_args
from urllib.parse import urlencode, urlparse

#: The sidecar's error codes, as ``src/protocol/error-codes.ts`` defines them
#: (tests/test_error_codes.py keeps the two lists equal).
ErrorCode = Literal[
    "invalid-request",
    "body-too-large",
    "not-authorised",
    "caller-not-allowed",
    "unknown-route",
    "method-not-allowed",
    "internal",
    "unknown-site",
    "site-error",
    "no-cluster",
    "ambiguous-cluster",
    "cluster-unreachable",
    "unknown-dashboard",
    "dashboard-unreachable",
    "dashboard-link-expired",
    "login-needed",
    "login-failed",
    "issuer-unreachable",
    "auth-misconfigured",
    "gateway-unreachable",
    "gateway-timeout",
    "gateway-unauthorized",
    "gateway-forbidden",
    "gateway-not-found",
    "gateway-conflict",
    "gateway-invalid",
    "gateway-failed",
    "gateway-server",
    "no-storage-credentials",
    "storage-credentials-refused",
    "storage-unreachable",
    "network",
    "bad-answer",
]
ERROR_CODES: tuple[str, ...] = get_args(ErrorCode)


KERNEL_SECRET_ENV = "DASK_SITES_KERNEL_SECRET"
#: The kernel secret, once taken out of the environment (see ``from_environment``).
_kernel_secret: str | None = None


class SidecarError(RuntimeError):
    """The sidecar answered with an error; ``status`` and ``code`` say which.

    ``status`` is 0 and ``code`` "network" when the sidecar did not answer at
    all; ``code`` is None for an answer that is not the sidecar's JSON (a
    proxy's error page, or a sidecar older than this client). A code this
    client does not know (a newer sidecar's) is kept as ``unlisted_code``."""

    def __init__(
        self,
        status: int,
        message: str,
        code: ErrorCode | None = None,
        unlisted_code: str | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.unlisted_code = unlisted_code


def _code_of(answer: object) -> ErrorCode | None:
    code = answer.get("code") if isinstance(answer, dict) else None
    return code if code in ERROR_CODES else None


def _unlisted_code_of(answer: object) -> str | None:
    code = answer.get("code") if isinstance(answer, dict) else None
    return code if isinstance(code, str) and code not in ERROR_CODES else None


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


class SidecarClient:
    def __init__(self, address: str, secret: str, timeout: float = 360.0):
        # Long enough for the sidecar to start a cluster and wait for it.
        self.address = address
        self.secret = secret
        self.timeout = timeout

    @classmethod
    def from_environment(cls) -> SidecarClient:
        """The sidecar this kernel was started for. The kernel secret is taken
        out of ``os.environ`` (and kept in memory): Dask pickles a function's
        globals, so ``dask.delayed(os.environ.get)(...)`` would otherwise ship
        it to a site's workers, and the kernel's subprocesses would inherit it."""
        global _kernel_secret
        address = os.environ.get("DASK_SITES_SIDECAR")
        _kernel_secret = os.environ.pop(KERNEL_SECRET_ENV, None) or _kernel_secret
        secret = _kernel_secret
        if not address or not secret:
            raise SidecarError(
                0,
                "This kernel was not started by a Jupyter server running Dask Sites "
                "(DASK_SITES_SIDECAR is not set).",
                "network",
            )
        return cls(address, secret)

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        if self.address.startswith("unix:"):
            return _UnixConnection(self.address[len("unix:") :], timeout)
        parsed = urlparse(self.address)
        return http.client.HTTPConnection(
            parsed.hostname or "localhost", parsed.port, timeout=timeout
        )

    def request(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        query: dict | None = None,
        timeout: float | None = None,
    ):
        """Send one request; return the decoded JSON answer (None for 204).

        ``timeout`` (seconds) overrides the client's for this request: quick
        questions must not hang a cell as long as creating a cluster may."""
        if query:
            path = f"{path}?{urlencode({k: v for k, v in query.items() if v is not None})}"
        headers = {"Authorization": f"token {self.secret}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        connection = self._connection(timeout or self.timeout)
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as err:
            raise SidecarError(
                0, f"The Dask Sites sidecar at {self.address} is unreachable: {err}", "network"
            ) from None
        finally:
            connection.close()
        try:
            answer = json.loads(raw) if raw else None
        except ValueError:
            answer = None  # not the sidecar's JSON (a proxy's error page)
        if response.status >= 400:
            error = answer.get("error") if isinstance(answer, dict) else None
            message = str(error) if error else raw.decode(errors="replace")
            raise SidecarError(
                response.status, message, _code_of(answer), _unlisted_code_of(answer)
            )
        return answer

    def get(self, path: str, timeout: float | None = None, **query):
        return self.request("GET", path, query=query or None, timeout=timeout)

    def post(self, path: str, body: dict | None = None):
        return self.request("POST", path, body=body or {})

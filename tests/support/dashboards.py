"""Dashboards the way a browser reaches them: the stable link, its redirect to a
capability URL, and the Bokeh WebSocket under that URL."""

from __future__ import annotations

import base64
import os
import re
import socket
from urllib.parse import urlsplit

import requests

# Where a stable link sends the browser: <base>frame/<capability>/<path>.
CAPABILITY_URL = re.compile(r"^(?P<base>/.*?)frame/(?P<capability>[A-Za-z0-9_-]{43})/(?P<rest>.*)$")


def follow_link(url: str, headers: dict[str, str]) -> re.Match:
    """GET a stable dashboard link (authenticated); the capability URL it redirects to."""
    answer = requests.get(url, headers=headers, allow_redirects=False, timeout=30)
    assert answer.status_code == 302, (answer.status_code, answer.text[:300])
    location = answer.headers["Location"]
    match = CAPABILITY_URL.match(location)
    assert match, f"not a capability URL: {location}"
    return match


def bokeh_websocket_status(
    host: str, port: int, path: str, page: str, headers: dict[str, str] | None = None
) -> int:
    """Open a status page's Bokeh WebSocket at ``path``; the handshake's status."""
    match = re.search(r'"token":\s*"([^"]+)"', page) or re.search(r"token\s*=\s*'([^']+)'", page)
    assert match, "no Bokeh session token in the status page"
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        f"Sec-WebSocket-Protocol: bokeh, {match.group(1)}",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        status_line = sock.recv(4096).split(b"\r\n", 1)[0].decode()
    return int(status_line.split()[1])


def origin_of(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80

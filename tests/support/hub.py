"""Tests through the testbed's real JupyterHub: the hub's API as the testbed's
service, and a user's browser (cookies) talking to their own server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlparse

import requests
from jupyter_client.blocking import BlockingKernelClient

from jupyter_ext_server.testbed import Testbed


@dataclass
class HubAdmin:
    """The hub's REST API with the testbed's service token."""

    url: str
    token: str

    @classmethod
    def of(cls, testbed: Testbed) -> HubAdmin:
        assert testbed.info and testbed.info.hub and testbed.hub_settings
        return cls(testbed.info.hub, testbed.hub_settings.admin_token)

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(
            method,
            f"{self.url}/hub/api{path}",
            headers={"Authorization": f"token {self.token}"},
            timeout=150,
            **kwargs,
        )

    def start_server(self, user: str, timeout: float = 150) -> dict:
        """Start ``user``'s server (if it is not running) and wait until it is ready."""
        answer = self._call("POST", f"/users/{user}/server")
        assert answer.status_code in (201, 202, 400), answer.text  # 400: already running
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            server = self._call("GET", f"/users/{user}").json()["servers"].get("")
            if server and server["ready"]:
                return server
            time.sleep(0.5)
        raise AssertionError(f"{user}'s server was not ready within {timeout:.0f} s")

    def stop_server(self, user: str) -> None:
        self._call("DELETE", f"/users/{user}/server")

    def user_token(self, user: str) -> str:
        """An API token of ``user``'s own, as the hub's token page makes them."""
        answer = self._call("POST", f"/users/{user}/tokens", json={"note": "test"})
        assert answer.status_code in (200, 201), answer.text
        return answer.json()["token"]


class UserBrowser:
    """A user's browser after the hub's login: cookies for the hub, their server and the
    issuer. Calls to their server carry the XSRF value as JupyterLab's do."""

    def __init__(self, hub_url: str, user: str, session: requests.Session):
        self.hub_url = hub_url
        self.user = user
        self.session = session
        self.base = f"{hub_url}/user/{user}/"

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(urljoin(self.base, path), timeout=60, **kwargs)

    def post(self, path: str, json: dict | None = None) -> requests.Response:
        return self.send("POST", path, json or {})

    def send(self, method: str, path: str, json: dict | None = None) -> requests.Response:
        server_path = urlparse(self.base).path
        if self.session.cookies.get("_xsrf", path=server_path) is None:
            self.get("lab")  # the first visit signs in to the server (OAuth) and sets it
        xsrf = self.session.cookies.get("_xsrf", path=server_path)
        return self.session.request(
            method,
            urljoin(self.base, path),
            json=json,
            headers={"X-XSRFToken": xsrf},
            timeout=60,
        )

    def follow_without_input(self, url: str) -> requests.Response:
        """Open ``url`` and follow redirects, answering no page: a sign-on must need none.
        Returns the first answer that is not a redirect."""
        answer = self.session.get(url, allow_redirects=False, timeout=60)
        for _ in range(10):
            if not answer.is_redirect:
                return answer
            answer = self.session.get(
                urljoin(answer.url, answer.headers["Location"]), allow_redirects=False, timeout=60
            )
        raise AssertionError(f"more than 10 redirects from {url}")


@contextmanager
def kernel_of(browser: UserBrowser, home: Path) -> Iterator:
    """A kernel started by the user's own server (as the Lab starts one), and a client
    on its connection file (the server runs it as a local process under ``home``)."""
    kernel_id = browser.post("api/kernels", {"name": "python3"}).json()["id"]
    client = BlockingKernelClient()
    client.load_connection_file(
        str(home / ".local" / "share" / "jupyter" / "runtime" / f"kernel-{kernel_id}.json")
    )
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        yield client
    finally:
        client.stop_channels()
        browser.send("DELETE", f"api/kernels/{kernel_id}")

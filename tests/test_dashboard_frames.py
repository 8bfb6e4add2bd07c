"""Dashboards through a real Jupyter server, on the real testbed: the stable link needs
Jupyter's login and redirects to a capability URL; the capability URL serves that one
cluster's dashboard (pages and Bokeh's WebSocket) to a sandboxed page that carries no
credential, and nothing else. (The browser side, with a hostile page, is in ui-tests.)"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time

import pytest
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from jupyter_ext_server.testbed.login import approve_device
from support.dashboards import CAPABILITY_URL

pytest_plugins = ["pytest_jupyter.jupyter_server"]
pytestmark = pytest.mark.integration  # a Jupyter server, its sidecar and the testbed


@pytest.fixture
def jp_server_config(testbed, tmp_path):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_ext_server": True}},
        "DaskSites": {"registry": testbed.registry_path, "state_dir": str(tmp_path / "state")},
    }


@pytest.fixture
def jupyter(jp_serverapp, jp_base_url, jp_http_port, http_server_client, jp_asyncio_loop):
    """Requests to the Jupyter server: ``fetch(path, auth=True, **options)`` under the base URL."""
    app = jp_serverapp.web_app.settings["dask_sites"]
    token = jp_serverapp.identity_provider.token

    async def fetch(path: str, auth: bool = True, **options):
        headers = dict(options.pop("headers", {}))
        if auth:
            headers["Authorization"] = f"token {token}"
        return await http_server_client.fetch(
            f"{jp_base_url}{path}",
            headers=headers,
            raise_error=False,
            follow_redirects=False,
            **options,
        )

    fetch.port = jp_http_port  # type: ignore[attr-defined]
    fetch.base = jp_base_url  # type: ignore[attr-defined]
    try:
        yield fetch
    finally:
        if app.sidecar:  # stop it also when the test fails
            jp_asyncio_loop.run_until_complete(app.sidecar.stop())


async def json_of(answer) -> dict:
    return json.loads(answer.body)


async def log_in_and_start_a_cluster(fetch, site: str = "central") -> str:
    assert await _ready(fetch)
    login = await fetch(f"dask-sites/api/sites/{site}/login", method="POST", body="{}")
    state = await json_of(login)
    if state["status"] == "pending":
        approve_device(state["verificationUriComplete"], "alice", "alice-dask-sites")
    deadline = time.monotonic() + 60
    while (await json_of(await fetch(f"dask-sites/api/sites/{site}")))["login"]["status"] != (
        "logged-in"
    ):
        assert time.monotonic() < deadline, "the login did not complete"
        await asyncio.sleep(0.5)
    created = await fetch(
        f"dask-sites/api/sites/{site}/clusters", method="POST", body='{"wait": true}'
    )
    assert created.code == 201, created.body[:300]
    return (await json_of(created))["name"]


async def _ready(fetch) -> bool:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if (await fetch("dask-sites/api/health")).code == 200:
            return True
        await asyncio.sleep(0.2)
    return False


async def test_a_dashboard_under_a_capability_through_jupyter(jupyter, caplog):
    caplog.set_level(logging.DEBUG)
    cluster = await log_in_and_start_a_cluster(jupyter)
    link = f"dask-sites/dashboard/central/{cluster}/status?_xsrf=not-for-the-site&x=1"
    try:
        # Without Jupyter's login the stable link issues nothing.
        anonymous = await jupyter(link, auth=False)
        assert anonymous.code in (302, 403)
        assert "frame/" not in anonymous.headers.get("Location", "")

        # With it: a redirect to a capability URL under the base URL, Jupyter's parameters gone.
        redirect = await jupyter(link)
        assert redirect.code == 302, redirect.body[:300]
        location = redirect.headers["Location"]
        match = CAPABILITY_URL.match(location)
        assert match, location
        assert match["base"] == f"{jupyter.base}dask-sites/"
        assert match["rest"] == "status?x=1"
        frame = location[len(jupyter.base) :].split("?")[0]

        # The page, with no credential at all; sandboxed wherever it is shown.
        page = await jupyter(frame, auth=False, headers={"Accept": "text/html"})
        assert page.code == 200, page.body[:300]
        text = page.body.decode()
        assert "Dask Diagnostic UI" in text
        policy = page.headers["Content-Security-Policy"]
        assert "sandbox allow-scripts" in policy and "allow-same-origin" not in policy
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert "Set-Cookie" not in page.headers
        assert f"/clusters/{cluster}/" not in text
        # Its static files and plots, under the same capability.
        base_css = frame.replace("/status", "/statics/css/base.css")
        assert (await jupyter(base_css, auth=False)).code == 200

        # Bokeh's WebSocket, as a sandboxed page opens it (Origin: null), without a cookie.
        session = re.search(r'"token":\s*"([^"]+)"', text) or re.search(
            r"token\s*=\s*'([^']+)'", text
        )
        assert session, "no Bokeh session token in the page"
        ws_url = f"ws://127.0.0.1:{jupyter.port}{jupyter.base}{frame}/ws"
        socket = await websocket_connect(
            HTTPRequest(ws_url, headers={"Origin": "null"}), subprotocols=["bokeh", session[1]]
        )
        assert socket.selected_subprotocol == "bokeh"
        socket.close()
        # A foreign page's origin is refused even with the capability.
        with pytest.raises(HTTPClientError) as foreign:
            await websocket_connect(
                HTTPRequest(ws_url, headers={"Origin": "http://evil.example"}),
                subprotocols=["bokeh", session[1]],
            )
        assert foreign.value.code == 403

        # The capability opens this dashboard and nothing else, read-only.
        capability = match["capability"]
        for probe in (
            f"dask-sites/frame/{capability}/%2e%2e/%2e%2e/api/sites",
            f"dask-sites/frame/{capability}/..%2f..%2fapi/sites",
            "dask-sites/frame/%2e%2e/api/sites",
            f"dask-sites/frame/{capability}%2f..%2f..%2fapi/sites",
        ):
            refused = await jupyter(probe, auth=False)
            assert refused.code == 400, (probe, refused.code)
            assert (await json_of(refused))["code"] == "invalid-request"
        written = await jupyter(frame, auth=False, method="POST", body=b"x" * (1024 * 1024))
        assert written.code == 405, written.body[:300]
        assert (await json_of(written))["code"] == "method-not-allowed", written.body[:300]
        # Through Jupyter's own door (with its login), the capability is still a capability:
        # it never turns a frame request into a browser API call.
        api = await jupyter(f"dask-sites/api/sites?capability={capability}", auth=False)
        assert api.code in (302, 403)
    finally:
        stopped = await jupyter(f"dask-sites/api/sites/central/clusters/{cluster}", method="DELETE")
        assert stopped.code in (200, 204)

    # Once the sidecar sees the cluster stopped, its capability opens nothing (until
    # then the gateway itself may answer that the dashboard is gone).
    deadline = time.monotonic() + 60
    while "json" not in (closed := await jupyter(frame, auth=False)).headers.get(
        "Content-Type", ""
    ):
        assert closed.code >= 400, "the stopped cluster's dashboard is still served"
        assert time.monotonic() < deadline, "the sidecar still serves the stopped cluster"
        await asyncio.sleep(0.5)
    assert closed.code == 404
    # (stopped through the sidecar: its capabilities were revoked with it)
    assert (await json_of(closed))["code"] == "dashboard-link-expired"
    # The server's log names frame URLs (access lines, the proxy's WebSocket lines)
    # without their capability.
    assert "frame/…/" in caplog.text
    leaked = [
        line
        for line in caplog.text.splitlines()
        # (the probe above put it in a query on purpose: that line may show it)
        if capability in line and f"?capability={capability}" not in line
    ]
    assert not leaked, leaked[:3]

"""The sidecar against the real testbed: logins, clusters, live state, kernels, dashboards."""

from __future__ import annotations

import json
import re
import time

import pytest
import requests
from dask_gateway import Gateway

from jupyter_ext_server.gateway_auth import BearerAuth
from jupyter_ext_server.sidecar_client import SidecarError
from jupyter_ext_server.testbed.login import approve_device, device_login
from support.dashboards import bokeh_websocket_status, follow_link
from support.running import SIDECAR_CALLBACK, RunningSidecar, stop_clusters
from support.waiting import wait_for

pytestmark = pytest.mark.integration

SECRET_MARKERS = ("PRIVATE KEY", "tls_key", "tlsKey", "refresh_token", "access_token", "eyJ")


class RecordingClient:
    """Wraps the browser-side client and keeps every answer, to check none leaks a secret."""

    def __init__(self, client):
        self.client = client
        self.answers: list[str] = []

    def request(self, method, path, body=None, query=None):
        answer = self.client.request(method, path, body=body, query=query)
        self.answers.append(json.dumps(answer))
        return answer

    def get(self, path, **query):
        return self.request("GET", path, query=query or None)

    def post(self, path, body=None):
        return self.request("POST", path, body=body or {})


@pytest.fixture(scope="module")
def sidecar(testbed, tmp_path_factory):
    running = RunningSidecar(testbed.registry_path, tmp_path_factory.mktemp("sidecar")).start()
    running.browser = RecordingClient(running.browser)
    try:
        yield running
    finally:
        running.stop()


def site(sidecar, name):
    return next(s for s in sidecar.browser.get("/api/sites")["sites"] if s["name"] == name)


def test_code_flow_login_and_logout(sidecar, testbed):
    from urllib.parse import urlparse

    from jupyter_ext_server.testbed.login import sign_in

    pending = sidecar.browser.post("/api/sites/lumi/login", {"flow": "code"})
    assert pending["status"] == "pending" and pending["flow"] == "code"

    def callback(location: str) -> requests.Response:
        """What Jupyter's proxy forwards to the sidecar when the popup lands there."""
        assert location.startswith(SIDECAR_CALLBACK + "?")
        return requests.get(
            f"{sidecar.url}/oidc/callback?{urlparse(location).query}",
            timeout=30,
            headers={"Authorization": f"token {sidecar.server_secret}"},
            allow_redirects=False,
        )

    with requests.Session() as browser:
        # Asked silently first: this browser has no session at the issuer, which
        # answers login_required, and the callback sends the popup on to its page.
        silent = browser.get(pending["authorizationUrl"], allow_redirects=False, timeout=30)
        assert "error=login_required" in silent.headers["Location"]
        onwards = callback(silent.headers["Location"])
        assert onwards.status_code == 303
        assert onwards.headers["Location"].startswith(testbed.issuer)
        redirect = sign_in(browser, onwards.headers["Location"], "bob", "bob-dask-sites")
    location = redirect.headers["Location"]
    page = callback(location)
    assert page.status_code == 200 and 'data-dask-sites-login="ok"' in page.text
    assert "LUMI bridge (Kajaani)" in page.text
    replay = callback(location)
    assert replay.status_code == 400 and 'data-dask-sites-login="failed"' in replay.text
    states = {s["name"]: s["login"] for s in sidecar.browser.get("/api/sites")["sites"]}
    assert states["lumi"]["status"] == "logged-in" and states["lumi"]["user"] == "bob"
    assert states["central"]["status"] == "logged-in"  # same issuer, one login
    out = sidecar.browser.request("DELETE", "/api/sites/central/login")
    assert out["status"] == "logged-out"
    states = {s["name"]: s["login"]["status"] for s in sidecar.browser.get("/api/sites")["sites"]}
    assert set(states.values()) == {"logged-out"}


@pytest.fixture(scope="module")
def logged_in(sidecar):
    """A device login through the issuer's own pages (what a person does in the browser)."""
    pending = sidecar.browser.post("/api/sites/central/login")
    assert pending["status"] == "pending" and pending["flow"] == "device"
    assert re.fullmatch(r"[A-Z]{4}-[A-Z]{4}", pending["userCode"])
    approve_device(pending["verificationUriComplete"], "alice", "alice-dask-sites")
    wait_for(lambda: site(sidecar, "central")["login"]["status"] == "logged-in", what="login")
    return sidecar


def test_device_login_logs_in_every_site_of_the_issuer(logged_in):
    sites = {s["name"]: s for s in logged_in.browser.get("/api/sites")["sites"]}
    for name in ("central", "lumi", "leonardo"):
        assert sites[name]["login"]["status"] == "logged-in", sites[name]
        assert sites[name]["login"]["user"] == "alice"
        assert sites[name]["reachability"]["status"] == "up"
        assert sites[name]["reachability"]["version"].startswith("2026")
    assert len({s["loginKey"] for s in sites.values()}) == 1


def test_unknown_site_and_bad_bodies_are_clear_errors(logged_in):
    with pytest.raises(SidecarError) as unknown:
        logged_in.browser.get("/api/sites/mars/clusters")
    assert unknown.value.status == 404
    assert 'unknown site "mars"; known sites: central, lumi, leonardo' in str(unknown.value)
    with pytest.raises(SidecarError) as bad:
        logged_in.browser.post("/api/sites/central/clusters", {"options": {"worker_memory": 99}})
    assert bad.value.status == 422
    assert "worker_memory" in str(bad.value) and "maximum" in str(bad.value)
    with pytest.raises(SidecarError) as invalid:
        logged_in.browser.post("/api/sites/central/clusters/x/scale", {"count": "two"})
    assert invalid.value.status == 400 and "count" in str(invalid.value)
    before = logged_in.browser.get("/api/sites/central/clusters")
    for options in ({"__proto__": {"worker_cores": 1}}, {"constructor": 1}, {"a.b": 1}, []):
        with pytest.raises(SidecarError) as refused:
            logged_in.browser.post("/api/sites/central/clusters", {"options": options})
        assert refused.value.status == 400, options
    assert logged_in.browser.get("/api/sites/central/clusters") == before


class LiveFeed:
    """The live WebSocket, read by a small Node client (msgpackr decodes the stream)."""

    def __init__(self, sidecar, sites):
        import subprocess
        import threading
        from pathlib import Path

        from jupyter_ext_server.node_runtime import find_node

        client = Path(__file__).with_name("live_client.mjs")
        self.process = subprocess.Popen(
            [
                find_node(),
                str(client),
                f"ws://127.0.0.1:{sidecar.port}/api/live",
                sidecar.server_secret,
                *sites,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).parent.parent,  # node_modules
        )
        self.messages: list[dict] = []
        self.sites: dict[str, dict] = {}
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stdout:
            message = json.loads(line)
            self.messages.append(message)
            if message["type"] == "snapshot":
                self.sites = {}
            for state in message["sites"]:
                self.sites[state["name"]] = state
            # Only what changed, as applySitePatch (src/protocol/live-encoding.ts) applies it.
            for patch in message.get("patches", []):
                site = self.sites[patch["name"]]
                gone = set(patch.get("removed", []))
                clusters = [c for c in site["clusters"] if c["name"] not in gone]
                changed = {c["name"]: c for c in patch.get("clusters", [])}
                known = {c["name"] for c in clusters}
                clusters = [changed.get(c["name"], c) for c in clusters] + [
                    c for c in patch.get("clusters", []) if c["name"] not in known
                ]
                self.sites[patch["name"]] = {
                    **patch.get("fields", site),
                    "name": patch["name"],
                    "clusters": clusters,
                }

    def cluster(self, site, name):
        return next(
            (c for c in self.sites.get(site, {}).get("clusters", []) if c["name"] == name), None
        )

    def close(self):
        self.process.kill()
        self.process.wait(5)


@pytest.fixture
def live(logged_in):
    feeds = []

    def open_feed(*sites):
        feed = LiveFeed(logged_in, sites)
        feeds.append(feed)
        return feed

    try:
        yield open_feed
    finally:
        for feed in feeds:
            feed.close()


def test_cluster_lifecycle_with_live_figures(logged_in, live):
    api = logged_in.browser
    feed = live("central")
    created = api.post(
        "/api/sites/central/clusters",
        {
            "options": {"worker_cores": 1, "worker_memory": 1},
            "displayName": "flood run",
            "wait": True,
        },
    )
    name = created["name"]
    try:
        assert created["status"] == "RUNNING" and created["displayName"] == "flood run"
        assert "tls_key" not in created and "tlsKey" not in created
        # Above the site's limit: the answer says what the gateway did instead.
        capped = api.post(f"/api/sites/central/clusters/{name}/scale", {"count": 10000})
        assert capped["limited"]["maximum"] == 4
        assert "resource limit of 4 workers" in capped["limited"]["message"]
        scaled = api.post(f"/api/sites/central/clusters/{name}/scale", {"count": 2})
        assert scaled["name"] == name and "limited" not in scaled
        # The scheduler's own list of plots, through the sidecar.
        plots = api.get(f"/api/sites/central/clusters/{name}/plots")["plots"]
        assert {"name": "Task Stream", "path": "individual-task-stream"} in plots
        assert all(not p["path"].startswith(("/", ".")) for p in plots)
        with pytest.raises(SidecarError) as not_yours:
            api.get("/api/sites/central/clusters/" + "f" * 32 + "/plots")
        assert not_yours.value.code == "no-cluster"
        with pytest.raises(SidecarError) as dotted:
            api.get("/api/sites/central/clusters/%2e%2e/plots")
        assert dotted.value.status == 400
        live_figures = wait_for(
            lambda: (
                (c := feed.cluster("central", name))
                and c.get("live", {}).get("workers") == 2
                and c["live"]
            ),
            timeout=60,
            what="2 workers in the live state",
        )
        assert live_figures["threads"] == 2 and live_figures["memoryLimit"] > 0
        adapted = api.post(
            f"/api/sites/central/clusters/{name}/adapt", {"minimum": 0, "maximum": 1}
        )
        assert adapted["adaptive"] == {"minimum": 0, "maximum": 1}
        wait_for(
            lambda: (
                (c := feed.cluster("central", name)) and c.get("live", {}).get("workers", 9) <= 1
            ),
            timeout=60,
            what="adaptive scaling down",
        )
        renamed = api.request(
            "PATCH", f"/api/sites/central/clusters/{name}", {"displayName": "flood 2"}
        )
        assert renamed["displayName"] == "flood 2"
        # A name over the limit is refused with the limit named, never cut.
        with pytest.raises(SidecarError) as too_long:
            api.request("PATCH", f"/api/sites/central/clusters/{name}", {"displayName": "x" * 65})
        assert too_long.value.status == 400 and too_long.value.code == "invalid-request"
        assert "at most 64 characters" in str(too_long.value)
        listed = {c["name"]: c for c in api.get("/api/sites/central/clusters")["clusters"]}
        assert listed[name]["displayName"] == "flood 2"
    finally:
        api.request("DELETE", f"/api/sites/central/clusters/{name}")
    states = {c["name"]: c["status"] for c in api.get("/api/sites/central/clusters")["clusters"]}
    assert states.get(name) in (None, "STOPPING", "STOPPED")
    assert feed.messages[0]["type"] == "snapshot" and any(
        m["type"] == "diff" for m in feed.messages
    )


def test_cluster_started_with_plain_dask_gateway_is_listed(logged_in, testbed):
    token = device_login(testbed.issuer, "alice", "alice-dask-sites").access_token
    ends = testbed.sites["lumi"]
    gateway = Gateway(ends.gateway, proxy_address=ends.proxy, auth=BearerAuth(token))
    cluster = gateway.new_cluster()
    try:
        listed = wait_for(
            lambda: next(
                (
                    c
                    for c in logged_in.browser.get("/api/sites/lumi/clusters")["clusters"]
                    if c["name"] == cluster.name
                ),
                None,
            ),
            what="the cluster in the list",
        )
        assert listed["displayName"] == cluster.name[:8]
    finally:
        cluster.shutdown()
        gateway.close()


def test_kernels_read_the_registrys_data_rules(logged_in, testbed):
    sites = {s["name"]: s for s in logged_in.kernel.get("/kernel/sites")["sites"]}
    lumi = testbed.sites["lumi"]
    assert sites["lumi"]["data"] == {
        "patterns": ["s3://lumi-*/**"],
        "storage_endpoints": [lumi.storage],
        # How keys are had, not keys: those come from their own kernel-only route.
        "credentials": {
            "type": "sts-web-identity",
            "endpoint": lumi.storage,
            "role": "arn:aws:iam::123456789012:role/lumi-data",
            "duration": 900,
            "region": "eu-central-1",
        },
    }
    with pytest.raises(SidecarError) as refused:
        logged_in.browser.get("/kernel/sites")
    assert refused.value.status == 403


def test_kernel_gets_a_working_connection_and_the_browser_never_does(logged_in):
    from dask_gateway.client import GatewaySecurity
    from distributed import Client

    from jupyter_ext_server.testbed.probes import where_am_i

    stop_clusters(logged_in, sites=("leonardo",))  # alice's, started by kernel tests of this run
    with pytest.raises(SidecarError) as none_yet:
        logged_in.kernel.get("/kernel/sites/leonardo/connection")
    assert none_yet.value.code == "no-cluster" and "Start one in the Dask Sites panel" in str(
        none_yet.value
    )
    created = logged_in.browser.post("/api/sites/leonardo/clusters", {"wait": True})
    try:
        logged_in.browser.post(
            f"/api/sites/leonardo/clusters/{created['name']}/scale", {"count": 1}
        )
        with pytest.raises(SidecarError) as refused:
            logged_in.browser.get("/kernel/sites/leonardo/connection")
        assert refused.value.status == 403
        connection = logged_in.kernel.get("/kernel/sites/leonardo/connection")
        assert connection["cluster"] == created["name"]
        assert "PRIVATE KEY" in connection["tlsKey"]
        security = GatewaySecurity(tls_key=connection["tlsKey"], tls_cert=connection["tlsCert"])
        with Client(connection["address"], security=security, timeout=30) as client:
            client.wait_for_workers(1, timeout=60)
            assert client.submit(where_am_i, pure=False).result(timeout=60) == "leonardo"
        assert (
            connection["dashboardPath"]
            == f"/dask-sites/dashboard/leonardo/{created['name']}/status"
        )
    finally:
        logged_in.browser.request("DELETE", f"/api/sites/leonardo/clusters/{created['name']}")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/sites/central/clusters", {}),
        ("DELETE", "/api/sites/central/clusters/0000", None),
        ("DELETE", "/api/sites/central/login", None),
        ("PUT", "/api/sites/central/chosen-cluster", {"cluster": None}),
        ("GET", "/api/sites/central/clusters", None),
        ("GET", "/api/sites/central/options", None),
    ],
)
def test_the_kernel_secret_opens_only_what_kernels_use(logged_in, method, path, body):
    with pytest.raises(SidecarError) as refused:
        logged_in.kernel.request(method, path, body=body)
    assert refused.value.status == 403 and refused.value.code == "caller-not-allowed"
    # What the magics use still works with it.
    assert logged_in.kernel.get("/api/sites")["sites"][0]["name"] == "central"


def test_dashboard_links_lead_to_capability_urls_of_registered_sites_only(logged_in):
    created = logged_in.browser.post("/api/sites/central/clusters", {"wait": True})
    name = created["name"]
    base = f"http://127.0.0.1:{logged_in.port}"
    headers = {"Authorization": f"token {logged_in.server_secret}"}
    try:
        # The stable link (the browser, through Jupyter) redirects to a capability URL ...
        frame = follow_link(f"{base}/dashboard/central/{name}/status?token=t", headers)
        assert frame["base"] == "/dask-sites/" and frame["rest"] == "status"
        under = f"/frame/{frame['capability']}/"
        # ... which serves the page with no credential at all, sandboxed.
        page = requests.get(f"{base}{under}status", timeout=30)
        assert page.status_code == 200, page.text[:500]
        assert "Dask Diagnostic UI" in page.text and "bokeh" in page.text.lower()
        assert "sandbox allow-scripts" in page.headers["Content-Security-Policy"]
        assert "allow-same-origin" not in page.headers["Content-Security-Policy"]
        assert f'"/clusters/{name}/' not in page.text  # absolute links stay under the capability
        # The page's relative links (styles, plots) resolve under the capability.
        for relative in ("statics/css/base.css", "individual-task-stream"):
            assert requests.get(f"{base}{under}{relative}", timeout=30).status_code == 200, relative
        # Only configured sites' gateways: never a host from the request.
        for path, status in (
            ("/dashboard/evil.example.org/abc/status", 404),
            (f"/dashboard/central/{name}/../../x", 404),  # requests resolves the dots first
            ("/dashboard/http%3A%2F%2F127.0.0.1%3A1/abc/status", 400),  # a path that means two
        ):
            refused = requests.get(base + path, headers=headers, timeout=10, allow_redirects=False)
            assert refused.status_code == status, path
        # The link needs the browser's secret; a capability never opens the API.
        link = f"{base}/dashboard/central/{name}/status"
        assert requests.get(link, timeout=10, allow_redirects=False).status_code == 401
        assert requests.get(f"{base}/api/sites", timeout=10).status_code == 401
        # Bokeh's WebSocket under the capability, without a secret.
        ws = f"{under}status/ws"
        assert bokeh_websocket_status("127.0.0.1", logged_in.port, ws, page.text) == 101
    finally:
        logged_in.browser.request("DELETE", f"/api/sites/central/clusters/{name}")
    # Stopping the cluster revoked its capabilities: they open nothing.
    deadline = time.monotonic() + 30
    seen = []
    while "json" not in (gone := requests.get(f"{base}{under}status", timeout=10)).headers.get(
        "Content-Type", ""
    ):
        seen.append((gone.status_code, gone.text[:80]))
        assert time.monotonic() < deadline, f"the stopped cluster is still served: {seen[-3:]}"
        time.sleep(0.25)
    assert gone.status_code == 404
    assert gone.json()["code"] == "dashboard-link-expired"


def test_dashboard_links_serve_only_the_users_own_clusters(logged_in, testbed):
    """Dask Gateway does not check who asks for a dashboard; the proxy does."""
    ends = testbed.sites["lumi"]
    base = f"http://127.0.0.1:{logged_in.port}"
    headers = {"Authorization": f"token {logged_in.server_secret}"}
    started = {}
    try:
        for user, password in (("alice", "alice-dask-sites"), ("bob", "bob-dask-sites")):
            token = device_login(testbed.issuer, user, password).access_token
            gateway = Gateway(ends.gateway, proxy_address=ends.proxy, auth=BearerAuth(token))
            started[user] = (gateway, gateway.new_cluster())
        # Bob's cluster runs at the same gateway, but it is not alice's: no capability.
        bobs = started["bob"][1].name
        refused = requests.get(
            f"{base}/dashboard/lumi/{bobs}/status",
            headers=headers,
            timeout=30,
            allow_redirects=False,
        )
        assert refused.status_code == 404, refused.text[:300]
        assert "not one of yours" in refused.json()["error"]
        # Alice's, started outside the panel a moment ago, is looked for and served
        # (with Jupyter's query parameters left behind).
        alices = started["alice"][1].name
        frame = wait_for(
            lambda: (
                follow_link(f"{base}/dashboard/lumi/{alices}/status?token=abc&_xsrf=def", headers)
                if requests.get(
                    f"{base}/dashboard/lumi/{alices}/status",
                    headers=headers,
                    timeout=30,
                    allow_redirects=False,
                ).status_code
                == 302
                else None
            ),
            what="alice's dashboard link",
        )
        assert frame["rest"] == "status"  # no token, no _xsrf
        page = requests.get(f"{base}/frame/{frame['capability']}/status", timeout=30)
        assert "Dask Diagnostic UI" in page.text
    finally:
        for gateway, cluster in started.values():
            cluster.shutdown()
            gateway.close()


def test_no_browser_answer_carries_a_token_or_tls_key(logged_in):
    # Every answer the browser-side client received in this module.
    logged_in.browser.get("/api/sites")
    assert logged_in.browser.answers
    for answer in logged_in.browser.answers:
        for marker in SECRET_MARKERS:
            assert marker not in answer, f"{marker} in {answer[:200]}"
    log = logged_in.log_path.read_text()
    assert "PRIVATE KEY" not in log and "eyJ" not in log


def test_state_file_is_private_and_holds_no_tokens(logged_in):
    import stat

    path = logged_in.state_dir / "sidecar-state.json"
    assert path.exists(), "the sidecar wrote no state file"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    state = json.loads(path.read_text())
    # Display names given in the panel survive a restart; tokens are not kept
    # here because the testbed's registry does not allow persisting them.
    assert "flood 2" in json.dumps(state["displayNames"])
    assert state["refreshTokens"] == {}
    assert "eyJ" not in path.read_text()

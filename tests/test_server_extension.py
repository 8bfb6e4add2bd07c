"""The Jupyter server extension: reads c.DaskSites, runs and supervises the sidecar, proxies."""

from __future__ import annotations

import asyncio
import json
import os
import signal

import pytest
from tornado.httpclient import HTTPClientError

from support.running import RunningSidecar

pytest_plugins = ["pytest_jupyter.jupyter_server"]

REGISTRY = {
    "version": 1,
    "sites": [
        {
            "name": "central",
            "label": "Central",
            "gateway": {"address": "http://127.0.0.1:9"},
            "auth": {"type": "none"},
        }
    ],
}


pytestmark = pytest.mark.integration  # a Jupyter server and its sidecar


def server_config(registry, tmp_path) -> dict:
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_ext_server": True}},
        "DaskSites": {"registry": str(registry), "state_dir": str(tmp_path / "state")},
    }


@pytest.fixture
def registry_path(tmp_path):
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(REGISTRY))
    return path


@pytest.fixture
def jp_server_config(registry_path, tmp_path):
    return server_config(registry_path, tmp_path)


@pytest.fixture
def dask_sites(jp_serverapp, jp_asyncio_loop):
    app = jp_serverapp.web_app.settings["dask_sites"]
    try:
        yield app
    finally:
        if app.sidecar:  # stop it also when the test fails
            jp_asyncio_loop.run_until_complete(app.sidecar.stop())


@pytest.fixture
def run(jp_asyncio_loop):
    """Run a coroutine on the server's own loop."""
    return jp_asyncio_loop.run_until_complete


def test_extension_reads_the_registry(dask_sites, registry_path):
    assert dask_sites.registry == str(registry_path)
    assert [site["name"] for site in dask_sites.registry_document["sites"]] == ["central"]
    assert dask_sites.registry_error is None


def test_sidecar_starts_with_the_server_and_restarts_after_being_killed(dask_sites, run):
    sidecar = dask_sites.sidecar
    assert run(sidecar.wait_ready(30)), "the sidecar did not report ready"
    first = sidecar.pid
    os.kill(first, signal.SIGKILL)

    async def restarted():
        for _ in range(200):
            await asyncio.sleep(0.1)
            if sidecar.pid and sidecar.pid != first and sidecar._ready.is_set():
                return True
        return False

    assert run(restarted())
    assert sidecar.restarts == 1


def test_kernels_get_the_sidecar_address_and_the_kernel_secret_only(dask_sites):
    endpoint = dask_sites.endpoint
    assert os.environ["DASK_SITES_SIDECAR"] == endpoint.url
    assert os.environ["DASK_SITES_KERNEL_SECRET"] == endpoint.kernel_secret
    assert endpoint.server_secret not in os.environ.values()


def test_python_kernels_started_by_the_server_load_the_extension(dask_sites, jp_serverapp, run):
    manager = jp_serverapp.kernel_manager
    kernel_id = run(manager.start_kernel(kernel_name="python3"))
    client = manager.get_kernel(kernel_id).client()
    try:
        client.start_channels()
        run(client.wait_for_ready(timeout=60))
        printed = []

        def collect(message):
            if message["msg_type"] == "stream":
                printed.append(message["content"]["text"])
            elif message["msg_type"] == "error":
                printed.append(f"{message['content']['ename']}: {message['content']['evalue']}")

        code = "print(sorted(get_ipython().extension_manager.loaded))\n%site"
        run(client.execute_interactive(code, output_hook=collect, timeout=60))
        output = "".join(printed)
        assert "dask_sites" in output, output
        # The magic reaches this server's sidecar (the one site of the registry).
        assert "central" in output and "Notebook default site: none" in output
    finally:
        client.stop_channels()
        run(manager.shutdown_kernel(kernel_id, now=True))


async def test_proxy_needs_jupyter_auth(dask_sites, jp_fetch, jp_base_url, http_server_client):
    assert await dask_sites.sidecar.wait_ready(30)
    response = await jp_fetch("dask-sites", "api", "sites")
    assert response.code == 200
    assert [s["name"] for s in json.loads(response.body)["sites"]] == ["central"]
    # Without Jupyter's token the proxy refuses (it never reaches the sidecar).
    with pytest.raises(HTTPClientError) as refused:
        await http_server_client.fetch(f"{jp_base_url}dask-sites/api/sites", follow_redirects=False)
    assert refused.value.code in (302, 403)
    # The kernel API is not reachable through the proxy, even with Jupyter auth.
    with pytest.raises(HTTPClientError) as hidden:
        await jp_fetch("dask-sites", "kernel", "sites", "central", "connection")
    assert hidden.value.code == 404


class TestBadRegistry:
    @pytest.fixture
    def jp_server_config(self, tmp_path):
        bad = tmp_path / "bad.json"
        bad.write_text(
            json.dumps(
                {
                    "version": 1,
                    "sites": [
                        {"name": "lumi", "label": "LUMI", "gateway": {}, "auth": {"type": "none"}}
                    ],
                }
            )
        )
        return server_config(bad, tmp_path)

    def test_a_bad_registry_is_reported_and_nothing_starts(self, dask_sites):
        assert dask_sites.registry_document is None
        assert (
            "site \"lumi\": gateway: 'address' is a required property" in dask_sites.registry_error
        )
        assert dask_sites.sidecar is None


class TestMetadataHostRegistry:
    """A registry that points at the machine's metadata service is refused by default."""

    @pytest.fixture
    def jp_server_config(self, tmp_path):
        path = tmp_path / "metadata.json"
        site = dict(REGISTRY["sites"][0], gateway={"address": "http://169.254.169.254/"})
        path.write_text(json.dumps({"version": 1, "sites": [site]}))
        return server_config(path, tmp_path)

    def test_it_is_refused_naming_the_site_field_and_setting(self, dask_sites):
        assert dask_sites.registry_document is None
        assert 'site "central": gateway.address: 169.254.169.254 is a link-local address' in (
            dask_sites.registry_error
        )
        assert "c.DaskSites.allow_link_local_hosts" in dask_sites.registry_error
        assert dask_sites.sidecar is None


async def test_browser_posts_need_jupyters_xsrf_token(
    dask_sites, jp_base_url, jp_serverapp, http_server_client
):
    """A cookie-authenticated browser call that changes state must carry the XSRF token."""
    assert await dask_sites.sidecar.wait_ready(30)
    token = jp_serverapp.identity_provider.token
    # Log in the way a browser does: the token in the URL sets the login cookie.
    landing = await http_server_client.fetch(
        f"{jp_base_url}lab?token={token}", follow_redirects=False, raise_error=False
    )
    cookies = [c.split(";", 1)[0] for c in landing.headers.get_list("Set-Cookie")]
    xsrf = next(c.split("=", 1)[1] for c in cookies if c.startswith("_xsrf="))
    cookie_header = "; ".join(cookies)
    url = f"{jp_base_url}dask-sites/api/sites/central/login"
    without = await http_server_client.fetch(
        url, method="POST", body="{}", raise_error=False, headers={"Cookie": cookie_header}
    )
    assert without.code == 403
    with_token = await http_server_client.fetch(
        url,
        method="POST",
        body="{}",
        raise_error=False,
        headers={"Cookie": cookie_header, "X-XSRFToken": xsrf},
    )
    # It reached the sidecar: central has no login to start (auth "none").
    assert with_token.code == 200, with_token.body
    assert json.loads(with_token.body)["status"] == "not-required"


class TestExternalSidecar:
    """A sidecar run separately (e.g. a container in the same pod), found by configuration."""

    @pytest.fixture
    def external(self, registry_path, tmp_path, monkeypatch):
        sidecar = RunningSidecar(str(registry_path), tmp_path / "external").start()
        monkeypatch.setenv("DASK_SITES_SIDECAR_SECRET", sidecar.server_secret)
        monkeypatch.setenv("DASK_SITES_KERNEL_SECRET", sidecar.kernel_secret)
        try:
            yield sidecar
        finally:
            sidecar.stop()

    @pytest.fixture
    def jp_server_config(self, external):
        return {
            "ServerApp": {"jpserver_extensions": {"jupyter_ext_server": True}},
            "DaskSites": {"sidecar_url": external.url},
        }

    async def test_the_proxy_reaches_the_external_sidecar(self, external, jp_serverapp, jp_fetch):
        app = jp_serverapp.web_app.settings["dask_sites"]
        assert app.sidecar is None  # nothing started here
        response = await jp_fetch("dask-sites", "api", "sites")
        assert [s["name"] for s in json.loads(response.body)["sites"]] == ["central"]
        assert os.environ["DASK_SITES_SIDECAR"] == external.url
        # Kernels inherit the environment: the browser API's secret is gone from it.
        assert "DASK_SITES_SIDECAR_SECRET" not in os.environ


class TestDeepRuntimeDirectory:
    """A runtime directory too deep for a Unix socket path still gives a working link."""

    @pytest.fixture
    def jp_runtime_dir(self, tmp_path):
        path = tmp_path
        while len(str(path)) < 130:
            path = path / "a-runtime-directory-deep-in-a-home"
        path.mkdir(parents=True)
        return path

    async def test_the_socket_goes_where_its_path_fits_and_the_proxy_works(
        self, dask_sites, jp_fetch, jp_runtime_dir
    ):
        assert await dask_sites.sidecar.wait_ready(30)
        socket_path = dask_sites.endpoint.unix_socket
        assert socket_path is not None and len(socket_path) <= 100, socket_path
        assert not socket_path.startswith(str(jp_runtime_dir))
        response = await jp_fetch("dask-sites", "api", "sites")
        assert [s["name"] for s in json.loads(response.body)["sites"]] == ["central"]


# Paths that would mean one thing here and another at the sidecar.
PATH_ATTACKS = [
    "./kernel/sites",
    "%2e/kernel/sites",
    "%2E/kernel/sites",
    "././kernel/sites",
    ".%2fkernel/sites",
    "kernel%2Fsites",
    "api/%2e%2e/kernel/sites",
    "api/sites/central%2F..%2F..%2Fkernel/sites",
    "api/sites/central%3Fx/clusters",
    "api/sites/central%23/clusters",
    "api/sites/%252e%252e/clusters",
]
# And the routes the browser must never reach: the kernel API, the server's own.
ATTACKS = [
    *PATH_ATTACKS,
    "api//sites",
    "server/kernels",
    "./server/kernels",
    "%73erver/kernels",
]


@pytest.mark.parametrize("path", ATTACKS)
async def test_paths_mean_one_thing_through_jupyter(
    path, dask_sites, jp_base_url, jp_serverapp, http_server_client
):
    """Every forwarding decision is made on the path as the sidecar will read it:
    dots and encoded separators are refused with JSON, and the kernel API stays hidden."""
    assert await dask_sites.sidecar.wait_ready(30)
    token = jp_serverapp.identity_provider.token
    answer = await http_server_client.fetch(
        f"{jp_base_url}dask-sites/{path}",
        headers={"Authorization": f"token {token}"},
        raise_error=False,
    )
    assert answer.code in (400, 404), (answer.code, answer.body[:200])
    body = json.loads(answer.body)
    assert body["code"] in ("invalid-request", "unknown-route")
    assert "tlsKey" not in answer.body.decode()


@pytest.mark.parametrize(
    ("path", "method", "status", "code"),
    [
        ("api/nowhere", "POST", 404, "unknown-route"),
        ("api/health", "POST", 405, "method-not-allowed"),
        ("api/sites/central/login", "POST", 413, "body-too-large"),
    ],
)
async def test_a_big_body_gets_the_sidecars_json_answer_not_jupyters_500(
    path, method, status, code, dask_sites, jp_base_url, jp_serverapp, http_server_client
):
    assert await dask_sites.sidecar.wait_ready(30)
    token = jp_serverapp.identity_provider.token
    for _ in range(10):
        answer = await http_server_client.fetch(
            f"{jp_base_url}dask-sites/{path}",
            method=method,
            body=b"x" * (1024 * 1024),
            headers={"Authorization": f"token {token}"},
            raise_error=False,
        )
        assert answer.code == status, answer.body[:200]
        assert json.loads(answer.body)["code"] == code


@pytest.mark.parametrize(
    ("method", "status", "code"),
    [("GET", 404, "unknown-dashboard"), ("POST", 405, "method-not-allowed")],
)
async def test_a_dashboard_of_a_cluster_not_the_users_is_refused_through_jupyter(
    method, status, code, dask_sites, jp_base_url, jp_serverapp, http_server_client
):
    """No login here, so no cluster is the user's: the stable link refuses with JSON
    (a body is read first, so the answer is the sidecar's, not Jupyter's 500)."""
    assert await dask_sites.sidecar.wait_ready(30)
    token = jp_serverapp.identity_provider.token
    answer = await http_server_client.fetch(
        f"{jp_base_url}dask-sites/dashboard/central/0123abcd/status?token={token}",
        method=method,
        body=b"x" * (1024 * 1024) if method == "POST" else None,
        raise_error=False,
        follow_redirects=False,
    )
    assert answer.code == status, answer.body[:200]
    body = json.loads(answer.body)
    assert body["code"] == code
    if method == "GET":
        assert "not one of yours" in body["error"]


UNKNOWN_CAPABILITY = "A" * 43


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        (f"frame/{UNKNOWN_CAPABILITY}/status", 404, "dashboard-link-expired"),
        ("frame/short/status", 404, "dashboard-link-expired"),
        (f"frame/{UNKNOWN_CAPABILITY}/status?token=abc", 404, "dashboard-link-expired"),
        ("frame/", 404, "dashboard-link-expired"),
        *(
            (f"frame/{UNKNOWN_CAPABILITY}/{attack}", 400, "invalid-request")
            for attack in PATH_ATTACKS
        ),
        ("frame/./api/sites", 400, "invalid-request"),
        ("frame/%2e%2e/api/sites", 400, "invalid-request"),
    ],
)
async def test_the_frame_door_needs_no_login_and_opens_nothing_without_a_capability(
    path, status, code, dask_sites, jp_base_url, http_server_client
):
    """Frames carry no Jupyter credential: the door answers them (never a login
    redirect, never a 500) and refuses whatever has no valid capability."""
    assert await dask_sites.sidecar.wait_ready(30)
    answer = await http_server_client.fetch(
        f"{jp_base_url}dask-sites/{path}", raise_error=False, follow_redirects=False
    )
    assert answer.code == status, (path, answer.code, answer.body[:200])
    assert json.loads(answer.body)["code"] == code


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
async def test_the_frame_door_only_reads(method, dask_sites, jp_base_url, http_server_client):
    assert await dask_sites.sidecar.wait_ready(30)
    answer = await http_server_client.fetch(
        f"{jp_base_url}dask-sites/frame/{UNKNOWN_CAPABILITY}/status",
        method=method,
        body=b"x" * (1024 * 1024) if method in ("POST", "PUT", "PATCH") else None,
        allow_nonstandard_methods=True,
        raise_error=False,
    )
    assert answer.code == 405, answer.body[:200]
    assert json.loads(answer.body)["code"] == "method-not-allowed"
    assert answer.headers["Allow"] == "GET, HEAD"

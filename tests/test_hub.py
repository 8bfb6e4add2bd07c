"""Dask Sites behind a real JupyterHub (`dask-sites testbed up --hub`).

Users sign in to the hub at the testbed issuer (its own pages), the hub
spawns each user's JupyterLab with Dask Sites, and the sites that trust the
same issuer then log in without a password: the sidecar's code flow asks
with ``prompt=none`` and the browser's issuer session answers.
"""

from __future__ import annotations

import os
import re
import signal
import time
from urllib.parse import parse_qs, urlparse

import psutil
import pytest

from jupyter_ext_server.testbed import Testbed
from jupyter_ext_server.testbed.login import LoginError, approve_device, hub_login, sign_in
from jupyter_ext_server.testbed.processes import processes_of
from support.hub import HubAdmin, UserBrowser, kernel_of
from support.kernels import run
from support.waiting import wait_for

pytestmark = pytest.mark.integration

PASSWORDS = {"alice": "alice-dask-sites", "bob": "bob-dask-sites"}
AT_LEONARDO = {"dask-sites": {"site": "leonardo"}}
WHERE = (
    "import dask, os\ndask.delayed(lambda: os.environ.get('DASK_SITES_SITE', 'local'))().compute()"
)


@pytest.fixture(scope="module")
def hub_testbed(tmp_path_factory):
    with Testbed(
        tmp_path_factory.mktemp("hub-testbed"),
        sites=["central", "lumi", "leonardo"],
        hub=True,
        hub_auth_sites=["leonardo"],  # its gateway trusts the hub's users
    ) as testbed:
        yield testbed


@pytest.fixture(scope="module")
def admin(hub_testbed):
    return HubAdmin.of(hub_testbed)


def signed_in(testbed: Testbed, admin: HubAdmin, user: str) -> UserBrowser:
    """``user`` signed in to the hub through the issuer's pages, their server running."""
    assert testbed.info and testbed.info.hub
    browser = UserBrowser(
        testbed.info.hub, user, hub_login(testbed.info.hub, user, PASSWORDS[user])
    )
    admin.start_server(user)
    return browser


def login_state(browser: UserBrowser, site: str) -> dict:
    sites = browser.get("dask-sites/api/sites").json()["sites"]
    return next(s for s in sites if s["name"] == site)["login"]


def sidecar_of(server_pid: int) -> psutil.Process:
    """The sidecar a user's server started (a node child of that server)."""
    for child in psutil.Process(server_pid).children(recursive=True):
        if "sidecar" in " ".join(child.cmdline()):
            return child
    raise AssertionError(f"no sidecar under the server {server_pid}")


def test_a_user_signs_in_at_the_issuer_and_gets_a_lab_with_dask_sites(hub_testbed, admin):
    alice = signed_in(hub_testbed, admin, "alice")
    lab = alice.get("lab")
    assert lab.status_code == 200 and lab.url.endswith("/user/alice/lab")
    sites = alice.get("dask-sites/api/sites")
    assert sites.status_code == 200
    assert [s["name"] for s in sites.json()["sites"]] == ["central", "lumi", "leonardo"]
    assert hub_testbed.info and hub_testbed.info.hub
    with pytest.raises(LoginError, match="refused the password"):
        hub_login(hub_testbed.info.hub, "alice", "not-her-password")


def test_after_the_hub_login_the_sites_log_in_without_a_password(hub_testbed, admin):
    alice = signed_in(hub_testbed, admin, "alice")
    alice.send("DELETE", "dask-sites/api/sites/central/login")  # whatever a test before did
    started = alice.post("dask-sites/api/sites/central/login")
    assert started.status_code == 200, started.text
    pending = started.json()
    assert pending["status"] == "pending" and pending["flow"] == "code"
    authorization = parse_qs(urlparse(pending["authorizationUrl"]).query)
    assert authorization["prompt"] == ["none"]
    # The callback is under the hub's public URL, which the hub told alice's server.
    assert authorization["redirect_uri"] == [
        f"{hub_testbed.info.hub}/user/alice/dask-sites/oidc/callback"
    ]

    # What the popup does: no page, no password; the issuer answers at once.
    landed = alice.follow_without_input(pending["authorizationUrl"])
    assert landed.status_code == 200, landed.text
    assert urlparse(landed.url).path == "/user/alice/dask-sites/oidc/callback"
    assert 'data-dask-sites-login="ok"' in landed.text
    assert "Logged in to Central (Warsaw), LUMI bridge (Kajaani)" in landed.text
    for site in ("central", "lumi"):  # one issuer, one login
        state = login_state(alice, site)
        assert state["status"] == "logged-in" and state["user"] == "alice"
    # Tokens stay in the sidecar: neither the callback page nor the API shows one.
    for text in (landed.text, alice.get("dask-sites/api/sites").text):
        assert "eyJ" not in text and "access_token" not in text


def test_without_an_issuer_session_the_login_goes_on_with_the_page(hub_testbed, admin):
    bob = signed_in(hub_testbed, admin, "bob")
    bob.send("DELETE", "dask-sites/api/sites/central/login")  # whatever a test before did
    # A browser that signed in to the hub long ago: the issuer's session is gone.
    for name in ("_session", "_session.sig"):
        bob.session.cookies.pop(name, None)
    started = bob.post("dask-sites/api/sites/central/login")
    assert started.status_code == 200, (started.status_code, started.url, started.text[:300])
    pending = started.json()
    answer = bob.session.get(pending["authorizationUrl"], allow_redirects=False, timeout=30)
    callback = answer.headers["Location"]
    assert "error=login_required" in callback
    # The callback sends the popup on to the issuer's page, as a new login.
    page = bob.session.get(callback, allow_redirects=False, timeout=30)
    assert page.status_code == 303
    page_url = page.headers["Location"]
    assert page_url.startswith(hub_testbed.info.issuer)
    assert "prompt" not in parse_qs(urlparse(page_url).query)
    back = sign_in(bob.session, page_url, "bob", PASSWORDS["bob"])
    landed = bob.session.get(back.headers["Location"], timeout=30)
    assert 'data-dask-sites-login="ok"' in landed.text
    assert login_state(bob, "central")["user"] == "bob"


def test_a_login_from_a_kernel_can_use_the_device_flow(hub_testbed, admin):
    """The registry prefers the code flow behind the hub; a kernel run headless has no
    browser for it: `%site login NAME --device` asks for a code instead."""
    bob = signed_in(hub_testbed, admin, "bob")
    bob.send("DELETE", "dask-sites/api/sites/central/login")
    assert login_state(bob, "central")["status"] != "logged-in"
    with kernel_of(bob, hub_testbed.state_dir / "hub" / "users" / "bob") as kernel:
        out = run(kernel, "%site login central --device")
        shown = re.search(r"Open (\S+) and confirm the code (\S+)", out.stdout)
        assert out.error is None and shown, out
        approve_device(shown.group(1), "bob", PASSWORDS["bob"])
        wait_for(lambda: login_state(bob, "central").get("user") == "bob", timeout=30)
        usage = run(kernel, "%site login central --browser")
        assert usage.error and "login NAME [--device]" in usage.error, usage


def test_users_are_kept_apart(hub_testbed, admin):
    alice = signed_in(hub_testbed, admin, "alice")
    bob = signed_in(hub_testbed, admin, "bob")
    # bob's browser and bob's token reach bob's server only.
    stranger = bob.session.get(
        f"{alice.base}dask-sites/api/sites", allow_redirects=False, timeout=30
    )
    assert stranger.status_code in (302, 403)
    assert "sites" not in stranger.text
    token = admin.user_token("bob")
    for path in ("dask-sites/api/sites", "dask-sites/dashboard/central/x/status", "api/kernels"):
        refused = bob.session.get(
            f"{alice.base}{path}",
            headers={"Authorization": f"token {token}"},
            allow_redirects=False,
            timeout=30,
        )
        assert refused.status_code == 403, (path, refused.status_code)

    # bob's kernel cannot use alice's sidecar with the secret Dask Sites gave it. (The
    # testbed runs every user's server as one OS user, so its files are not private
    # to a user as in a pod per user; what is tested here are the HTTP checks.)
    alice_server = admin.start_server("alice")["state"]["pid"]
    bob_server = admin.start_server("bob")["state"]["pid"]
    users = hub_testbed.state_dir / "hub" / "users"
    address = "__import__('os').environ['DASK_SITES_SIDECAR']"
    with kernel_of(alice, users / "alice") as kernel:
        alice_address = eval(run(kernel, address).result or "None")
    with kernel_of(bob, users / "bob") as kernel:
        assert eval(run(kernel, address).result or "None") != alice_address
        tried = run(
            kernel,
            "from jupyter_ext_server.sidecar_client import SidecarClient, SidecarError\n"
            "own = SidecarClient.from_environment()\n"
            f"try:\n    SidecarClient({alice_address!r}, own.secret).get('/kernel/sites')\n"
            "    answer = 'served'\n"
            "except SidecarError as err:\n    answer = err.status\n"
            "own.get('/kernel/sites') and answer",
        )
        assert tried.error is None and tried.result == "401", tried

    # Each user has a sidecar of their own; one crashing leaves the other answering.
    alice_sidecar, bob_sidecar = sidecar_of(alice_server), sidecar_of(bob_server)
    assert alice_sidecar.pid != bob_sidecar.pid
    os.kill(alice_sidecar.pid, signal.SIGKILL)
    for _ in range(5):
        assert bob.get("dask-sites/api/sites").status_code == 200
        time.sleep(0.2)
    assert bob_sidecar.is_running()
    # alice's server starts her a new sidecar.
    wait_for(lambda: alice.get("dask-sites/api/sites").status_code == 200, timeout=60)
    assert sidecar_of(alice_server).pid != alice_sidecar.pid


def test_stopping_the_testbed_stops_the_hub_and_every_users_server(tmp_path):
    testbed = Testbed(tmp_path / "testbed", sites=["central"], hub=True)
    with testbed:
        admin = HubAdmin.of(testbed)
        signed_in(testbed, admin, "alice")
        server = psutil.Process(admin.start_server("alice")["state"]["pid"])
        sidecar = sidecar_of(server.pid)
    assert not processes_of(testbed.testbed_id)
    assert ended(server) and ended(sidecar)


def ended(process: psutil.Process) -> bool:
    """Exited (a zombie has exited: only its parent's bookkeeping is left)."""
    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_site_that_trusts_the_hub_works_with_no_login(hub_testbed, admin):
    """leonardo's gateway runs dask-gateway's JupyterHubAuthenticator against the hub;
    its registry entry says auth.type "jupyterhub"."""
    alice = signed_in(hub_testbed, admin, "alice")
    assert login_state(alice, "leonardo") == {"status": "not-required"}
    created = alice.post("dask-sites/api/sites/leonardo/clusters", {})
    assert created.status_code == 201, created.text
    cluster = created.json()["name"]
    try:

        def running() -> bool:
            clusters = alice.get("dask-sites/api/sites/leonardo/clusters").json()["clusters"]
            return any(c["name"] == cluster and c["status"] == "RUNNING" for c in clusters)

        wait_for(running, timeout=120, what="alice's cluster at leonardo")
        scaled = alice.post(f"dask-sites/api/sites/leonardo/clusters/{cluster}/scale", {"count": 1})
        assert scaled.status_code == 200, scaled.text
        home = hub_testbed.state_dir / "hub" / "users" / "alice"
        with kernel_of(alice, home) as kernel:
            out = run(kernel, WHERE, metadata=AT_LEONARDO)
            assert out.error is None and out.result == "'leonardo'", out
            assert out.record and out.record["sites"] == ["leonardo"]
            address = run(
                kernel, "import dask_sites\ndask_sites.client('leonardo').scheduler.address"
            )
            assert address.result and address.result.endswith(f"/{cluster}'"), address
            # Dask Sites gives kernels no token, no JWT and no object-store key: what is
            # there is the hub's own (as in every JupyterHub; dask-gateway's client
            # reads it).
            names = run(
                kernel,
                "sorted(k for k, v in __import__('os').environ.items()"
                " if 'TOKEN' in k or 'SECRET' in k or 'eyJ' in v)",
            )
            assert names.result == "['JPY_API_TOKEN', 'JUPYTERHUB_API_TOKEN']", names
        # The gateway knows the cluster as alice's: bob does not see it.
        bob = signed_in(hub_testbed, admin, "bob")
        theirs = bob.get("dask-sites/api/sites/leonardo/clusters").json()["clusters"]
        assert cluster not in [c["name"] for c in theirs]
        # Given her cluster's id, bob's own server does not show its dashboard.
        shown = bob.get(f"dask-sites/dashboard/leonardo/{cluster}/status", allow_redirects=False)
        assert shown.status_code == 404 and "Bokeh" not in shown.text, shown.status_code
    finally:
        alice.send("DELETE", f"dask-sites/api/sites/leonardo/clusters/{cluster}")

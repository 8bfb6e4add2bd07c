"""The sidecar when things go wrong: short tokens, a refused refresh, a gateway that stops.

These tests break their testbed on purpose, so they get one of their own:
central and lumi on the testbed issuer (20 s tokens), and a site "other" on a
second issuer, as when sites do not share a login.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from jupyter_ext_server.testbed import Testbed
from support.running import RunningIssuer, RunningSidecar, log_in

pytestmark = pytest.mark.integration

TOKEN_TTL = 20  # seconds; the 1 minute, shortened to keep the test fast


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    base = tmp_path_factory.mktemp("failures")
    bed = Testbed(state_dir=base / "bed", sites=("central", "lumi"), access_token_ttl=TOKEN_TTL)
    other = None
    sidecar = None
    try:
        info = bed.start()
        other = RunningIssuer(base / "other-issuer", access_token_ttl=6).start()
        registry = json.loads(Path(info.registry_path).read_text())
        extra = json.loads(json.dumps(registry["sites"][0]))
        extra.update(name="other", label="Other issuer")
        extra["auth"]["issuer"] = other.url
        registry["sites"].append(extra)
        path = base / "registry.json"
        path.write_text(json.dumps(registry))
        sidecar = RunningSidecar(str(path), base / "sidecar").start()
        yield bed, info, other, sidecar
    finally:
        if sidecar:
            sidecar.stop()
        if other:
            other.stop()
        bed.stop()


def sites(sidecar) -> dict:
    return {s["name"]: s for s in sidecar.browser.get("/api/sites")["sites"]}


def test_short_tokens_are_renewed_and_work_keeps_going(world):
    _, _, _, sidecar = world
    log_in(sidecar, "central")
    expiries = set()
    started = time.monotonic()
    while time.monotonic() - started < 2.6 * TOKEN_TTL:
        # Each call needs a valid token at the gateway.
        assert isinstance(sidecar.browser.get("/api/sites/central/clusters")["clusters"], list)
        expiries.add(sites(sidecar)["central"]["login"]["accessExpiresAt"])
        time.sleep(2)
    assert sites(sidecar)["central"]["login"]["status"] == "logged-in"
    renewals = sidecar.log_path.read_text().count("renewed the login")
    assert renewals >= 3, f"only {renewals} renewals in {2.6 * TOKEN_TTL:.0f} s"
    assert len(expiries) >= 3


def test_refused_refresh_moves_only_that_issuers_sites_to_login_needed(world):
    _, _, other, sidecar = world
    log_in(sidecar, "central")
    log_in(sidecar, "other")
    # The second issuer forgets every grant (a restart of an in-memory issuer):
    # its refresh tokens are now refused.
    other.stop()
    other.start()
    time.sleep(7)  # past the expiry of its 6 s tokens: the next use must renew
    with pytest.raises(Exception) as refused:
        sidecar.browser.get("/api/sites/other/clusters")
    assert getattr(refused.value, "code", None) == "login-needed"
    assert "log in" in str(refused.value).lower()
    state = sites(sidecar)
    assert state["other"]["login"]["status"] == "login-needed"
    assert "refused" in state["other"]["login"]["reason"]
    assert state["central"]["login"]["status"] == "logged-in"
    assert state["lumi"]["login"]["status"] == "logged-in"
    assert isinstance(sidecar.browser.get("/api/sites/lumi/clusters")["clusters"], list)


def test_a_stopped_gateway_marks_only_its_site_down(world):
    bed, _, _, sidecar = world
    log_in(sidecar, "central")
    bed.processes["lumi-gateway"].stop()
    time.sleep(2.1)  # let the sidecar's cached state age
    state = sites(sidecar)
    assert state["lumi"]["reachability"]["status"] == "down"
    assert "unreachable" in state["lumi"]["reachability"]["error"]
    assert state["central"]["reachability"]["status"] == "up"
    with pytest.raises(Exception) as down:
        sidecar.browser.get("/api/sites/lumi/clusters")
    assert getattr(down.value, "status", None) == 502
    assert "lumi: the gateway at" in str(down.value)
    created = sidecar.browser.post("/api/sites/central/clusters", {"wait": True})
    sidecar.browser.request("DELETE", f"/api/sites/central/clusters/{created['name']}")


def test_kernel_may_create_the_default_cluster_when_allowed(world, tmp_path):
    _, info, _, _ = world
    allowed = RunningSidecar(
        info.registry_path, tmp_path / "auto", extra_args=("--auto-create-cluster",)
    ).start()
    try:
        log_in(allowed, "central")
        connection = allowed.kernel.get("/kernel/sites/central/connection", create="1")
        assert connection["created"] is True and "PRIVATE KEY" in connection["tlsKey"]
        listed = {
            c["name"]: c for c in allowed.browser.get("/api/sites/central/clusters")["clusters"]
        }
        # Made with the site's cluster_defaults from the registry.
        assert listed[connection["cluster"]]["options"]["worker_cores"] == 1
        again = allowed.kernel.get("/kernel/sites/central/connection", create="1")
        assert again["cluster"] == connection["cluster"] and again["created"] is False
        allowed.browser.request("DELETE", f"/api/sites/central/clusters/{connection['cluster']}")
    finally:
        allowed.stop()

"""The testbed issuer behaves like a real OpenID provider: flows, rotation, revocation."""

from __future__ import annotations

import time

import jwt
import pytest
import requests

from jupyter_ext_server.testbed.login import (
    LoginError,
    code_login,
    device_login,
    discover,
    refresh,
)
from jupyter_ext_server.testbed.sites import CLIENT_ID, GATEWAY_AUDIENCE
from support.running import CALLBACK_URI, CONFIDENTIAL_CLIENT, RunningIssuer

pytestmark = pytest.mark.integration  # the testbed issuer

CALLBACK = CALLBACK_URI  # the redirect URI the fixture registers


@pytest.fixture(scope="module")
def issuer(tmp_path_factory):
    running = RunningIssuer(tmp_path_factory.mktemp("issuer"), access_token_ttl=300).start()
    try:
        yield running
    finally:
        running.stop()


def claims_of(issuer, token: str) -> dict:
    keys = jwt.PyJWKClient(f"{issuer.url}/jwks")
    return jwt.decode(
        token,
        keys.get_signing_key_from_jwt(token).key,
        algorithms=["RS256"],
        audience=GATEWAY_AUDIENCE,
        issuer=issuer.url,
    )


def test_device_flow_gives_a_gateway_jwt_and_a_refresh_token(issuer):
    tokens = device_login(issuer.url, "alice", "alice-dask-sites")
    claims = claims_of(issuer, tokens.access_token)
    assert claims["preferred_username"] == "alice"
    assert claims["groups"] == ["scientists"]
    assert 295 <= claims["exp"] - time.time() <= 301
    assert tokens.refresh_token


def test_code_flow_with_pkce(issuer):
    tokens = code_login(issuer.url, "bob", "bob-dask-sites", redirect_uri=CALLBACK)
    assert claims_of(issuer, tokens.access_token)["preferred_username"] == "bob"
    assert tokens.id_token and tokens.refresh_token


def test_a_confidential_client_needs_its_secret(issuer):
    client = CONFIDENTIAL_CLIENT
    login = {
        "redirect_uri": CALLBACK,
        "client_id": client["client_id"],
        "scope": "openid profile",
        "resource": None,
    }
    tokens = code_login(
        issuer.url, "bob", "bob-dask-sites", **login, client_secret=client["client_secret"]
    )
    assert (
        tokens.id_token
        and jwt.decode(tokens.id_token, options={"verify_signature": False})["aud"]
        == client["client_id"]
    )
    for wrong in (None, "", client["client_secret"] + "x", "confidential-test-secret-0123456788"):
        with pytest.raises(LoginError, match="code exchange refused: invalid_client"):
            code_login(issuer.url, "bob", "bob-dask-sites", **login, client_secret=wrong)


def test_wrong_password_is_refused(issuer):
    with pytest.raises(LoginError, match="refused the password of 'alice'"):
        device_login(issuer.url, "alice", "not-her-password")


def test_unregistered_redirect_uri_is_refused(issuer):
    with pytest.raises(LoginError):
        code_login(issuer.url, "alice", "alice-dask-sites", redirect_uri="http://evil.example/cb")


def test_refresh_tokens_rotate_and_reuse_revokes_the_chain(issuer):
    first = device_login(issuer.url, "alice", "alice-dask-sites")
    second = refresh(issuer.url, first.refresh_token)
    assert second.refresh_token and second.refresh_token != first.refresh_token
    assert claims_of(issuer, second.access_token)["preferred_username"] == "alice"
    with pytest.raises(LoginError, match="invalid_grant"):
        refresh(issuer.url, first.refresh_token)  # an old token: theft detection
    with pytest.raises(LoginError, match="invalid_grant"):
        refresh(issuer.url, second.refresh_token)  # ... which revoked the whole chain


def test_revocation_ends_the_session(issuer):
    tokens = device_login(issuer.url, "bob", "bob-dask-sites")
    answer = requests.post(
        discover(issuer.url)["revocation_endpoint"],
        timeout=10,
        data={"token": tokens.refresh_token, "client_id": CLIENT_ID},
    )
    assert answer.status_code == 200
    with pytest.raises(LoginError, match="invalid_grant"):
        refresh(issuer.url, tokens.refresh_token)


def test_issuer_log_holds_no_secrets(issuer):
    tokens = device_login(issuer.url, "alice", "alice-dask-sites")
    refresh(issuer.url, tokens.refresh_token)
    log = (issuer.state_dir / "issuer.log").read_text()
    assert "POST /token" in log
    client_secret = CONFIDENTIAL_CLIENT["client_secret"]  # posted by an earlier test
    for secret in (tokens.access_token, tokens.refresh_token, "alice-dask-sites", client_secret):
        assert secret not in log

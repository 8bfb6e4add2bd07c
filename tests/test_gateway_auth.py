"""The JWT authenticator against tokens from the real testbed issuer."""

from __future__ import annotations

import asyncio
import base64
import json
import logging

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from cryptography.hazmat.primitives.asymmetric import rsa

from jupyter_ext_server.gateway_auth import JWTAuthenticator
from jupyter_ext_server.testbed.login import device_login
from jupyter_ext_server.testbed.sites import GATEWAY_AUDIENCE

pytestmark = [pytest.mark.asyncio, pytest.mark.integration]


def request_with(token: str | None, scheme: str = "Bearer"):
    headers = {"Authorization": f"{scheme} {token}"} if token is not None else {}
    return make_mocked_request("GET", "/api/v1/clusters/", headers=headers)


def authenticator(issuer_url: str, **settings) -> JWTAuthenticator:
    settings.setdefault("audience", GATEWAY_AUDIENCE)
    return JWTAuthenticator(issuer=issuer_url, **settings)


async def refused(auth: JWTAuthenticator, token: str | None, caplog) -> str:
    """Authenticate, expect 401, return the logged reason (checked to hold no token)."""
    caplog.clear()
    with caplog.at_level(logging.WARNING), pytest.raises(web.HTTPUnauthorized) as raised:
        await auth.authenticate(request_with(token))
    assert raised.value.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    if token:
        assert token not in caplog.text
        assert token not in raised.value.headers["WWW-Authenticate"]
    return caplog.text


@pytest.fixture
def issuer(make_issuer):
    return make_issuer()


@pytest.fixture
def alice_token(issuer) -> str:
    return device_login(issuer.url, "alice", "alice-dask-sites").access_token


async def test_valid_token_gives_the_user_and_groups(issuer, alice_token):
    user = await authenticator(issuer.url).authenticate(request_with(alice_token))
    assert user.name == "alice"
    assert "scientists" in user.groups
    assert not user.admin


async def test_missing_token_is_refused(issuer, caplog):
    auth = authenticator(issuer.url)
    assert "no bearer token" in await refused(auth, None, caplog)
    with pytest.raises(web.HTTPUnauthorized):
        await auth.authenticate(request_with("abc", scheme="token"))


async def test_expired_token_is_refused(make_issuer, caplog):
    short = make_issuer("short", access_token_ttl=2)
    token = device_login(short.url, "alice", "alice-dask-sites").access_token
    auth = authenticator(short.url, leeway=0)
    assert (await auth.authenticate(request_with(token))).name == "alice"
    await asyncio.sleep(3.1)
    assert "token expired" in await refused(auth, token, caplog)


async def test_wrong_audience_is_refused(issuer, alice_token, caplog):
    auth = authenticator(issuer.url, audience="some-other-service")
    assert "wrong audience" in await refused(auth, alice_token, caplog)


async def test_audience_list_accepts_any_match(issuer, alice_token):
    auth = authenticator(issuer.url, audience=["account", GATEWAY_AUDIENCE])
    assert (await auth.authenticate(request_with(alice_token))).name == "alice"


async def test_wrong_issuer_is_refused(make_issuer, issuer, alice_token, caplog):
    # Same keys, but the gateway trusts another issuer name.
    auth = authenticator(issuer.url + "/elsewhere", jwks_url=issuer.url + "/jwks")
    assert "wrong issuer" in await refused(auth, alice_token, caplog)
    # A token minted by a different real issuer.
    other = make_issuer("other")
    foreign = device_login(other.url, "alice", "alice-dask-sites").access_token
    reason = await refused(authenticator(issuer.url), foreign, caplog)
    assert "unknown key id" in reason or "wrong issuer" in reason


async def test_tampered_token_is_refused(issuer, alice_token, caplog):
    header, payload, signature = alice_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["preferred_username"] = "bob"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    forged = f"{header}.{forged_payload}.{signature}"
    assert "signature does not verify" in await refused(authenticator(issuer.url), forged, caplog)


async def test_garbage_is_refused(issuer, caplog):
    assert "malformed token" in await refused(authenticator(issuer.url), "not-a-jwt", caplog)


def _token(header: object, claims: object = None, signature: bytes = b"sig") -> str:
    """A token of any shape: its parts base64url-encoded as given."""

    def part(value: object) -> str:
        raw = value if isinstance(value, bytes) else json.dumps(value).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return ".".join([part(header), part(claims or {"sub": "alice"}), part(signature)])


@pytest.mark.parametrize(
    "token",
    [
        _token({"alg": "RS256", "kid": {"a": 1}}),  # kid not a string
        _token({"alg": "RS256", "kid": ["k"]}),
        _token({"alg": "RS256", "kid": 7}),
        _token({"alg": "RS256", "kid": "k" * 5000}),
        _token({"alg": "RS256", "kid": "k", "crit": ["exp"]}),  # an extension we do not know
        _token({"alg": "none", "kid": "k"}),
        _token(b"\xff\xfe not json"),
        _token(["a", "list"]),
        "a.b",
        "." * 3,
        "eyJ" + "A" * 20_000,
    ],
)
async def test_tokens_of_the_wrong_shape_are_a_401_not_a_500(issuer, token, caplog):
    reason = await refused(authenticator(issuer.url), token, caplog)
    assert "Refused" in reason


async def test_unknown_key_id_is_refused_after_one_refetch(issuer, alice_token, caplog):
    auth = authenticator(issuer.url, jwks_min_refetch_interval=0)
    await auth.authenticate(request_with(alice_token))
    fetches = auth.jwks.fetch_count
    claims = jwt.decode(alice_token, options={"verify_signature": False})
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "not-the-issuers-key"})
    assert "unknown key id" in await refused(auth, forged, caplog)
    assert auth.jwks.fetch_count == fetches + 1  # it asked the issuer once more


async def test_rotated_issuer_key_is_picked_up(issuer):
    auth = authenticator(issuer.url, jwks_min_refetch_interval=0)
    first = device_login(issuer.url, "alice", "alice-dask-sites").access_token
    assert (await auth.authenticate(request_with(first))).name == "alice"
    old_kids = {k["kid"] for k in issuer.jwks()["keys"]}
    issuer.restart_with_new_keys()
    assert not old_kids & {k["kid"] for k in issuer.jwks()["keys"]}
    second = device_login(issuer.url, "bob", "bob-dask-sites").access_token
    assert (await auth.authenticate(request_with(second))).name == "bob"


async def test_required_group(issuer, alice_token, caplog):
    assert "none of the required groups" in await refused(
        authenticator(issuer.url, required_groups=["admins"]), alice_token, caplog
    )
    user = await authenticator(
        issuer.url, required_groups=["scientists"], admin_groups=["scientists"]
    ).authenticate(request_with(alice_token))
    assert user.admin


async def test_username_claim_is_configurable(issuer, alice_token):
    user = await authenticator(issuer.url, username_claim="email").authenticate(
        request_with(alice_token)
    )
    assert user.name == "alice@example.org"

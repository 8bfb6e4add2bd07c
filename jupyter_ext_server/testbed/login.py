"""Complete real logins at the testbed issuer without a browser.

Scripts and tests walk the issuer's own HTML pages with an HTTP client and a
cookie jar, exactly as a person's browser would: the device flow (the
sidecar's default) and the authorization code flow with PKCE. The page
markers used here are documented in ``src/testbed-issuer/README.md``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urljoin, urlparse

import requests

from .sites import CLIENT_ID, GATEWAY_RESOURCE, GATEWAY_SCOPE

DEFAULT_SCOPE = f"openid profile email groups offline_access {GATEWAY_SCOPE}"

_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
_ATTR = re.compile(r'(\w[\w.-]*)="([^"]*)"')
_INPUT = re.compile(r"<input\b([^>]*)/?>")


class LoginError(RuntimeError):
    """The login did not complete; the message says at which step and why."""


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str | None
    id_token: str | None
    expires_in: int
    scope: str


def discover(issuer: str) -> dict:
    return requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()


def _forms(page: str) -> dict[str, tuple[str, dict[str, str]]]:
    """Forms of a page by id: (action, {name: value} of its hidden inputs)."""
    forms = {}
    for attrs_text, body in _FORM.findall(page):
        attrs = {k: html.unescape(v) for k, v in _ATTR.findall(attrs_text)}
        fields = {}
        for input_attrs in _INPUT.findall(body):
            attr = {k: html.unescape(v) for k, v in _ATTR.findall(input_attrs)}
            if attr.get("type") == "hidden" and "name" in attr:
                fields[attr["name"]] = attr.get("value", "")
        forms[attrs.get("id", "")] = (attrs.get("action", ""), fields)
    return forms


def _result(page: str) -> str | None:
    match = re.search(r'data-testbed-result="([^"]+)"', page)
    return match.group(1) if match else None


def sign_in(session: requests.Session, url: str, username: str, password: str) -> requests.Response:
    """Follow the issuer's pages from ``url`` until they stop asking for input.

    Returns the last response: a page with a ``data-testbed-result`` marker, or
    a redirect that leaves the issuer (the code flow's callback).
    """
    issuer_origin = urlparse(url)[:2]
    response = session.get(url, allow_redirects=False, timeout=10)
    for _ in range(12):
        if response.is_redirect:
            target = urljoin(response.url, response.headers["Location"])
            if urlparse(target)[:2] != issuer_origin:
                return response  # back to the client application
            response = session.get(target, allow_redirects=False, timeout=10)
            continue
        page = response.text
        result = _result(page)
        if result == "login-failed":
            raise LoginError(f"the issuer refused the password of {username!r}")
        forms = _forms(page)
        if "login-form" in forms:
            action, fields = forms["login-form"]
            data = {**fields, "username": username, "password": password}
        elif "op.deviceConfirmForm" in forms:
            action, fields = forms["op.deviceConfirmForm"]
            data = {**fields, "confirm": "yes"}
        elif result:
            return response
        elif "" in forms:
            # oidc-provider's self-submitting form (scripted in a browser).
            action, data = forms[""]
        else:
            raise LoginError(
                f"unexpected page at {urlparse(response.url).path} (HTTP {response.status_code})"
            )
        response = session.post(
            urljoin(response.url, action), data=data, allow_redirects=False, timeout=10
        )
    raise LoginError("the login did not finish within 12 steps")


def _tokens(answer: dict) -> Tokens:
    return Tokens(
        access_token=answer["access_token"],
        refresh_token=answer.get("refresh_token"),
        id_token=answer.get("id_token"),
        expires_in=int(answer.get("expires_in", 0)),
        scope=answer.get("scope", ""),
    )


def approve_device(verification_uri_complete: str, username: str, password: str) -> None:
    """What a person does in the browser for a device login: open the link, sign in."""
    with requests.Session() as session:
        final = sign_in(session, verification_uri_complete, username, password)
    if _result(final.text) != "device-approved":
        raise LoginError(f"device approval ended with {_result(final.text) or final.status_code}")


def device_login(
    issuer: str,
    username: str,
    password: str,
    client_id: str = CLIENT_ID,
    scope: str = DEFAULT_SCOPE,
    resource: str | None = GATEWAY_RESOURCE,
) -> Tokens:
    """A whole device-flow login: start it, approve it as ``username``, collect the tokens."""
    config = discover(issuer)
    start = {"client_id": client_id, "scope": scope}
    if resource:
        start["resource"] = resource
    answer = requests.post(config["device_authorization_endpoint"], data=start, timeout=10)
    if answer.status_code != 200:
        raise LoginError(f"device authorization refused: {answer.text}")
    grant = answer.json()
    approve_device(grant["verification_uri_complete"], username, password)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answer = requests.post(
            config["token_endpoint"],
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                "device_code": grant["device_code"],
                "client_id": client_id,
            },
            timeout=10,
        )
        body = answer.json()
        if answer.status_code == 200:
            return _tokens(body)
        if body.get("error") not in ("authorization_pending", "slow_down"):
            raise LoginError(f"token request refused: {body.get('error')}")
        time.sleep(0.2)
    raise LoginError("no token within 30 s of approving the device")


def code_login(
    issuer: str,
    username: str,
    password: str,
    redirect_uri: str,
    client_id: str = CLIENT_ID,
    scope: str = DEFAULT_SCOPE,
    resource: str | None = GATEWAY_RESOURCE,
    client_secret: str | None = None,
) -> Tokens:
    """A whole authorization-code + PKCE login, stopping at the redirect to ``redirect_uri``
    (``client_secret``: a confidential client's, posted with the code)."""
    config = discover(issuer)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    state = secrets.token_urlsafe(16)
    params = {
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        "code_challenge": challenge.decode(),
        "code_challenge_method": "S256",
    }
    if resource:
        params["resource"] = resource
    url = str(
        requests.Request("GET", config["authorization_endpoint"], params=params).prepare().url
    )
    with requests.Session() as session:
        final = sign_in(session, url, username, password)
    if not final.is_redirect:
        raise LoginError(f"the code flow ended with {_result(final.text) or final.status_code}")
    query = parse_qs(urlparse(final.headers["Location"]).query)
    if query.get("state") != [state] or "code" not in query:
        raise LoginError(f"bad callback: {query.get('error', ['no code'])[0]}")
    data = {
        "grant_type": "authorization_code",
        "code": query["code"][0],
        "redirect_uri": redirect_uri,
        "client_id": client_id,
        "code_verifier": verifier,
    }
    if resource:
        data["resource"] = resource
    if client_secret is not None:
        data["client_secret"] = client_secret
    answer = requests.post(config["token_endpoint"], data=data, timeout=10)
    if answer.status_code != 200:
        raise LoginError(f"code exchange refused: {answer.json().get('error')}")
    return _tokens(answer.json())


def refresh(
    issuer: str,
    refresh_token: str,
    client_id: str = CLIENT_ID,
    resource: str | None = GATEWAY_RESOURCE,
) -> Tokens:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id}
    if resource:
        data["resource"] = resource
    answer = requests.post(discover(issuer)["token_endpoint"], data=data, timeout=10)
    if answer.status_code != 200:
        raise LoginError(f"refresh refused: {answer.json().get('error')}")
    return _tokens(answer.json())


def hub_login(hub_url: str, username: str, password: str) -> requests.Session:
    """Sign in to the testbed's JupyterHub as a person would: the hub sends the browser
    to the issuer, the person signs in there, the issuer sends it back to the hub.
    Returns the session holding the hub's cookies (and the issuer's)."""
    session = requests.Session()
    start = session.get(f"{hub_url}/hub/oauth_login", allow_redirects=False, timeout=10)
    if not start.is_redirect:
        raise LoginError(
            f"the hub did not send the browser to the issuer (HTTP {start.status_code})"
        )
    back = sign_in(session, urljoin(start.url, start.headers["Location"]), username, password)
    if not back.is_redirect:
        raise LoginError(f"the issuer did not send the browser back ({_result(back.text)})")
    callback = urljoin(back.url, back.headers["Location"])
    if not callback.startswith(f"{hub_url}/hub/oauth_callback"):
        raise LoginError(f"the issuer sent the browser to {urlparse(callback).path}, not the hub")
    landed = session.get(callback, allow_redirects=False, timeout=30)
    if not landed.is_redirect or "jupyterhub-hub-login" not in session.cookies:
        raise LoginError(f"the hub refused the sign-in (HTTP {landed.status_code})")
    return session

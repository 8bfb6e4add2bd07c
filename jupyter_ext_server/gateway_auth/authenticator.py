"""A dask-gateway-server authenticator that accepts OpenID Connect access tokens (JWTs).

Operators configure it with::

    c.DaskGateway.authenticator_class = "jupyter_ext_server.gateway_auth.JWTAuthenticator"
    c.JWTAuthenticator.issuer = "https://login.example.org/realms/dedl"
    c.JWTAuthenticator.audience = "dask-gateway"
"""

from __future__ import annotations

import jwt
from aiohttp import web
from dask_gateway_server.auth import Authenticator
from dask_gateway_server.models import User
from traitlets import Float, List, Unicode, Union, default

from .jwks import JWKSCache, JWKSFetchError, UnknownKeyError


class TokenRejected(Exception):
    """Why a token was refused; the text is safe to log and to return."""


def _claim(claims: dict, path: str):
    """Read a claim by dotted path (Keycloak keeps roles in ``realm_access.roles``)."""
    value = claims
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


class JWTAuthenticator(Authenticator):
    """Verify ``Authorization: Bearer <JWT>`` against the issuer's published keys."""

    issuer = Unicode(
        help="Issuer URL; the token's `iss` must equal it (trailing slash ignored).",
        config=True,
    )
    jwks_url = Unicode(
        "",
        help="JWKS URL. Default: the `jwks_uri` of the issuer's discovery document.",
        config=True,
    )
    audience = Union(
        [Unicode(), List(Unicode())],
        default_value="dask-gateway",
        help="Accepted audience(s); the token's `aud` must contain one. "
        "Keycloak puts `account` there by default.",
        config=True,
    )
    username_claim = Unicode(
        "preferred_username", help="Claim (dotted path) holding the user name.", config=True
    )
    groups_claim = Unicode(
        "groups",
        help="Claim (dotted path) holding the user's groups or roles, "
        "e.g. `realm_access.roles` for Keycloak.",
        config=True,
    )
    required_groups = List(
        Unicode(),
        help="If set, the user must be in at least one of these groups or roles.",
        config=True,
    )
    admin_groups = List(Unicode(), help="Members of these groups are gateway admins.", config=True)
    algorithms = List(
        Unicode(), default_value=["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"], config=True
    )
    leeway = Float(30.0, help="Seconds of clock skew tolerated for exp/nbf/iat.", config=True)
    jwks_max_age = Float(300.0, help="Seconds before the key set is refetched.", config=True)
    jwks_min_refetch_interval = Float(
        10.0,
        help="Least seconds between refetches caused by unknown key ids "
        "(bounds what made-up tokens can make us ask of the issuer).",
        config=True,
    )

    @default("cache_max_age")
    def _default_cache_max_age(self):
        # The gateway's cookie skips authentication while cached; keep that
        # window short so an expired or revoked token stops working soon.
        return 60

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if not self.issuer:
            raise ValueError("c.JWTAuthenticator.issuer must be set to the OIDC issuer URL")
        self.jwks = JWKSCache(
            self.issuer,
            self.jwks_url or None,
            max_age=self.jwks_max_age,
            min_refetch_interval=self.jwks_min_refetch_interval,
        )

    def _unauthorized(self, reason: str) -> web.HTTPUnauthorized:
        description = reason.replace('"', "'")
        return web.HTTPUnauthorized(
            headers={
                "WWW-Authenticate": (
                    f'Bearer error="invalid_token", error_description="{description}"'
                )
            },
            reason=f"Unauthorized: {reason}",
        )

    async def verify(self, token: str) -> dict:
        """Return the token's claims, or raise TokenRejected saying why."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:  # not a JWT, a bad header, an unknown `crit`, ...
            raise TokenRejected("malformed token") from None
        kid = header.get("kid")
        if not kid:
            raise TokenRejected("token has no key id (kid)")
        if not isinstance(kid, str) or len(kid) > 256:
            raise TokenRejected("token's key id (kid) is not a short string")
        try:
            key = await self.jwks.get_key(kid)
        except UnknownKeyError:
            raise TokenRejected(f"unknown key id {kid!r}") from None
        except JWKSFetchError as err:
            raise TokenRejected(f"cannot fetch the issuer's keys: {err}") from None
        audience = [self.audience] if isinstance(self.audience, str) else list(self.audience)
        try:
            return jwt.decode(
                token,
                key=key,
                algorithms=list(self.algorithms),
                audience=audience,
                issuer=self.issuer.rstrip("/"),
                leeway=self.leeway,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRejected("token expired") from None
        except jwt.InvalidAudienceError:
            raise TokenRejected(f"wrong audience (expected one of {audience})") from None
        except jwt.InvalidIssuerError:
            raise TokenRejected(f"wrong issuer (expected {self.issuer})") from None
        except jwt.InvalidSignatureError:
            raise TokenRejected("signature does not verify") from None
        except jwt.MissingRequiredClaimError as err:
            raise TokenRejected(f"missing claim {err.claim!r}") from None
        except jwt.PyJWTError as err:
            raise TokenRejected(f"invalid token ({type(err).__name__})") from None

    def user_from_claims(self, claims: dict) -> User:
        name = _claim(claims, self.username_claim)
        if not isinstance(name, str) or not name:
            raise TokenRejected(f"token has no {self.username_claim!r} claim")
        groups = _claim(claims, self.groups_claim) or []
        if isinstance(groups, str):
            groups = [groups]
        groups = [g for g in groups if isinstance(g, str)]
        if self.required_groups and not set(groups) & set(self.required_groups):
            raise TokenRejected(f"user {name!r} is in none of the required groups")
        admin = bool(set(groups) & set(self.admin_groups))
        return User(name, groups=groups, admin=admin)

    async def authenticate(self, request):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip()
        try:
            if scheme.lower() != "bearer" or not token:
                raise TokenRejected("no bearer token in the Authorization header")
            user = self.user_from_claims(await self.verify(token))
        except TokenRejected as rejected:
            # Say why, never what: the token itself is a secret.
            self.log.warning("Refused %s %s: %s", request.method, request.path, rejected)
            raise self._unauthorized(str(rejected)) from None
        return user

"""Client-side auth for the plain ``dask_gateway`` client: send an OIDC access token."""

from __future__ import annotations

from collections.abc import Callable

from dask_gateway.auth import GatewayAuth


class BearerAuth(GatewayAuth):
    """Authenticate to a gateway that runs :class:`JWTAuthenticator`.

    ``token`` is an access token, or a callable returning a fresh one (called
    on every authentication, so a refreshed token is picked up).

    >>> Gateway(address, auth=BearerAuth(token))
    """

    def __init__(self, token: str | Callable[[], str]):
        self._token = token

    def pre_request(self, resp):
        token = self._token() if callable(self._token) else self._token
        return {"Authorization": f"Bearer {token}"}, None

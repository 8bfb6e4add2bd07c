"""Authentication for Dask Gateway with OpenID Connect access tokens.

Server side: :class:`JWTAuthenticator`, a ``dask-gateway-server`` authenticator
that verifies bearer JWTs against the issuer's JWKS. Client side:
:class:`BearerAuth`, a ``dask_gateway`` auth that sends such a token.
"""

from .bearer import BearerAuth
from .jwks import JWKSCache, UnknownKeyError

__all__ = ["BearerAuth", "JWKSCache", "JWTAuthenticator", "UnknownKeyError"]


def __getattr__(name):
    # The authenticator imports dask-gateway-server, which clients need not have.
    if name == "JWTAuthenticator":
        from .authenticator import JWTAuthenticator

        return JWTAuthenticator
    raise AttributeError(name)

"""An asynchronous, cached view of an issuer's JSON Web Key Set.

PyJWT's own ``PyJWKClient`` fetches synchronously and would block the
gateway's event loop, so keys are fetched with aiohttp and cached here.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
import jwt


class UnknownKeyError(LookupError):
    """The token names a key id that the issuer does not publish."""


class JWKSFetchError(RuntimeError):
    """The issuer's discovery document or key set could not be fetched."""


class JWKSCache:
    """Keys of one issuer, refetched when stale or when an unknown key id shows up.

    ``min_refetch_interval`` bounds how often tokens with made-up key ids can
    make us call the issuer.
    """

    def __init__(
        self,
        issuer: str,
        jwks_url: str | None = None,
        max_age: float = 300.0,
        min_refetch_interval: float = 10.0,
        timeout: float = 10.0,
    ):
        self.issuer = issuer.rstrip("/")
        self.jwks_url = jwks_url or None
        self.max_age = max_age
        self.min_refetch_interval = min_refetch_interval
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()
        self.fetch_count = 0

    async def _get_json(self, session: aiohttp.ClientSession, url: str) -> dict:
        try:
            async with session.get(url) as response:
                if response.status != 200:
                    raise JWKSFetchError(f"GET {url} answered HTTP {response.status}")
                return await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as err:
            raise JWKSFetchError(f"GET {url} failed: {err or type(err).__name__}") from err

    async def _fetch(self) -> None:
        async with aiohttp.ClientSession(timeout=self.timeout) as session:
            if self.jwks_url is None:
                config = await self._get_json(
                    session, f"{self.issuer}/.well-known/openid-configuration"
                )
                if "jwks_uri" not in config:
                    raise JWKSFetchError(f"{self.issuer} publishes no jwks_uri")
                self.jwks_url = config["jwks_uri"]
            document = await self._get_json(session, self.jwks_url)
        keys = {}
        for entry in document.get("keys", []):
            if entry.get("use", "sig") != "sig" or "kid" not in entry:
                continue
            try:
                keys[entry["kid"]] = jwt.PyJWK(entry)
            except jwt.PyJWTError:
                continue  # a key type we cannot use; others may still work
        self._keys = keys
        self._fetched_at = time.monotonic()
        self.fetch_count += 1

    async def get_key(self, kid: str) -> jwt.PyJWK:
        """Return the key with this id, refetching the set once if it is unknown or stale."""
        age = time.monotonic() - self._fetched_at
        if kid in self._keys and age < self.max_age:
            return self._keys[kid]
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            stale = age >= self.max_age
            may_refetch = age >= self.min_refetch_interval
            if stale or (kid not in self._keys and may_refetch):
                await self._fetch()
        if kid not in self._keys:
            raise UnknownKeyError(kid)
        return self._keys[kid]

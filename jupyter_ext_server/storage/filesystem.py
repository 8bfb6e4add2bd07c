"""``s3://`` with a site's endpoint and keys, for URLs that match its registry rules.

The kernel registers ``SiteS3FileSystem`` for ``s3`` and ``s3a`` and tells it
which site a URL belongs to (``site_rules.RESOLVER``). Then ``xr.open_zarr("s3://central-…")``
or ``dd.read_parquet("s3://lumi-…")`` reach the site's object store with the
user's keys and no ``storage_options``. Explicit options (``key``, ``anon``,
``profile``…) always win: the class then behaves exactly like s3fs.

The site, its endpoint and its credential type travel with the filesystem
when Dask ships it to workers (they are constructor arguments, which fsspec
pickles); the keys do not: a worker takes them from its ``KEYS``, which the
kernel fills for that site only (``keys.SiteKeysPlugin``).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import s3fs
from aiobotocore.credentials import AioRefreshableCredentials
from aiobotocore.session import AioSession

from .keys import KEYS, StorageKeys
from .site_rules import STS, resolve, site_storage_options

#: Options that say the caller chose credentials itself.
_EXPLICIT = ("key", "secret", "token", "anon", "profile", "session")


class SiteS3FileSystem(s3fs.S3FileSystem):
    protocol = ("s3", "s3a")

    def __init__(
        self,
        *args,
        site: str | None = None,
        site_endpoint: str | None = None,
        site_credentials: str = "environment",
        **kwargs,
    ):
        chosen = any(kwargs.get(option) not in (None, False) for option in _EXPLICIT)
        self.site = site
        self.site_credentials = "explicit" if chosen or not site else site_credentials
        if site and not chosen:
            given = kwargs.get("endpoint_url") or (kwargs.get("client_kwargs") or {}).get(
                "endpoint_url"
            )
            if site_endpoint and not given:
                kwargs["endpoint_url"] = site_endpoint
            if site_credentials == "anonymous":
                kwargs["anon"] = True
        super().__init__(*args, **kwargs)

    @classmethod
    def _get_kwargs_from_urls(cls, urlpath):
        options = super()._get_kwargs_from_urls(urlpath)
        storage = resolve(urlpath)
        return {**options, **site_storage_options(storage)} if storage else options

    async def set_session(self, refresh=False, kwargs={}):  # noqa: B006 (s3fs's signature)
        session = getattr(self, "session", None)
        if self.site_credentials == STS and (session is None or refresh):
            self.session = _session_with_keys(self.site or "")
            self._session_is_owned = False  # s3fs must not replace it with a plain one
        return await super().set_session(refresh=refresh, kwargs=kwargs)


def _session_with_keys(site: str) -> AioSession:
    """A botocore session whose keys renew themselves from ``KEYS``."""
    first = KEYS.get(site)

    async def renewed() -> dict:
        # In the kernel this may ask the sidecar: not on the event loop.
        keys = await asyncio.get_running_loop().run_in_executor(None, KEYS.get, site)
        return _metadata(keys)

    credentials = AioRefreshableCredentials.create_from_metadata(
        _metadata(first), refresh_using=renewed, method="dask-sites"
    )
    # botocore renews 15 and 10 minutes ahead by default; keys may live less.
    credentials._advisory_refresh_timeout = min(15 * 60, first.lifetime / 3)
    credentials._mandatory_refresh_timeout = min(10 * 60, first.lifetime / 6)
    session = AioSession()
    session._credentials = credentials
    return session


def _metadata(keys: StorageKeys) -> dict:
    return {
        "access_key": keys.key,
        "secret_key": keys.secret,
        "token": keys.token,
        "expiry_time": datetime.fromtimestamp(keys.expires_at, timezone.utc).isoformat(),
    }

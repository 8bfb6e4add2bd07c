"""``s3://`` with a site's endpoint and keys, for URLs that match its registry rules.

The kernel registers ``SiteS3FileSystem`` for ``s3`` and ``s3a`` and tells it
which site a URL belongs to (``site_rules.RESOLVER``). Then ``xr.open_zarr("s3://central-…")``
or ``dd.read_parquet("s3://lumi-…")`` reach the site's object store with the
user's keys and no ``storage_options``. Explicit options (``key``, ``anon``,
``profile``…, or an endpoint other than the site's) always win: the class
then behaves exactly like s3fs, and the site's keys go nowhere else.

The site, its endpoint and its credential type travel with the filesystem
when Dask ships it to workers (they are constructor arguments, which fsspec
pickles); the keys do not: a worker takes them from its ``KEYS``, which the
kernel fills for that site only (``worker_plugin.SiteKeysPlugin``).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import s3fs
from aiobotocore.credentials import AioRefreshableCredentials
from aiobotocore.session import AioSession

from .keys import KEYS, StorageKeys
from .site_rules import STS, normal_endpoint, resolve, site_storage_options

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
        site_region: str | None = None,
        **kwargs,
    ):
        client_kwargs = dict(kwargs.get("client_kwargs") or {})
        given = kwargs.get("endpoint_url") or client_kwargs.get("endpoint_url")
        # Keys the caller chose, or another store than the site's: the caller's, as given
        # (the site's keys must never be sent to another endpoint).
        chosen = any(kwargs.get(option) is not None for option in _EXPLICIT) or bool(
            given and site_endpoint and normal_endpoint(given) != normal_endpoint(site_endpoint)
        )
        self.site = site
        self.site_credentials = "explicit" if chosen or not site else site_credentials
        if site and not chosen:
            if site_endpoint and not given:
                kwargs["endpoint_url"] = site_endpoint
            if site_credentials == "anonymous":
                kwargs["anon"] = True
            if site_region and "region_name" not in client_kwargs:
                kwargs["client_kwargs"] = {**client_kwargs, "region_name": site_region}
        super().__init__(*args, **kwargs)

    @classmethod
    def _get_kwargs_from_urls(cls, urlpath):
        options = super()._get_kwargs_from_urls(urlpath)
        storage = resolve(urlpath)
        return {**options, **site_storage_options(storage)} if storage else options

    async def set_session(self, refresh=False, kwargs={}):  # noqa: B006 (s3fs's signature)
        session = getattr(self, "session", None)
        if self.site_credentials == STS and (session is None or refresh):
            # In the kernel the first keys may come from the sidecar: not on the event loop.
            site = self.site or ""
            first = await asyncio.get_running_loop().run_in_executor(None, KEYS.get, site)
            self.session = _session_with_keys(site, first)
            self._session_is_owned = False  # s3fs must not replace it with a plain one
        return await super().set_session(refresh=refresh, kwargs=kwargs)


def _session_with_keys(site: str, first: StorageKeys) -> AioSession:
    """A botocore session whose keys renew themselves from ``KEYS``."""

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

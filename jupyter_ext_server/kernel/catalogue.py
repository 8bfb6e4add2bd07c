"""Which data lives at which site, as the registry says (through the sidecar).

A site's registry entry may carry ``data.patterns`` (globs of data URLs,
``s3://lumi-*/**``) and ``data.storage_endpoints`` (DEDL's per-site object
store addresses). The kernel reads them from the sidecar's ``/kernel/sites`` and
keeps them for a while: they change only with the registry.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from ..storage.site_rules import SiteStorage, normal_endpoint
from .errors import SiteError, quoted

RETRY_SECONDS = 10.0


@dataclass(frozen=True)
class SiteData:
    name: str
    patterns: tuple[str, ...] = ()
    endpoints: tuple[str, ...] = ()
    #: How its object store is reached: ``environment``, ``anonymous`` or ``sts-web-identity``.
    credentials: str = "environment"
    #: The region its store's requests are signed for, if the registry says.
    region: str | None = None


class SiteCatalogue:
    """Site names and data rules; ``fetch`` returns the sidecar's site list."""

    def __init__(self, fetch: Callable[[], list[dict]], ttl: float = 60.0):
        self._fetch = fetch
        self._ttl = ttl
        self._sites: dict[str, SiteData] = {}
        self._fetched_at = -1e9

    @classmethod
    def of(cls, sites: list[SiteData]) -> SiteCatalogue:
        """A fixed catalogue (tests, and kernels without a sidecar)."""
        catalogue = cls(lambda: [], ttl=float("inf"))
        catalogue._sites = {s.name: s for s in sites}
        catalogue._fetched_at = time.monotonic()
        return catalogue

    def _current(self) -> dict[str, SiteData]:
        if time.monotonic() - self._fetched_at > self._ttl:
            try:
                fetched = self._fetch()
            except Exception:
                if not self._sites:
                    raise
                # Keep the last good copy; ask again in a little while, not on every compute.
                self._fetched_at = time.monotonic() - self._ttl + RETRY_SECONDS
                return self._sites
            sites = {}
            for site in fetched:
                data = site.get("data") or {}
                sites[site["name"]] = SiteData(
                    site["name"],
                    tuple(data.get("patterns") or ()),
                    tuple(data.get("storage_endpoints") or ()),
                    (data.get("credentials") or {}).get("type", "environment"),
                    (data.get("credentials") or {}).get("region"),
                )
            self._sites, self._fetched_at = sites, time.monotonic()
        return self._sites

    def names(self) -> list[str]:
        return list(self._current())

    def require(self, name: str) -> None:
        """Refuse a name the registry does not have, listing the ones it has."""
        names = self.names()
        if name not in names:
            raise SiteError(
                f"unknown site {quoted(name)}; known sites: {', '.join(names) or 'none'}"
            )

    def site_for(self, url: str, site: str | None = None) -> str:
        """``site``, else the site whose patterns match ``url``: a name the registry knows,
        or a ``SiteError`` that says to pass one."""
        site = site or self.site_of_url(url)
        if site is None:
            raise SiteError(
                f"No site's data patterns match {url}; pass site=NAME "
                f"(known sites: {', '.join(self.names()) or 'none'})."
            )
        self.require(site)
        return site

    def has_data_rules(self) -> bool:
        return any(s.patterns or s.endpoints for s in self._current().values())

    def site_of_url(self, url: str) -> str | None:
        """The site whose patterns match ``url`` (``s3://bucket/path``; ``s3a://`` is
        the same store, named as Hadoop names it)."""
        if url.startswith("s3a://"):
            url = "s3://" + url[len("s3a://") :]
        candidates = (url, url.rstrip("/") + "/")
        for site in self._current().values():
            if any(fnmatchcase(c, p) for p in site.patterns for c in candidates):
                return site.name
        return None

    def site_of_endpoint(self, endpoint: str) -> str | None:
        wanted = normal_endpoint(endpoint)
        for site in self._current().values():
            if any(normal_endpoint(e) == wanted for e in site.endpoints):
                return site.name
        return None

    def storage_of(self, site: str) -> SiteStorage:
        """How ``site``'s object store is reached (endpoint, credentials, region)."""
        data = self._current().get(site)
        if data is None:
            return SiteStorage(site, None)
        return SiteStorage(
            site, data.endpoints[0] if data.endpoints else None, data.credentials, data.region
        )

    def credentials_of(self, site: str) -> str:
        return self.storage_of(site).credentials

    def endpoint_of(self, site: str) -> str | None:
        return self.storage_of(site).endpoint

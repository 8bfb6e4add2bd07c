"""Which site an ``s3://`` URL belongs to, as the kernel tells ``SiteS3FileSystem``.

Light on purpose (no s3fs): the kernel imports it at start, and the filesystem
class itself loads only when a URL is opened (fsspec imports it by name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

#: ``data.credentials.type`` of keys fetched per user (STS AssumeRoleWithWebIdentity).
STS = "sts-web-identity"
#: Where fsspec finds the class (registered by name: s3fs loads only when used).
FILESYSTEM_CLASS = "jupyter_ext_server.storage.filesystem.SiteS3FileSystem"


@dataclass(frozen=True)
class SiteStorage:
    site: str
    endpoint: str | None
    #: ``environment``, ``anonymous`` or ``sts-web-identity`` (``data.credentials.type``).
    credentials: str = "environment"
    #: The region requests are signed for (``data.credentials.region``), if the registry says.
    region: str | None = None


#: url -> the site whose rules match it (set by the kernel; None on workers).
RESOLVER: Callable[[str], SiteStorage | None] | None = None


def normal_endpoint(url: str) -> str:
    """An endpoint as compared: no trailing slash, lower case."""
    return url.rstrip("/").lower()


def resolve(url: str) -> SiteStorage | None:
    return RESOLVER(url) if RESOLVER else None


def site_storage_options(storage: SiteStorage) -> dict:
    """``storage_options`` that send an ``s3://`` URL to ``storage``'s site."""
    return {
        "site": storage.site,
        "site_endpoint": storage.endpoint,
        "site_credentials": storage.credentials,
        "site_region": storage.region,
    }

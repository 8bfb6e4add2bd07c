"""Sending a site's keys to the workers of that site's cluster (``worker_plugin.py``)."""

from __future__ import annotations

from .keys import StorageKeys


def send_keys(client, site: str, keys: StorageKeys) -> None:
    """Give the workers of ``client``'s cluster (now and joining later) ``site``'s keys."""
    from .worker_plugin import SiteKeysPlugin  # noqa: PLC0415 (distributed loads slowly)

    client.register_plugin(SiteKeysPlugin(site, keys))

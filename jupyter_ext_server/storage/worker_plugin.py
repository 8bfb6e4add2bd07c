"""The plugin that carries a site's keys to that site's workers (``sending.send_keys``)."""

from __future__ import annotations

from distributed.diagnostics.plugin import WorkerPlugin

from .keys import KEYS, StorageKeys


class SiteKeysPlugin(WorkerPlugin):
    """Gives a site's workers that site's keys (and new workers too, as they join).

    Registered again with newer keys before the old ones are half gone."""

    def __init__(self, site: str, keys: StorageKeys):
        self.site = site
        self.keys = keys
        self.name = plugin_name(site)

    def setup(self, worker) -> None:
        KEYS.put(self.site, self.keys)

    def __repr__(self) -> str:  # never the keys themselves
        return f"SiteKeysPlugin(site={self.site!r}, expires_at={self.keys.expires_at:.0f})"


def plugin_name(site: str) -> str:
    # One per site: registering it again replaces the older keys.
    return f"dask-sites-storage-keys-{site}"

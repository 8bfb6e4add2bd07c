"""Loading the server extension: read the configuration and check the site registry."""

from __future__ import annotations

from ..registry import RegistryError, load_registry
from .config import DaskSites


def load(server_app) -> None:
    settings = DaskSites(parent=server_app)
    server_app.web_app.settings["dask_sites_config"] = settings
    if not settings.registry:
        server_app.log.info(
            "Dask Sites: no site registry configured (set c.DaskSites.registry); no sites."
        )
        return
    try:
        registry = load_registry(settings.registry)
    except RegistryError as err:
        # A bad registry must not take the whole Jupyter server down.
        server_app.log.error("Dask Sites: %s", err)
        return
    names = ", ".join(site["name"] for site in registry["sites"])
    server_app.log.info("Dask Sites: %d site(s) from %s: %s", len(registry["sites"]), settings.registry, names)

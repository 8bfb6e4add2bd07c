"""Loading the server extension: read the configuration and check the site registry."""

from __future__ import annotations

from dataclasses import dataclass

from ..registry import RegistryError, load_registry
from .config import DaskSites


@dataclass
class ServerState:
    """What the extension knows, kept in the Tornado settings under ``dask_sites``."""

    config: DaskSites
    registry: dict | None = None
    registry_error: str | None = None


def load(server_app) -> None:
    state = ServerState(config=DaskSites(parent=server_app))
    server_app.web_app.settings["dask_sites"] = state
    location = state.config.registry
    if not location:
        server_app.log.info(
            "Dask Sites: no site registry configured (set c.DaskSites.registry); no sites."
        )
        return
    try:
        state.registry = load_registry(location)
    except RegistryError as err:
        # A bad registry must not take the whole Jupyter server down.
        state.registry_error = str(err)
        server_app.log.error("Dask Sites: %s", err)
        return
    names = ", ".join(site["name"] for site in state.registry["sites"])
    server_app.log.info("Dask Sites: %d site(s) from %s: %s", len(state.registry["sites"]), location, names)

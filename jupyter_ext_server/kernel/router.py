"""The per-kernel router: where each cell's Dask work goes, and the state that needs.

``SiteRouter`` keeps the notebook default, one ``distributed.Client`` per
site, where data lives, and the cell running now. The IPython glue
(``extension.py``) calls its ``pre_run_cell``/``post_run_cell``; the user API
(``api.py``, ``widget.py``) and the magics reach it through ``state.py``.
"""

from __future__ import annotations

import dask
from comm import create_comm
from IPython.display import publish_display_data

from ..sidecar_client import SidecarClient, SidecarError
from .activation import Activation
from .catalogue import SiteCatalogue
from .clients import SiteClients
from .errors import SiteError, quoted, site_error_from
from .locations import DataLocations
from .owner import kernel_owner
from .progress import CellProgress
from .record import CellRecord
from .routing import NOTEBOOK_DEFAULT, Route, decide, is_site_command
from .scheduler import SiteScheduler
from .storage_access import StorageAccess

NO_SIDECAR = "Dask Sites is not running for this kernel (DASK_SITES_SIDECAR is not set)."


class SiteRouter:
    """Per kernel: the notebook default, the clients, where data lives, the current cell."""

    def __init__(self, shell, sidecar: SidecarClient | None):
        self.shell = shell
        self.sidecar = sidecar
        catalogue = SiteCatalogue(self._registry_sites) if sidecar else SiteCatalogue.of([])
        # s3:// URLs of a site's data reach its store with the user's keys.
        self.storage = StorageAccess(sidecar, catalogue)
        self.clients = (
            SiteClients(sidecar, owner=kernel_owner(), on_connect=self.storage.connected)
            if sidecar
            else None
        )
        self.locations = DataLocations(catalogue, namespace=lambda: shell.user_ns)
        self.locations.on_record = self._route_by_data_from_now
        self.default_site: str | None = None
        self.activation = Activation()
        self.last_route: Route | None = None
        self.last_record: CellRecord | None = None
        self._record: CellRecord | None = None
        self._progress: CellProgress | None = None
        # The cells running now: the top one, and nested ones (run_cell inside a cell).
        self._cells: list = []
        # A cell whose site cannot be used must not run at all (not locally either).
        self.refusal: str | None = None

    @property
    def in_cell(self) -> bool:
        """Is a cell running now (so what runs is nested in it)?"""
        return bool(self._cells)

    def _registry_sites(self) -> list[dict]:
        try:
            return self.require_sidecar().get("/kernel/sites", timeout=5)["sites"]
        except SidecarError as err:
            raise site_error_from(err) from None

    def require_sidecar(self) -> SidecarClient:
        """The sidecar, or a ``SiteError`` saying this kernel has none."""
        if self.sidecar is None:
            raise SiteError(NO_SIDECAR)
        return self.sidecar

    def require_site(self, name: str) -> None:
        """A name the registry knows, in a kernel that has a sidecar."""
        self.require_sidecar()
        self.locations.catalogue.require(name)

    def client_for(self, site: str):
        """The Client of a site the registry knows (a name from cell metadata
        like ``central/../lumi`` is refused here, before any URL is built)."""
        if self.clients is None:
            raise SiteError(
                "This kernel does not know a Dask Sites sidecar (DASK_SITES_SIDECAR is not "
                "set); start it from a Jupyter server with Dask Sites."
            )
        self.locations.catalogue.require(site)
        return self.clients.client_for(site)

    def _default_client_for(self, site: str):
        """The notebook default's Client (tried again: a cluster may have started), or
        a ``SiteError`` that says how to clear the default."""
        try:
            return self.client_for(site)
        except SiteError as err:
            raise SiteError(
                f"The notebook's default site {quoted(site)} cannot be used: {err}\n"
                "Clear the default with %site --off (or pick another in the notebook "
                "toolbar), or tag this cell with a site."
            ) from None

    def set_default(self, site: str | None, tell_lab: bool = True) -> None:
        """The notebook default for untagged cells. Unless it came from the Lab,
        the Lab is told (its toolbar follows): a comm ``dask-sites.default``."""
        self.default_site = site
        if tell_lab:
            tell_lab_default(site)

    def cell_metadata(self) -> dict:
        kernel = getattr(self.shell, "kernel", None)
        parent = kernel.get_parent() if kernel and hasattr(kernel, "get_parent") else None
        return (parent or {}).get("metadata") or {}

    # -- the cell hooks --------------------------------------------------------------

    def pre_run_cell(self, info) -> None:
        self._cells.append(info)
        if len(self._cells) > 1:
            return  # a nested run_cell (e.g. a direct run_cell_magic('site', ...))
        self.refusal = None
        self.locations.new_cell()
        drop_stale_scheduler()
        if is_site_command(info.raw_cell or ""):
            return  # %site always runs, wherever the cell would otherwise go
        try:
            route = decide(info.raw_cell or "", self.cell_metadata(), self.default_site)
        except ValueError as err:  # a malformed %%site line
            self.refusal = f"Not run: {err}"
            return
        self.last_route = route
        self._record = CellRecord(route.site, route.source)
        self._progress = CellProgress()
        scheduler = self._scheduler(route, self.client_for)
        site = route.site
        if site is None:  # no tag: the data decides, computation by computation
            if self._routes_by_data():
                self.activation.enter(scheduler)
            return
        try:
            self.activation.enter(scheduler, self.client_for(site))
        except SiteError as err:
            if route.source == NOTEBOOK_DEFAULT:
                # The default applies to every untagged cell: those without Dask
                # work run, and Dask work fails saying how to clear the default.
                self.activation.enter(self._scheduler(route, self._default_client_for))
                return
            self.refusal = f"Not run ({route.source} says site {quoted(route.site)}): {err}"
        except BaseException as err:  # IPython swallows hook errors; the cell must not run
            why = (
                "interrupted"
                if isinstance(err, KeyboardInterrupt)
                else f"{type(err).__name__}: {err}"
            )
            self.refusal = (
                f"Not run ({route.source} says site {quoted(route.site)}): "
                f"connecting to {route.site} failed ({why})."
            )

    def post_run_cell(self, result) -> None:
        # IPython skips pre_run_cell for empty cells but not post_run_cell: pair them.
        if not self._cells or getattr(result, "info", None) is not self._cells[-1]:
            return
        self._cells.pop()
        if self._cells:
            return
        self.refusal = None  # silent requests (no hooks) must not inherit it
        self.activation.leave()
        record, self._record = self._record, None
        progress, self._progress = self._progress, None
        shown = progress.close() if progress else None
        if record is not None and record.remote:
            self.last_record = record
            data, metadata = record.bundle()
            if shown:  # the progress output becomes the record
                publish_display_data(data, metadata, transient={"display_id": shown}, update=True)
            else:
                publish_display_data(data, metadata)

    def run_nested(self, site: str, cell: str) -> None:
        """A ``%%site NAME`` body inside another cell (``%%time`` + ``%%site``, or
        ``run_cell_magic``): route it on its own, then put the outer routing back."""
        route = Route(site, "cell magic")
        record = self._record or CellRecord(site, route.source)
        nested = Activation()
        nested.enter(
            SiteScheduler(route, self.client_for, self.locations, record, self._progress),
            self.client_for(site),
        )
        try:
            self.shell.run_cell(cell, store_history=False).raise_error()
        finally:
            nested.leave()

    def close(self) -> None:
        self.activation.leave()
        self.storage.close()
        if self.clients:
            self.clients.close_all()

    # -- routing by data ---------------------------------------------------------------

    def _route_by_data_from_now(self) -> None:
        """Data just got a site (``open_zarr``, ``at``) in an untagged cell that was not
        routing: its computations later in this same cell go where the data lives."""
        route = self.last_route
        if (
            not self._cells
            or self.activation.active
            or route is None
            or not route.is_local
            or self._record is None
            or dask.config.get("scheduler", None) is not None
        ):
            return
        self.activation.enter(self._scheduler(route, self.client_for))

    def _scheduler(self, route: Route, client_for) -> SiteScheduler:
        """The scheduler of the cell running now (its record and progress)."""
        assert self._record is not None
        return SiteScheduler(route, client_for, self.locations, self._record, self._progress)

    def _routes_by_data(self) -> bool:
        """Untagged cells go through the site scheduler only when some data has a site
        and the user has not chosen a scheduler of their own."""
        if dask.config.get("scheduler", None) is not None or self.sidecar is None:
            return False
        try:
            return self.locations.known()
        except SiteError:
            return False  # the sidecar is away: nothing can be routed anyway


def drop_stale_scheduler() -> None:
    """A Client made inside a routed cell restores our scheduler when it closes,
    cells later; a scheduler of an ended cell must not stay Dask's choice."""
    if isinstance(dask.config.config.get("scheduler"), SiteScheduler):
        dask.config.config.pop("scheduler", None)


def tell_lab_default(site: str | None) -> None:
    """Open and close a ``dask-sites.default`` comm saying the default (the Lab
    registers that target per notebook; elsewhere nobody listens)."""
    try:
        create_comm(target_name="dask-sites.default", data={"site": site}).close()
    except Exception:
        pass  # no frontend that listens: nothing to tell

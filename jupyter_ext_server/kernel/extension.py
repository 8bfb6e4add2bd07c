"""The IPython extension: hooks that route each cell, and the ``%site`` magics.

Loaded automatically in kernels started by a Jupyter server running Dask
Sites (they find ``DASK_SITES_SIDECAR`` in their environment), and with
``%load_ext dask_sites`` anywhere else.
"""

from __future__ import annotations

import ast
import os

from IPython.core.error import InputRejected
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from ..sidecar_client import SidecarClient, SidecarError
from .activation import Activation
from .catalogue import SiteCatalogue
from .clients import SiteClients, SiteError, explain
from .locations import DataLocations
from .record import CellRecord
from .routing import Route, decide, parse_site_line, site_from_cell_magic
from .scheduler import SiteScheduler


class SiteRouter:
    """Per kernel: the notebook default, the clients, where data lives, the current cell."""

    def __init__(self, shell, sidecar: SidecarClient | None):
        self.shell = shell
        self.sidecar = sidecar
        self.clients = SiteClients(sidecar) if sidecar else None
        catalogue = SiteCatalogue(self._registry_sites) if sidecar else SiteCatalogue.of([])
        self.locations = DataLocations(catalogue, namespace=lambda: shell.user_ns)
        self.locations.on_record = self._route_by_data_from_now
        self.default_site: str | None = None
        self.activation = Activation()
        self.last_route: Route | None = None
        self.last_record: CellRecord | None = None
        self._record: CellRecord | None = None
        # The cells running now: the top one, and nested ones (run_cell inside a cell).
        self._cells: list = []
        # A cell whose site cannot be used must not run at all (not locally either).
        self.refusal: str | None = None

    def _registry_sites(self) -> list[dict]:
        try:
            return self.sidecar.get("/kernel/sites", timeout=5)["sites"]
        except SidecarError as err:
            raise explain(err) from None

    def require_site(self, name: str) -> None:
        """A name the registry knows, in a kernel that has a sidecar."""
        if self.sidecar is None:
            raise SiteError("Dask Sites is not running for this kernel (DASK_SITES_SIDECAR is not set).")
        self.locations.catalogue.require(name)

    def client_for(self, site: str):
        if self.clients is None:
            raise SiteError(
                "This kernel does not know a Dask Sites sidecar (DASK_SITES_SIDECAR is not "
                "set); start it from a Jupyter server with Dask Sites."
            )
        return self.clients.client_for(site)

    def cell_metadata(self) -> dict:
        kernel = getattr(self.shell, "kernel", None)
        parent = kernel.get_parent() if kernel and hasattr(kernel, "get_parent") else None
        return (parent or {}).get("metadata") or {}

    def pre_run_cell(self, info) -> None:
        self._cells.append(info)
        if len(self._cells) > 1:
            return  # a nested run_cell (e.g. a direct run_cell_magic('site', ...))
        self.refusal = None
        self.locations.new_cell()
        _drop_stale_scheduler()
        try:
            route = decide(info.raw_cell or "", self.cell_metadata(), self.default_site)
        except ValueError as err:  # a malformed %%site line
            self.refusal = f"Not run: {err}"
            return
        self.last_route = route
        self._record = CellRecord(route.site, route.source)
        scheduler = SiteScheduler(route, self.client_for, self.locations, self._record)
        if route.is_local:
            if self._routes_by_data():
                self.activation.enter(scheduler)
            return
        try:
            self.activation.enter(scheduler, self.client_for(route.site))
        except SiteError as err:
            self.refusal = f"Not run ({route.source} says site {route.site!r}): {err}"
        except BaseException as err:  # noqa: BLE001 - IPython swallows hook errors; the cell must not run
            why = "interrupted" if isinstance(err, KeyboardInterrupt) else f"{type(err).__name__}: {err}"
            self.refusal = f"Not run ({route.source} says site {route.site!r}): connecting to {route.site} failed ({why})."

    def _route_by_data_from_now(self) -> None:
        """Data just got a site (``open_zarr``, ``at``) in an untagged cell that was not
        routing: its computations later in this same cell go where the data lives."""
        import dask

        route = self.last_route
        if (not self._cells or self.activation.active or route is None or not route.is_local
                or self._record is None or dask.config.get("scheduler", None) is not None):
            return
        self.activation.enter(SiteScheduler(route, self.client_for, self.locations, self._record))

    def _routes_by_data(self) -> bool:
        """Untagged cells go through the site scheduler only when some data has a site
        and the user has not chosen a scheduler of their own."""
        import dask

        if dask.config.get("scheduler", None) is not None or self.sidecar is None:
            return False
        try:
            return self.locations.known()
        except SiteError:
            return False  # the sidecar is away: nothing can be routed anyway

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
        if record is not None and record.remote:
            self.last_record = record
            from IPython.display import publish_display_data

            publish_display_data(*record.bundle())

    def run_nested(self, site: str, cell: str) -> None:
        """A ``%%site NAME`` body inside another cell (``%%time`` + ``%%site``, or
        ``run_cell_magic``): route it on its own, then put the outer routing back."""
        route = Route(site, "cell magic")
        record = self._record or CellRecord(site, route.source)
        nested = Activation()
        nested.enter(SiteScheduler(route, self.client_for, self.locations, record),
                     self.client_for(site))
        try:
            self.shell.run_cell(cell, store_history=False).raise_error()
        finally:
            nested.leave()

    def close(self) -> None:
        self.activation.leave()
        if self.clients:
            self.clients.close_all()


def strip_site_magic(lines: list[str]) -> list[str]:
    """``%%site NAME`` as a cell's first line only routes (``pre_run_cell`` reads it
    from the raw cell); the body then runs as an ordinary cell: its value shows
    once, and an error fails the cell. The line is blanked, not removed, to keep
    line numbers. Inside a running cell (``%%time``'s body) the line stays, and
    the ``site`` cell magic routes the body itself."""
    router = current_router()
    if router is None or router._cells:
        return lines
    try:
        if lines and site_from_cell_magic(lines[0]):
            return ["\n", *lines[1:]]
    except ValueError:
        pass  # left to the magic, which says what is wrong
    return lines


def _drop_stale_scheduler() -> None:
    """A Client made inside a routed cell restores our scheduler when it closes,
    cells later; a scheduler of an ended cell must not stay Dask's choice."""
    import dask

    if isinstance(dask.config.config.get("scheduler"), SiteScheduler):
        dask.config.config.pop("scheduler", None)


class RefuseUnroutableCells(ast.NodeTransformer):
    """Stops a cell before it runs when its site could not be used."""

    def __init__(self, router: SiteRouter):
        self.router = router

    def visit(self, node):
        if self.router.refusal:
            raise InputRejected(self.router.refusal)
        return node


@magics_class
class SiteMagics(Magics):
    def __init__(self, shell, router: SiteRouter):
        super().__init__(shell)
        self.router = router

    @cell_magic
    def site(self, line, cell):
        """%%site NAME: run this cell's Dask work at site NAME.

        As a cell's first line it is read before the cell runs and taken off
        (``strip_site_magic``); this runs only inside another cell
        (``%%time`` then ``%%site``, or ``run_cell_magic``)."""
        site = parse_site_line(line)
        self.router.require_site(site)
        self.router.run_nested(site, cell)

    @line_magic("site")
    def site_line(self, line):
        """%site NAME: default site of this notebook; %site --off; %site: show sites."""
        words = line.split()
        if not words:
            return self._show()
        if words[0] == "--from-notebook" and len(words) == 2:
            # The Lab UI passing on the notebook's default (silently, before a
            # cell): no output, no widget; a bad name is reported when a cell uses it.
            self.router.default_site = None if words[1] == "--off" else words[1]
            return None
        if words == ["--off"]:
            self.router.default_site = None
            print("Dask work of untagged cells runs on this machine.")
            return None
        if words[0] == "login" and len(words) == 2:
            return self._login(words[1])
        if words[0] == "explain" and len(words) > 1:
            from .api import explain as explain_plan

            expression = line.split("explain", 1)[1].strip()
            return explain_plan(self.shell.ev(expression))
        if len(words) == 1:
            self.router.require_site(words[0])
            self.router.default_site = words[0]
            print(f"Dask work of untagged cells now runs at {words[0]}.")
            try:
                from .widget import show
            except ImportError:  # no ipywidgets: the line above is all
                return None
            show(self.shell, words[0])
            return None
        raise SiteError(
            "usage: %site [NAME | --off | login NAME | explain EXPRESSION | --from-notebook NAME|--off]"
        )

    def _sites(self) -> list[dict]:
        if not self.router.sidecar:
            raise SiteError("Dask Sites is not running for this kernel (DASK_SITES_SIDECAR is not set).")
        try:
            return self.router.sidecar.get("/api/sites")["sites"]
        except SidecarError as err:
            raise explain(err) from None

    def _show(self) -> None:
        lines = []
        for site in self._sites():
            login = site["login"]
            who = f" as {login['user']}" if login.get("user") else ""
            mark = " (default)" if site["name"] == self.router.default_site else ""
            lines.append(
                f"{site['name']:<10} {site['label']}{mark}: {login['status']}{who}, "
                f"gateway {site['reachability']['status']}"
            )
            for cluster in site["clusters"]:
                chosen = " (used by kernels)" if cluster["name"] == site.get("chosenCluster") else ""
                lines.append(f"    {cluster['displayName']}: {cluster['status']}{chosen}")
            if not site["clusters"]:
                lines.append("    no clusters")
        default = self.router.default_site or "none (untagged cells run here or where their data lives)"
        lines.append(f"Notebook default site: {default}")
        print("\n".join(lines) if self.router.sidecar else "No sites configured.")

    def _login(self, name: str) -> None:
        self.router.require_site(name)
        state = self.router.sidecar.post(f"/api/sites/{name}/login")
        if state["status"] == "pending" and state["flow"] == "device":
            link = state.get("verificationUriComplete") or state["verificationUri"]
            print(f"Open {link} and confirm the code {state['userCode']} (or use the Dask Sites panel).")
        elif state["status"] == "pending":
            print(f"Open {state['authorizationUrl']} to log in (or use the Dask Sites panel).")
        else:
            print(f"{name}: {state['status']}")


_router: SiteRouter | None = None


def load_ipython_extension(shell) -> None:
    global _router
    if _router is not None:
        return
    sidecar = SidecarClient.from_environment() if os.environ.get("DASK_SITES_SIDECAR") else None
    _router = SiteRouter(shell, sidecar)
    shell.register_magics(SiteMagics(shell, _router))
    shell.ast_transformers.append(RefuseUnroutableCells(_router))
    shell.input_transformers_cleanup.insert(0, strip_site_magic)
    shell.events.register("pre_run_cell", _router.pre_run_cell)
    shell.events.register("post_run_cell", _router.post_run_cell)
    import atexit

    atexit.register(_router.close)


def unload_ipython_extension(shell) -> None:
    global _router
    if _router is None:
        return
    shell.events.unregister("pre_run_cell", _router.pre_run_cell)
    shell.events.unregister("post_run_cell", _router.post_run_cell)
    shell.ast_transformers[:] = [
        t for t in shell.ast_transformers if not isinstance(t, RefuseUnroutableCells)
    ]
    if strip_site_magic in shell.input_transformers_cleanup:
        shell.input_transformers_cleanup.remove(strip_site_magic)
    _router.close()
    _router = None


def current_router() -> SiteRouter | None:
    """The loaded extension's router (None before ``%load_ext dask_sites``)."""
    return _router

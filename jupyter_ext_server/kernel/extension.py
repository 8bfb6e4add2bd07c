"""The IPython extension: the hooks that route each cell, and loading/unloading them.

Loaded automatically in kernels started by a Jupyter server running Dask
Sites (they find ``DASK_SITES_SIDECAR`` in their environment), and with
``%load_ext dask_sites`` anywhere else. The routing itself is the
``SiteRouter``'s (``router.py``); the magics are in ``magics.py``.
"""

from __future__ import annotations

import ast
import atexit
import os

from ..sidecar_client import SidecarClient
from .errors import CellRefused
from .magics import SiteMagics
from .router import SiteRouter
from .routing import site_from_cell_magic
from .state import current_router, set_router


def strip_site_magic(lines: list[str]) -> list[str]:
    """``%%site NAME`` as a cell's first line only routes (``pre_run_cell`` reads it
    from the raw cell); the body then runs as an ordinary cell: its value shows
    once, and an error fails the cell. The line is blanked, not removed, to keep
    line numbers. Inside a running cell (``%%time``'s body) the line stays, and
    the ``site`` cell magic routes the body itself."""
    router = current_router()
    if router is None or router.in_cell:
        return lines
    try:
        if lines and site_from_cell_magic(lines[0]):
            return ["\n", *lines[1:]]
    except ValueError:
        pass  # left to the magic, which says what is wrong
    return lines


class RefuseUnroutableCells(ast.NodeTransformer):
    """Stops a cell before it runs when its site could not be used."""

    def __init__(self, router: SiteRouter):
        self.router = router

    def visit(self, node):
        if self.router.refusal:
            raise CellRefused(self.router.refusal)
        return node


def load_ipython_extension(shell) -> None:
    if current_router() is not None:
        return
    sidecar = SidecarClient.from_environment() if os.environ.get("DASK_SITES_SIDECAR") else None
    router = SiteRouter(shell, sidecar)
    router.storage.install()
    set_router(router)
    shell.register_magics(SiteMagics(shell, router))
    shell.ast_transformers.append(RefuseUnroutableCells(router))
    shell.input_transformers_cleanup.insert(0, strip_site_magic)
    shell.events.register("pre_run_cell", router.pre_run_cell)
    shell.events.register("post_run_cell", router.post_run_cell)
    atexit.register(router.close)


def unload_ipython_extension(shell) -> None:
    router = current_router()
    if router is None:
        return
    shell.events.unregister("pre_run_cell", router.pre_run_cell)
    shell.events.unregister("post_run_cell", router.post_run_cell)
    shell.ast_transformers[:] = [
        t for t in shell.ast_transformers if not isinstance(t, RefuseUnroutableCells)
    ]
    if strip_site_magic in shell.input_transformers_cleanup:
        shell.input_transformers_cleanup.remove(strip_site_magic)
    router.close()
    router.storage.uninstall()
    set_router(None)

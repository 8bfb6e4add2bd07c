"""The router of this kernel's loaded extension (one per kernel process).

Set by ``load_ipython_extension`` and cleared by its unload. The user API
(``api.py``, ``widget.py``), the magics and the input transformers read it
from here, so none of them imports the IPython glue.
"""

from __future__ import annotations

from .errors import SiteError
from .router import SiteRouter

_router: SiteRouter | None = None


def current_router() -> SiteRouter | None:
    """The loaded extension's router (None before ``%load_ext dask_sites``)."""
    return _router


def loaded_router() -> SiteRouter:
    """The router, or a ``SiteError`` that says how to load the extension."""
    if _router is None:
        raise SiteError("Dask Sites is not loaded in this kernel: run %load_ext dask_sites first.")
    return _router


def set_router(router: SiteRouter | None) -> None:
    global _router
    _router = router

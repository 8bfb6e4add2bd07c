"""The errors and warnings of Dask Sites in the notebook.

Each says what went wrong and what to do; they are what ``dask_sites``
exports for users to catch.
"""

from __future__ import annotations

from IPython.core.error import InputRejected

from ..echo import quoted
from ..sidecar_client import SidecarError

__all__ = [
    "CellRefused",
    "DataWouldCrossSites",
    "MoveRefused",
    "SiteError",
    "quoted",
    "site_error_from",
]

RED, RESET = "\x1b[0;31m", "\x1b[0m"


def short_traceback(error: BaseException) -> list[str]:
    """What IPython shows for one of our errors: its name and message, no frames
    (they are Dask Sites' own; the message says what to do)."""
    return [f"{RED}{type(error).__name__}{RESET}: {error}"]


class SiteError(RuntimeError):
    """Why a cell cannot run at a site, and what to do about it."""

    def _render_traceback_(self) -> list[str]:  # IPython's hook for a custom traceback
        return short_traceback(self)


class CellRefused(InputRejected):
    """A cell that does not run at all (its site cannot be used)."""

    def _render_traceback_(self) -> list[str]:
        return short_traceback(self)


class MoveRefused(SiteError):
    """A split would move more than ``dask-sites.move-limit`` between sites."""


class DataWouldCrossSites(UserWarning):
    """A tagged cell reads data that lives at another site."""


def site_error_from(err: SidecarError) -> SiteError:
    """The sidecar's error for the notebook. Its messages already name the
    site and the fix (log in, start a cluster, known sites); only an
    unreachable or outdated sidecar needs saying here."""
    if err.status == 0:
        return SiteError(f"Dask Sites cannot reach its sidecar: {err}")
    outdated = err.code == "unknown-route" or (err.code is None and err.unlisted_code is None)
    if err.status == 404 and outdated:
        return SiteError(
            "The Dask Sites sidecar does not know this request: it is older than the kernel's "
            "dask_sites. Restart the Jupyter server (it starts the sidecar) after an upgrade."
        )
    return SiteError(str(err))


def store_refused(site: str, url: str, err: BaseException) -> SiteError:
    """Opening ``url`` failed because ``site``'s object store refused the keys."""
    return SiteError(
        f"{site}'s object store refused to read {url} ({type(err).__name__}). Log in to "
        f"{site} again; if that does not help, ask the site for access to it."
    )

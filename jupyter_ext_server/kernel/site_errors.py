"""Errors raised by work at a site, as the notebook shows them.

The user's own errors keep their traceback, with a note naming the site that
raised them. Work that needs a module only this kernel has fails at the site
with a raw deserialisation error (the scheduler unpickles the graph); that
becomes a ``SiteError`` naming the site and the module, and how to fix it.
"""

from __future__ import annotations

import importlib.util
import re
import site as site_module
import sys
import sysconfig

from .errors import SiteError

#: What distributed's scheduler says when it cannot unpickle a graph.
GRAPH_NOT_LOADED = "Error during deserialization of the task graph"
_NO_MODULE = re.compile(r"No module named '([^']+)'")
#: Never in a cell's graph (the kernel's own machinery), wherever installed.
_OWN = ("jupyter_ext_server", "dask_sites")


def site_failure(err: BaseException, site: str, client) -> BaseException:
    """The error to raise for ``err``, raised by ``site``'s work through ``client``."""
    if isinstance(err, (SiteError, KeyboardInterrupt, SystemExit)):
        return err
    module = missing_module(err)
    if module is not None and importlib.util.find_spec(module) is None:
        module = None  # missing here too: the user's own import error, not ours to explain
    graph_refused = GRAPH_NOT_LOADED in str(err)
    if module is None and graph_refused:
        module = ", ".join(kernel_only_modules(client)) or None
    if module is not None or graph_refused:
        first_line = (str(err).strip().splitlines() or [""])[0]
        return SiteError(
            missing_module_message(site, module) + f"\n({site} said: {type(err).__name__}: "
            f"{first_line[:200]})"
        )
    if hasattr(err, "add_note") and not _noted(err, site):
        err.add_note(f"(raised at site {site})")
    return err


def missing_module_message(site: str, module: str | None) -> str:
    what = f"module {module!r}" if module else "something this cell's work uses"
    upload = f"{module.split(', ')[0]}.py" if module else "helpers.py"
    return (
        f"The work could not be loaded at {site}: it needs {what}, which this kernel has "
        f"and {site}'s cluster does not (a module of your own, or a package installed "
        "only here).\nInstall it in the cluster's image (the image option of the "
        f"new-cluster form), or send a module file to the cluster with "
        f"dask_sites.client({site!r}).upload_file({upload!r}), then run the cell again."
    )


def missing_module(err: BaseException) -> str | None:
    """The top-level module ``err`` (or what caused it) says could not be imported."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ModuleNotFoundError) and current.name:
            return current.name.split(".")[0]
        found = _NO_MODULE.search(str(current))
        if found:
            return found.group(1).split(".")[0]
        current = current.__cause__ or current.__context__
    return None


def kernel_only_modules(client) -> list[str]:
    """Modules this kernel imported from outside its installed packages (a
    user's own files) that the site's scheduler cannot import."""
    roots = _installed_roots()
    candidates = sorted(
        {
            name.split(".")[0]
            for name, module in list(sys.modules.items())
            if (path := getattr(module, "__file__", None))
            and not name.startswith(("_", *_OWN))
            and not path.startswith(roots)
        }
    )
    if not candidates:
        return []

    def cannot_import(names):  # runs at the site's scheduler (pickled by value)
        return [name for name in names if importlib.util.find_spec(name) is None]

    try:
        return list(client.run_on_scheduler(cannot_import, candidates))
    except Exception:
        return []


def _installed_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    roots.update(getattr(site_module, "getsitepackages", list)())
    roots.add(site_module.getusersitepackages())
    return tuple(sorted(roots))


def _noted(err: BaseException, site: str) -> bool:
    return any(f"site {site}" in note for note in getattr(err, "__notes__", ()))

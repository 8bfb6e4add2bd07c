"""The notebook widget of a site: ``%site NAME`` and ``dask_sites.widget(NAME)``.

The kernel sends only the site's name. Status, workers, memory, the scale and
adapt controls and the dashboard link come from the Dask Sites labextension's
own live model in the browser, so no token or TLS key is in the widget's
state and the kernel polls nothing. Outside JupyterLab with Dask Sites the
widget's text says what it is.
"""

from __future__ import annotations

import json
from pathlib import Path

from IPython.display import display
from ipywidgets import DOMWidget
from traitlets import Unicode

from .. import __version__
from .state import loaded_router

#: The npm package whose labextension registers the widget's model and view.
MODULE_NAME = "jupyterlab-dask-sites"


def _module_version() -> str:
    """``^VERSION`` of the labextension this package ships (its npm version, not PEP 440)."""
    built = Path(__file__).resolve().parents[1] / "labextension" / "package.json"
    try:
        version = json.loads(built.read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        version = __version__
    return f"^{version}"


MODULE_VERSION = _module_version()


class SiteWidget(DOMWidget):
    """A site's live card (login, clusters, scale, adapt, dashboard) in the cell's output."""

    _model_name = Unicode("SiteWidgetModel").tag(sync=True)
    _view_name = Unicode("SiteWidgetView").tag(sync=True)
    _model_module = Unicode(MODULE_NAME).tag(sync=True)
    _view_module = Unicode(MODULE_NAME).tag(sync=True)
    _model_module_version = Unicode(MODULE_VERSION).tag(sync=True)
    _view_module_version = Unicode(MODULE_VERSION).tag(sync=True)

    site = Unicode(help="The site's name in the registry.").tag(sync=True)

    def __repr__(self) -> str:
        return f"Dask Sites: site {self.site} — open in JupyterLab with Dask Sites to see it live"


def widget(name: str) -> SiteWidget:
    """The live widget of site ``name``: status, workers, memory, scale, adapt, dashboard.

    Unknown sites are refused with the known ones. JupyterLab with Dask Sites
    shows it live; elsewhere its text says what it is."""
    loaded_router().require_site(name)
    return SiteWidget(site=name)


def show(shell, name: str) -> None:
    """``%site NAME``: display the site's widget when the shell is an ipykernel's."""
    if getattr(shell, "kernel", None) is None:  # a terminal IPython has no widgets
        return
    display(SiteWidget(site=name))

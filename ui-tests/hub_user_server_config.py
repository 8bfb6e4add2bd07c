"""Loaded by every user's server of the hub's UI tests (hub_testbed.py): Galata's
in-page helpers, as configure_jupyter_server gives a plain test server, but
nothing that turns off the hub's authentication or XSRF checks."""

from pathlib import Path

import jupyterlab.galata

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

c.LabServerApp.extra_labextensions_path = str(Path(jupyterlab.galata.__file__).parent)
c.LabApp.expose_app_in_browser = True
# In the user's home under the hub's state dir: gone with the testbed.
c.LabApp.workspaces_dir = str(Path.home() / ".galata-workspaces")

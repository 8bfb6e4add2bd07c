"""A compromised scheduler image, for security tests: its dashboard also serves a hostile page.

``dask-sites testbed up --hostile-dashboards lumi`` starts lumi's schedulers with
this module as a preload (``dask scheduler --preload ...``). The real dashboard
still works; besides it, ``<dashboard>/hostile`` is a page that tries, from
inside the dashboard frame, everything a malicious site would want: read
Jupyter's cookies, call Jupyter's API as the user (read and write files), call
Dask Sites' own API and live socket (the user's other sites), reach the parent
window, open windows. Each attempt's outcome goes into ``<pre id="findings">``
as JSON (``{"attempt": "blocked: ..." | "SUCCEEDED: ..."}``) and the body gets
``data-done="1"``; the UI tests read it there, and also check on the server
that nothing was written.
"""

from __future__ import annotations

from pathlib import Path

from tornado import web

HOSTILE_PRELOAD = __name__
HOSTILE_PATH = "hostile"
# Files the page tries to create in the user's Jupyter root; tests check they do not exist.
PLANTED_FILE = "hostile-was-here.txt"


def page() -> str:
    """The page itself: hostile-dashboard.html, beside this file (read when served)."""
    html = Path(__file__).with_name("hostile-dashboard.html").read_text(encoding="utf-8")
    return html.replace("{{PLANTED_FILE}}", PLANTED_FILE)


class HostilePage(web.RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.write(page())


def dask_setup(scheduler) -> None:
    """Called by ``dask scheduler --preload``: add the page to the dashboard's routes."""
    scheduler.http_application.add_handlers(r".*", [(rf"/{HOSTILE_PATH}", HostilePage)])

"""The ``%site`` line magic and the ``%%site`` cell magic."""

from __future__ import annotations

from urllib.parse import quote

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from ..sidecar_client import SidecarError
from .api import explain as explain_plan
from .errors import SiteError, site_error_from
from .router import SiteRouter
from .routing import parse_site_line
from .widget import show as show_widget

USAGE = (
    "usage: %site [NAME | --off | login NAME [--device] | explain EXPRESSION "
    "| --from-notebook NAME|--off]"
)


@magics_class
class SiteMagics(Magics):
    def __init__(self, shell, router: SiteRouter):
        super().__init__(shell)
        self.router = router

    @cell_magic
    def site(self, line, cell):
        """%%site NAME: run this cell's Dask work at site NAME.

        As a cell's first line it is read before the cell runs and taken off
        (``extension.strip_site_magic``); this runs only inside another cell
        (``%%time`` then ``%%site``, or ``run_cell_magic``)."""
        site = parse_site_line(line)
        self.router.require_site(site)
        self.router.run_nested(site, cell)

    @line_magic("site")  # type: ignore[arg-type]  # IPython types its named form as a union
    def site_line(self, line):
        """%site NAME: default site of this notebook; %site --off; %site: show sites."""
        words = line.split()
        if not words:
            return self._show()
        if words[0] == "--from-notebook" and len(words) == 2:
            # The Lab UI passing on the notebook's default (silently, before a
            # cell): no output, no widget; a bad name is reported when a cell uses it.
            self.router.set_default(None if words[1] == "--off" else words[1], tell_lab=False)
            return None
        if words == ["--off"]:
            self.router.set_default(None)
            print("Dask work of untagged cells runs on this machine.")
            return None
        if words[0] == "login" and len(words) == 2:
            return self._login(words[1])
        if words[0] == "login" and len(words) == 3 and words[2] == "--device":
            # A code to confirm on any device: no browser here (headless runs),
            # whatever flow the site's registry entry prefers.
            return self._login(words[1], flow="device")
        if words[0] == "explain" and len(words) > 1:
            expression = line.split("explain", 1)[1].strip()
            return explain_plan(self.router.shell.ev(expression))
        if len(words) == 1:
            self.router.require_site(words[0])
            self.router.set_default(words[0])
            print(f"Dask work of untagged cells now runs at {words[0]}.")
            show_widget(self.shell, words[0])
            return None
        raise SiteError(USAGE)

    def _sites(self) -> list[dict]:
        sidecar = self.router.require_sidecar()
        try:
            return sidecar.get("/api/sites")["sites"]
        except SidecarError as err:
            raise site_error_from(err) from None

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
                chosen = (
                    " (used by kernels)" if cluster["name"] == site.get("chosenCluster") else ""
                )
                lines.append(f"    {cluster['displayName']}: {cluster['status']}{chosen}")
            if not site["clusters"]:
                lines.append("    no clusters")
        default = (
            self.router.default_site or "none (untagged cells run here or where their data lives)"
        )
        lines.append(f"Notebook default site: {default}")
        print("\n".join(lines) if self.router.sidecar else "No sites configured.")

    def _login(self, name: str, flow: str | None = None) -> None:
        self.router.require_site(name)
        state = self.router.require_sidecar().post(
            f"/api/sites/{quote(name, safe='')}/login", {"flow": flow} if flow else None
        )
        if state["status"] == "pending" and state["flow"] == "device":
            link = state.get("verificationUriComplete") or state["verificationUri"]
            print(
                f"Open {link} and confirm the code {state['userCode']} "
                "(or use the Dask Sites panel)."
            )
        elif state["status"] == "pending":
            print(f"Open {state['authorizationUrl']} to log in (or use the Dask Sites panel).")
        else:
            print(f"{name}: {state['status']}")

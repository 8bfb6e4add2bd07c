"""Where a cell's Dask work runs, by the design's precedence.

1. ``%%site NAME`` on the cell; 2. the cell's metadata ``dask-sites.site``
(what the Lab UI writes); 3. the notebook's default (``%site NAME``);
4. automatic, by where the data lives; 5. the local machine.

This module decides 1–3 from the cell alone. A cell without a site gets
``Route(None, "local")``, and its scheduler (``scheduler.py``) then decides
4 or 5 for each computation from where its inputs live (``locations.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

METADATA_KEY = "dask-sites"
_CELL_MAGIC = re.compile(r"^\s*%%site(\s.*)?$")
_SITE_LINE = re.compile(r"^\s*([a-z][a-z0-9-]*)\s*(#.*)?$")
_SITE_COMMAND = re.compile(r"^\s*%site(\s.*)?$")
NOTEBOOK_DEFAULT = "notebook default"


@dataclass(frozen=True)
class Route:
    """A decision: ``site`` is None for the local machine; ``source`` says why."""

    site: str | None
    source: str  # "cell magic", "cell metadata", "notebook default", "local"

    @property
    def is_local(self) -> bool:
        return self.site is None


def parse_site_line(line: str) -> str:
    """The site of ``%%site NAME [# comment]``; ValueError says what is wrong."""
    match = _SITE_LINE.match(line or "")
    if not match:
        raise ValueError(f"%%site needs one site name (like %%site lumi), not {line.strip()!r}")
    return match.group(1)


def site_from_cell_magic(raw_cell: str) -> str | None:
    """The site of a cell starting with ``%%site``; None without it; ValueError when malformed."""
    first = raw_cell.lstrip("\n").split("\n", 1)[0]
    match = _CELL_MAGIC.match(first)
    return parse_site_line(match.group(1) or "") if match else None


def is_site_command(raw_cell: str) -> bool:
    """Is the cell nothing but ``%site`` commands (and blanks and comments)? Such a
    cell is never routed: it must run even when the site it would go to cannot
    be used, or ``%site --off`` could not clear that site."""
    lines = [
        line for line in raw_cell.splitlines() if line.strip() and not line.strip().startswith("#")
    ]
    return bool(lines) and all(_SITE_COMMAND.match(line) for line in lines)


def site_from_metadata(metadata: dict | None) -> str | None:
    entry = (metadata or {}).get(METADATA_KEY)
    site = entry.get("site") if isinstance(entry, dict) else None
    return site if isinstance(site, str) and site else None


def decide(raw_cell: str, cell_metadata: dict | None, notebook_default: str | None) -> Route:
    if site := site_from_cell_magic(raw_cell):
        return Route(site, "cell magic")
    if site := site_from_metadata(cell_metadata):
        return Route(site, "cell metadata")
    if notebook_default:
        return Route(notebook_default, NOTEBOOK_DEFAULT)
    return Route(None, "local")

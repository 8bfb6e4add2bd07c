"""`dask-sites registry validate`: check a site registry file."""

from __future__ import annotations

import sys


def cmd_registry_validate(args) -> int:
    from ..registry import RegistryError, host_warnings, load_registry

    try:
        document = load_registry(args.file, args.allow_link_local_hosts)
    except RegistryError as err:
        print(err, file=sys.stderr)
        return 1
    for warning in host_warnings(document):
        print(f"warning: {warning}", file=sys.stderr)
    names = ", ".join(site["name"] for site in document["sites"])
    print(f"{args.file}: valid, {len(document['sites'])} site(s): {names}")
    return 0

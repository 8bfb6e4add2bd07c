"""Load and validate a site registry document against its JSON Schema.

The schema file next to this module is the single definition of the format;
the sidecar validates against the same file.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from .hosts import host_problems

REGISTRY_SCHEMA_PATH = Path(__file__).with_name("site-registry.schema.json")


class RegistryError(ValueError):
    """The registry document is invalid; the message names the site and the field."""


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft7Validator:
    schema = json.loads(REGISTRY_SCHEMA_PATH.read_text())
    return jsonschema.Draft7Validator(schema)


def _describe(error: jsonschema.ValidationError, document: Any) -> str:
    path = list(error.absolute_path)
    where = "registry"
    if len(path) >= 2 and path[0] == "sites" and isinstance(path[1], int):
        sites = document.get("sites", []) if isinstance(document, dict) else []
        site = sites[path[1]] if path[1] < len(sites) else None
        name = site.get("name") if isinstance(site, dict) else None
        where = f'site "{name}"' if isinstance(name, str) else f"site #{path[1] + 1}"
        path = path[2:]
    field = ".".join(str(p) for p in path) or "(document)"
    # oneOf errors (auth) are vague at the top; the best sub-error says what is wrong.
    best = jsonschema.exceptions.best_match([error]) if error.context else error
    return f"{where}: {field}: {best.message}"


def validate_registry(document: Any, allow_link_local_hosts: bool = False) -> dict:
    """Return the document if valid, else raise RegistryError listing every problem.

    Link-local and cloud-metadata hosts are problems unless allowed (``hosts.py``)."""
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    problems = [_describe(e, document) for e in errors]
    if isinstance(document, dict) and isinstance(document.get("sites"), list):
        names = [s.get("name") for s in document["sites"] if isinstance(s, dict)]
        duplicates = sorted({n for n in names if isinstance(n, str) and names.count(n) > 1})
        problems += [f'site "{n}": name: used by more than one site' for n in duplicates]
        problems += _credential_problems(document["sites"])
    if not problems and not allow_link_local_hosts:
        problems = host_problems(document)
    if problems:
        raise RegistryError("Invalid site registry:\n  " + "\n  ".join(problems))
    return document


def _credential_problems(sites: list) -> list[str]:
    """Keys from STS web identity need a token only an OIDC login gives."""
    return [
        f'site "{site.get("name", "?")}": data.credentials: sts-web-identity needs '
        'auth.type "oidc" (the keys are exchanged for the login\'s access token)'
        for site in sites
        if isinstance(site, dict)
        and ((site.get("data") or {}).get("credentials") or {}).get("type") == "sts-web-identity"
        and (site.get("auth") or {}).get("type") != "oidc"
    ]


def load_registry(path: str | Path, allow_link_local_hosts: bool = False) -> dict:
    """Read and validate a registry file."""
    path = Path(path)
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise RegistryError(f"Site registry {path} does not exist.") from None
    except json.JSONDecodeError as err:
        raise RegistryError(f"Site registry {path} is not valid JSON: {err}") from None
    return validate_registry(document, allow_link_local_hosts)

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
    types = _branch_types(error)
    if types is not None:
        # A union told apart by `type` (auth, data.credentials): the errors of the branch
        # the document chose, or which types there are. Never the value itself (it may
        # hold a secret pasted in the wrong place).
        chosen = error.instance.get("type") if isinstance(error.instance, dict) else None
        if not isinstance(error.instance, dict):
            return f"{where}: {field}: must be an object"
        if chosen not in types:
            return f"{where}: {field}.type: must be one of {', '.join(map(repr, types))}"
        branch = [e for e in error.context if e.schema_path[0] == types.index(chosen)]
        best = jsonschema.exceptions.best_match(branch)
        inner = ".".join(str(p) for p in best.relative_path)
        return f"{where}: {field}{'.' + inner if inner else ''}: {best.message}"
    # Other oneOf errors are vague at the top; the best sub-error says what is wrong.
    best = jsonschema.exceptions.best_match([error]) if error.context else error
    return f"{where}: {field}: {best.message}"


def _branch_types(error: jsonschema.ValidationError) -> list[str] | None:
    """The ``type`` of each branch of a ``oneOf`` whose branches each fix one, else None."""
    if error.validator != "oneOf" or not isinstance(error.validator_value, list):
        return None
    types = [
        (branch.get("properties") or {}).get("type", {}).get("const")
        for branch in error.validator_value
        if isinstance(branch, dict)
    ]
    ok = types and len(types) == len(error.validator_value) and all(types)
    return types if ok else None


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

    def field(value: Any, name: str) -> Any:
        return value.get(name) if isinstance(value, dict) else None

    return [
        f'site "{field(site, "name")}": data.credentials: sts-web-identity needs '
        'auth.type "oidc" (the keys are exchanged for the login\'s access token)'
        for site in sites
        if field(field(field(site, "data"), "credentials"), "type") == "sts-web-identity"
        and field(field(site, "auth"), "type") != "oidc"
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

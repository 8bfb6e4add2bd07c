"""The deployment guide's configuration, loaded into the real classes.

docs/deploying-on-jupyterhub.md shows configuration for JupyterHub, the
Jupyter server and dask-gateway, as Python files and as Helm values. Each
fragment runs as a traitlets config file would; every setting it makes must
be a setting of the class it names, and building that class from the config
must accept every value. Nothing is started, nothing is fetched.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from traitlets import TraitError
from traitlets.config import Config
from traitlets.utils.importstring import import_item

from jupyter_ext_server.registry import validate_registry

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "deploying-on-jupyterhub.md"
HUB, SERVER, GATEWAY = "jupyterhub_config.py", "jupyter_server_config.py", "dask_gateway_config.py"
Z2JH, DASK_GATEWAY = "z2jh values.yaml", "dask-gateway values.yaml"

# The class each config section configures.
SECTIONS = {
    "JupyterHub": "jupyterhub.app.JupyterHub",
    "Spawner": "jupyterhub.spawner.Spawner",
    "Authenticator": "jupyterhub.auth.Authenticator",
    "OAuthenticator": "oauthenticator.oauth2.OAuthenticator",
    "GenericOAuthenticator": "oauthenticator.generic.GenericOAuthenticator",
    "ServerApp": "jupyter_server.serverapp.ServerApp",
    "DaskSites": "jupyter_ext_server.server.app.DaskSites",
    "DaskGateway": "dask_gateway_server.app.DaskGateway",
    "JWTAuthenticator": "jupyter_ext_server.gateway_auth.JWTAuthenticator",
    "JupyterHubAuthenticator": "dask_gateway_server.auth.JupyterHubAuthenticator",
}
# The sections each file may set (a gateway's setting in the hub's file is a mistake too),
# and the class always built from a file of that kind.
ALLOWED = {
    HUB: {"JupyterHub", "Spawner", "Authenticator", "OAuthenticator", "GenericOAuthenticator"},
    SERVER: {"ServerApp", "DaskSites"},
    GATEWAY: {"DaskGateway", "JWTAuthenticator", "JupyterHubAuthenticator"},
}
MAIN = {HUB: "GenericOAuthenticator", SERVER: "DaskSites", GATEWAY: "DaskGateway"}

FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def fences(language: str) -> list[tuple[str, str]]:
    """(kind, text) of the guide's `language` blocks; the kind is the first line's comment."""
    blocks = [m.group(2) for m in FENCE.finditer(GUIDE.read_text()) if m.group(1) == language]
    return [(text.splitlines()[0].removeprefix("# "), text) for text in blocks]


def run(source: str, c: Config | None = None) -> Config:
    """Run config-file source as traitlets does: with `c` and `get_config()`."""
    c = Config() if c is None else c
    exec(compile(source, "<guide fragment>", "exec"), {"c": c, "get_config": lambda: c})
    return c


def snippets(extra) -> list[str]:
    """A chart's extraConfig: one block, or a map of name -> block run in name order."""
    return [extra] if isinstance(extra, str) else [extra[name] for name in sorted(extra or {})]


def problems(kind: str, c: Config) -> list[str]:
    """What `c` sets that is no setting of a class a `kind` file configures."""
    found = []
    for section, settings in c.items():
        if section not in ALLOWED[kind]:
            found.append(f"{section} (not configured by {kind})")
            continue
        names = import_item(SECTIONS[section]).class_trait_names(config=True)
        found += [f"{section}.{key}" for key in settings if key not in names]
    return found


def load(kind: str, c: Config) -> None:
    """Check the names in `c`, then build each class it configures (which checks the values)."""
    found = problems(kind, c)
    assert not found, f"not settings: {found}"
    built = {name: import_item(SECTIONS[name])(config=c) for name in {*c, MAIN[kind]}}
    # The authenticator an app names is built from the same config.
    for app in ("JupyterHub", "DaskGateway"):
        if "authenticator_class" in c.get(app, {}):
            built[app].authenticator_class(config=c)


def z2jh_hub_config(values: dict) -> Config:
    """What z2jh makes of `hub.config` and then `hub.extraConfig`."""
    hub = values.get("hub") or {}
    c = Config(hub.get("config") or {})
    for source in snippets(hub.get("extraConfig")):
        run(source, c)
    return c


def gateway_chart_config(values: dict) -> Config:
    """What the dask-gateway chart's config makes of `gateway.auth` and `gateway.extraConfig`."""
    gateway = values["gateway"]
    auth = gateway["auth"]
    c = Config()
    if auth["type"] == "custom":
        path = auth["custom"]["class"]
        settings = auth["custom"].get("config") or {}
        unknown = set(settings) - set(import_item(path).class_trait_names(config=True))
        assert not unknown, f"gateway.auth.custom.config: not settings of {path}: {unknown}"
        c.DaskGateway.authenticator_class = path
        c[path.rsplit(".", 1)[-1]].update(settings)
    elif auth["type"] == "jupyterhub":
        c.DaskGateway.authenticator_class = "dask_gateway_server.auth.JupyterHubAuthenticator"
        c.JupyterHubAuthenticator.jupyterhub_api_url = auth["jupyterhub"]["apiUrl"]
        c.JupyterHubAuthenticator.jupyterhub_api_token = auth["jupyterhub"]["apiToken"]
    else:
        pytest.fail(f"gateway.auth.type {auth['type']!r}: the guide shows custom or jupyterhub")
    for source in snippets(gateway.get("extraConfig")):
        run(source, c)
    return c


def service_access(scopes) -> set[str]:
    """The hub services that `access:services!service=NAME` scopes name."""
    prefix = "access:services!service="
    return {s.removeprefix(prefix) for s in scopes or [] if s.startswith(prefix)}


PYTHON = fences("python")
YAML = [(kind, yaml.safe_load(text)) for kind, text in fences("yaml")]
Z2JH_VALUES = [values for kind, values in YAML if kind == Z2JH]
GATEWAY_VALUES = [values for kind, values in YAML if kind == DASK_GATEWAY]


def test_the_guide_shows_every_kind_of_configuration():
    """Each Python file and each values file at least once, and nothing else."""
    assert {kind for kind, _ in PYTHON} == {HUB, SERVER, GATEWAY}
    assert {kind for kind, _ in YAML} == {Z2JH, DASK_GATEWAY}
    mounted = [
        entry["mountPath"]
        for values in Z2JH_VALUES
        for entry in ((values.get("singleuser") or {}).get("extraFiles") or {}).values()
    ]
    assert any(path.endswith(".json") for path in mounted), "no registry in extraFiles"
    assert any(path.endswith("/" + SERVER) for path in mounted), "no server config in extraFiles"


@pytest.mark.parametrize(
    "kind, source", PYTHON, ids=[f"{kind}-{n}" for n, (kind, _) in enumerate(PYTHON)]
)
def test_python_fragment_loads(kind, source):
    """A fragment sets only real settings, to values their classes accept."""
    load(kind, run(source))


@pytest.mark.parametrize("values", Z2JH_VALUES, ids=lambda v: "+".join(sorted(v)))
def test_z2jh_values(values):
    """hub.config and hub.extraConfig load; extraFiles hold a valid registry and server config."""
    c = z2jh_hub_config(values)
    load(HUB, c)
    hub = values.get("hub") or {}
    granted = service_access((hub.get("loadRoles") or {}).get("user", {}).get("scopes"))
    carried = service_access(c.get("Spawner", {}).get("server_token_scopes"))
    # A gateway trusting the hub needs its service, the users' role and the servers' tokens.
    assert granted == carried
    assert carried <= set(hub.get("services") or {})

    files = ((values.get("singleuser") or {}).get("extraFiles") or {}).values()
    mounted = {entry["mountPath"] for entry in files}
    for entry in files:
        path, text = entry["mountPath"], entry.get("stringData")
        if path.endswith(".json"):
            validate_registry(json.loads(text) if text is not None else entry["data"])
        elif path.endswith("/" + SERVER):
            server = run(text)
            load(SERVER, server)
            assert server.DaskSites.registry in mounted, "c.DaskSites.registry is not mounted"


@pytest.mark.parametrize("values", GATEWAY_VALUES, ids=lambda v: v["gateway"]["auth"]["type"])
def test_dask_gateway_values(values):
    """The chart's auth settings and extraConfig load into the gateway and its authenticator."""
    load(GATEWAY, gateway_chart_config(values))


def test_registry_examples_are_valid():
    """JSON blocks: a whole registry, or one site's entry."""
    blocks = [json.loads(text) for _, text in fences("json")]
    assert blocks
    for block in blocks:
        validate_registry(block if "version" in block else {"version": 1, "sites": [block]})


def first_fragment(kind: str) -> str:
    """The guide's first Python fragment of this kind."""
    return next(source for k, source in PYTHON if k == kind)


@pytest.mark.parametrize(
    "kind, line, error",
    [
        (HUB, 'c.GenericOAuthenticator.username_clam = "sub"', "username_clam"),
        (HUB, 'c.DaskSites.registry = "/etc/registry.json"', "DaskSites"),
        (HUB, "c.GenericOAuthenticator.manage_groups = False", "manage_groups"),
        (SERVER, "c.DaskSites.kernel_cluster_grace = -1.0", "kernel_cluster_grace"),
        (GATEWAY, "c.JWTAuthenticator.audience = 7", "audience"),
    ],
    ids=["misspelt", "wrong-file", "groups-unmanaged", "below-minimum", "wrong-type"],
)
def test_mistakes_in_a_fragment_are_caught(kind, line, error):
    """A misspelt name, a setting in the wrong file and a wrong value all fail."""
    source = f"{first_fragment(kind)}\n{line}\n"
    with pytest.raises((AssertionError, TraitError, ValueError), match=error):
        load(kind, run(source))


def test_a_misspelt_setting_is_named():
    """The helper names exactly the setting that does not exist."""
    c = run(first_fragment(HUB) + '\nc.GenericOAuthenticator.username_clam = "sub"\n')
    assert problems(HUB, c) == ["GenericOAuthenticator.username_clam"]

"""The local multi-site testbed: one issuer, and per site a gateway and an object store.

``Testbed`` is used by the CLI (`dask-sites testbed up`), by the demo and by
the tests (as a context manager, so everything stops also when a test fails).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

from ..registry import validate_registry
from .datasets import datasets_of, write_site_data
from .gateway import GatewayHubAuth, gateway_is_healthy, gateway_process, write_gateway_config
from .hostile_dashboard import HOSTILE_PRELOAD
from .hub import (
    HubSettings,
    find_proxy_command,
    hub_is_healthy,
    hub_process,
    issuer_client,
    new_secret,
    sidecar_callbacks,
    write_settings,
)
from .issuer import issuer_is_healthy, issuer_process, write_issuer_config
from .object_store import role_arn
from .processes import TESTBED_ID_ENV, ManagedProcess, free_port, kill_stragglers
from .sites import CLIENT_ID, GATEWAY_AUDIENCE, GATEWAY_RESOURCE, SITES, USERS
from .storage import storage_is_healthy, storage_process, writer_keys

STATE_FILE = "state.json"
REGISTRY_FILE = "registry.json"


def default_state_dir() -> Path:
    base = os.environ.get("DASK_SITES_TESTBED_DIR")
    return Path(base) if base else Path.home() / ".cache" / "dask-sites" / "testbed"


@dataclass
class SiteEndpoints:
    name: str
    gateway: str  # HTTP API and dashboards (the gateway's public proxy)
    proxy: str  # scheduler connections, gateway:// scheme
    storage: str  # the site's S3-compatible endpoint
    datasets: list[str] = field(default_factory=list)
    # The site's writer key (0600): it may write that site's buckets only; tests read with it.
    writer_file: str = ""


@dataclass
class TestbedInfo:
    __test__ = False

    testbed_id: str
    state_dir: str
    issuer: str
    registry_path: str
    size: str
    sites: dict[str, SiteEndpoints]
    pids: dict[str, int]
    supervisor_pid: int
    status: str = "starting"
    hub: str | None = None  # the hub's public URL, with --hub
    # How long users' object-store keys last (the registry's data.credentials.duration).
    storage_key_seconds: int = 900

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> TestbedInfo:
        data = json.loads(text)
        data["sites"] = {k: SiteEndpoints(**v) for k, v in data["sites"].items()}
        return cls(**data)


def notebook_environment() -> dict[str, str]:
    """What a notebook kernel needs from its environment for the testbed: no keys (the
    object stores give each user keys for their login), only the region."""
    return {"AWS_DEFAULT_REGION": "eu-central-1"}


def registry_document(info: TestbedInfo, hub_auth_sites: list[str] | tuple[str, ...] = ()) -> dict:
    """The site registry for these sites, in the format production deployments use."""
    sites = []
    for name, ends in info.sites.items():
        spec = SITES[name]
        oidc = {
            "type": "oidc",
            "issuer": info.issuer,
            "client_id": CLIENT_ID,
            # Behind the hub the browser is signed in at the issuer already:
            # the code flow then logs in without a page (one sign-on).
            "flow": "code" if info.hub else "device",
            "scopes": ["openid", "profile", "email", "groups", "offline_access", "gateway"],
            "resource": GATEWAY_RESOURCE,
            "persist_refresh_token": False,
        }
        data: dict = {"patterns": [f"s3://{name}-*/**"], "storage_endpoints": [ends.storage]}
        trusts_hub = name in hub_auth_sites
        if not trusts_hub:
            # Keys for the user's login (STS web identity), as Ceph RGW or MinIO give. A
            # site trusting the hub has no OIDC token to exchange: its data stays closed to
            # users (its store trusts the issuer only).
            data["credentials"] = {
                "type": "sts-web-identity",
                "endpoint": ends.storage,
                "role": role_arn(name),
                "duration": info.storage_key_seconds,
                "region": "eu-central-1",
            }
        sites.append(
            {
                "name": name,
                "label": spec.label,
                "colour": spec.colour,
                "gateway": {"address": ends.gateway, "proxy_address": ends.proxy},
                # A site that trusts the hub takes the user's hub token (no login).
                "auth": {"type": "jupyterhub"} if trusts_hub else oidc,
                "cluster_defaults": {"worker_cores": 1, "worker_memory": 1.0},
                "data": data,
            }
        )
    return validate_registry({"version": 1, "sites": sites})


class Testbed:
    """Real sites on loopback. ``start()`` returns when every part answers."""

    __test__ = False  # not a pytest class

    def __init__(
        self,
        state_dir: Path | str | None = None,
        sites: list[str] | tuple[str, ...] = tuple(SITES),
        size: str = "small",
        access_token_ttl: int = 300,
        idle_timeout: float = 600.0,
        redirect_uris: list[str] | tuple[str, ...] = (),
        hostile_dashboards: list[str] | tuple[str, ...] = (),
        hub: bool = False,
        hub_port: int = 0,
        hub_auth_sites: list[str] | tuple[str, ...] = (),
        hub_user_server_args: list[str] | tuple[str, ...] = (),
        hub_notebook_dir: str = "",
        storage_key_seconds: int = 900,
    ):
        for option, named in (
            ("--hostile-dashboards", hostile_dashboards),
            ("--hub-auth-sites", hub_auth_sites),
        ):
            unknown = set(named) - set(sites)
            if unknown:
                raise ValueError(
                    f"{option} names sites that do not run: {', '.join(sorted(unknown))}"
                )
        if not 10 <= storage_key_seconds <= 43200:
            raise ValueError("--storage-key-seconds must be between 10 and 43200")
        if hub_auth_sites and not hub:
            raise ValueError("--hub-auth-sites needs --hub: those sites trust the hub's users")
        self.state_dir = Path(state_dir) if state_dir else default_state_dir()
        self.site_names = list(sites)
        self.size = size
        self.access_token_ttl = access_token_ttl
        self.idle_timeout = idle_timeout
        self.redirect_uris = list(redirect_uris)
        # Sites whose scheduler image is "compromised" (hostile_dashboard.py), for tests.
        self.hostile_dashboards = list(hostile_dashboards)
        # A real JupyterHub in front (hub.py); its proxy must exist before anything starts.
        self.hub_proxy_command = find_proxy_command() if hub else None
        self.hub_port = hub_port  # 0: any free port
        # Sites whose gateway trusts the hub (JupyterHubAuthenticator) instead of the issuer.
        self.hub_auth_sites = list(hub_auth_sites)
        self.hub_user_server_args = list(hub_user_server_args)
        self.hub_notebook_dir = hub_notebook_dir
        self.storage_key_seconds = storage_key_seconds
        self.hub_settings: HubSettings | None = None
        self.testbed_id = uuid.uuid4().hex
        self.processes: dict[str, ManagedProcess] = {}
        self.info: TestbedInfo | None = None

    # -- lifecycle ---------------------------------------------------------

    def __enter__(self) -> Testbed:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self, progress: Callable[[str], None] = lambda message: None) -> TestbedInfo:
        try:
            return self._start(progress)
        except BaseException:
            self.stop()
            raise

    def _start(self, progress: Callable[[str], None]) -> TestbedInfo:
        state = self.state_dir
        logs = state / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        state.chmod(0o700)  # configs hold test passwords and signing keys

        issuer_port = free_port()
        issuer = f"http://127.0.0.1:{issuer_port}"
        sites = {}
        for name in self.site_names:
            proxy_port, storage_port = free_port(), free_port()
            sites[name] = SiteEndpoints(
                name=name,
                gateway=f"http://127.0.0.1:{proxy_port}",
                proxy=f"gateway://127.0.0.1:{proxy_port}",
                storage=f"http://127.0.0.1:{storage_port}",
                writer_file=str(state / "sites" / name / "storage-writer.json"),
            )
        hub_url = (
            f"http://127.0.0.1:{self.hub_port or free_port()}" if self.hub_proxy_command else None
        )
        self.info = TestbedInfo(
            testbed_id=self.testbed_id,
            state_dir=str(state),
            issuer=issuer,
            registry_path=str(state / REGISTRY_FILE),
            size=self.size,
            sites=sites,
            pids={},
            supervisor_pid=os.getpid(),
            hub=hub_url,
            storage_key_seconds=self.storage_key_seconds,
        )
        self._write_state()
        hub_client_secret = new_secret()
        users = [u.username for u in USERS]
        # The hub's own API (behind its proxy): gateways that trust the hub ask it.
        hub_api = f"http://127.0.0.1:{free_port()}"
        gateway_services = {
            name: GatewayHubAuth(f"{hub_api}/hub/api", f"dask-gateway-{name}", new_secret())
            for name in self.hub_auth_sites
        }

        progress(f"starting the issuer at {issuer}")
        config = state / "issuer.json"
        write_issuer_config(
            config,
            port=issuer_port,
            access_token_ttl=self.access_token_ttl,
            keys_file=state / "issuer-keys.json",
            redirect_uris=[
                *self.redirect_uris,
                *(sidecar_callbacks(hub_url, users) if hub_url else []),
            ],
            other_clients=(issuer_client(hub_url, hub_client_secret),) if hub_url else (),
        )
        self._launch("issuer", issuer_process(config, logs / "issuer.log"))

        for name, ends in sites.items():
            storage_port = int(ends.storage.rsplit(":", 1)[1])
            Path(ends.writer_file).parent.mkdir(parents=True, exist_ok=True)
            store = storage_process(
                name,
                storage_port,
                logs / f"{name}-storage.log",
                issuer=issuer,
                audience=GATEWAY_AUDIENCE,
                writer_file=Path(ends.writer_file),
            )
            self._launch(f"{name}-storage", store)

        self.processes["issuer"].wait_ready(lambda: issuer_is_healthy(issuer), timeout=60)
        progress("issuer ready")

        for name, ends in sites.items():
            site_dir = state / "sites" / name
            (site_dir / "clusters").mkdir(parents=True, exist_ok=True)
            config_path = site_dir / "gateway_config.py"
            write_gateway_config(
                config_path,
                site=name,
                api_port=free_port(),
                proxy_port=int(ends.gateway.rsplit(":", 1)[1]),
                issuer=issuer,
                clusters_dir=site_dir / "clusters",
                environment=self._cluster_environment(name, ends),
                idle_timeout=self.idle_timeout,
                scheduler_preloads=[HOSTILE_PRELOAD] if name in self.hostile_dashboards else [],
                hub_auth=gateway_services.get(name),
            )
            self._launch(
                f"{name}-gateway",
                gateway_process(name, config_path, logs / f"{name}-gateway.log", site_dir),
            )

        for name, ends in sites.items():
            self.processes[f"{name}-storage"].wait_ready(
                partial(storage_is_healthy, ends.storage), timeout=60
            )
            started = time.monotonic()
            keys = writer_keys(ends.writer_file)
            ends.datasets = write_site_data(name, ends.storage, self.size, keys)
            progress(
                f"{name}: object store ready at {ends.storage}, "
                f"{len(ends.datasets)} dataset(s) written in {time.monotonic() - started:.1f} s"
            )

        for name, ends in sites.items():
            self.processes[f"{name}-gateway"].wait_ready(
                partial(gateway_is_healthy, ends.gateway), timeout=90
            )
            progress(f"{name}: gateway ready at {ends.gateway}")

        registry = registry_document(self.info, hub_auth_sites=self.hub_auth_sites)
        Path(self.info.registry_path).write_text(json.dumps(registry, indent=2))
        if hub_url:
            self._start_hub(
                hub_url, hub_api, hub_client_secret, users, list(gateway_services.values())
            )
            progress(f"hub ready at {hub_url}")
        self.info.status = "ready"
        self._write_state()
        return self.info

    def stop(self) -> list[int]:
        """Stop every part; returns the pids of stragglers that had to be killed."""
        if self.info:
            self.info.status = "stopping"
            self._write_state()
        # The hub first (it stops users' servers, whose sidecars may stop clusters), then
        # gateways: they stop their clusters' schedulers and workers.
        order = sorted(self.processes, key=lambda n: (n != "hub", not n.endswith("-gateway"), n))
        for name in order:
            self.processes[name].stop()
        stragglers = kill_stragglers(self.testbed_id)
        self.processes.clear()
        state_file = self.state_dir / STATE_FILE
        if self.info and state_file.exists():
            state_file.unlink()
        return stragglers

    # -- helpers -----------------------------------------------------------

    def _start_hub(
        self,
        public_url: str,
        hub_api: str,
        client_secret: str,
        users: list[str],
        gateway_services: list[GatewayHubAuth],
    ) -> None:
        assert self.info is not None and self.hub_proxy_command is not None
        hub_dir = self.state_dir / "hub"
        hub_dir.mkdir(parents=True, exist_ok=True)
        hub_dir.chmod(0o700)
        # Each testbed's hub starts afresh: no users' servers or proxy of a run before.
        for stale in ("jupyterhub.sqlite", "jupyterhub.pid", "proxy.pid"):
            (hub_dir / stale).unlink(missing_ok=True)
        self.hub_settings = HubSettings(
            public_url=public_url,
            hub_bind_url=hub_api,
            proxy_api_url=f"http://127.0.0.1:{free_port()}",
            proxy_command=self.hub_proxy_command,
            issuer=self.info.issuer,
            client_secret=client_secret,
            admin_token=new_secret(),
            state_dir=str(hub_dir),
            registry_path=self.info.registry_path,
            users=users,
            # Users' servers and what they start belong to this testbed, like its clusters.
            environment={**notebook_environment(), TESTBED_ID_ENV: self.testbed_id},
            notebook_dir=self.hub_notebook_dir,
            gateway_services={g.service: g.api_token for g in gateway_services},
            user_server_args=self.hub_user_server_args,
        )
        settings_path = hub_dir / "settings.json"
        write_settings(settings_path, self.hub_settings)
        self._launch(
            "hub", hub_process(settings_path, self.state_dir / "logs" / "hub.log", hub_dir)
        )
        self.processes["hub"].wait_ready(partial(hub_is_healthy, public_url), timeout=90)

    def _launch(self, key: str, process: ManagedProcess) -> None:
        process.start(self.testbed_id)
        self.processes[key] = process
        assert self.info is not None
        self.info.pids[key] = process.pid or 0
        self._write_state()

    def _cluster_environment(self, site: str, ends: SiteEndpoints) -> dict[str, str]:
        return {
            # Lets a task prove where it ran, and lets teardown find every process.
            "DASK_SITES_SITE": site,
            "DASK_SITES_TESTBED_ID": self.testbed_id,
            "DASK_SITES_STORAGE_ENDPOINT": ends.storage,
            # No keys: the kernel gives its cluster's workers the user's keys for this site.
            **notebook_environment(),
            "AWS_ENDPOINT_URL": ends.storage,
        }

    def _write_state(self) -> None:
        if self.info:
            path = self.state_dir / STATE_FILE
            path.write_text(self.info.to_json())


def read_state(state_dir: Path | str | None = None) -> TestbedInfo | None:
    path = Path(state_dir or default_state_dir()) / STATE_FILE
    try:
        return TestbedInfo.from_json(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError, TypeError, KeyError):
        return None


def describe(info: TestbedInfo) -> str:
    """What a person needs to use the testbed."""
    from .sites import USERS

    lines = [f"Dask Sites testbed ({info.size} data) — {info.status}", f"  issuer:   {info.issuer}"]
    for name, ends in info.sites.items():
        lines.append(f"  {name}:")
        lines.append(f"    gateway:  {ends.gateway}  (schedulers: {ends.proxy})")
        lines.append(f"    storage:  {ends.storage}")
        lines.extend(
            f"    data:     {url}" for url in ends.datasets or [d.url for d in datasets_of(name)]
        )
    lines.append(f"  registry: {info.registry_path}")
    if info.hub:
        lines.append(f"  hub:      {info.hub}  (sign in at the issuer as a user below)")
    lines.append("  users:    " + ", ".join(f"{u.username} / {u.password}" for u in USERS))
    lines.append(f"  logs:     {Path(info.state_dir) / 'logs'}")
    return "\n".join(lines)

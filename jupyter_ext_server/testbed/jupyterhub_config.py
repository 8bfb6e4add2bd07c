"""The testbed hub's configuration, read by ``jupyterhub -f`` (see hub.py).

What a deployment would choose is here in the same words: sign-in with
OpenID Connect at the sites' issuer, each user's JupyterLab with Dask Sites
pointed at the site registry. Only the addresses and secrets come from the
settings file the testbed writes.
"""

import os
import sys

from jupyter_ext_server.testbed.hub import HUB_CLIENT_ID, SETTINGS_ENV, read_settings

c = get_config()  # type: ignore[name-defined]  # noqa: F821 (given by JupyterHub's loader)
settings = read_settings(os.environ[SETTINGS_ENV])
state = settings.state_dir

# -- where the hub and its proxy listen (loopback only) ----------------------
c.JupyterHub.bind_url = settings.public_url
c.JupyterHub.public_url = settings.public_url  # users' servers learn it: JUPYTERHUB_PUBLIC_URL
c.JupyterHub.hub_bind_url = settings.hub_bind_url
c.ConfigurableHTTPProxy.api_url = settings.proxy_api_url
c.ConfigurableHTTPProxy.command = settings.proxy_command
c.ConfigurableHTTPProxy.pid_file = f"{state}/proxy.pid"
c.JupyterHub.db_url = f"sqlite:///{state}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = f"{state}/cookie_secret"
c.JupyterHub.pid_file = f"{state}/jupyterhub.pid"
c.JupyterHub.cleanup_servers = True  # stopping the hub stops users' servers

# -- sign-in at the issuer (the same one the sites trust) ---------------------
c.JupyterHub.authenticator_class = "generic-oauth"
c.GenericOAuthenticator.client_id = HUB_CLIENT_ID
c.GenericOAuthenticator.client_secret = settings.client_secret
c.GenericOAuthenticator.oauth_callback_url = f"{settings.public_url}/hub/oauth_callback"
c.GenericOAuthenticator.authorize_url = f"{settings.issuer}/auth"
c.GenericOAuthenticator.token_url = f"{settings.issuer}/token"
c.GenericOAuthenticator.scope = ["openid", "profile", "email", "groups"]
# The issuer's ID token carries the profile claims (no userinfo call needed).
c.GenericOAuthenticator.userdata_from_id_token = True
c.GenericOAuthenticator.username_claim = "preferred_username"
c.GenericOAuthenticator.login_service = "the Dask Sites testbed issuer"
c.GenericOAuthenticator.allowed_users = set(settings.users)

# -- the testbed's own service: starts servers and makes user tokens in tests ---
c.JupyterHub.services = [{"name": "testbed", "api_token": settings.admin_token}]
c.JupyterHub.load_roles = [
    {
        "name": "testbed",
        "scopes": ["admin:users", "admin:servers", "tokens", "read:users", "access:servers"],
        "services": ["testbed"],
    }
]

# -- gateways that trust the hub (dask-gateway's JupyterHubAuthenticator) --------
# Each is a service; users may use it, and their servers' tokens (which the
# Dask Sites sidecar sends) carry that access. The gateway asks the hub who a
# token belongs to, so its own token needs no scopes.
gateway_access = [f"access:services!service={name}" for name in settings.gateway_services]
c.JupyterHub.services += [
    {"name": name, "api_token": token} for name, token in settings.gateway_services.items()
]
c.JupyterHub.load_roles += [{"name": "user", "scopes": ["self", *gateway_access]}]
c.Spawner.server_token_scopes = ["users:activity!user", "access:servers!server", *gateway_access]

# -- each user's JupyterLab, as a local process with a home of its own --------
c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = f"{state}/users/{{username}}"
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
c.Spawner.ip = "127.0.0.1"
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
if settings.notebook_dir:
    c.Spawner.notebook_dir = settings.notebook_dir
c.Spawner.environment = settings.environment
# What a deployment puts into the single-user image's config: the registry.
# The public URL for the sign-in callback comes from JUPYTERHUB_PUBLIC_URL.
c.Spawner.args = [
    f"--DaskSites.registry={settings.registry_path}",
    "--DaskSites.auto_create_cluster=True",
    *(["--allow-root"] if os.geteuid() == 0 else []),
    *settings.user_server_args,
]

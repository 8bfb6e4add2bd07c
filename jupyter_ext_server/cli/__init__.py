"""The ``dask-sites`` command line.

The testbed's modules are imported by the commands that use them: they need
the ``testbed`` extra (moto, zarr, dask-gateway-server), which the other
commands do without.
"""

from __future__ import annotations

import argparse

from .._version import __version__
from .demo import cmd_demo
from .registry_commands import cmd_registry_validate
from .run_command import add_run_parser
from .testbed_commands import cmd_testbed_down, cmd_testbed_status, cmd_testbed_up


def _site_list(text: str) -> list[str]:
    from ..testbed.sites import parse_site_names

    try:
        return parse_site_names(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _add_testbed_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sites",
        type=_site_list,
        default="central,lumi,leonardo",
        help="comma-separated sites to run (default: %(default)s)",
    )
    parser.add_argument(
        "--size",
        choices=["small", "medium"],
        default="small",
        help="data size: small builds in seconds, medium is hundreds of MB",
    )
    parser.add_argument(
        "--token-ttl",
        type=int,
        default=300,
        metavar="SECONDS",
        help="access token lifetime (default: %(default)s)",
    )
    parser.add_argument(
        "--storage-key-seconds",
        type=int,
        default=900,
        metavar="SECONDS",
        help="lifetime of users' object-store keys (default: %(default)s)",
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=1800,
        metavar="SECONDS",
        help="stop clusters idle this long (default: %(default)s)",
    )
    parser.add_argument(
        "--state-dir",
        default=None,
        help="configs, logs and state (default: $DASK_SITES_TESTBED_DIR "
        "or ~/.cache/dask-sites/testbed)",
    )
    parser.add_argument(
        "--hub",
        action="store_true",
        help="add a real JupyterHub: users sign in at the testbed issuer and each gets "
        "a JupyterLab with Dask Sites (needs configurable-http-proxy from npm)",
    )
    parser.add_argument(
        "--hub-port",
        type=int,
        default=0,
        metavar="PORT",
        help="the hub's port with --hub (default: any free port)",
    )
    parser.add_argument(
        "--hub-auth-sites",
        type=_site_list,
        default=[],
        metavar="SITES",
        help="with --hub: these sites' gateways trust the hub's users (dask-gateway's "
        "JupyterHubAuthenticator; registry auth.type jupyterhub) instead of the issuer",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dask-sites",
        description="Dask Sites: run each notebook cell's Dask work at the site holding its data.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    testbed = commands.add_parser(
        "testbed",
        help="run real sites on this machine",
        description="Run real sites on this machine: an OIDC issuer and, "
        "per site, a Dask Gateway and an S3-compatible object store.",
    )
    testbed_commands = testbed.add_subparsers(
        dest="testbed_command", required=True, metavar="ACTION"
    )
    up = testbed_commands.add_parser(
        "up",
        help="start the testbed (Ctrl-C stops it)",
        description="Start the testbed and print its URLs, users and "
        "registry file. Ctrl-C or SIGTERM stops everything.",
    )
    _add_testbed_options(up)
    up.add_argument("--detach", action="store_true", help="run in the background")
    up.add_argument("--timeout", type=float, default=600, help="seconds to wait with --detach")
    up.add_argument(
        "--redirect-uri",
        action="append",
        help="an OAuth redirect URI to allow for the dask-sites client (repeatable)",
    )
    up.add_argument(
        "--hostile-dashboards",
        type=_site_list,
        default=[],
        metavar="SITES",
        help="for security tests: these sites' schedulers also serve a hostile dashboard "
        "page (/hostile) that tries to act as the user",
    )
    up.set_defaults(func=cmd_testbed_up)
    down = testbed_commands.add_parser(
        "down",
        help="stop a detached testbed",
        description="Stop a testbed started with --detach, and any process it left behind.",
    )
    down.add_argument("--state-dir", default=None)
    down.set_defaults(func=cmd_testbed_down)
    status = testbed_commands.add_parser(
        "status",
        help="show whether each part answers",
        description="Show whether each part of a running testbed answers. Exit code 0 when all do.",
    )
    status.add_argument("--state-dir", default=None)
    status.set_defaults(func=cmd_testbed_status)

    demo = commands.add_parser(
        "demo",
        help="testbed + JupyterLab with Dask Sites",
        description="Start the testbed and JupyterLab configured for it; "
        "prints the URL and the demo credentials.",
    )
    _add_testbed_options(demo)
    demo.add_argument(
        "--port",
        type=int,
        default=8888,
        help="JupyterLab's port, or the hub's with --hub (default: %(default)s)",
    )
    demo.add_argument("--notebook-dir", default="examples", help="folder JupyterLab opens")
    demo.set_defaults(func=cmd_demo)

    add_run_parser(commands)

    registry = commands.add_parser(
        "registry", help="site registry tools", description="Work with site registry files."
    )
    registry_commands = registry.add_subparsers(
        dest="registry_command", required=True, metavar="ACTION"
    )
    validate = registry_commands.add_parser(
        "validate",
        help="check a registry file",
        description="Validate a site registry file against "
        "its JSON Schema; errors name the site and the field.",
    )
    validate.add_argument("file")
    validate.add_argument(
        "--allow-link-local-hosts",
        action="store_true",
        help="accept link-local and cloud-metadata hosts (as c.DaskSites.allow_link_local_hosts)",
    )
    validate.set_defaults(func=cmd_registry_validate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)

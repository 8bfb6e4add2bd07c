"""`dask-sites demo`: the testbed with JupyterLab, or with JupyterHub in front."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from .testbed_commands import print_progress, testbed_from_args, wait_for_signal


def _wait_for_lab(lab: subprocess.Popen, base: str, token: str, timeout: float) -> bool:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and lab.poll() is None:
        try:
            if requests.get(
                f"{base}/api/status", headers={"Authorization": f"token {token}"}, timeout=2
            ).ok:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.3)
    return False


def _demo_hub(args) -> int:
    """The demo behind the testbed's JupyterHub: each user signs in and gets a Lab."""
    from ..testbed import describe
    from ..testbed.hub import HubSetupError

    args.hub_port = args.hub_port or args.port
    args.hub_notebook_dir = str(Path(args.notebook_dir).resolve())
    try:
        testbed = testbed_from_args(args)
    except (ValueError, HubSetupError) as err:
        print(f"dask-sites demo: {err}", file=sys.stderr)
        return 2
    print("Starting the Dask Sites demo behind JupyterHub …", flush=True)
    try:
        info = testbed.start(progress=print_progress)
    except Exception as err:
        print(f"The testbed failed to start: {err}", file=sys.stderr)
        return 1
    try:
        print(describe(info))
        print(f"\nJupyterHub with Dask Sites: {info.hub}/hub/login")
        print(
            "Sign in as alice / alice-dask-sites (or bob); the sites then log in "
            "with one click. Press Ctrl-C to stop.\n",
            flush=True,
        )
        wait_for_signal(testbed)
    finally:
        testbed.stop()
        print("Stopped.", flush=True)
    return 0


def cmd_demo(args) -> int:
    """Testbed plus JupyterLab with Dask Sites pointed at it."""
    from ..testbed import describe
    from ..testbed.processes import free_port
    from ..testbed.testbed import notebook_environment

    if args.hub:
        return _demo_hub(args)
    port = args.port or free_port()
    token = secrets.token_urlsafe(24)
    base = f"http://127.0.0.1:{port}"
    args.redirect_uri = [f"{base}/dask-sites/oidc/callback"]
    testbed = testbed_from_args(args)
    print("Starting the Dask Sites demo …", flush=True)
    try:
        info = testbed.start(progress=print_progress)
    except Exception as err:
        print(f"The testbed failed to start: {err}", file=sys.stderr)
        return 1
    lab = None
    try:
        notebook_dir = Path(args.notebook_dir).resolve()
        lab = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                "--ip=127.0.0.1",
                f"--port={port}",
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={notebook_dir}",
                f"--DaskSites.registry={info.registry_path}",
                # The demo notebooks may start each site's cluster on first use.
                "--DaskSites.auto_create_cluster=True",
                *(["--allow-root"] if os.geteuid() == 0 else []),
            ],
            start_new_session=True,
            # Kernels inherit this: the testbed's object-store credentials.
            env={**os.environ, **notebook_environment()},
        )
        print(describe(info))
        if not _wait_for_lab(lab, base, token, timeout=120):
            print("JupyterLab did not start; see its output above.", file=sys.stderr)
            return 1
        print(f"\nJupyterLab with Dask Sites: {base}/lab?token={token}")
        print("Log in to a site as alice / alice-dask-sites. Press Ctrl-C to stop.\n", flush=True)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        while not stop.wait(1.0):
            if lab.poll() is not None:
                print(f"JupyterLab exited with code {lab.returncode}.", file=sys.stderr)
                break
    finally:
        if lab and lab.poll() is None:
            lab.send_signal(signal.SIGTERM)
            try:
                lab.wait(20)
            except subprocess.TimeoutExpired:
                lab.kill()
        testbed.stop()
        print("Stopped.", flush=True)
    return 0

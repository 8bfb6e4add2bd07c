"""The testbed behind a real JupyterHub, for the hub's Galata tests (playwright.hub.config.ts).

Starts the testbed with its hub on DASK_SITES_UI_HUB_PORT; every user's server
also loads Galata's test helpers (hub_user_server_config.py). Once ready it
writes an API token of alice's (0600, in the state dir) for the tests' server
calls, then waits until SIGTERM or SIGINT and stops everything.
"""

import os
import signal
import sys
import threading
from pathlib import Path

import requests

from jupyter_ext_server.testbed import Testbed

HERE = Path(__file__).parent.resolve()
PORT = int(os.environ.get("DASK_SITES_UI_HUB_PORT", "8899"))
STATE_DIR = Path(os.environ.get("DASK_SITES_UI_HUB_STATE_DIR", HERE / ".hub-testbed")).resolve()
TOKEN_FILE = STATE_DIR / "alice-token"


def main() -> int:
    # A token of a run before would be read before this run's is written.
    TOKEN_FILE.unlink(missing_ok=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    testbed = Testbed(
        STATE_DIR,
        sites=["central", "lumi"],
        hub=True,
        hub_port=PORT,
        hub_user_server_args=[f"--config={HERE / 'hub_user_server_config.py'}"],
    )
    with testbed:
        assert testbed.info and testbed.info.hub and testbed.hub_settings
        answer = requests.post(
            f"{testbed.info.hub}/hub/api/users/alice/tokens",
            headers={"Authorization": f"token {testbed.hub_settings.admin_token}"},
            json={"note": "UI tests"},
            timeout=30,
        )
        answer.raise_for_status()
        # Whole or not at all: the global setup reads it as soon as it appears.
        partial = TOKEN_FILE.with_suffix(".partial")
        partial.write_text(answer.json()["token"])
        partial.chmod(0o600)
        partial.replace(TOKEN_FILE)
        print(f"hub ready at {testbed.info.hub}", flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())

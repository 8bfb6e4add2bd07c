"""The kernel's side of object-store keys.

``s3://`` URLs that match a site's registry rules reach that site's object
store with the user's keys and no ``storage_options`` (the kernel registers
``SiteS3FileSystem`` for ``s3``/``s3a`` and answers its ``RESOLVER``). For a
site whose registry entry says ``data.credentials: sts-web-identity``, the
keys come from the sidecar (``KEYS.fetch``), and each new connection to the
site's cluster gets them for its workers (``keys.send_keys``), renewed by a
thread before half their life is gone. Another site's keys never go there.
"""

from __future__ import annotations

import importlib
import sys
import threading
import time
from typing import Any
from urllib.parse import quote

import fsspec

from ..sidecar_client import SidecarClient, SidecarError
from ..storage import site_rules
from ..storage.keys import KEYS, StorageKeys, StorageKeysError
from ..storage.sending import send_keys
from ..storage.site_rules import FILESYSTEM_CLASS, STS, SiteStorage, site_storage_options
from .catalogue import SiteCatalogue
from .errors import site_error_from

#: How long the renewal thread sleeps at most between looks.
LONGEST_NAP = 30.0
#: The first wait after a failed renewal (it doubles while failures go on).
RETRY_FIRST = 5.0


class StorageAccess:
    def __init__(self, sidecar: SidecarClient | None, catalogue: SiteCatalogue):
        self.sidecar = sidecar
        self.catalogue = catalogue
        self._clients: dict[str, Any] = {}  # site -> the Client its workers' keys went to
        self._sent: dict[str, float] = {}  # site -> expiry of the keys sent
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None

    # -- fsspec ---------------------------------------------------------------

    def install(self) -> None:
        for protocol in ("s3", "s3a"):
            # By name, so s3fs loads only when a URL is opened; but fsspec keeps a class it
            # loaded already, so one that is loaded is replaced by the class itself.
            fsspec.register_implementation(
                protocol,
                _site_class() if protocol in fsspec.registry else FILESYSTEM_CLASS,
                clobber=True,
                errtxt="Install s3fs to read s3:// data",
            )
        site_rules.RESOLVER = self.storage_of_url
        if self.sidecar is not None:
            KEYS.fetch = self.fetch

    def uninstall(self) -> None:
        original = sys.modules.get("s3fs")
        for protocol in ("s3", "s3a"):
            fsspec.register_implementation(
                protocol, original.S3FileSystem if original else "s3fs.S3FileSystem", clobber=True
            )
        site_rules.RESOLVER = None
        KEYS.fetch = None
        KEYS.forget()

    def options_for(self, site: str, url: str) -> dict | None:
        """``storage_options`` that read ``url`` at ``site``'s store with the user's keys
        (none for URLs that are not S3)."""
        if not url.startswith(("s3://", "s3a://")):
            return None
        return site_storage_options(self.catalogue.storage_of(site))

    def storage_of_url(self, url: str) -> SiteStorage | None:
        try:
            site = self.catalogue.site_of_url(url)
        except Exception:
            return None  # no registry now: the URL is read as plain s3fs would
        return self.catalogue.storage_of(site) if site else None

    def fetch(self, site: str) -> StorageKeys:
        """New keys from the sidecar (it renews them at half their life too)."""
        assert self.sidecar is not None
        try:
            answer = self.sidecar.get(
                f"/kernel/sites/{quote(site, safe='')}/storage-credentials", timeout=30
            )
        except SidecarError as err:
            raise StorageKeysError(
                f"{site}: no object-store keys: {site_error_from(err)}"
            ) from None
        return StorageKeys.from_sidecar(answer)

    # -- workers --------------------------------------------------------------

    def connected(self, site: str, client) -> None:
        """A new connection to ``site``'s cluster: give its workers the site's keys."""
        if self.catalogue.credentials_of(site) != STS:
            return
        with self._lock:
            self._clients[site] = client
            self._sent.pop(site, None)
        try:
            self._send(site)
        except StorageKeysError as err:
            # The cell may not read data at all; if it does, reading says this again.
            print(f"{err}. Reading {site}'s data there will fail.", file=sys.stderr)
        self._start_thread()

    def _send(self, site: str) -> StorageKeys:
        """The site's current keys, sent to its workers unless they have them."""
        keys = KEYS.get(site)
        with self._lock:
            client = self._clients.get(site)
            if client is None or self._sent.get(site) == keys.expires_at:
                return keys
        send_keys(client, site, keys)
        with self._lock:
            self._sent[site] = keys.expires_at
        return keys

    def _start_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._renew, name="dask-sites-storage-keys", daemon=True
            )
            self._thread.start()

    def _renew(self) -> None:
        """Keep every connected site's workers holding keys with half a life left."""
        failures: dict[str, tuple[int, str]] = {}  # site -> (failures in a row, last message)
        while not self._closed:
            nap = LONGEST_NAP
            for site in list(self._clients):
                client = self._clients.get(site)
                status = getattr(client, "status", None)
                if client is None or status in ("closing", "closed"):
                    with self._lock:
                        self._clients.pop(site, None)
                    continue
                if status != "running":
                    continue  # reconnecting: try again on the next round
                try:
                    keys = self._send(site)
                    failures.pop(site, None)
                    nap = min(nap, max(keys.issued_at + keys.lifetime / 2 - time.time(), 1.0))
                except Exception as err:
                    count, said = failures.get(site, (0, ""))
                    text = f"Dask Sites: {site}: storage keys not renewed: {err}"
                    if text != said:  # each new reason once, not every round
                        print(text, file=sys.stderr)
                    failures[site] = (count + 1, text)
                    # 5 s, 10 s, 20 s ... up to the longest nap: a refusal rarely mends itself.
                    nap = min(nap, RETRY_FIRST * 2**count)
            self._wake.wait(nap)
            self._wake.clear()

    def close(self) -> None:
        self._closed = True
        self._wake.set()
        with self._lock:
            self._clients.clear()


def _site_class():
    """``SiteS3FileSystem``, loaded by name (it imports s3fs, which is loaded already)."""
    module, _, name = FILESYSTEM_CLASS.rpartition(".")
    return getattr(importlib.import_module(module), name)

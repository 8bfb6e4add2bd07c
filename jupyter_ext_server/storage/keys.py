"""A site's short-lived object-store keys, where they are held and how workers get them.

In the kernel the ``KeyStore`` asks the sidecar (``fetch``) once half of the
keys' life is gone; on a worker it holds what the kernel sent with
``sending.send_keys`` (only its own site's keys) and asks no one. Keys never
appear in a ``repr``, a log line or an error.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime


class StorageKeysError(RuntimeError):
    """No keys for a site here; the message names the site and what to do."""


@dataclass(frozen=True)
class StorageKeys:
    key: str = field(repr=False)
    secret: str = field(repr=False)
    token: str = field(repr=False)
    #: Seconds since the epoch.
    expires_at: float
    issued_at: float

    @classmethod
    def from_sidecar(cls, answer: dict) -> StorageKeys:
        """From the sidecar's ``IStorageCredentials`` answer."""
        return cls(
            key=answer["accessKeyId"],
            secret=answer["secretAccessKey"],
            token=answer["sessionToken"],
            expires_at=_seconds(answer["expiration"]),
            issued_at=_seconds(answer["issuedAt"]),
        )

    @property
    def lifetime(self) -> float:
        return max(self.expires_at - self.issued_at, 1.0)

    def renewal_due(self, now: float | None = None) -> bool:
        """Half their life gone: the sidecar renews them then as well."""
        return (now or time.time()) >= self.issued_at + self.lifetime / 2

    def expired(self, now: float | None = None) -> bool:
        return (now or time.time()) >= self.expires_at


def _seconds(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


class KeyStore:
    """Keys per site. ``fetch(site)`` (kernel only) gets new ones from the sidecar."""

    def __init__(self) -> None:
        self._keys: dict[str, StorageKeys] = {}
        self._lock = threading.Lock()
        self.fetch: Callable[[str], StorageKeys] | None = None

    def put(self, site: str, keys: StorageKeys) -> None:
        # The latest keys win, also when they end sooner: after a new login they are
        # another user's, and the held ones must not outlive that.
        with self._lock:
            self._keys[site] = keys

    def get(self, site: str) -> StorageKeys:
        held = self._keys.get(site)
        if held is not None and not held.renewal_due():
            return held
        if self.fetch is not None:
            try:
                keys = self.fetch(site)
            except StorageKeysError:
                if held is not None and not held.expired():
                    return held  # the sidecar cannot say now; these still work
                raise
            self.put(site, keys)
            return keys
        if held is not None and not held.expired():
            return held
        raise StorageKeysError(
            f"no object-store keys for site {site!r} here: a site's workers get only "
            "their own site's keys, from the kernel that uses them. Read this data in a "
            f"cell that runs at {site} (or let its data route the cell there)."
        )

    def forget(self, site: str | None = None) -> None:
        with self._lock:
            if site is None:
                self._keys.clear()
            else:
                self._keys.pop(site, None)


#: The process's keys: the kernel's (fetched) or a worker's (sent by the kernel).
KEYS = KeyStore()

"""Fakes of a site's ``distributed.Client`` and of the sidecar, for unit tests
of routing without sites (the real ones are exercised by the testbed tests).
"""

from __future__ import annotations

import contextlib

from dask.local import get_sync


class FakeFuture:
    def __init__(self, key, value):
        self.key, self.value = key, value


class FakeClient:
    """Computes with the local scheduler and counts what it was given."""

    def __init__(self):
        self.keys_run: list = []
        self.cancelled: list = []

    def get(self, dsk, keys, sync=True, **kwargs):
        self.keys_run.extend(keys)
        values = get_sync(dsk, keys)
        return values if sync else [FakeFuture(k, v) for k, v in zip(keys, values)]

    def nbytes(self, keys, summary=False):
        return {k: 8 for k in keys}

    def gather(self, futures):
        return [f.value for f in futures]

    def as_current(self):
        return contextlib.nullcontext()

    def persist(self, collections, **kwargs):
        return [c.persist(scheduler="sync") for c in collections]

    def sync(self, function, *args, **kwargs):
        """Futures of this fake are done when made: waiting is instant."""

    def cancel(self, futures):
        self.cancelled.extend(f.key for f in futures)


class FakeSidecar:
    """Answers ``/kernel/sites`` with two sites."""

    def get(self, path, **query):
        return {"sites": [{"name": "central"}, {"name": "lumi"}]}

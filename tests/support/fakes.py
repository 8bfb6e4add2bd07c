"""Fakes of a site's ``distributed.Client`` and of the sidecar, for unit tests
of routing without sites (the real ones are exercised by the testbed tests).
"""

from __future__ import annotations

import contextlib

from dask._task_spec import DataNode
from dask.local import get_sync
from dask.sizeof import sizeof


class FakeFuture:
    """A future already computed (as distributed's says: ``status`` "finished")."""

    def __init__(self, key, value):
        self.key, self.value = key, value
        self.cancelled = False

    @property
    def status(self) -> str:
        return "cancelled" if self.cancelled else "finished"

    def cancel(self):
        self.cancelled = True


class FakeClient:
    """Computes with the local scheduler and counts what it was given.

    Like a cluster, it keeps what it computed or was sent (``held``), and a
    later graph may read those keys without defining them. ``nbytes`` says
    8 B a key, or the real size with ``real_sizes=True``."""

    def __init__(self, real_sizes: bool = False):
        self.keys_run: list = []
        self.tasks_run: list = []  # every key of every graph it was given
        self.cancelled: list = []
        self.scattered: list = []
        self.held: dict = {}
        self.real_sizes = real_sizes

    def get(self, dsk, keys, sync=True, **kwargs):
        self.keys_run.extend(keys)
        if isinstance(dsk, dict):  # a graph (an expression reads no held keys)
            self.tasks_run.extend(dsk)
            held = {k: DataNode(k, v) for k, v in self.held.items() if k not in dsk}
            dsk = {**held, **dsk}
        values = get_sync(dsk, keys)
        if sync:
            return values
        self.held.update(zip(keys, values))
        return [FakeFuture(k, v) for k, v in zip(keys, values)]

    def scatter(self, data: dict):
        self.scattered.extend(data)
        self.held.update(data)
        return {key: FakeFuture(key, value) for key, value in data.items()}

    def nbytes(self, keys, summary=False):
        if self.real_sizes:
            return {k: int(sizeof(self.held[k])) for k in keys}
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

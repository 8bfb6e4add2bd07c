"""Make a cell's scheduler the one Dask uses, for one cell, and undo it afterwards.

Dask picks ``scheduler=`` first, then ``dask.config["scheduler"]``, then
distributed's current client. The cell's ``SiteScheduler`` goes into the
config (covering ``.compute()``, ``dask.compute``, ``persist`` and xarray's
``.load()``); a tagged cell's site Client also becomes the current client,
for futures (``client.submit``, ``distributed.get_client()``).
"""

from __future__ import annotations

from contextlib import ExitStack

import dask

_UNSET = object()


class Activation:
    """Entered in ``pre_run_cell``, left in ``post_run_cell`` (also after errors)."""

    def __init__(self):
        self._stack: ExitStack | None = None
        self._scheduler = None
        self._previous = _UNSET

    @property
    def active(self) -> bool:
        return self._scheduler is not None

    def enter(self, scheduler, client=None) -> None:
        self.leave()
        if client is not None:
            # First: as_current() also sets the scheduler (to "dask.distributed").
            stack = ExitStack()
            stack.enter_context(client.as_current())
            self._stack = stack
        self._previous = dask.config.config.get("scheduler", _UNSET)
        dask.config.set(scheduler=scheduler)
        self._scheduler = scheduler

    def leave(self) -> None:
        scheduler, self._scheduler = self._scheduler, None
        # A cell that set its own scheduler keeps it; only ours is undone.
        if scheduler is not None and dask.config.config.get("scheduler") is scheduler:
            if self._previous is _UNSET:
                dask.config.config.pop("scheduler", None)
            else:
                dask.config.set(scheduler=self._previous)
        self._previous = _UNSET
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.close()

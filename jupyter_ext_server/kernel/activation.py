"""Make a site's Client the one Dask uses, for one cell, and undo it afterwards.

Dask picks ``scheduler=`` first, then ``dask.config["scheduler"]``, then
distributed's current client; setting both of the latter covers
``.compute()``, ``dask.compute``, xarray's ``.load()`` and futures.
"""

from __future__ import annotations

from contextlib import ExitStack


class Activation:
    """Entered in ``pre_run_cell``, left in ``post_run_cell`` (also after errors)."""

    def __init__(self):
        self._stack: ExitStack | None = None

    @property
    def active(self) -> bool:
        return self._stack is not None

    def enter(self, client) -> None:
        import dask

        self.leave()
        stack = ExitStack()
        stack.enter_context(dask.config.set(scheduler=client))
        stack.enter_context(client.as_current())
        self._stack = stack

    def leave(self) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.close()

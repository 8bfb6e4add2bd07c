"""Live progress of a cell's remote work, shown under the cell while it runs.

A cell's ``CellProgress`` has one step per site part, plus steps that run
here (the combine of a split). Nothing is shown before
``DELAY`` seconds: a sub-second cell starts one thread and nothing else.
After that a thread publishes one display and updates it in place about
every ``INTERVAL`` seconds; the router turns it into the cell's record when
the cell ends.

A site's counts come from its scheduler's own ``Progress`` plugin, through
the site's ``Client`` (a ``feed`` comm, as distributed's progress bars do),
never from the dashboard. The output holds site names, counts and seconds:
no token, key or address.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from IPython.display import publish_display_data

PROGRESS_MIMETYPE = "application/vnd.dask-sites.progress+json"
#: Seconds before anything is shown (sub-second cells show nothing).
DELAY = 1.0
#: Seconds between updates.
INTERVAL = 1.0
#: The scheduler gives up waiting for a part's keys after this long.
SETUP_TIMEOUT = 30.0
BAR_WIDTH = 20


@dataclass
class Step:
    """One line of the progress: a site's part, or work here."""

    label: str
    site: str | None  # None: this kernel
    started: float
    done: int | None = None
    total: int | None = None
    ended: float | None = None
    failed: bool = False

    def as_dict(self, now: float) -> dict:
        return {
            "label": self.label,
            "site": self.site,
            "done": self.done,
            "total": self.total,
            "seconds": round((self.ended or now) - self.started, 1),
            "state": "failed" if self.failed else "done" if self.ended else "running",
        }

    def text(self, now: float, width: int) -> str:
        seconds = f"{(self.ended or now) - self.started:5.1f} s"
        state = " failed" if self.failed else ""
        if self.total:
            filled = round(BAR_WIDTH * (self.done or 0) / self.total)
            bar = "█" * filled + "·" * (BAR_WIDTH - filled)
            return f"{self.label:<{width}} {bar} {self.done}/{self.total} tasks  {seconds}{state}"
        if self.ended:
            return f"{self.label:<{width}} {'done':<{BAR_WIDTH}}  {seconds}{state}"
        return f"{self.label:<{width}} {'running…':<{BAR_WIDTH}}  {seconds}"


class CellProgress:
    """The progress of one cell's remote work (see the module docstring)."""

    def __init__(
        self,
        publish: Callable[..., None] = publish_display_data,
        delay: float = DELAY,
        interval: float = INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        enabled: bool = True,
    ):
        self._publish = publish
        #: Disabled: steps are counted, nothing is ever shown (no thread).
        self._enabled = enabled
        self._delay = delay
        self._interval = interval
        self._clock = clock
        self._steps: list[Step] = []
        self._feeds: dict[int, tuple[Any, list]] = {}  # id(step) → (client, keys) to follow
        self._running_feeds: list[SchedulerFeed] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: The display's id once shown (the record takes its place at the end).
        self.display_id: str | None = None

    def begin(
        self, label: str, site: str | None = None, client: Any = None, keys: Iterable = ()
    ) -> Step:
        """A step starts: a site's part (its counts follow the scheduler's when
        ``client`` and ``keys`` are given) or work here (``site`` None)."""
        step = self._add(label, site)
        if client is not None:
            with self._lock:
                self._feeds[id(step)] = (client, list(keys))
        return step

    def end(self, step: Step, failed: bool = False) -> None:
        step.failed = step.failed or failed
        step.ended = step.ended or self._clock()
        with self._lock:
            self._feeds.pop(id(step), None)

    @contextmanager
    def step(
        self, label: str, site: str | None = None, client: Any = None, keys: Iterable = ()
    ) -> Iterator[Step]:
        """``begin`` … ``end`` around a block (failed if it raises)."""
        step = self.begin(label, site, client, keys)
        try:
            yield step
        except BaseException:
            self.end(step, failed=True)
            raise
        self.end(step)

    def close(self) -> str | None:
        """Stop updating (a last update if shown); the display's id, if it was shown."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is None:
            return None
        self._stop.set()
        thread.join(timeout=5)  # at most one publish in flight
        for feed in self._running_feeds:
            feed.stop()
        self._running_feeds.clear()
        if self.display_id:
            try:
                self._show(self.display_id, update=True)
            except Exception:
                pass  # the record replaces it anyway
        return self.display_id

    def bundle(self) -> dict:
        now = self._clock()
        with self._lock:
            steps = list(self._steps)
        width = max((len(step.label) for step in steps), default=0)
        return {
            PROGRESS_MIMETYPE: {"steps": [step.as_dict(now) for step in steps]},
            "text/plain": "\n".join(step.text(now, width) for step in steps),
        }

    # -- internals ------------------------------------------------------------------

    def _add(self, label: str, site: str | None) -> Step:
        step = Step(label, site, self._clock())
        with self._lock:
            self._steps.append(step)
            if self._enabled and self._thread is None and not self._stop.is_set():
                # The thread publishes into this cell's output: it runs in this
                # context (ipykernel keeps the cell's parent header in a context var).
                context = contextvars.copy_context()
                self._thread = threading.Thread(
                    target=context.run, args=(self._run,), name="dask-sites-progress", daemon=True
                )
                self._thread.start()
        return step

    def _run(self) -> None:
        if self._stop.wait(self._delay):
            return
        display_id = uuid.uuid4().hex
        try:
            while True:
                self._follow_new_parts()
                self._show(display_id, update=self.display_id is not None)
                self.display_id = display_id  # shown: the record takes its place
                if self._stop.wait(self._interval):
                    return
        except Exception:
            return  # progress is a courtesy: the cell and its record go on

    def _follow_new_parts(self) -> None:
        """Parts still running after the delay get their scheduler's counts."""
        with self._lock:
            pending = [
                (step, self._feeds.pop(id(step)))
                for step in self._steps
                if id(step) in self._feeds and step.ended is None
            ]
        for step, (client, keys) in pending:
            if step.ended is not None:
                continue  # ended meanwhile: its keys may be gone already
            feed = SchedulerFeed(client, keys, step)
            try:
                feed.start()
            except RuntimeError:
                continue  # the client's loop is closed: no counts, the time still shows
            self._running_feeds.append(feed)

    def _show(self, display_id: str, update: bool) -> None:
        self._publish(self.bundle(), transient={"display_id": display_id}, update=update)


class SchedulerFeed:
    """The counts of one part, pushed by its scheduler's ``Progress`` plugin.

    Runs on the client's event loop; ``stop`` cancels it and closes the comm.
    When the scheduler refuses (no pickled diagnostics allowed) the step
    shows its time only."""

    def __init__(self, client: Any, keys: list, step: Step, interval: float = INTERVAL):
        self.client = client
        self.keys = {getattr(key, "key", key) for key in keys}
        self.step = step
        self.interval = interval
        self._future: Any = None

    def start(self) -> None:
        loop = self.client.loop.asyncio_loop
        self._future = asyncio.run_coroutine_threadsafe(self._listen(), loop)

    def stop(self) -> None:
        if self._future is not None:
            self._future.cancel()

    async def _listen(self) -> None:
        # distributed loads on demand (see clients.py); these only for work over a second.
        from distributed.comm.core import CommClosedError  # noqa: PLC0415
        from distributed.core import connect  # noqa: PLC0415
        from distributed.diagnostics.progress import Progress  # noqa: PLC0415
        from distributed.protocol.pickle import dumps  # noqa: PLC0415

        keys, timeout = self.keys, SETUP_TIMEOUT

        # Defined here so that they are pickled by value (what they use, by
        # reference): the scheduler has distributed, not Dask Sites.
        async def setup(scheduler):
            progress = Progress(keys, scheduler, complete=True)
            await asyncio.wait_for(progress.setup(), timeout)
            return progress

        def counts(scheduler, progress):
            return {
                "all": len(progress.all_keys),
                "remaining": len(progress.keys),
                "status": progress.status,
            }

        client = self.client
        try:
            comm = await connect(client.scheduler.address, **client.connection_args)
        except (OSError, CommClosedError):
            return
        try:
            await comm.write(
                {
                    "op": "feed",
                    "setup": dumps(setup),
                    "function": dumps(counts),
                    "interval": self.interval,
                },
                serializers=client._serializers,
            )
            while True:
                response = await comm.read(deserializers=client._deserializers)
                self.step.total = response["all"]
                self.step.done = response["all"] - response["remaining"]
                if response["status"] in ("error", "finished"):
                    return
        except (OSError, CommClosedError, KeyError, TypeError):
            return  # the counts stop; the step still shows its time
        finally:
            await comm.close()

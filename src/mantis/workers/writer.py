"""A run's progress and event writes, off the event loop.

The runner reports progress from its coroutines through plain callbacks; a database write there would
stall the loop (and with it every other run, the HTTP server and Temporal heartbeats) for as long as
the write takes. Writes go to one thread per run instead, so they keep their order, and the run's end
waits for them (`drain`) before it is recorded, so a final status is never seen before its events.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

log = logging.getLogger("mantis.workers")


class StoreWriter:
    def __init__(self, name: str) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"writes-{name}")
        self._last: Future[None] | None = None

    def put(self, write: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Queues one write and returns at once; a failed write is logged, never raised into the run."""
        self._last = self._pool.submit(_guarded, write, args, kwargs)

    async def drain(self) -> None:
        """Waits for every queued write, then lets the thread go."""
        if self._last is not None:
            await asyncio.wrap_future(self._last)
        self._pool.shutdown(wait=False)


def _guarded(write: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    try:
        write(*args, **kwargs)
    except Exception:
        log.exception("a progress write failed; the run goes on")

"""A run's end, told at once to whoever waits for it in this process.

A `detached: false` request waited for its run's end by reading the run store every `POLL_S`: for a run
of a few hundred milliseconds that poll alone added half a poll on average, and four waiting requests
read the store sixteen times a second beside the runs. A run executed by this process (the in-process
executor's, `run_job`) now wakes its waiters as soon as the store holds its end, and they read the store
only then or every `HELD_POLL_S`; a run executed elsewhere (Temporal workers) is polled as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import defaultdict

# Between two reads of the store by a waiter whose run this process executes: only a safety net (the
# end wakes the waiter at once), long enough to keep the store quiet, short enough that a run whose
# executor died in a way nobody told is still seen ending within seconds.
HELD_POLL_S = 2.0

# Waiters wait on the API's loop and runs end on the runners' (workers.loops): each waiter is woken on
# its own loop, and the tables are shared under a lock.
_waiting: defaultdict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = defaultdict(set)
_held: set[str] = set()
_lock = threading.Lock()


def started(run_id: str) -> None:
    """This process executes the run from now on; `ended` says when it is over."""
    with _lock:
        _held.add(run_id)


async def wait(run_id: str, poll_s: float) -> None:
    """Returns when this process ends the run, or after a poll's time (`poll_s`, or `HELD_POLL_S` for a
    run executed here), whichever comes first; the caller reads the store either way (the end may
    have come before this was called)."""
    waiter = (asyncio.get_running_loop(), asyncio.Event())
    with _lock:
        _waiting[run_id].add(waiter)
        timeout_s = HELD_POLL_S if run_id in _held else poll_s
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(waiter[1].wait(), timeout_s)
    finally:
        with _lock:
            waiters = _waiting[run_id]
            waiters.discard(waiter)
            if not waiters:
                del _waiting[run_id]


def ended(run_id: str) -> None:
    """Called from any thread once the run's end is in the store (or this process let it go)."""
    with _lock:
        _held.discard(run_id)
        waiters = list(_waiting.get(run_id, ()))
    for loop, event in waiters:
        loop.call_soon_threadsafe(event.set)

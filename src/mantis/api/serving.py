"""The app under uvicorn, with the shutdown deployment.md promises: on SIGTERM the workers stop claiming runs
at once (not only after open requests drain), running runs get their grace period, and the process exits 0."""

from __future__ import annotations

import gc
import signal
import socket
import sys
from types import FrameType

import uvicorn
from fastapi import FastAPI

from mantis.workers.base import Executor

DRAIN_S = 30  # for open requests, a `detached: false` one included, before the lifespan shuts down
STARTUP_FAILURE = 3  # uvicorn's own exit status when the server never started
# uvloop's event loop and httptools' HTTP parser instead of asyncio's loop and h11 (pure Python): the
# bare route of bench/status_load.py spent 0.74 ms of CPU a request with them blocked, 0.39 ms with
# them (bench/README.md, "status_load"). They are dependencies; only the API's loop is uvloop's, the
# runners' loop (`workers.loops`) stays asyncio's.
LOOP = "uvloop"
HTTP = "httptools"
# How long a thread that holds the GIL keeps it while another waits (CPython's default is 5 ms). The
# server's one process holds the API's loop, the store's threads and each run's runner and writer
# threads, and a status request changes threads about four times (loop, store thread, sqlite's calls,
# loop): with runs going each change could wait out 5 ms. At 1 ms, in three interleaved pairs of
# bench/status_load.py, the median p99 with four runs went 18.4 -> 15.0, 21.6 -> 14.8 and 45.6 -> 29.7
# ms, and the runs did more steps a second in each, not fewer (bench/README.md, "status_load").
GIL_SWITCH_S = 0.001
# A full collection after this many collections of the middle generation (CPython: 10). In three
# interleaved pairs of bench/status_load.py --seconds 10 (four runs), the worst window's p99 went
# 22.3 -> 15.5, 36.8 -> 24.2 and 58.1 -> 33.1 ms, the median 16.0 -> 13.1, 24.5 -> 19.1 and 33.2 -> 32.8
# (bench/README.md, "status_load"). Cyclic garbage that reached the oldest generation waits that
# much longer to be freed: with four runs going, about 50 s instead of 5.
FULL_COLLECTION_AFTER = 100


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, executor: Executor) -> None:
        super().__init__(config)
        self._executor = executor

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        settle_heap()
        sys.setswitchinterval(GIL_SWITCH_S)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self._executor.stop_claiming()
        super().handle_exit(sig, frame)


def settle_heap() -> None:
    """Once the app has started: what startup built (modules, routes, schemas, the store's mappers, about
    180 000 objects) lives as long as the process, so it leaves the collector's view. Otherwise every
    full collection walks it with the GIL held, 100-120 ms on a quiet core and 135-250 ms at a load
    average of 6-11, all of `bench/status_load.py`'s idle p99 (bench/README.md, "status_load"); after
    it, a full collection walks the 9 000-15 000 objects made since, in 4-15 ms. Objects made later are
    collected as before; those alive now are never freed by the collector, which they would not be.

    With runs going, the objects they leave in the oldest generation grew its full collections back to
    7-19 ms every 5 s or so (a `gc.callbacks` probe); they now come after `FULL_COLLECTION_AFTER`
    collections of the middle generation, not CPython's 10, so ten times rarer, the same length each."""
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_AFTER)


def config(app: FastAPI, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app, host=host, port=port, loop=LOOP, http=HTTP, log_level="info", timeout_graceful_shutdown=DRAIN_S
    )


def serve(app: FastAPI, host: str, port: int) -> None:
    """Serves an app of `create_app`, whose executor is in `app.state.executor`."""
    server = _Server(config(app, host, port), app.state.executor)
    # uvicorn shuts down gracefully on SIGTERM, then raises it again: end with exit status 0 instead
    signal.signal(signal.SIGTERM, _exit_cleanly)
    server.run()
    if not server.started:
        raise SystemExit(STARTUP_FAILURE)


def _exit_cleanly(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)

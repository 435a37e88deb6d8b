"""The app under uvicorn, with the shutdown deployment.md promises: on SIGTERM the workers stop claiming runs
at once (not only after open requests drain), running runs get their grace period, and the process exits 0."""

from __future__ import annotations

import signal
from types import FrameType

import uvicorn
from fastapi import FastAPI

from mantis.workers.base import Executor

DRAIN_S = 30  # for open requests, a `detached: false` one included, before the lifespan shuts down
STARTUP_FAILURE = 3  # uvicorn's own exit status when the server never started


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, executor: Executor) -> None:
        super().__init__(config)
        self._executor = executor

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self._executor.stop_claiming()
        super().handle_exit(sig, frame)


def serve(app: FastAPI, host: str, port: int) -> None:
    """Serves an app of `create_app`, whose executor is in `app.state.executor`."""
    server = _Server(
        uvicorn.Config(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=DRAIN_S),
        app.state.executor,
    )
    # uvicorn shuts down gracefully on SIGTERM, then raises it again: end with exit status 0 instead
    signal.signal(signal.SIGTERM, _exit_cleanly)
    server.run()
    if not server.started:
        raise SystemExit(STARTUP_FAILURE)


def _exit_cleanly(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)

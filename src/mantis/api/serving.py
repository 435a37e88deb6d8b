"""The app under uvicorn, with the shutdown deployment.md promises: on SIGTERM the workers stop claiming runs
at once (not only after open requests drain), running runs get their grace period, and the process exits 0."""

from __future__ import annotations

import signal
from types import FrameType

import uvicorn
from starlette.types import ASGIApp

from mantis.workers.inprocess import stop_claiming

DRAIN_S = 30  # for open requests, a `detached: false` one included, before the lifespan shuts down
STARTUP_FAILURE = 3  # uvicorn's own exit status when the server never started


class _Server(uvicorn.Server):
    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        stop_claiming()
        super().handle_exit(sig, frame)


def serve(app: ASGIApp, host: str, port: int) -> None:
    server = _Server(
        uvicorn.Config(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=DRAIN_S)
    )
    # uvicorn shuts down gracefully on SIGTERM, then raises it again: end with exit status 0 instead
    signal.signal(signal.SIGTERM, _exit_cleanly)
    server.run()
    if not server.started:
        raise SystemExit(STARTUP_FAILURE)


def _exit_cleanly(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)

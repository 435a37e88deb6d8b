"""The server's retention schedule: with MANTIS_RETENTION_DAYS set, ended runs older than that are
pruned (store rows and artifacts together) at start and every MANTIS_PRUNE_INTERVAL_S after."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from starlette.concurrency import run_in_threadpool

from mantis.services import Services
from mantis.store.db import session_factory
from mantis.store.retention import Retention

log = logging.getLogger(__name__)


class Pruner:
    def __init__(self, services: Services) -> None:
        settings = services.settings
        self._keep = timedelta(days=settings.retention_days)
        self._interval_s = settings.prune_interval_s
        self._retention = Retention(session_factory(services.engine), settings.runs_dir)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._keep > timedelta(0):
            self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            try:
                pruned = await run_in_threadpool(self._retention.prune, datetime.now(UTC) - self._keep)
            except Exception:  # a store that is down now may be up at the next round
                log.exception("pruning old runs failed; trying again in %.0f s", self._interval_s)
            else:
                if pruned.runs or pruned.replays:
                    log.info(
                        "pruned %d runs (%d bytes) and %d replay records older than %s",
                        pruned.runs,
                        pruned.bytes,
                        pruned.replays,
                        self._keep,
                    )
            await asyncio.sleep(self._interval_s)

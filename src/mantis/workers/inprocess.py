"""The embedded executor: a pool of asyncio workers in the server process, fed by the run store."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket

from mantis.services import Services
from mantis.store.models import Run
from mantis.webhooks import enqueue_for_run, enqueue_for_run_blocking
from mantis.workers.job import run_job, write_status

log = logging.getLogger("mantis.workers")

IDLE_POLL_S = 1.0


class InProcessExecutor:
    def __init__(self, services: Services, workers: int) -> None:
        self._services = services
        self._size = max(workers, 1)
        self._wake = asyncio.Event()
        self._stopping = False
        self._pool: list[asyncio.Task[None]] = []
        self._running: dict[str, asyncio.Task[object]] = {}
        self._worker_id = f"{socket.gethostname()}:{os.getpid()}"

    async def start(self) -> None:
        await asyncio.to_thread(self._settle_orphans)
        self._pool = [
            asyncio.create_task(self._work(i), name=f"mantis-worker-{i}") for i in range(self._size)
        ]

    def _settle_orphans(self) -> None:
        """Runs left `running` by a dead process end `worker_lost` rather than stay running forever."""
        runs = self._services.runs
        for run in runs.orphans():
            runs.finish(
                run.id,
                "failed",
                error_code="worker_lost",
                error_message="the worker running this run stopped before it ended",
                summary="Failed (worker_lost): the worker running this run stopped before it ended",
            )
            write_status(self._services, run.id)
            enqueue_for_run_blocking(self._services, run.id)

    async def submit(self, run_id: str) -> None:
        self._wake.set()

    async def cancel(self, run_id: str) -> None:
        job = self._running.get(run_id)
        if job is not None:
            job.cancel()

    async def stop(self, grace_s: float) -> None:
        self._stopping = True
        self._wake.set()
        if self._running:
            await asyncio.wait(list(self._running.values()), timeout=grace_s)
        for run_id, job in list(self._running.items()):
            await asyncio.to_thread(self._services.runs.requeue, run_id)
            job.cancel()
        for task in self._pool:
            task.cancel()
        for task in self._pool:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _work(self, index: int) -> None:
        worker_id = f"{self._worker_id}/{index}"
        while not self._stopping:
            run = await asyncio.to_thread(self._services.runs.claim_next, worker_id)
            if run is None:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_POLL_S)
                continue
            await self._execute(run)

    async def _execute(self, run: Run) -> None:
        job: asyncio.Task[object] = asyncio.create_task(run_job(run, self._services), name=f"run-{run.id}")
        self._running[run.id] = job
        try:
            await asyncio.shield(job)
        except asyncio.CancelledError:
            if not job.done():
                raise
            await asyncio.to_thread(self._services.runs.finish, run.id, "cancelled", summary="Cancelled")
            await enqueue_for_run(self._services, run.id)
        except Exception:
            log.exception("run %s failed outside the runner", run.id)
        finally:
            self._running.pop(run.id, None)

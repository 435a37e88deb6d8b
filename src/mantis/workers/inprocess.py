"""The embedded executor: a pool of asyncio workers in the server process, fed by the run store.

The workers run on a thread and event loop of their own (`workers.loops`), and the browsers they start
at a lower CPU priority, so a run's work never queues in front of an API request; the methods below are
called on the API's loop and hand their work across.

Beside the pool, a watcher heartbeats this process's running runs, stops those whose cancellation was
asked for (through any process), and settles runs whose holder died. On stop, running runs get a grace
period; those still going are put back in the queue for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from typing import TYPE_CHECKING

from mantis.runner.run import REQUEUED
from mantis.store.models import Run
from mantis.store.runs import now
from mantis.workers.job import cancel_queued, end_outside_runner, note, run_job, write_status
from mantis.workers.liveness import is_lost, process_id
from mantis.workers.loops import RUNNER_NICE, RunnerLoop
from mantis.workers.priority import SessionLowering
from mantis.workers.recovery import reap_dead_sessions, recover

if TYPE_CHECKING:
    from mantis.services import Services

log = logging.getLogger("mantis.workers")

IDLE_POLL_S = 1.0
HEARTBEAT_S = 1.0
SETTLE_EVERY = 15  # heartbeats between two looks for runs whose holder died
WIND_DOWN_S = 10.0  # for stopped runs to close their browser sessions


class InProcessExecutor:
    serves_live_viewer = True
    _services: Services

    def __init__(self, workers: int) -> None:
        self._size = max(workers, 1)
        self._wake = asyncio.Event()
        self._stopping = False
        self._pool: list[asyncio.Task[None]] = []
        self._watcher: asyncio.Task[None] | None = None
        self._running: dict[str, tuple[asyncio.Task[object], str]] = {}
        self._cancelled: set[str] = set()
        self._requeued: set[str] = set()
        self._process = process_id()
        self._loop: asyncio.AbstractEventLoop | None = None  # the runners' loop, once started
        self._home: asyncio.AbstractEventLoop | None = None  # the API's loop
        self._runner: RunnerLoop | None = None
        self._lowering = SessionLowering(os.getpid(), RUNNER_NICE)
        self._looked = 0.0  # when an idle worker last looked at the store (time.monotonic)

    async def start(self, services: Services) -> None:
        self._services = services
        self._home = asyncio.get_running_loop()
        self._runner = RunnerLoop("mantis-runners")
        self._runner.start()
        await self._runner.run(self._begin())

    async def _begin(self) -> None:
        self._loop = asyncio.get_running_loop()
        await reap_dead_sessions(self._services)
        await self._settle_lost()
        self._pool = [
            asyncio.create_task(self._work(i), name=f"mantis-worker-{i}") for i in range(self._size)
        ]
        self._watcher = asyncio.create_task(self._watch(), name="mantis-run-watcher")

    async def submit(self, run_id: str) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def cancel(self, run_id: str) -> None:
        """A queued run ends here; a running one is flagged in the store, for whichever process holds it."""
        if self._runner is not None:
            await self._runner.run(self._cancel(run_id))

    async def _cancel(self, run_id: str) -> None:
        if await cancel_queued(self._services, run_id):
            return
        await asyncio.to_thread(self._services.runs.request_cancel, run_id)
        await self._stop_run(run_id)

    async def _stop_run(self, run_id: str) -> None:
        """Stops a run of this process once; the runner keeps its rows and ends it `cancelled`."""
        held = self._running.get(run_id)
        if held is not None and run_id not in self._cancelled:
            self._cancelled.add(run_id)
            held[0].cancel()

    def stop_claiming(self) -> None:
        """Workers take no new run; those running go on. Thread- and signal-safe."""
        self._stopping = True
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def stop(self, grace_s: float) -> None:
        if self._runner is not None:
            await self._runner.run(self._wind_down(grace_s))
            await self._runner.stop()

    async def _wind_down(self, grace_s: float) -> None:
        self.stop_claiming()
        if self._pool:
            await asyncio.wait(self._pool, timeout=grace_s)
        for run_id, (job, worker_id) in list(self._running.items()):
            if await asyncio.to_thread(self._services.runs.requeue, run_id, worker_id):
                self._requeued.add(run_id)
                job.cancel(REQUEUED)  # the runner leaves it unended: it goes on from its checkpoint
            else:
                await self._stop_run(run_id)
        if self._pool:
            await asyncio.wait(self._pool, timeout=WIND_DOWN_S)
        tasks = [*self._pool, *([self._watcher] if self._watcher else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._services.close_planes()  # on this loop, where their sessions live

    async def _work(self, index: int) -> None:
        worker_id = f"{self._process}/{index}"
        runs = self._services.runs
        while not self._stopping:
            try:
                run = await asyncio.to_thread(runs.claim_next, worker_id)
                if run is None:
                    await self._idle()
                elif self._stopping:  # claimed as the server began to stop
                    await asyncio.to_thread(runs.requeue, run.id, worker_id)
                else:
                    self._wake.set()  # the others look too: more may be queued
                    await self._execute(run, worker_id)
            except Exception:  # the store is down: the worker stays, and tries again
                log.exception("worker %s failed; trying again in %s s", worker_id, IDLE_POLL_S)
                await asyncio.sleep(IDLE_POLL_S)

    async def _idle(self) -> None:
        """Until a submission wakes the pool, or it is time to look at the store for runs that other
        processes queued. The pool looks once per IDLE_POLL_S, not each idle worker: each look builds
        the scheduling query (10-20 ms of CPU on this 2-core machine, most of the server's idle CPU
        with four workers, bench/README.md); a look that claims a run wakes the others, in case
        there are more."""
        self._wake.clear()
        while True:
            due = self._looked + IDLE_POLL_S - time.monotonic()
            if due <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), due)
                return
        self._looked = time.monotonic()

    async def _execute(self, run: Run, worker_id: str) -> None:
        job: asyncio.Task[object] = asyncio.create_task(
            run_job(run, self._services, self._home), name=f"run-{run.id}"
        )
        self._running[run.id] = (job, worker_id)
        try:
            await asyncio.wait([job])
            if run.id in self._requeued:
                await asyncio.to_thread(self._note_requeued, run.id)
            else:
                await end_outside_runner(self._services, run.id, job, worker_id)
        finally:
            self._running.pop(run.id, None)
            self._cancelled.discard(run.id)
            self._requeued.discard(run.id)

    def _note_requeued(self, run_id: str) -> None:
        message = (
            "the server stopped before this run ended; it is back in the queue and goes on from its "
            "last checkpoint"
        )
        note(self._services, run_id, "run.requeued", message, level="warning")
        write_status(self._services, run_id)

    async def _watch(self) -> None:
        beats = 0
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            beats += 1
            try:
                asked = await asyncio.to_thread(self._services.runs.heartbeat, list(self._running))
                for run_id in asked:
                    await self._stop_run(run_id)
                if self._running:  # their browsers started since the last beat
                    await asyncio.to_thread(self._lowering.step)
                if beats % SETTLE_EVERY == 0:
                    await self._settle_lost()
            except Exception:
                log.exception("the run watcher failed; trying again")

    async def _settle_lost(self) -> None:
        """Runs whose holder died go on from their checkpoint or end `worker_lost`, never stay running."""
        claims = await asyncio.to_thread(self._services.runs.claims)
        stamp = now()
        for claim in claims:
            if claim.run_id not in self._running and is_lost(claim, stamp):
                await recover(self._services, claim)

"""The workers' side of a run's workflow: take the run, run it with heartbeats, and settle what is left.

The run activity claims the run in the run store (atomically, across every worker: per-tenant limits
and one run per profile hold wherever it runs), then runs the same job as the in-process executor. A
later attempt of the activity (its worker was lost) takes the run over from the lost holder.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from temporalio import activity
from temporalio.exceptions import ApplicationError

from mantis.runner.run import REQUEUED
from mantis.store.runs import FINAL
from mantis.workers.inprocess import HEARTBEAT_S, WIND_DOWN_S
from mantis.workers.job import cancel_queued, conclude, end_outside_runner, note, run_job
from mantis.workers.liveness import process_id
from mantis.workers.recovery import LOST, end_lost
from mantis.workers.temporal.names import ENDED, RUN_ACTIVITY, SETTLE_ACTIVITY, WAITING, holder_prefix

if TYPE_CHECKING:
    from mantis.services import Services

log = logging.getLogger("mantis.workers")

RESUMED = f"{LOST}; another worker took it over and goes on from its last checkpoint"
HANDED_BACK = "released"  # the holder a shutting-down worker leaves, for the next attempt to take over


class _Once:
    """Calls `action` the first time it is called, and never again."""

    def __init__(self, action: Callable[[], object]) -> None:
        self._action: Callable[[], object] | None = action

    def __call__(self) -> None:
        action, self._action = self._action, None
        if action is not None:
            action()


class RunActivities:
    def __init__(self, services: Services) -> None:
        self._services = services

    @activity.defn(name=RUN_ACTIVITY)
    async def run(self, run_id: str) -> str:
        runs = self._services.runs
        holder = f"{holder_prefix(run_id)}{activity.info().attempt}:{process_id()}"
        claimed = await asyncio.to_thread(runs.claim, run_id, holder, holder_prefix(run_id))
        if claimed is None:
            current = await asyncio.to_thread(runs.get, run_id)
            return ENDED if current is None or current.status in FINAL else WAITING
        run, taken_over = claimed
        if taken_over:  # run_job goes on from the run's checkpoint
            await asyncio.to_thread(note, self._services, run_id, "run.auto_resumed", RESUMED, "warning")
        job: asyncio.Task[object] = asyncio.create_task(run_job(run, self._services), name=f"run-{run_id}")
        stop = _Once(job.cancel)  # a second cancel would cut the runner's own ending short
        beats = asyncio.create_task(self._beat(run_id, job, stop), name=f"beats-{run_id}")
        try:
            await asyncio.wait([job])
        except asyncio.CancelledError:  # through Temporal: the run was cancelled, or this worker stops
            shutting_down = activity.is_worker_shutdown()
            if shutting_down:  # the runner leaves the run unended, for the next worker to go on with
                await asyncio.to_thread(runs.hand_over, run_id, holder, holder_prefix(run_id) + HANDED_BACK)
                job.cancel(REQUEUED)
            else:
                stop()
            await asyncio.wait([job], timeout=WIND_DOWN_S)
            if shutting_down:
                raise ApplicationError("the worker stopped before the run ended; another takes it") from None
            if job.done():
                await end_outside_runner(self._services, run_id, job, holder)
            raise
        finally:
            beats.cancel()
        await end_outside_runner(self._services, run_id, job, holder)
        return ENDED

    async def _beat(self, run_id: str, job: asyncio.Task[object], stop: Callable[[], None]) -> None:
        """Tells Temporal and the run store the run is alive; stops it once the store flags a cancel."""
        while not job.done():
            activity.heartbeat()
            try:
                asked = await asyncio.to_thread(self._services.runs.heartbeat, [run_id])
            except Exception:
                log.exception("heartbeat of run %s failed; trying again", run_id)
            else:
                if asked:
                    stop()
                    return
            await asyncio.sleep(HEARTBEAT_S)

    @activity.defn(name=SETTLE_ACTIVITY)
    async def settle(self, run_id: str, cancelled: bool) -> str:
        """Ends a run its workflow leaves unended: cancelled before it started, or lost on every worker."""
        run = await asyncio.to_thread(self._services.runs.get, run_id)
        if run is None or run.status in FINAL:
            return run.status if run else ENDED
        if run.status == "queued":
            if not cancelled:  # the run activity kept failing before the run started: wait on
                return WAITING
            await cancel_queued(self._services, run_id)
        elif (run.worker_id or "").startswith(holder_prefix(run_id)):
            if cancelled:
                holder = run.worker_id
                await conclude(self._services, run_id, "cancelled", held_by=holder, summary="Cancelled")
            else:
                await end_lost(self._services, run)
        return ENDED

"""One run's workflow: start the run when the run store lets it, on whichever worker has room.

The browser work is one activity (`RUN_ACTIVITY`) that heartbeats while the run goes; a worker that dies
has the activity retried on another, which takes the run over and goes on from its checkpoint (as many
times as MANTIS_AUTO_RESUME allows; then the run ends `worker_lost` with its rows). Cancelling the
workflow cancels the activity, and the runner ends the run `cancelled` with its rows.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, CancelledError
from temporalio.workflow import ActivityCancellationType

with workflow.unsafe.imports_passed_through():
    from mantis.workers.temporal import names


@workflow.defn(name=names.WORKFLOW)
class RunWorkflow:
    @workflow.run
    async def run(self, job: names.RunInput) -> str:
        try:
            for _ in range(names.POLLS_PER_HISTORY):
                answer: str = await workflow.execute_activity(
                    names.RUN_ACTIVITY,
                    job.run_id,
                    result_type=str,
                    start_to_close_timeout=names.END_MARGIN + timedelta(seconds=job.max_seconds),
                    heartbeat_timeout=names.HEARTBEAT_TIMEOUT,
                    retry_policy=RetryPolicy(maximum_attempts=max(job.attempts, 1)),
                    cancellation_type=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
                )
                if answer != names.WAITING:
                    return answer
                await workflow.sleep(names.CLAIM_POLL)
        except asyncio.CancelledError:
            return await self._settle(job, cancelled=True)
        except ActivityError as exc:  # cancelled through Temporal, or every worker that took it was lost
            settled = await self._settle(job, cancelled=isinstance(exc.cause, CancelledError))
            if settled != names.WAITING:
                return settled
        workflow.continue_as_new(job)

    async def _settle(self, job: names.RunInput, cancelled: bool) -> str:
        settled: str = await workflow.execute_activity(
            names.SETTLE_ACTIVITY,
            args=[job.run_id, cancelled],
            result_type=str,
            start_to_close_timeout=timedelta(minutes=1),
        )
        return settled

"""`mantis worker`'s process: runs the workflows and activities of the task queue until SIGTERM or Ctrl-C.

On stop it takes no new run, gives running runs `MANTIS_SHUTDOWN_GRACE_S` to end, and hands the rest to
another worker (they start over there), as the in-process executor re-queues its own.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import timedelta

from temporalio.worker import Worker

from mantis.config import Settings
from mantis.services import Services
from mantis.workers.temporal.activities import RunActivities
from mantis.workers.temporal.client import connect
from mantis.workers.temporal.workflow import RunWorkflow

log = logging.getLogger("mantis.workers")

# Heartbeats reach Temporal at least this often, so a cancel gets to the run well within API.md's 5 s
# (the SDK's default would wait up to 80% of the heartbeat timeout).
HEARTBEAT_THROTTLE = timedelta(seconds=1)
# A dead worker's cached workflows move to the shared queue after this (the SDK's default is 10 s).
STICKY_TIMEOUT = timedelta(seconds=3)


async def run_worker(settings: Settings) -> None:
    services = Services(settings)
    client = await connect(settings.temporal)
    activities = RunActivities(services)
    worker = Worker(
        client,
        task_queue=settings.temporal.task_queue,
        workflows=[RunWorkflow],
        activities=[activities.run, activities.settle],
        max_concurrent_activities=max(settings.workers, 1),
        max_heartbeat_throttle_interval=HEARTBEAT_THROTTLE,
        default_heartbeat_throttle_interval=HEARTBEAT_THROTTLE,
        sticky_queue_schedule_to_start_timeout=STICKY_TIMEOUT,
        # a run goes to whichever worker polls for it, not to the one that ran its workflow task
        disable_eager_activity_execution=True,
        graceful_shutdown_timeout=timedelta(seconds=settings.shutdown_grace_s),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info(
        "worker on %s, namespace %s, task queue %s: %d runs at once",
        settings.temporal.address,
        settings.temporal.namespace,
        settings.temporal.task_queue,
        max(settings.workers, 1),
    )
    try:
        async with worker:
            await stop.wait()
            log.info("stopping: no new runs; running ones have %s s", settings.shutdown_grace_s)
    finally:
        await services.close()

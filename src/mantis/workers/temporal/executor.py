"""The API's half of the Temporal executor: a workflow a run, started on submit, cancelled on cancel.

This process starts no browser: the runs go to `mantis worker` processes on the task queue. On start it
(re)starts the workflow of every unfinished run, so a run stored while the API was going down still runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from mantis.config import TemporalSettings
from mantis.workers.job import cancel_queued
from mantis.workers.temporal.client import connect
from mantis.workers.temporal.names import WORKFLOW, RunInput, workflow_id

if TYPE_CHECKING:
    from mantis.services import Services

log = logging.getLogger("mantis.workers")


class TemporalExecutor:
    serves_live_viewer = False  # the viewer would be on a worker, not behind this API
    _services: Services
    _client: Client

    def __init__(self, settings: TemporalSettings) -> None:
        self._settings = settings

    async def start(self, services: Services) -> None:
        self._services = services
        self._client = await connect(self._settings)
        for run_id in await asyncio.to_thread(services.runs.unfinished):
            await self.submit(run_id)

    async def submit(self, run_id: str) -> None:
        run = await asyncio.to_thread(self._services.runs.get, run_id)
        if run is None:
            return
        max_seconds = float(run.effective.get("max_time_minutes") or 0) * 60
        job = RunInput(run_id, max_seconds, self._services.settings.auto_resume + 1)
        # a workflow that failed may be started again; one running or ended stays the only one
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await self._client.start_workflow(
                WORKFLOW,
                job,
                id=workflow_id(run_id),
                task_queue=self._settings.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            )

    async def cancel(self, run_id: str) -> None:
        """A queued run ends here; a running one is flagged in the store and its workflow cancelled."""
        if not await cancel_queued(self._services, run_id):
            await asyncio.to_thread(self._services.runs.request_cancel, run_id)
        handle: WorkflowHandle[object, object] = self._client.get_workflow_handle(workflow_id(run_id))
        try:
            await handle.cancel()
        except RPCError as exc:  # ended already, or never started: the store's flag still stops it
            log.info("cancel of run %s through Temporal: %s", run_id, exc)

    def stop_claiming(self) -> None:
        """Nothing to stop: this process claims no run, the workers do."""

    async def stop(self, grace_s: float) -> None:
        """Nothing to wind down: the runs go on on the workers while this API is away."""

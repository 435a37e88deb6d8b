"""What becomes of a run whose worker died: back in the queue to go on from its checkpoint (up to
MANTIS_AUTO_RESUME times), else ended `failed` with `worker_lost`, keeping the rows its checkpoint holds."""

from __future__ import annotations

import asyncio
import logging

from mantis.planes.ledger import reap
from mantis.runner import checkpoint
from mantis.runner.run import Outcome, conclude_run
from mantis.services import Services
from mantis.store.models import Run
from mantis.store.runs import Claim
from mantis.workers.job import context_for, note, record_end
from mantis.workers.liveness import process_gone
from mantis.workers.writer import StoreWriter

log = logging.getLogger("mantis.workers")
LOST = "the worker running this run stopped before it ended"


async def recover(services: Services, claim: Claim) -> None:
    run = await asyncio.to_thread(services.runs.get, claim.run_id)
    if run is None or run.status != "running":
        return
    stored = await asyncio.to_thread(services.checkpoints.of_run, run.id)
    done = stored.state["position"]["pc"] if stored is not None else None
    if run.auto_resumes < services.settings.auto_resume:
        if await asyncio.to_thread(services.runs.requeue, run.id, claim.worker_id, lost=True):
            where = f"from its checkpoint (step {done})" if done is not None else "from its first step"
            message = f"{LOST}; it is back in the queue and goes on {where}"
            await asyncio.to_thread(note, services, run.id, "run.auto_resumed", message, "warning")
        return
    await end_lost(services, run)


async def end_lost(services: Services, run: Run) -> None:
    """Ends a run no worker will go on with: `failed`, `worker_lost`, with the rows of its checkpoint."""
    stored = await asyncio.to_thread(services.checkpoints.of_run, run.id)
    writer = StoreWriter(run.id)
    ctx = context_for(run, services, writer)
    if stored is not None and checkpoint.usable(stored.state):
        checkpoint.restore(ctx, stored.state)
    outcome = conclude_run(ctx, Outcome("failed", "", "worker_lost", LOST))
    await record_end(services, run, outcome, writer)


async def reap_dead_sessions(services: Services) -> int:
    """Ends the browser, display and recorder processes of sessions whose server died, and removes
    their scratch folders, from what the ledger recorded; returns how many sessions it ended."""
    ended = 0
    for path, entry in await asyncio.to_thread(services.ledger.entries):
        if not process_gone(entry.owner):
            continue
        log.warning("ending session %s of dead server %s", entry.tag, entry.owner)
        await reap(entry)
        path.unlink(missing_ok=True)
        ended += 1
    return ended

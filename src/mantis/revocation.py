"""Revoking a tenant stops it everywhere, from any process on the run store (the operator's command line
while servers run): its tokens stop at once, its queued runs end `cancelled`, and its running runs are
flagged so that whichever process holds each one stops it on its next heartbeat."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from mantis.services import Services
from mantis.workers.job import conclude, note

SUMMARY = "Cancelled: its tenant was revoked"


@dataclass(frozen=True)
class Revoked:
    cancelled: int  # queued runs ended here
    stopping: int  # running runs asked to stop


async def revoke_tenant(services: Services, tenant_id: str) -> Revoked:
    await asyncio.to_thread(services.tenants.revoke, tenant_id)
    cancelled = stopping = 0
    for run_id, status in await asyncio.to_thread(services.runs.active_ids, tenant_id):
        if status == "queued" and await conclude(
            services, run_id, "cancelled", from_status="queued", summary=SUMMARY
        ):
            cancelled += 1
            continue
        # running, or claimed since it was listed: its holder's heartbeat picks the flag up
        await asyncio.to_thread(services.runs.request_cancel, run_id)
        await asyncio.to_thread(note, services, run_id, "run.cancel_requested", "its tenant was revoked")
        stopping += 1
    return Revoked(cancelled, stopping)

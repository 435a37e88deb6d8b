"""Checkpoints in the run store: one row per run, the newest of a workflow is what `resume_state` takes.

A checkpoint is written with the event that ends its step, in one transaction, so the log and the
checkpoint never disagree about which steps are done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from mantis.store.models import RunCheckpoint, RunEvent
from mantis.store.views import aware


@dataclass(frozen=True)
class Stored:
    """A checkpoint as read back: whose it is, the plan it belongs to, and the runner's state."""

    run_id: str
    workflow_id: str | None
    fingerprint: str
    state: dict[str, Any]
    updated_at: datetime


class CheckpointStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def save(
        self,
        run_id: str,
        tenant_id: str,
        workflow_id: str | None,
        fingerprint: str,
        state: dict[str, Any],
        event: RunEvent | None,
        stamp: datetime,
    ) -> None:
        """Replaces the run's checkpoint (and, for a workflow, every older run's one) with `state`."""
        with self._sessions.begin() as session:
            if event is not None:
                session.add(event)
            if workflow_id is not None:
                session.execute(
                    delete(RunCheckpoint).where(
                        RunCheckpoint.tenant_id == tenant_id,
                        RunCheckpoint.workflow_id == workflow_id,
                        RunCheckpoint.run_id != run_id,
                    )
                )
            row = session.get(RunCheckpoint, run_id)
            if row is None:
                session.add(
                    RunCheckpoint(
                        run_id=run_id,
                        tenant_id=tenant_id,
                        workflow_id=workflow_id,
                        fingerprint=fingerprint,
                        state=state,
                        updated_at=stamp,
                    )
                )
            else:
                row.fingerprint, row.state, row.updated_at = fingerprint, state, stamp

    def of_run(self, run_id: str) -> Stored | None:
        with self._sessions() as session:
            return _stored(session.get(RunCheckpoint, run_id))

    def of_workflow(self, tenant_id: str, workflow_id: str) -> Stored | None:
        """The workflow's newest checkpoint, of whichever of the tenant's runs wrote it."""
        with self._sessions() as session:
            row = session.scalar(
                select(RunCheckpoint)
                .where(RunCheckpoint.tenant_id == tenant_id, RunCheckpoint.workflow_id == workflow_id)
                .order_by(RunCheckpoint.updated_at.desc())
                .limit(1)
            )
            return _stored(row)

    def drop(self, run_id: str) -> None:
        """A run without a workflow ended: its checkpoint was only there for a crash."""
        with self._sessions.begin() as session:
            session.execute(delete(RunCheckpoint).where(RunCheckpoint.run_id == run_id))


def _stored(row: RunCheckpoint | None) -> Stored | None:
    if row is None:
        return None
    return Stored(row.run_id, row.workflow_id, row.fingerprint, dict(row.state), aware(row.updated_at))

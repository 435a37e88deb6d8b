"""Checkpoints in the run store: one row per run, the newest of a workflow is what `resume_state` takes.

A checkpoint is written with the event that ends its step, in one transaction, so the log and the
checkpoint never disagree about which steps are done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from mantis.store.models import RunCheckpoint, RunEvent
from mantis.store.runs import EVENTS, event_row
from mantis.store.views import aware

CHECKPOINTS = cast(Table, RunCheckpoint.__table__)  # for Core statements


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
        """Replaces the run's checkpoint (and, for a workflow, every older run's one) with `state`.
        Written after every step, so as Core statements: an update, and an insert only for the run's
        first checkpoint (the ORM's get, flush and unit of work cost about twice the CPU)."""
        with self._sessions.begin() as session:
            if event is not None:
                session.execute(insert(EVENTS), [event_row(event)])
            if workflow_id is not None:
                session.execute(
                    delete(CHECKPOINTS).where(
                        CHECKPOINTS.c.tenant_id == tenant_id,
                        CHECKPOINTS.c.workflow_id == workflow_id,
                        CHECKPOINTS.c.run_id != run_id,
                    )
                )
            values = {"fingerprint": fingerprint, "state": state, "updated_at": stamp}
            done = session.execute(update(CHECKPOINTS).where(CHECKPOINTS.c.run_id == run_id).values(values))
            if not done.rowcount:  # type: ignore[attr-defined]
                row = {"run_id": run_id, "tenant_id": tenant_id, "workflow_id": workflow_id, **values}
                session.execute(insert(CHECKPOINTS), [row])

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

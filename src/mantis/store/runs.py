"""Runs, their queue and their event log, kept in the database so that no restart loses one."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from mantis.store.models import Run, RunEvent, Tenant

FINAL = frozenset({"succeeded", "failed", "cancelled"})


def now() -> datetime:
    return datetime.now(UTC)


class RunStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def create(self, run: Run) -> tuple[Run, bool]:
        """Inserts a run; with an idempotency key already used, returns the first run and False."""
        try:
            with self._sessions.begin() as session:
                session.add(run)
            return run, True
        except IntegrityError:
            if run.idempotency_key is None:
                raise
            existing = self.by_idempotency_key(run.tenant_id, run.idempotency_key)
            if existing is None:
                raise
            return existing, False

    def by_idempotency_key(self, tenant_id: str, key: str) -> Run | None:
        with self._sessions() as session:
            return session.scalar(select(Run).where(Run.tenant_id == tenant_id, Run.idempotency_key == key))

    def release_idempotency_key(self, run_id: str) -> None:
        """Frees a key whose 24-hour window has passed, so a new run may take it."""
        with self._sessions.begin() as session:
            session.execute(update(Run).where(Run.id == run_id).values(idempotency_key=None))

    def get(self, run_id: str, tenant_id: str | None = None) -> Run | None:
        with self._sessions() as session:
            run = session.get(Run, run_id)
            if run is None or (tenant_id is not None and run.tenant_id != tenant_id):
                return None
            return run

    def page(self, tenant_id: str, status: str | None, limit: int, before: datetime | None) -> list[Run]:
        query = select(Run).where(Run.tenant_id == tenant_id)
        if status:
            query = query.where(Run.status == status)
        if before is not None:
            query = query.where(Run.created_at < before)
        with self._sessions() as session:
            return list(session.scalars(query.order_by(Run.created_at.desc(), Run.id.desc()).limit(limit)))

    def queued_count(self) -> int:
        with self._sessions() as session:
            return len(session.scalars(select(Run.id).where(Run.status == "queued")).all())

    def claim_next(self, worker_id: str) -> Run | None:
        """Takes the oldest queued run whose tenant has room and whose profile is not in use."""
        with self._sessions.begin() as session:
            running = session.execute(
                select(Run.tenant_id, Run.profile_id).where(Run.status == "running")
            ).all()
            per_tenant = Counter(tenant for tenant, _ in running)
            busy_profiles = {(tenant, profile) for tenant, profile in running if profile}
            limits = dict(session.execute(select(Tenant.id, Tenant.max_concurrent_runs)).tuples().all())
            queued = session.scalars(
                select(Run).where(Run.status == "queued").order_by(Run.created_at, Run.id).limit(500)
            ).all()
            for run in queued:
                limit = limits.get(run.tenant_id)
                if limit is not None and per_tenant[run.tenant_id] >= limit:
                    continue
                if run.profile_id and (run.tenant_id, run.profile_id) in busy_profiles:
                    continue
                stamp = now()
                claimed = session.execute(
                    update(Run)
                    .where(Run.id == run.id, Run.status == "queued")
                    .values(status="running", started_at=stamp, worker_id=worker_id, heartbeat_at=stamp)
                )
                if claimed.rowcount == 1:  # type: ignore[attr-defined]
                    session.refresh(run)
                    return run
        return None

    def progress(self, run_id: str, **fields: Any) -> None:
        with self._sessions.begin() as session:
            session.execute(update(Run).where(Run.id == run_id).values(heartbeat_at=now(), **fields))

    def finish(self, run_id: str, status: str, from_status: str = "running", **fields: Any) -> bool:
        """Ends a run that is still in `from_status`; any other run stays as it was."""
        with self._sessions.begin() as session:
            done = session.execute(
                update(Run)
                .where(Run.id == run_id, Run.status == from_status)
                .values(status=status, finished_at=now(), **fields)
            )
            return bool(done.rowcount)  # type: ignore[attr-defined]

    def requeue(self, run_id: str) -> None:
        """Puts a running run back in the queue, for a worker that stops before the run ends."""
        with self._sessions.begin() as session:
            session.execute(
                update(Run)
                .where(Run.id == run_id, Run.status == "running")
                .values(status="queued", started_at=None, worker_id=None)
            )

    def request_cancel(self, run_id: str) -> None:
        with self._sessions.begin() as session:
            session.execute(update(Run).where(Run.id == run_id).values(cancel_requested=True))

    def orphans(self) -> list[Run]:
        """Runs marked running whose worker is gone (called at start, before any worker runs)."""
        with self._sessions() as session:
            return list(session.scalars(select(Run).where(Run.status == "running")))

    def add_event(self, event: RunEvent) -> RunEvent:
        with self._sessions.begin() as session:
            session.add(event)
        return event

    def events(self, run_id: str, after: int, limit: int) -> list[RunEvent]:
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(RunEvent)
                    .where(RunEvent.run_id == run_id, RunEvent.id > after)
                    .order_by(RunEvent.id)
                    .limit(limit)
                )
            )

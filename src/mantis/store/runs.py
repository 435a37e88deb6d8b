"""Runs, their queue and their event log, kept in the database so that no restart loses one.

A claimed run carries the `worker_id` of the worker that took it: a worker's later writes (progress, its
end) apply only while it still holds the run, so a run put back in the queue and taken by another
process is never overwritten by the worker that let it go.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from mantis import metrics
from mantis.store.db import CLAIM_LOCK, exclusive
from mantis.store.models import Run, RunEvent
from mantis.store.queue import next_claimable
from mantis.store.views import aware

FINAL = frozenset({"succeeded", "failed", "cancelled"})
RUNS, EVENTS = cast(Table, Run.__table__), cast(Table, RunEvent.__table__)  # for Core statements


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Claim:
    """Who holds a running run, and when it last said it was alive."""

    run_id: str
    worker_id: str | None
    heartbeat_at: datetime | None


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

    def active_ids(self, tenant_id: str) -> list[tuple[str, str]]:
        """The tenant's queued and running runs, as (run_id, status), oldest first."""
        with self._sessions() as session:
            rows = session.execute(
                select(Run.id, Run.status)
                .where(Run.tenant_id == tenant_id, Run.status.in_(("queued", "running")))
                .order_by(Run.created_at)
            ).tuples()
            return list(rows.all())

    def active_counts(self) -> Counter[str]:
        """How many runs are `queued` and `running`, store-wide."""
        with self._sessions() as session:
            rows = session.execute(
                select(Run.status, func.count())
                .where(Run.status.in_(("queued", "running")))
                .group_by(Run.status)
            ).tuples()
            return Counter(dict(rows.all()))

    def claim_next(self, worker_id: str) -> Run | None:
        """Takes the oldest queued run whose tenant has room and whose profile is not in use.

        Claims are serialized across every process on the database, so two workers never both take the
        last free slot of a tenant or a profile.
        """
        with exclusive(self._sessions, CLAIM_LOCK) as session:
            run_id = next_claimable(session)
            if run_id is None:
                return None
            stamp = now()
            session.execute(
                update(Run)
                .where(Run.id == run_id)
                .values(status="running", started_at=stamp, worker_id=worker_id, heartbeat_at=stamp)
            )
            return session.get(Run, run_id)

    def claim(self, run_id: str, worker_id: str, taking_over: str) -> tuple[Run, bool] | None:
        """Takes one named run: a queued one if its tenant has room and its profile is free (as
        `claim_next` would), or a running one whose holder's id starts with `taking_over` (a worker that
        was lost). Returns the run and whether it was taken over, or None when neither applies."""
        with exclusive(self._sessions, CLAIM_LOCK) as session:
            run = session.get(Run, run_id)
            if run is None:
                return None
            stamp = now()
            held = {"worker_id": worker_id, "heartbeat_at": stamp}
            if run.status == "running" and (run.worker_id or "").startswith(taking_over):
                taken_over = True
            elif run.status == "queued" and next_claimable(session, only=run_id) == run_id:
                held.update(status="running", started_at=stamp)
                taken_over = False
            else:
                return None
            # an end recorded meanwhile (finish takes no claim lock) leaves the run as it is
            done = session.execute(
                update(Run).where(Run.id == run_id, Run.status == run.status).values(**held)
            )
            if not done.rowcount:  # type: ignore[attr-defined]
                return None
            session.refresh(run)
            return run, taken_over

    def progress(self, run_id: str, held_by: str | None, **fields: Any) -> None:
        """A running run's step, intent and spending. Written at every step, so as a Core statement on
        the table (the ORM's bulk update costs about 2.5x the CPU, bench/README.md), which the ORM
        never reads back from a session of its own."""
        with self._sessions.begin() as session:
            session.execute(
                update(RUNS)
                .where(RUNS.c.id == run_id, RUNS.c.worker_id == held_by, RUNS.c.status == "running")
                .values(heartbeat_at=now(), **fields)
            )

    def finish(
        self,
        run_id: str,
        status: str,
        from_status: str = "running",
        held_by: str | None = None,
        **fields: Any,
    ) -> bool:
        """Ends a run that is still in `from_status` (and held by `held_by`, when given); any other run
        stays as it was. Returns whether this call ended it."""
        query = update(Run).where(Run.id == run_id, Run.status == from_status)
        if held_by is not None:
            query = query.where(Run.worker_id == held_by)
        stamp = now()
        with self._sessions.begin() as session:
            ended = session.execute(
                query.values(status=status, finished_at=stamp, **fields).returning(Run.started_at)
            ).first()
        if ended is None:
            return False
        started = ended.started_at
        metrics.run_finished(status, aware(started) if started else None, stamp)
        return True

    def requeue(self, run_id: str, held_by: str | None, *, lost: bool = False) -> bool:
        """Puts a running run back in the queue, for a worker that stops before the run ends, or (`lost`)
        for one that died; those count against MANTIS_AUTO_RESUME."""
        holder = Run.worker_id.is_(None) if held_by is None else Run.worker_id == held_by
        with self._sessions.begin() as session:
            done = session.execute(
                update(Run)
                .where(Run.id == run_id, Run.status == "running", holder)
                .values(
                    status="queued",
                    started_at=None,
                    worker_id=None,
                    heartbeat_at=None,
                    step_index=0,
                    current_intent=None,
                    auto_resumes=Run.auto_resumes + int(lost),
                )
            )
            return bool(done.rowcount)  # type: ignore[attr-defined]

    def profile_in_use(self, tenant_id: str, profile_id: str) -> bool:
        with self._sessions() as session:
            busy = session.scalar(
                select(Run.id)
                .where(
                    Run.tenant_id == tenant_id,
                    Run.profile_id == profile_id,
                    Run.status.in_(("queued", "running")),
                )
                .limit(1)
            )
            return busy is not None

    def hand_over(self, run_id: str, held_by: str, to: str) -> bool:
        """Gives a running run to another holder id, for a worker that stops before the run ends and
        leaves it running for the next worker to take over."""
        with self._sessions.begin() as session:
            done = session.execute(
                update(Run)
                .where(Run.id == run_id, Run.status == "running", Run.worker_id == held_by)
                .values(worker_id=to)
            )
            return bool(done.rowcount)  # type: ignore[attr-defined]

    def unfinished(self) -> list[str]:
        """The ids of every queued and running run, oldest first."""
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(Run.id).where(Run.status.in_(("queued", "running"))).order_by(Run.created_at)
                )
            )

    def request_cancel(self, run_id: str) -> None:
        """Flags a running run; whichever process holds it notices on its next heartbeat."""
        with self._sessions.begin() as session:
            session.execute(update(Run).where(Run.id == run_id).values(cancel_requested=True))

    def heartbeat(self, run_ids: list[str]) -> list[str]:
        """Marks these running runs alive; returns those whose cancellation was asked for."""
        if not run_ids:
            return []
        with self._sessions.begin() as session:
            session.execute(
                update(Run).where(Run.id.in_(run_ids), Run.status == "running").values(heartbeat_at=now())
            )
            return list(
                session.scalars(
                    select(Run.id).where(
                        Run.id.in_(run_ids), Run.status == "running", Run.cancel_requested.is_(True)
                    )
                )
            )

    def claims(self) -> list[Claim]:
        """Every running run with its holder, for finding the ones whose worker died."""
        with self._sessions() as session:
            rows = session.execute(
                select(Run.id, Run.worker_id, Run.heartbeat_at).where(Run.status == "running")
            ).tuples()
            return [Claim(run_id, worker, aware(beat) if beat else None) for run_id, worker, beat in rows]

    def add_event(self, event: RunEvent) -> None:
        """One event of the log, inserted as a Core statement: the ORM's unit of work for one new row
        costs about 3.5x the CPU, at several events a step (bench/README.md)."""
        with self._sessions.begin() as session:
            session.execute(insert(EVENTS), [event_row(event)])

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


def event_row(event: RunEvent) -> dict[str, Any]:
    """An event's columns but its id (the database numbers it), for a Core insert."""
    return {column.key: getattr(event, column.key) for column in EVENTS.columns if column.key != "id"}

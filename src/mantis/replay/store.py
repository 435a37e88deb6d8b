"""Replay records in the run store: one per (tenant, plan fingerprint, step path, kind).

A run loads its plan's records once, when it starts (`load`), and writes what it learns as it goes
(`put`, `drop`); operators list and clear them. Every query names the tenant: a record is never read,
listed or cleared across tenants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from mantis.store.models import ReplayRecord
from mantis.store.views import aware

Key = tuple[str, str]  # (step path, kind)

# The most records one `replays` answer lists: a tenant with more is told how many there are.
LIST_LIMIT = 1000


@dataclass(frozen=True)
class Stored:
    """A record as operators see it."""

    fingerprint: str
    step: str
    kind: str
    data: dict[str, Any]
    run_id: str | None
    heals: int
    created_at: datetime
    updated_at: datetime


class ReplayStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def load(self, tenant_id: str, fingerprint: str) -> dict[Key, dict[str, Any]]:
        """Every record of the tenant's plan, by (step path, kind)."""
        query = select(ReplayRecord.step, ReplayRecord.kind, ReplayRecord.data).where(
            ReplayRecord.tenant_id == tenant_id, ReplayRecord.fingerprint == fingerprint
        )
        with self._sessions() as session:
            return {(step, kind): dict(data) for step, kind, data in session.execute(query)}

    def put(
        self,
        tenant_id: str,
        fingerprint: str,
        step: str,
        kind: str,
        data: dict[str, Any],
        run_id: str | None = None,
        healed: bool = False,
    ) -> None:
        """Writes the record, replacing the one of the same key; `healed` counts a replacement made
        because the old record no longer fitted the page."""
        stamp = datetime.now(UTC)
        for attempt in range(2):  # two runs learning the same step at once: the second insert updates
            try:
                with self._sessions.begin() as session:
                    row = session.scalar(_one(tenant_id, fingerprint, step, kind).with_for_update())
                    if row is None:
                        row = ReplayRecord(
                            tenant_id=tenant_id,
                            fingerprint=fingerprint,
                            step=step,
                            kind=kind,
                            heals=0,
                            created_at=stamp,
                        )
                        session.add(row)
                    else:
                        row.heals += int(healed)
                    row.data, row.run_id, row.updated_at = data, run_id, stamp
                return
            except IntegrityError:
                if attempt:
                    raise

    def drop(self, tenant_id: str, fingerprint: str, step: str, kind: str) -> None:
        with self._sessions.begin() as session:
            session.execute(
                delete(ReplayRecord).where(
                    ReplayRecord.tenant_id == tenant_id,
                    ReplayRecord.fingerprint == fingerprint,
                    ReplayRecord.step == step,
                    ReplayRecord.kind == kind,
                )
            )

    def list(self, tenant_id: str, fingerprint: str | None = None, limit: int = LIST_LIMIT) -> list[Stored]:
        """The tenant's newest `limit` records; only one plan's with `fingerprint` (`count` says how many
        there are in all, so a caller can say when the list is cut short)."""
        query = select(ReplayRecord).where(ReplayRecord.tenant_id == tenant_id)
        if fingerprint is not None:
            query = query.where(ReplayRecord.fingerprint == fingerprint)
        query = query.order_by(ReplayRecord.updated_at.desc(), ReplayRecord.id.desc()).limit(limit)
        with self._sessions() as session:
            return [_stored(row) for row in session.scalars(query)]

    def count(self, tenant_id: str, fingerprint: str | None = None) -> int:
        query = select(func.count()).select_from(ReplayRecord).where(ReplayRecord.tenant_id == tenant_id)
        if fingerprint is not None:
            query = query.where(ReplayRecord.fingerprint == fingerprint)
        with self._sessions() as session:
            return int(session.scalar(query) or 0)

    def fingerprints(self, tenant_id: str, prefix: str) -> tuple[str, ...]:
        """The tenant's plans with records whose fingerprint starts with `prefix`, taken literally: `%`
        and `_` are LIKE's wildcards, and a prefix of `%` would otherwise name every plan."""
        query = (
            select(ReplayRecord.fingerprint)
            .where(
                ReplayRecord.tenant_id == tenant_id,
                ReplayRecord.fingerprint.startswith(prefix, autoescape=True),
            )
            .distinct()
            .order_by(ReplayRecord.fingerprint)
        )
        with self._sessions() as session:
            return tuple(session.scalars(query))

    def clear(self, tenant_id: str, fingerprint: str | None = None) -> int:
        """Deletes the tenant's records (only one plan's with `fingerprint`); returns how many."""
        query = delete(ReplayRecord).where(ReplayRecord.tenant_id == tenant_id)
        if fingerprint is not None:
            query = query.where(ReplayRecord.fingerprint == fingerprint)
        with self._sessions.begin() as session:
            return int(session.execute(query).rowcount or 0)  # type: ignore[attr-defined]


def _one(tenant_id: str, fingerprint: str, step: str, kind: str) -> Any:
    return select(ReplayRecord).where(
        ReplayRecord.tenant_id == tenant_id,
        ReplayRecord.fingerprint == fingerprint,
        ReplayRecord.step == step,
        ReplayRecord.kind == kind,
    )


def _stored(row: ReplayRecord) -> Stored:
    return Stored(
        row.fingerprint,
        row.step,
        row.kind,
        dict(row.data),
        row.run_id,
        row.heals,
        aware(row.created_at),
        aware(row.updated_at),
    )

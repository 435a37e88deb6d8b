"""Retention: ended runs older than a cutoff go, their rows in the store (the run, its log, its webhook
delivery, its checkpoint) and their folder of artifacts together, so nothing is left that points at a
missing other half. Runs still queued or running are never touched. Replay records that no run wrote
since the cutoff go too: without that a tenant's records grow with every plan it ever ran (a new
`plan_text` is a new plan); a stable plan whose records go relearns each step once, with one model call."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from mantis.store.models import ReplayRecord, Run, RunCheckpoint, RunEvent
from mantis.store.runs import FINAL
from mantis.webhooks.models import WebhookDelivery

BATCH = 500  # runs deleted per transaction: short enough not to hold the store's writers up for long
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
AGE = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")


def parse_age(text: str) -> timedelta:
    """`7d`, `12h`, `30m`, `2w`, `90s`: a positive age; ValueError otherwise."""
    match = AGE.fullmatch(text.strip().lower())
    if match is None or float(match.group(1)) <= 0:
        raise ValueError(f"{text!r} is not an age such as 7d, 12h or 30m")
    return timedelta(seconds=float(match.group(1)) * UNITS[match.group(2)])


@dataclass(frozen=True)
class Pruned:
    runs: int
    bytes: int
    replays: int = 0  # replay records last written before the cutoff


class Retention:
    def __init__(self, sessions: sessionmaker[Session], runs_dir: Path) -> None:
        self._sessions = sessions
        self._runs_dir = runs_dir

    def expired(self, before: datetime, limit: int | None = BATCH) -> list[str]:
        """Ended runs that ended (or, lacking an end, were made) before the cutoff, oldest first."""
        ended = func.coalesce(Run.finished_at, Run.created_at)
        query = select(Run.id).where(Run.status.in_(FINAL), ended < before).order_by(ended).limit(limit)
        with self._sessions() as session:
            return list(session.scalars(query))

    def prune(self, before: datetime, dry_run: bool = False) -> Pruned:
        """Deletes what expired (with `dry_run`, only counts it) and says how much."""
        if dry_run:
            ids = self.expired(before, None)
            stale = select(func.count()).select_from(ReplayRecord).where(ReplayRecord.updated_at < before)
            with self._sessions() as session:
                replays = int(session.scalar(stale) or 0)
            return Pruned(len(ids), sum(self._size(run_id) for run_id in ids), replays)
        runs = size = 0
        while ids := self.expired(before):
            size += sum(self._size(run_id) for run_id in ids)
            runs += len(ids)
            with self._sessions.begin() as session:
                for table in (WebhookDelivery, RunCheckpoint, RunEvent):
                    session.execute(delete(table).where(table.run_id.in_(ids)))
                session.execute(delete(Run).where(Run.id.in_(ids), Run.status.in_(FINAL)))
            for run_id in ids:
                shutil.rmtree(self._runs_dir / run_id, ignore_errors=True)
        with self._sessions.begin() as session:
            gone = session.execute(delete(ReplayRecord).where(ReplayRecord.updated_at < before))
            replays = int(gone.rowcount or 0)  # type: ignore[attr-defined]
        return Pruned(runs, size, replays)

    def _size(self, run_id: str) -> int:
        folder = self._runs_dir / run_id
        return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0

"""The scheduling rule, in SQL: which queued run may start next.

The oldest queued run (or one named run) whose tenant is under `max_concurrent_runs` and whose
`(tenant, profile_id)` and `(tenant, workflow_id)` have no run going (two runs of one workflow would
overwrite each other's checkpoint). Callers hold the claim lock (`db.exclusive`), so the counts cannot
change under them.

The two statements are built once: building one took 2.9 ms of the 3.3 ms of CPU an idle worker's look
at the store cost (SQLite, load ~19, bench/README.md "dom-speed, afternoon round"); its execution with
the compiled form SQLAlchemy caches, 0.12 ms.
"""

from __future__ import annotations

from sqlalchemy import Select, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from mantis.store.models import Run, Tenant


def _claimable() -> Select[str]:
    running = aliased(Run)
    tenant_running = (
        select(func.count())
        .select_from(running)
        .where(running.tenant_id == Run.tenant_id, running.status == "running")
        .scalar_subquery()
    )
    profile_busy = exists().where(
        running.tenant_id == Run.tenant_id, running.profile_id == Run.profile_id, running.status == "running"
    )
    workflow_busy = exists().where(
        running.tenant_id == Run.tenant_id,
        running.workflow_id == Run.workflow_id,
        running.status == "running",
    )
    return (
        select(Run.id)
        .join(Tenant, Tenant.id == Run.tenant_id)
        .where(
            Run.status == "queued",
            or_(Tenant.max_concurrent_runs.is_(None), tenant_running < Tenant.max_concurrent_runs),
            or_(Run.profile_id.is_(None), ~profile_busy),
            or_(Run.workflow_id.is_(None), ~workflow_busy),
        )
        .order_by(Run.created_at, Run.id)
        .limit(1)
    )


_NEXT = _claimable()
_NAMED = _NEXT.where(Run.id == bindparam("only"))


def next_claimable(session: Session, only: str | None = None) -> str | None:
    """The next run to start; with `only`, that run if it may start now, else None."""
    if only is None:
        return session.scalar(_NEXT)
    return session.scalar(_NAMED, {"only": only})

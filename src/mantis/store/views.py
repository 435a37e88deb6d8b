"""How a run looks from outside: the body of `action: status`, also written as status.json."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mantis.store.models import Run


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def elapsed_seconds(run: Run) -> float:
    if run.started_at is None:
        return 0.0
    start = run.started_at if run.started_at.tzinfo else run.started_at.replace(tzinfo=UTC)
    end = run.finished_at or datetime.now(UTC)
    end = end if end.tzinfo else end.replace(tzinfo=UTC)
    return round((end - start).total_seconds(), 3)


def status_view(run: Run) -> dict[str, Any]:
    return {
        "run_id": run.id,
        "status": run.status,
        "summary": run.summary or _default_summary(run),
        "created_at": iso(run.created_at),
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "progress": {
            "step_index": run.step_index,
            "steps_total": run.steps_total,
            "current_intent": run.current_intent,
        },
        "cost_usd": round(run.cost_usd, 6),
        "elapsed_seconds": elapsed_seconds(run),
        "viable": run.viable,
        "error": {"code": run.error_code, "message": run.error_message} if run.error_code else None,
    }


def _default_summary(run: Run) -> str:
    if run.status == "queued":
        return "Queued: waiting for a worker"
    if run.status == "running":
        return f"Running: step {run.step_index + 1} of {run.steps_total}"
    return run.status.capitalize()

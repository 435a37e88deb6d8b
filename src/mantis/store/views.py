"""How a run looks from outside: the body of `action: status`, also written as status.json."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mantis.replay.memory import usage
from mantis.store.models import Run, RunEvent


def aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back without a zone; they are stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return aware(moment).astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def elapsed_seconds(run: Run) -> float:
    if run.started_at is None:
        return 0.0
    end = aware(run.finished_at) if run.finished_at else datetime.now(UTC)
    return round((end - aware(run.started_at)).total_seconds(), 3)


def status_view(run: Run, viewer_url: str | None = None) -> dict[str, Any]:
    """`viewer_url` is there only while the run's live viewer is."""
    view: dict[str, Any] = {
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
        "usage": usage(run.model_calls or 0, run.replayed_steps or 0, run.cost_usd),
        "elapsed_seconds": elapsed_seconds(run),
        "viable": run.viable,
        "error": {"code": run.error_code, "message": run.error_message} if run.error_code else None,
    }
    if run.resumed_from:
        view["resumed_from"] = run.resumed_from
    return (view | {"viewer_url": viewer_url}) if viewer_url else view


def _default_summary(run: Run) -> str:
    if run.status == "queued":
        return "Queued: waiting for a worker"
    if run.status == "running":
        return f"Running: step {run.step_index + 1} of {run.steps_total}"
    return run.status.capitalize()


def event_view(event: RunEvent) -> dict[str, Any]:
    """One line of a run's log as `logs` and the event stream give it."""
    return {
        "ts": iso(event.ts),
        "level": event.level,
        "type": event.type,
        "step_index": event.step_index,
        "message": event.message,
        "data": event.data,
    }

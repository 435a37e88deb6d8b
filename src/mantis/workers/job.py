"""The body of one run, the same whichever executor runs it: store in, runner, store out."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from datetime import datetime
from functools import partial
from typing import Any

from mantis import metrics
from mantis.brains.base import PlanningError
from mantis.brains.cost import Meter, ModelCall
from mantis.brains.registry import brain_for
from mantis.planes.proxy import ProxyUnavailable, run_proxy
from mantis.plans.resolve import ResolvedPlan
from mantis.runner.context import Event, Limits, RunContext
from mantis.runner.files import write_json
from mantis.runner.run import Outcome, RunOptions, conclude_run, execute_run, write_plan
from mantis.services import PlaneUnavailable, Services
from mantis.store.models import Run, RunEvent
from mantis.store.runs import now
from mantis.store.views import status_view
from mantis.webhooks import enqueue_for_run


def context_for(run: Run, services: Services) -> RunContext:
    settings = services.settings
    effective = run.effective
    tenant_domains = effective.get("allowed_domains") or []
    ctx = RunContext(
        run_id=run.id,
        run_dir=settings.runs_dir / run.id,
        base_url=settings.public_url,
        limits=Limits(
            max_cost_usd=float(effective["max_cost"]),
            max_time_minutes=float(effective["max_time_minutes"]),
            max_loop_iterations=settings.caps.max_loop_iterations,
            max_executed_steps=settings.caps.max_steps_per_plan * (settings.caps.max_loop_iterations + 1),
            max_agent_moves=settings.caps.max_steps_per_plan,
        ),
        inputs=dict(run.payload.get("inputs") or {}),
        allowed_domains=list(tenant_domains),
    )
    ctx.run_dir.mkdir(parents=True, exist_ok=True)
    runs = services.runs

    def on_event(event: Event) -> None:
        runs.add_event(
            RunEvent(
                run_id=run.id,
                ts=datetime.fromisoformat(event.ts),
                level=event.level,
                type=event.type,
                step_index=event.step_index,
                message=event.message,
                data=json.loads(json.dumps(event.data, default=str)),
            )
        )

    def on_progress(index: int, total: int, intent: str) -> None:
        runs.progress(
            run.id,
            run.worker_id,
            step_index=index,
            steps_total=total,
            current_intent=intent[:500],
            cost_usd=ctx.cost_usd,
        )

    def on_call(call: ModelCall) -> None:
        metrics.MODEL_COST.labels(call.provider, call.model).inc(call.usd)
        ctx.emit(
            "model.call", f"{call.provider} {call.model} ({call.purpose}): ${call.usd:.6f}", **asdict(call)
        )
        runs.progress(run.id, run.worker_id, cost_usd=ctx.cost_usd)

    ctx.on_event = on_event
    ctx.on_progress = on_progress
    ctx.meter = Meter(cap_usd=float(effective["max_cost"]), on_call=on_call)
    return ctx


async def run_job(run: Run, services: Services) -> Outcome:
    plan = ResolvedPlan.model_validate(run.plan)
    ctx = context_for(run, services)
    effective = run.effective
    write_plan(plan, ctx)
    write_status(services, run.id)
    try:
        plane = services.plane(effective["compute_backend"])
        brain = brain_for(effective.get("cua_model"), ctx.meter)
        geo = run.payload.get("proxy_city"), run.payload.get("proxy_state")
        proxy = run_proxy(services.settings.proxy, *geo)
    except (PlaneUnavailable, PlanningError, ProxyUnavailable) as exc:
        code = "plane_unavailable" if isinstance(exc, PlaneUnavailable) else exc.code
        outcome = conclude_run(ctx, Outcome("failed", "", code, str(exc)))
    else:
        options = RunOptions(
            viewport=tuple(effective.get("viewport") or (1280, 800)),
            record_video=bool(effective.get("record_video")),
            locale=effective.get("locale"),
            timezone=effective.get("timezone"),
            proxy=proxy,
            video_format=str(run.payload.get("video_format") or "mp4"),
            video_fps=int(run.payload.get("video_fps") or 5),
            viewer=partial(services.viewers.live, run.id, on_open=partial(write_status, services, run.id))
            if run.payload.get("live_viewer")
            else None,
        )
        outcome = await execute_run(plan, ctx, plane, brain, options)
    # shielded: a cancel arriving as the run ends must not skip its status.json or its webhook
    await asyncio.shield(
        conclude(
            services,
            run.id,
            outcome.status,
            held_by=run.worker_id,
            summary=outcome.summary,
            error_code=outcome.error_code,
            error_message=outcome.error_message,
            rows=outcome.rows,
            viable=outcome.viable,
            cost_usd=outcome.cost_usd,
        )
    )
    return outcome


async def conclude(
    services: Services,
    run_id: str,
    status: str,
    *,
    from_status: str = "running",
    held_by: str | None = None,
    **fields: Any,
) -> bool:
    """Ends a run in the store, then writes its status.json and queues its webhook; False (and nothing
    done) when the run was no longer in `from_status` under `held_by`."""
    ended = await asyncio.to_thread(
        services.runs.finish, run_id, status, from_status=from_status, held_by=held_by, **fields
    )
    if ended:
        await asyncio.to_thread(write_status, services, run_id)
        await enqueue_for_run(services, run_id)
    return ended


def note(services: Services, run_id: str, kind: str, message: str, level: str = "info", **data: Any) -> None:
    """An event in the run's log written by the executor rather than the runner."""
    services.runs.add_event(
        RunEvent(run_id=run_id, ts=now(), level=level, type=kind, step_index=None, message=message, data=data)
    )


def write_status(services: Services, run_id: str) -> None:
    run = services.runs.get(run_id)
    if run is None:
        return
    path = services.settings.runs_dir / run_id / "status.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, status_view(run, services.viewers.url(run_id)))

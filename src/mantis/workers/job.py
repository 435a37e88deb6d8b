"""The body of one run, the same whichever executor runs it: store in, runner, store out."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict
from datetime import datetime
from functools import partial
from typing import Any

from mantis import metrics
from mantis.brains.base import PlanningError
from mantis.brains.cost import Meter, ModelCall
from mantis.brains.registry import brain_for
from mantis.fence.policy import FencePolicy
from mantis.planes.proxy import ProxyUnavailable, run_proxy
from mantis.plans.resolve import ResolvedPlan
from mantis.profiles import ProfileTooLarge
from mantis.replay import policy
from mantis.replay.memory import Memory
from mantis.runner import checkpoint
from mantis.runner.context import Event, Limits, RunContext
from mantis.runner.recording import recording_state
from mantis.runner.run import Outcome, RunOptions, conclude_run, execute_run, write_plan
from mantis.services import PlaneUnavailable, Services
from mantis.store.checkpoints import Stored
from mantis.store.models import Run, RunEvent
from mantis.store.runs import now
from mantis.store.views import status_view
from mantis.viewer.hub import FrameSource
from mantis.webhooks import enqueue_for_run
from mantis.workers import ends
from mantis.workers.loops import viewer_across
from mantis.workers.writer import StoreWriter

log = logging.getLogger("mantis.workers")
RECORDING_POLL_S = 1.0  # as often as the in-process workers look for work (workers.inprocess.IDLE_POLL_S)
_later: set[asyncio.Task[None]] = set()  # publications waiting for recordings, kept from the collector

MISMATCH = (
    "the checkpoint of workflow {workflow!r} was written by another plan; rotate workflow_id to start over"
)


class CheckpointMismatch(Exception):
    """The plan changed since the workflow's checkpoint (between submission and start)."""

    code = "checkpoint_mismatch"


# Events that end a step: each is committed with the checkpoint taken right after it.
STEP_ENDS = frozenset({"step.succeeded", "step.failed", "step.skipped", "step.branch"})


def context_for(run: Run, services: Services, writer: StoreWriter) -> RunContext:
    settings = services.settings
    effective = run.effective
    tenant_domains = effective.get("allowed_domains") or []
    ctx = RunContext(
        run_id=run.id,
        run_dir=services.artifacts.workdir(run.id),
        base_url=settings.public_url,
        limits=Limits(
            max_cost_usd=float(effective["max_cost"]),
            max_time_minutes=float(effective["max_time_minutes"]),
            max_loop_iterations=settings.caps.max_loop_iterations,
            max_executed_steps=settings.caps.max_steps_per_plan * (settings.caps.max_loop_iterations + 1),
            max_agent_moves=settings.caps.max_steps_per_plan,
        ),
        inputs=dict(run.payload.get("inputs") or {}),
        fence=FencePolicy(tuple(tenant_domains), settings.allow_private_browsing, settings.public_url),
    )
    runs = services.runs
    fingerprint = checkpoint.plan_fingerprint(run.plan)
    step_end: list[RunEvent] = []  # the event that ended the last step, committed with its checkpoint

    def flush() -> None:
        if step_end:
            writer.put(runs.add_event, step_end.pop())

    def on_event(event: Event) -> None:
        flush()
        stored = RunEvent(
            run_id=run.id,
            ts=datetime.fromisoformat(event.ts),
            level=event.level,
            type=event.type,
            step_index=event.step_index,
            message=event.message,
            data=json.loads(json.dumps(event.data, default=str)),
        )
        if event.type in STEP_ENDS:
            step_end.append(stored)
        else:
            writer.put(runs.add_event, stored)

    def on_checkpoint(state: dict[str, Any]) -> None:
        event = step_end.pop() if step_end else None
        saved = (run.id, run.tenant_id, run.workflow_id, fingerprint, state, event, now())
        writer.put(services.checkpoints.save, *saved)

    def on_progress(index: int, total: int, intent: str) -> None:
        writer.put(
            runs.progress,
            run.id,
            run.worker_id,
            step_index=index,
            steps_total=total,
            current_intent=intent[:500],
            cost_usd=ctx.cost_usd,
            replayed_steps=ctx.replayed_steps,
        )

    def on_call(call: ModelCall) -> None:
        metrics.MODEL_COST.labels(call.provider, call.model).inc(call.usd)
        ctx.emit(
            "model.call", f"{call.provider} {call.model} ({call.purpose}): ${call.usd:.6f}", **asdict(call)
        )
        writer.put(
            runs.progress, run.id, run.worker_id, cost_usd=ctx.cost_usd, model_calls=len(ctx.meter.calls)
        )

    ctx.on_event = on_event
    ctx.on_progress = on_progress
    ctx.on_checkpoint = on_checkpoint
    ctx.meter = Meter(cap_usd=float(effective["max_cost"]), on_call=on_call)
    return ctx


def memory_for(run: Run, services: Services, writer: StoreWriter, models: bool) -> Memory:
    """The run's replay records (its tenant's, of its plan), and where what it learns is written: in
    order, off the event loop, with its events. A run without a model replays and learns nothing."""
    if not models:
        return Memory()
    mode = run.effective.get("replay") or policy.DEFAULT  # runs queued before replay existed: the default
    fingerprint = checkpoint.plan_fingerprint(run.plan)
    records = services.replay.load(run.tenant_id, fingerprint) if policy.recalls(mode) else {}
    store, tenant = services.replay, run.tenant_id

    def save(step: str, kind: str, data: dict[str, Any] | None, healed: bool) -> None:
        if data is None:
            writer.put(store.drop, tenant, fingerprint, step, kind)
        else:
            writer.put(store.put, tenant, fingerprint, step, kind, data, run.id, healed)

    return Memory(mode, models=True, records=records, save=save)


def load_checkpoint(run: Run, services: Services) -> Stored | None:
    """What a run takes up: its own checkpoint (it was requeued, or its worker died), else, with
    `resume_state`, its workflow's newest."""
    own = services.checkpoints.of_run(run.id)
    if own is not None or not (run.payload.get("resume_state") and run.workflow_id):
        return own
    return services.checkpoints.of_workflow(run.tenant_id, run.workflow_id)


def take_up(run: Run, services: Services, ctx: RunContext) -> str | None:
    """Restores the run's checkpoint into `ctx`; returns a failure message when it is not this plan's."""
    stored = load_checkpoint(run, services)
    if stored is not None and stored.fingerprint != checkpoint.plan_fingerprint(run.plan):
        return MISMATCH.format(workflow=run.workflow_id)
    if stored is not None and checkpoint.usable(stored.state):
        resume = checkpoint.restore(ctx, stored.state)
        checkpoint.announce(ctx, resume)
        services.runs.progress(run.id, run.worker_id, resumed_from=resume.source)
    elif run.payload.get("resume_state") and run.workflow_id:
        checkpoint.none_found(ctx, run.workflow_id)
    return None


async def run_job(run: Run, services: Services, home: asyncio.AbstractEventLoop | None = None) -> Outcome:
    """Runs the run in this process; whoever waits for its end here is told as it ends (`ends`). `home`
    is the API's loop when it is not this one (the in-process executor's runner loop): the run's live
    viewer is served from there."""
    ends.started(run.id)
    try:
        return await _run_job(run, services, home)
    finally:
        ends.ended(run.id)  # also when it stops unended (put back in the queue): waiters read the store


async def _run_job(run: Run, services: Services, home: asyncio.AbstractEventLoop | None) -> Outcome:
    plan = ResolvedPlan.model_validate(run.plan)
    writer = StoreWriter(run.id)
    ctx = context_for(run, services, writer)
    effective = run.effective
    write_plan(plan, ctx)
    mismatch = await asyncio.to_thread(take_up, run, services, ctx)
    await asyncio.to_thread(write_status, services, run.id)
    try:
        if mismatch is not None:
            raise CheckpointMismatch(mismatch)
        plane = services.plane(effective["compute_backend"])
        brain = brain_for(effective.get("cua_model"), ctx.meter)
        geo = run.payload.get("proxy_city"), run.payload.get("proxy_state")
        proxy = run_proxy(services.settings.proxy, *geo)
        profile_dir = (
            await asyncio.to_thread(
                services.profiles.user_data_dir, run.tenant_id, run.profile_id, plane.name
            )
            if run.profile_id
            else None
        )
    except (PlaneUnavailable, PlanningError, ProxyUnavailable, CheckpointMismatch, ProfileTooLarge) as exc:
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
            viewer=viewer_for(run, services, home) if run.payload.get("live_viewer") else None,
            profile_dir=profile_dir,
        )
        ctx.replay = await asyncio.to_thread(memory_for, run, services, writer, brain.name != "offline")
        outcome = await execute_run(plan, ctx, plane, brain, options)
        if run.profile_id:
            await asyncio.to_thread(profile_after_run, services, run, run.profile_id, plane.name)
    # shielded: a cancel arriving as the run ends must not skip its files, status.json or webhook
    await asyncio.shield(record_end(services, run, outcome, writer))
    return outcome


def viewer_for(
    run: Run, services: Services, home: asyncio.AbstractEventLoop | None
) -> Callable[[FrameSource], AbstractAsyncContextManager[None]]:
    """The run's live viewer, opened in the hub on the loop that serves it (`home`, else this one)."""
    live = partial(services.viewers.live, run.id)
    announce = partial(write_status, services, run.id)
    if home is None or home is asyncio.get_running_loop():
        return partial(live, on_open=announce)
    return viewer_across(home, live, announce)


async def record_end(services: Services, run: Run, outcome: Outcome, writer: StoreWriter) -> None:
    """The run's events first, then its files in the artifact store, then its end in the run store:
    whoever sees the final status finds everything else in place."""
    await writer.drain()
    polishing = recording_state(services.artifacts.workdir(run.id))["state"] == "pending"
    await asyncio.to_thread(services.artifacts.publish, run.id, not polishing)
    if polishing:
        _later.add(task := asyncio.create_task(_publish_recordings(services, run.id)))
        task.add_done_callback(_later.discard)
    ended = await conclude(
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
        model_calls=outcome.model_calls,
        replayed_steps=outcome.replayed_steps,
    )
    if ended and run.workflow_id is None:
        await asyncio.to_thread(services.checkpoints.drop, run.id)


async def _publish_recordings(services: Services, run_id: str) -> None:
    """The recordings polished after the run join its other files once they are made (or have failed;
    a polish past its deadline reads as failed)."""
    folder = services.artifacts.workdir(run_id)
    while recording_state(folder)["state"] == "pending":
        await asyncio.sleep(RECORDING_POLL_S)
    await asyncio.to_thread(services.artifacts.publish, run_id)


async def end_outside_runner(services: Services, run_id: str, job: asyncio.Task[Any], held_by: str) -> None:
    """Ends a run whose job stopped before the runner could end it: cancelled, or an internal error."""
    if job.cancelled():
        await conclude(services, run_id, "cancelled", held_by=held_by, summary="Cancelled")
    elif (error := job.exception()) is not None:
        log.error("run %s failed outside the runner", run_id, exc_info=error)
        message = f"the run stopped on an internal error ({type(error).__name__})"
        await conclude(
            services,
            run_id,
            "failed",
            held_by=held_by,
            error_code="internal_error",
            error_message=message,
            summary=f"Failed (internal_error): {message}",
        )


async def cancel_queued(services: Services, run_id: str) -> bool:
    """Ends a run that has not started yet, at once; False when it is no longer queued."""
    return await conclude(
        services, run_id, "cancelled", from_status="queued", summary="Cancelled before it started"
    )


def profile_after_run(services: Services, run: Run, profile_id: str, plane: str) -> None:
    """Trims the caches of a profile over its cap, and says so when even that is not enough."""
    size = services.profiles.after_run(run.tenant_id, profile_id, plane)
    if size > services.profiles.max_bytes:
        message = (
            f"profile {profile_id!r} holds {size / 2**20:.1f} MB, over the cap of "
            f"{services.profiles.max_bytes / 2**20:.0f} MB: its next run is refused until it is deleted"
        )
        note(services, run.id, "profile.over_cap", message, "warning", bytes=size)


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
        ends.ended(run_id)
        await asyncio.to_thread(write_status, services, run_id)
        await enqueue_for_run(services, run_id)
    return ended


def note(services: Services, run_id: str, kind: str, message: str, level: str = "info", **data: Any) -> None:
    """An event in the run's log written by the executor rather than the runner."""
    services.runs.add_event(
        RunEvent(run_id=run_id, ts=now(), level=level, type=kind, step_index=None, message=message, data=data)
    )


def write_status(services: Services, run_id: str) -> None:
    """status.json in the run's artifacts, for readers of files rather than of the API."""
    run = services.runs.get(run_id)
    if run is None:
        return
    services.artifacts.put_json(run_id, "status.json", status_view(run, services.viewers.url(run_id)))

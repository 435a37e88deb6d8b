"""One run from start to end: open a session, interpret the plan under its caps, write what it made.

Executors (in-process now, a distributed engine later) call `execute_run` and nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from mantis.brains.base import Brain
from mantis.fence.policy import Fence, Refusal
from mantis.planes.base import DOM_AWARE, Plane, Recording, Session, SessionConfig
from mantis.plans.resolve import ResolvedPlan
from mantis.recipes.registry import recipe
from mantis.replay.memory import usage
from mantis.replay.plans import PlanMemory
from mantis.runner import recording
from mantis.runner.context import Deps, RunContext, StepFailure
from mantis.runner.files import write_json
from mantis.runner.interpreter import execute
from mantis.runner.rows import leads, write_artifacts

log = logging.getLogger("mantis.runner")

# The cancel message of a run its executor put back in the queue: it has not ended (no result, no final
# event), it goes on from its checkpoint wherever it is taken next.
REQUEUED = "mantis:requeued"


@dataclass
class Outcome:
    status: str
    summary: str
    error_code: str | None = None
    error_message: str | None = None
    rows: int = 0
    viable: int = 0
    cost_usd: float = 0.0
    model_calls: int = 0
    replayed_steps: int = 0
    artifacts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RunOptions:
    viewport: tuple[int, int] = (1280, 800)
    record_video: bool = False
    locale: str | None = None
    timezone: str | None = None
    proxy: str | None = None
    video_format: str = "mp4"
    video_fps: int = 5
    viewer: Callable[[Session], AbstractAsyncContextManager[None]] | None = None  # live while the session is
    profile_dir: Path | None = None  # the profile's user-data-dir on this plane; none: a clean browser


def dom_only_steps(plan: ResolvedPlan) -> list[str]:
    """Steps that need a DOM-aware plane, named as `steps[i] (type)` for the failure message."""
    named = []
    for task in plan.tasks:
        for i, step in enumerate(task.steps or ()):
            if step.needs_dom():
                role = ", target_role" if not step.dom_aware else ""
                named.append(f"steps[{i}] ({step.type}{role})")
    return named


async def execute_run(
    plan: ResolvedPlan, ctx: RunContext, plane: Plane, brain: Brain, options: RunOptions
) -> Outcome:
    ctx.emit(
        "run.started",
        f"run {ctx.run_id} on {plane.name} with the {brain.name} brain",
        plane=plane.name,
        brain=brain.name,
    )
    for note in getattr(brain, "notes", ()):
        ctx.emit("brain.note", note, level="warning")
    session: Session | None = None
    fence = Fence(ctx.fence, on_blocked=partial(_blocked, ctx))
    recordings: list[Recording] = []
    outcome: Outcome
    try:
        if DOM_AWARE not in plane.capabilities and (needing := dom_only_steps(plan)):
            raise StepFailure(
                f"{plane.name} is not DOM-aware; these steps need browser_use_plane: {', '.join(needing)}",
                code="capability_missing",
            )
        config = SessionConfig(
            ctx.run_dir,
            options.viewport,
            options.locale,
            options.timezone,
            options.record_video,
            proxy=options.proxy,
            fence=fence,
            video_fps=options.video_fps,
            profile_dir=options.profile_dir,
        )
        session = await plane.open(config)
        async with contextlib.AsyncExitStack() as live:
            if options.viewer is not None:
                await live.enter_async_context(options.viewer(session))
            async with asyncio.timeout(max(ctx.remaining_s(), 0.1)):
                await execute(plan, ctx, Deps(session, _remembering(brain, ctx), recipe(plan.recipe)))
        outcome = Outcome("succeeded", "")
    except TimeoutError:
        outcome = Outcome(
            "failed",
            "",
            "time_cap_reached",
            f"the run reached its time cap of {ctx.limits.max_time_minutes:g} minutes",
        )
    except StepFailure as exc:
        outcome = Outcome("failed", "", exc.code, str(exc))
    except asyncio.CancelledError as exc:
        if REQUEUED in exc.args:
            raise
        outcome = Outcome("cancelled", "", None, None)
    except Exception as exc:
        log.exception("run %s crashed", ctx.run_id)
        outcome = Outcome(
            "failed", "", "internal_error", f"the run stopped on an internal error ({type(exc).__name__})"
        )
    finally:
        if session is not None:
            with contextlib.suppress(Exception):
                recordings = await asyncio.shield(session.close())
        if fence.blocked:
            ctx.emit(
                "fence.summary",
                f"the fence refused {fence.blocked.total()} requests to {len(fence.blocked)} hosts",
                level="warning",
                blocked=dict(fence.blocked),
            )
    concluded = conclude_run(ctx, outcome)
    for made in recordings[:1]:  # a session records one screencast
        recording.begin(ctx, made, options.video_format, options.video_fps)
    return concluded


def _remembering(brain: Brain, ctx: RunContext) -> Brain:
    """The brain, with plan texts answered from the run's records when a model would write them."""
    if not ctx.replay.models:
        return brain

    def said(text: str, steps: int) -> None:
        ctx.emit("plan.replayed", f"{steps} steps for the text from an earlier run's plan, no model asked")

    return PlanMemory(brain, ctx.replay, said)


def _blocked(ctx: RunContext, url: str, refusal: Refusal, count: int) -> None:
    """Each refused host once in the run's events as it happens; the counts come at the end."""
    if count == 1:
        ctx.emit("request.blocked", f"blocked a request: {refusal}", level="warning", url=url[:500])


def write_plan(plan: ResolvedPlan, ctx: RunContext) -> None:
    """plan.json: the plan as resolved, whatever happens to the run after."""
    ctx.run_dir.mkdir(parents=True, exist_ok=True)
    (ctx.run_dir / "plan.json").write_text(plan.model_dump_json(indent=2, exclude_none=True) + "\n")


def conclude_run(ctx: RunContext, outcome: Outcome) -> Outcome:
    """Every run ends here, however early: rows, summary, result.json and the final event agree."""
    outcome.rows = len(ctx.rows)
    outcome.viable = sum(row.viable for row in ctx.rows)
    outcome.cost_usd = ctx.cost_usd
    outcome.model_calls = len(ctx.meter.calls)
    outcome.replayed_steps = ctx.replayed_steps
    outcome.artifacts = write_artifacts(ctx.run_dir, ctx.rows)
    outcome.summary = summarize(ctx, outcome)
    write_result(ctx, outcome)
    level = "info" if outcome.status == "succeeded" else "error" if outcome.status == "failed" else "warning"
    ctx.emit(f"run.{outcome.status}", outcome.summary, level=level, error_code=outcome.error_code)
    return outcome


def summarize(ctx: RunContext, outcome: Outcome) -> str:
    steps = sum(1 for r in ctx.trace if r.status != "branch")
    head = f"{outcome.rows} rows extracted, {outcome.viable} viable; {steps} steps in {ctx.elapsed():.1f} s"
    if ctx.warnings:
        head += f". Warning: {'; '.join(ctx.warnings)}"
    if outcome.status == "succeeded":
        return f"Succeeded: {head}"
    if outcome.status == "cancelled":
        return f"Cancelled: {head}"
    return f"Failed ({outcome.error_code}): {outcome.error_message}. {head}"


def result_body(ctx: RunContext, outcome: Outcome) -> dict[str, Any]:
    """The `result` part of the envelope, as written to result.json."""
    return {
        "leads": leads(ctx.rows),
        "viable": outcome.viable,
        "rows": [row.as_json() for row in ctx.rows],
        "steps": [asdict(r) for r in ctx.trace],
        "state_vars": ctx.state_vars,
        "warnings": ctx.warnings,
        "resumed_from": ctx.resume.source if ctx.resume else None,
        "cost": {"usd": round(ctx.cost_usd, 6), "calls": [asdict(call) for call in ctx.meter.calls]},
        "usage": usage(len(ctx.meter.calls), ctx.replayed_steps, ctx.cost_usd),
        "artifacts": recording.artifact_names(ctx.run_dir),
    }


def write_result(ctx: RunContext, outcome: Outcome) -> None:
    body = {
        "run_id": ctx.run_id,
        "status": outcome.status,
        "summary": outcome.summary,
        "error": {"code": outcome.error_code, "message": outcome.error_message}
        if outcome.error_code
        else None,
        "result": result_body(ctx, outcome),
    }
    write_json(ctx.run_dir / "result.json", body)

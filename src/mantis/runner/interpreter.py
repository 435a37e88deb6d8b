"""The plan interpreter: runs steps in order, follows control flow, and bounds every run."""

from __future__ import annotations

import asyncio
import time

from mantis.brains.base import Driver, GroundingError
from mantis.planes.base import PlaneError
from mantis.plans.models import ExtractSpec, Step
from mantis.plans.resolve import ResolvedPlan, ResolvedTask
from mantis.runner import agent, checkpoint
from mantis.runner.checkpoint import Position
from mantis.runner.context import Deps, RunContext, StepFailure, StepResult
from mantis.runner.marks import Marks
from mantis.runner.steprun import Flow, StepRun, record
from mantis.runner.trace import finish, finish_with_screenshot
from mantis.steps import make_step
from mantis.steps.base import ActionStep, ControlStep
from mantis.steps.control import Loop

DEFAULT_STEP_TIMEOUT_S = 30.0
MODEL_STEP_TIMEOUT_S = 180.0  # a model call may take a minute, and retries after a 429 more

# Failures that end the run whatever the step's `optional` says.
RUN_ENDING = frozenset({"cost_cap_reached", "domain_not_allowed", "model_required", "model_unavailable"})


async def execute(plan: ResolvedPlan, ctx: RunContext, deps: Deps) -> None:
    start = ctx.resume.position if ctx.resume else Position()
    for index, task in enumerate(plan.tasks[start.task :], start.task):
        ctx.replay.task = index
        await _run_task(task, plan, ctx, deps, start if index == start.task else Position(index))
        await checkpoint.after_step(ctx, deps.session, Position(index + 1))


async def _run_task(
    task: ResolvedTask, plan: ResolvedPlan, ctx: RunContext, deps: Deps, at: Position
) -> None:
    base = ctx.absolute(plan.base_url) if plan.base_url else None
    steps = task.steps if task.steps is not None else checkpoint.task_steps(at)
    if steps is None and plan.kind != "plan_text" and deps.brain.driver is not None:
        await _drive(task, deps.brain.driver, ctx, deps, base)  # plan_text is decomposed, to be seen whole
        return
    if steps is None:
        with ctx.step_failures():
            steps = await deps.brain.plan(task.intent)
        at.steps = [s.model_dump(mode="json", exclude_defaults=True) for s in steps]
        ctx.emit("plan.decomposed", f"{len(steps)} steps from the text", task_id=task.task_id, steps=at.steps)
    if task.start_url:
        steps = [_opening(task.start_url), *steps]
    await run_steps(steps, ctx, deps, task.task_id, task.extract, base, at)


async def _drive(task: ResolvedTask, driver: Driver, ctx: RunContext, deps: Deps, base: str | None) -> None:
    """The model drives from the start URL; the task's `extract` block, if any, is read where it ended."""
    ctx.emit("agent.started", f"a model drives the task: {task.intent}", task_id=task.task_id)
    if task.start_url:
        await run_steps([_opening(task.start_url)], ctx, deps, task.task_id, None, base)
    await agent.drive(task.intent, driver, ctx, deps, task.task_id)
    if task.extract is not None:
        final = make_step(type="extract_data", intent=task.intent)
        await run_steps([final], ctx, deps, task.task_id, task.extract, base)


def _opening(url: str) -> Step:
    return make_step(type="navigate", intent=f"Open {url}", params={"url": url})


async def run_steps(
    steps: list[Step],
    ctx: RunContext,
    deps: Deps,
    task_id: str | None = None,
    task_extract: ExtractSpec | None = None,
    base: str | None = None,
    at: Position | None = None,
) -> None:
    """`at` is the task's position, kept in a checkpoint after every step; without it none is kept."""
    position = at or Position()
    if at is not None and position.pc < len(steps):
        await checkpoint.reopen(ctx, deps.session, steps[position.pc])
    pc = position.pc
    flow = Flow(ctx, len(steps), {s.id: i for i, s in enumerate(steps) if s.id}, task_id, position.loops)
    while 0 <= pc < len(steps):
        position.executed += 1
        if position.executed > ctx.limits.max_executed_steps:
            raise StepFailure(
                f"the run executed {ctx.limits.max_executed_steps} steps, its bound",
                code="step_limit_reached",
            )
        step = steps[pc]
        ctx.progress(pc, len(steps), step.intent or step.type)
        if isinstance(step, ControlStep):
            pc = step.next_index(pc, flow)
        else:
            ctx.marks = Marks(loop=_loop_pass(steps, pc, flow))
            await _run_one(step, pc, ctx, deps, task_id, task_extract, base)
            pc += 1
        if at is not None:
            position.pc = pc
            await checkpoint.after_step(ctx, deps.session, position)


def _loop_pass(steps: list[Step], pc: int, flow: Flow) -> str | None:
    """The pass through the innermost loop body holding `pc`, as "pass/most passes"."""
    for index in range(pc + 1, len(steps)):
        loop = steps[index]
        target = flow.resolve(loop.loop_target) if isinstance(loop, Loop) else None
        if isinstance(loop, Loop) and target is not None and target <= pc:
            bound = min(loop.loop_count, flow.ctx.limits.max_loop_iterations)
            return f"{flow.loop_counts.get(index, 0) + 1}/{bound + 1}"
    return None


async def _run_one(
    step: ActionStep,
    pc: int,
    ctx: RunContext,
    deps: Deps,
    task_id: str | None,
    task_extract: ExtractSpec | None,
    base: str | None,
) -> None:
    if deps.recipe is not None and (hit := deps.recipe.rejected_intent(step.intent)):
        message = f"skipped: the recipe {deps.recipe.name} rejects intents like {hit!r}"
        record(ctx, pc, step, "skipped", message, task_id, rejection_intent=hit)
        return
    default = DEFAULT_STEP_TIMEOUT_S if deps.brain.name == "offline" else MODEL_STEP_TIMEOUT_S
    timeout_s = min(step.timeout_s or default, max(ctx.remaining_s(), 0.1))
    ctx.emit("step.started", step.intent or step.type, step_index=pc, type=step.type, task_id=task_id)
    began = time.monotonic()
    result = StepResult(
        pc, step.type, step.intent, "succeeded", task_id=task_id, started_s=ctx.elapsed(), marks=ctx.marks
    )
    try:
        with ctx.step_failures(pc):
            run = StepRun(pc, ctx, deps, timeout_s, task_extract, base)
            result.message = await asyncio.wait_for(step.run(run), timeout_s + 5)
    except StepFailure as exc:
        if exc.code in RUN_ENDING:
            result.status, result.message = "failed", str(exc)
            finish(ctx, result, began)
            raise
        await _fail(step, pc, ctx, deps, result, began, exc, exc.code)
        return
    except (GroundingError, PlaneError, TimeoutError) as exc:
        await _fail(step, pc, ctx, deps, result, began, exc, "step_failed")
        return
    await finish_with_screenshot(ctx, deps, result, began)


async def _fail(
    step: ActionStep,
    pc: int,
    ctx: RunContext,
    deps: Deps,
    result: StepResult,
    began: float,
    exc: Exception,
    code: str,
) -> None:
    """A failed step ends the run unless it is optional; an optional one is recorded as skipped."""
    result.message = str(exc) or "timed out"
    if step.optional:
        result.status = "skipped"
        await finish_with_screenshot(ctx, deps, result, began)
        return
    result.status = "failed"
    await finish_with_screenshot(ctx, deps, result, began)
    raise StepFailure(f"step {pc} ({step.type}) failed: {result.message}", code=code) from exc

"""The plan interpreter: runs steps in order, follows control flow, and bounds every run."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from mantis.brains.base import Driver, GroundingError
from mantis.planes.base import Action, PlaneError
from mantis.plans.models import ExtractSpec, Step
from mantis.plans.resolve import ResolvedPlan, ResolvedTask
from mantis.runner import actions, agent, checkpoint, extraction, tabs
from mantis.runner.checkpoint import Position
from mantis.runner.context import Deps, RunContext, StepFailure, StepResult
from mantis.runner.trace import finish, finish_with_screenshot

DEFAULT_STEP_TIMEOUT_S = 30.0
MODEL_STEP_TIMEOUT_S = 180.0  # a model call may take a minute, and retries after a 429 more

# Failures that end the run whatever the step's `optional` says.
RUN_ENDING = frozenset({"cost_cap_reached", "domain_not_allowed", "model_required", "model_unavailable"})


async def execute(plan: ResolvedPlan, ctx: RunContext, deps: Deps) -> None:
    start = ctx.resume.position if ctx.resume else Position()
    for index, task in enumerate(plan.tasks[start.task :], start.task):
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
        final = Step(type="extract_data", intent=task.intent)
        await run_steps([final], ctx, deps, task.task_id, task.extract, base)


def _opening(url: str) -> Step:
    return Step(type="navigate", intent=f"Open {url}", params={"url": url})


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
    pc, loop_counts = position.pc, position.loops
    while 0 <= pc < len(steps):
        position.executed += 1
        if position.executed > ctx.limits.max_executed_steps:
            raise StepFailure(
                f"the run executed {ctx.limits.max_executed_steps} steps, its bound",
                code="step_limit_reached",
            )
        step = steps[pc]
        ctx.progress(pc, len(steps), step.intent or step.type)
        if step.type == "if_else":
            pc = _branch(step, pc, len(steps), ctx, task_id)
        elif step.type == "loop":
            pc = _loop(step, pc, len(steps), ctx, task_id, loop_counts)
        else:
            await _run_one(step, pc, ctx, deps, task_id, task_extract, base)
            pc += 1
        if at is not None:
            position.pc = pc
            await checkpoint.after_step(ctx, deps.session, position)


def _jump(target: int, pc: int, total: int) -> int:
    """Where a jump lands: an unset (-1) or out-of-range target falls through to the next step."""
    return target if 0 <= target < total else pc + 1


def _branch(step: Step, pc: int, total: int, ctx: RunContext, task_id: str | None) -> int:
    var = step.condition_var or ""
    value = ctx.state_vars.get(var)
    target = (
        _jump(step.then_target if value else step.else_target, pc, total) if var in ctx.state_vars else pc + 1
    )
    _record(ctx, pc, step, "branch", f"{var}={value}→{target}", task_id, var=var, value=value, target=target)
    return target


def _loop(
    step: Step, pc: int, total: int, ctx: RunContext, task_id: str | None, counts: dict[int, int]
) -> int:
    limit = min(step.loop_count, ctx.limits.max_loop_iterations)
    data: dict[str, object] = {}
    if step.loop_count > limit:
        data["loop_count_requested"] = step.loop_count
        data["loop_count_clamped"] = limit
    stop = bool(step.stop_var and ctx.state_vars.get(step.stop_var))
    done = counts.get(pc, 0)
    if stop or done >= limit or not 0 <= step.loop_target < total:
        counts.pop(pc, None)
        var, value = (
            (step.stop_var, ctx.state_vars.get(step.stop_var)) if step.stop_var else ("iteration", done)
        )
        _record(
            ctx,
            pc,
            step,
            "branch",
            f"{var}={value}→{pc + 1}",
            task_id,
            target=pc + 1,
            iterations=done,
            **data,
        )
        return pc + 1
    counts[pc] = done + 1
    message = f"iteration={done + 1}/{limit}→{step.loop_target}"
    _record(ctx, pc, step, "branch", message, task_id, target=step.loop_target, iteration=done + 1, **data)
    return step.loop_target


def _record(
    ctx: RunContext, pc: int, step: Step, status: str, message: str, task_id: str | None, **data: Any
) -> None:
    ctx.trace.append(
        StepResult(pc, step.type, step.intent, status, message, task_id=task_id, data=dict(data))
    )
    ctx.emit("step.branch", message, step_index=pc, **data)


async def _run_one(
    step: Step,
    pc: int,
    ctx: RunContext,
    deps: Deps,
    task_id: str | None,
    task_extract: ExtractSpec | None,
    base: str | None,
) -> None:
    if deps.recipe is not None and (hit := deps.recipe.rejected_intent(step.intent)):
        message = f"skipped: the recipe {deps.recipe.name} rejects intents like {hit!r}"
        _record(ctx, pc, step, "skipped", message, task_id, rejection_intent=hit)
        return
    default = DEFAULT_STEP_TIMEOUT_S if deps.brain.name == "offline" else MODEL_STEP_TIMEOUT_S
    timeout_s = min(step.timeout_s or default, max(ctx.remaining_s(), 0.1))
    ctx.emit("step.started", step.intent or step.type, step_index=pc, type=step.type, task_id=task_id)
    began = time.monotonic()
    result = StepResult(pc, step.type, step.intent, "succeeded", task_id=task_id, started_s=ctx.elapsed())
    try:
        with ctx.step_failures(pc):
            result.message = await asyncio.wait_for(
                _dispatch(step, pc, ctx, deps, timeout_s, task_extract, base), timeout_s + 5
            )
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
    step: Step,
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


async def _dispatch(
    step: Step,
    pc: int,
    ctx: RunContext,
    deps: Deps,
    timeout_s: float,
    task_extract: ExtractSpec | None,
    base: str | None,
) -> str:
    session, brain = deps.session, deps.brain
    match step.type:
        case "navigate":
            return await actions.navigate(step, ctx, session, timeout_s, base)
        case "click" | "submit" if step.target_role:
            return await tabs.click_role(step, session, deps.recipe, timeout_s)
        case "click" | "submit":
            return await actions.ground_and_act(step, ctx, deps, "click", timeout_s)
        case "fill":
            text = str(ctx.fill(step.params["text"]))
            return await actions.ground_and_act(step, ctx, deps, "fill", timeout_s, text)
        case "select":
            option = str(ctx.fill(step.params.get("option") or step.params.get("value")))
            return await actions.ground_and_act(step, ctx, deps, "select", timeout_s, option)
        case "press":
            await session.act(Action("press", key=str(step.params["key"])), timeout_s)
            return f"pressed {step.params['key']}"
        case "scroll":
            amount = step.budget if step.budget is not None else int(step.params.get("amount", 1))
            await session.act(Action("scroll", amount=max(amount, 1)), timeout_s)
            return f"scrolled {max(amount, 1)}"
        case "wait":
            seconds = min(float(step.params.get("seconds", 1)), timeout_s)
            await session.wait(seconds)
            return f"waited {seconds:g} s"
        case "go_back":
            await session.go_back(timeout_s)
            return f"back at {await session.current_url()}"
        case "extract_data" | "claude":
            return await extraction.extract(step, pc, ctx, deps, task_extract)
        case "extract_url":
            url = await session.current_url()
            ctx.state_vars[step.out_var or "current_url"] = url
            return url
        case "detect_visible":
            query = str(ctx.fill(step.params.get("label") or step.intent))
            visible = await brain.detect_visible(query, await session.observe())
            ctx.state_vars[step.out_var or ""] = visible
            return f"{step.out_var}={visible}"
        case "collect_urls":
            return await extraction.collect_urls(step, ctx, deps)
        case _:
            return await tabs.run(step, ctx, session, brain, deps.recipe, timeout_s)

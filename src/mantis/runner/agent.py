"""An intent-only task driven by a model: observe, let it choose one move, make the move, and again, until
it finishes, gives up, or runs out of moves, time or money. Each move is a line of the trace."""

from __future__ import annotations

import time

from mantis.brains.base import Driver, GroundingError, Move
from mantis.planes.base import PlaneError
from mantis.runner.context import Deps, RunContext, StepFailure, StepResult
from mantis.runner.trace import finish, finish_with_screenshot

MAX_FAILED_IN_A_ROW = 3
MOVE_TIMEOUT_S = 30.0


async def drive(goal: str, driver: Driver, ctx: RunContext, deps: Deps, task_id: str | None) -> None:
    history: list[str] = []
    failed_in_a_row = 0
    for turn in range(ctx.limits.max_agent_moves):
        ctx.progress(turn, turn + 1, goal)
        ctx.emit("step.started", f"move {turn + 1}", step_index=turn, type="agent", task_id=task_id)
        began = time.monotonic()
        result = StepResult(turn, "agent", "", "succeeded", task_id=task_id, started_s=ctx.elapsed())
        ctx.marks = result.marks
        try:
            with ctx.step_failures(turn):  # a failed model call or cap: no move to learn from
                # The model reads the screenshot itself: no OCR.
                seen = await deps.session.observe(screenshot=True, read="none")
                move = await driver.next_move(goal, seen, history)
                result.intent = describe(move)
                result.message = await _make(move, ctx, deps)
        except StepFailure as exc:
            result.status, result.message = "failed", str(exc)
            finish(ctx, result, began)
            raise
        except (GroundingError, PlaneError, TimeoutError) as exc:  # the model sees it and tries otherwise
            result.status, result.message = "failed", str(exc) or "timed out"
        await finish_with_screenshot(ctx, deps, result, began)
        history.append(f"{result.intent or 'an unusable move'}: {result.status}, {result.message}")
        if result.status == "failed":
            failed_in_a_row += 1
            if failed_in_a_row >= MAX_FAILED_IN_A_ROW:
                raise StepFailure(f"{MAX_FAILED_IN_A_ROW} moves in a row failed: {result.message}")
            continue
        failed_in_a_row = 0
        if move.kind == "done":
            if not move.success:
                raise StepFailure(f"the model could not do the task: {move.said}")
            return
    raise StepFailure(
        f"the task was not done in {ctx.limits.max_agent_moves} moves", code="step_limit_reached"
    )


def describe(move: Move) -> str:
    action = move.action
    if move.kind == "act" and action is not None:
        where = f" at {action.point}" if action.point else ""
        what = {"press": action.key, "type": repr(action.text), "scroll": f"{action.amount:+d}"}.get(
            action.kind
        )
        return f"{action.kind}{where}" + (f" {what}" if what else "")
    return {
        "navigate": f"navigate to {move.url}",
        "back": "go back",
        "wait": f"wait {move.seconds:g} s",
        "done": f"finish ({'done' if move.success else 'gave up'}): {move.said}",
    }.get(move.kind, move.kind)


async def _make(move: Move, ctx: RunContext, deps: Deps) -> str:
    session = deps.session
    timeout_s = min(MOVE_TIMEOUT_S, max(ctx.remaining_s(), 0.1))
    if move.kind == "act" and move.action is not None:
        ctx.marks.point = move.action.point
        ctx.marks.scroll = move.action.amount if move.action.kind == "scroll" else None
        await session.act(move.action, timeout_s)
    elif move.kind == "navigate":
        ctx.check_url(move.url)
        await session.navigate(move.url, timeout_s)
    elif move.kind == "back":
        await session.go_back(timeout_s)
    elif move.kind == "wait":
        await session.wait(move.seconds)
    return move.said if move.kind == "done" else f"now at {await session.current_url()}"

"""A step's end in the trace and the event log, with the screenshot it left."""

from __future__ import annotations

import asyncio
import time
from functools import partial

from mantis.planes.base import PlaneError, ScreenshotsBehind
from mantis.runner.context import Deps, RunContext, StepResult


async def finish_with_screenshot(ctx: RunContext, deps: Deps, result: StepResult, began: float) -> None:
    """The step's screenshot is taken before anything changes the page again; on a plane that can, it
    is taken while the next step starts reading the page, off the run's critical path (the run's end
    waits for it, so result.json never names a screenshot that was not written)."""
    name = f"step_{len(ctx.trace):03d}_{result.type}.png"
    session = deps.session
    if isinstance(session, ScreenshotsBehind):
        result.screenshot = name
        session.screenshot_behind(ctx.run_dir / name).add_done_callback(partial(_missing, ctx, result))
    else:
        try:
            await session.screenshot(ctx.run_dir / name)
            result.screenshot = name
        except PlaneError:
            pass
    finish(ctx, result, began)


def _missing(ctx: RunContext, result: StepResult, shot: asyncio.Task[None]) -> None:
    """A screenshot taken behind that could not be made: the trace line names none, the log says so."""
    if not shot.cancelled() and shot.exception() is None:
        return
    why = "cancelled" if shot.cancelled() else str(shot.exception())
    ctx.emit(
        "step.screenshot_missing",
        f"no screenshot of step {result.index}: {why}",
        level="warning",
        step_index=result.index,
        screenshot=result.screenshot,
    )
    result.screenshot = None


def finish(ctx: RunContext, result: StepResult, began: float) -> None:
    result.duration_ms = round((time.monotonic() - began) * 1000)
    ctx.trace.append(result)
    level = {"failed": "error", "skipped": "warning"}.get(result.status, "info")
    ctx.emit(
        f"step.{result.status}",
        result.message,
        level=level,
        step_index=result.index,
        duration_ms=result.duration_ms,
        screenshot=result.screenshot,
    )

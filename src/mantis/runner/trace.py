"""A step's end in the trace and the event log, with the screenshot it left."""

from __future__ import annotations

import time

from mantis.planes.base import PlaneError
from mantis.runner.context import Deps, RunContext, StepResult


async def finish_with_screenshot(ctx: RunContext, deps: Deps, result: StepResult, began: float) -> None:
    name = f"step_{len(ctx.trace):03d}_{result.type}.png"
    try:
        await deps.session.screenshot(ctx.run_dir / name)
        result.screenshot = name
    except PlaneError:
        pass
    finish(ctx, result, began)


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

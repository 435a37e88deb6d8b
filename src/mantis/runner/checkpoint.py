"""Checkpoints: what a run has done, taken after every step, and how a later run takes it up again.

The interpreter calls `after_step` once a step ends and `reopen` once before a resumed task goes on;
the rest of the runner never sees checkpoints. Whoever executes the run decides where they are kept
(`RunContext.on_checkpoint`) and hands a stored one back with `restore`.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from mantis.brains.cost import ModelCall
from mantis.planes.base import DomAwareSession, Session
from mantis.plans.models import Step
from mantis.plans.resolve import ResolvedTask
from mantis.runner.context import RunContext, StepResult
from mantis.runner.rows import Row

FORMAT = 1  # bumped when the state's shape changes; a checkpoint of another format is not taken up
RESTORE_TIMEOUT_S = 30.0


@dataclass
class Position:
    """Where the interpreter stands: the task, the next step of it, its loop counters and step count,
    and the task's steps when a model wrote them (so a resume does not ask, or pay, again)."""

    task: int = 0
    pc: int = 0
    loops: dict[int, int] = field(default_factory=dict)
    executed: int = 0
    steps: list[dict[str, Any]] | None = None


@dataclass
class Resume:
    """A checkpoint taken up: where to go on, the pages to open again, and whose checkpoint it was."""

    position: Position
    tabs: list[str]
    active_tab: int
    source: dict[str, Any]
    reopened: bool = False


def plan_fingerprint(plan: dict[str, Any]) -> str:
    """The resolved plan's identity: a checkpoint is only good for the plan that wrote it."""
    return hashlib.sha256(json.dumps(plan, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


async def after_step(ctx: RunContext, session: Session, position: Position) -> None:
    if ctx.on_checkpoint is None:
        return
    tabs, active = await _tabs(session)
    state = {
        "format": FORMAT,
        "run_id": ctx.run_id,
        "position": asdict(position),
        "state_vars": ctx.state_vars,
        "visited": {var: sorted(urls) for var, urls in ctx.visited.items()},
        "rows": [vars(row) for row in ctx.rows],
        "trace": [{**vars(result), "marks": vars(result.marks)} for result in ctx.trace],
        "cost_usd": ctx.cost_usd,
        "calls": [asdict(call) for call in ctx.meter.calls],
        "elapsed_s": round(ctx.elapsed(), 3),
        "url": tabs[active] if tabs else "",
        "tabs": tabs,
        "active_tab": active,
    }
    # A copy the run may change after (the dumps reads it now); `vars` where `asdict` would copy each
    # row and trace line twice over: a fifth of the CPU at the end of a 20-step run (bench/README.md).
    ctx.on_checkpoint(json.loads(json.dumps(state, default=str)))


def usable(state: dict[str, Any]) -> bool:
    return state.get("format") == FORMAT


def restore(ctx: RunContext, state: dict[str, Any]) -> Resume:
    """Puts a checkpoint's variables, rows, trace, spending and time into a fresh context; the run goes
    on from there only once `announce`d (a dead run's rows are restored just to be kept)."""
    ctx.state_vars = dict(state["state_vars"])
    ctx.visited = {var: set(urls) for var, urls in state["visited"].items()}
    ctx.rows = [Row(**row) for row in state["rows"]]
    ctx.trace = [StepResult.from_json(result) for result in state["trace"]]
    ctx.meter.calls = [ModelCall(**call) for call in state["calls"]]
    ctx.meter.spent_usd = float(state["cost_usd"])
    ctx.started = time.monotonic() - float(state["elapsed_s"])
    raw = state["position"]
    position = Position(
        task=int(raw["task"]),
        pc=int(raw["pc"]),
        loops={int(pc): int(count) for pc, count in raw["loops"].items()},
        executed=int(raw["executed"]),
        steps=raw.get("steps"),
    )
    source = {
        "run_id": state["run_id"],
        "task_index": position.task,
        "step_index": position.pc,
        "rows": len(ctx.rows),
    }
    ctx.resume = Resume(position, list(state["tabs"]), int(state["active_tab"]), source)
    return ctx.resume


def announce(ctx: RunContext, resume: Resume) -> None:
    """The resume in the trace and the log: whose checkpoint, and where the run goes on."""
    source = resume.source
    message = (
        f"resumed from run {source['run_id']}'s checkpoint: task {source['task_index']}, "
        f"step {source['step_index']}, {source['rows']} rows kept"
    )
    _note(ctx, resume.position.pc, message, resumed_from=source)


def none_found(ctx: RunContext, workflow_id: str) -> None:
    """`resume_state` with nothing to take up: the run starts at the beginning, and says so."""
    _note(ctx, 0, f"no checkpoint for workflow {workflow_id!r} yet: started from the first step")


def _note(ctx: RunContext, index: int, message: str, **data: Any) -> None:
    """A synthetic line of the trace (status `branch`, like a branch taken) and of the log."""
    ctx.trace.append(StepResult(index, "resume", "resume_state", "branch", message, data=data))
    ctx.emit("run.resumed" if data else "run.resume_skipped", message, step_index=index, **data)


def task_steps(position: Position) -> list[Step] | None:
    """The steps a model wrote for the task in flight, as the checkpoint kept them."""
    if position.steps is None:
        return None
    return ResolvedTask.model_validate({"steps": position.steps}).steps


async def reopen(ctx: RunContext, session: Session, next_step: Step | None) -> None:
    """Opens the checkpoint's pages again, once; the active one is skipped when the next step leaves it
    anyway (a navigate), so a page already read is not fetched again for nothing."""
    resume = ctx.resume
    if resume is None or resume.reopened:
        return
    resume.reopened = True
    tabs = [url for url in resume.tabs if url.startswith(("http://", "https://"))]
    if not tabs:
        return
    leaves = next_step is not None and next_step.type == "navigate"
    if len(tabs) == 1 or not isinstance(session, DomAwareSession):
        if not leaves:
            await _open(ctx, session, tabs[min(resume.active_tab, len(tabs) - 1)])
        return
    await _open(ctx, session, tabs[0])
    for url in tabs[1:]:
        ctx.check_url(url)
        await session.open_tab(url, RESTORE_TIMEOUT_S)
    await session.switch_tab(resume.active_tab)


async def _open(ctx: RunContext, session: Session, url: str) -> None:
    ctx.check_url(url)
    await session.navigate(url, RESTORE_TIMEOUT_S)
    ctx.emit("checkpoint.reopened", f"reopened {url}", url=url)


async def _tabs(session: Session) -> tuple[list[str], int]:
    if isinstance(session, DomAwareSession):
        return await session.tabs()
    return [await session.current_url()], 0

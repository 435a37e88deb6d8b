"""What a step's handler works with: the run, the plane and brain, and the bounds of this one step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mantis.brains.base import Brain
from mantis.planes.base import ActionKind, DomAwareSession, Session
from mantis.plans.extract import ExtractSpec
from mantis.runner import actions, extraction, tabs
from mantis.runner.context import Deps, RunContext, StepResult
from mantis.steps.base import StepBase, Target
from mantis.steps.extraction import CollectUrls, Extracting
from mantis.steps.targets import RoleStep, TargetedStep


@dataclass
class StepRun:
    """One step's run: handlers reach the page, the brain and the run's variables through it."""

    index: int
    ctx: RunContext
    deps: Deps
    timeout_s: float
    task_extract: ExtractSpec | None = None
    base: str | None = None

    @property
    def session(self) -> Session:
        return self.deps.session

    @property
    def brain(self) -> Brain:
        return self.deps.brain

    async def ground_and_act(self, step: TargetedStep, kind: ActionKind, text: str = "") -> str:
        return await actions.ground_and_act(step, self.index, self.ctx, self.deps, kind, self.timeout_s, text)

    async def click_role(self, step: RoleStep) -> str:
        return await tabs.click_role(step, self.session, self.deps.recipe, self.timeout_s)

    async def link_url(self, step: RoleStep) -> str:
        return await tabs.link_url(step, self.ctx, self.session, self.brain, self.deps.recipe)

    def dom(self, step: StepBase) -> DomAwareSession:
        return tabs.dom_session(self.session, step)

    async def extract(self, step: Extracting) -> str:
        return await extraction.extract(
            step, self.index, self.ctx, self.deps, self.task_extract, self.timeout_s
        )

    async def collect_urls(self, step: CollectUrls) -> str:
        return await extraction.collect_urls(step, self.index, self.ctx, self.deps)


def record(
    ctx: RunContext, pc: int, step: StepBase, status: str, message: str, task_id: str | None, **data: Any
) -> None:
    """A synthetic trace line: a branch taken, or a step the recipe skipped."""
    ctx.trace.append(
        StepResult(pc, step.type, step.intent, status, message, task_id=task_id, data=dict(data))
    )
    ctx.emit("step.branch", message, step_index=pc, **data)


@dataclass
class Flow:
    """Where control steps jump: the task's steps, their ids, and each loop's count so far."""

    ctx: RunContext
    total: int
    labels: dict[str, int]
    task_id: str | None = None
    loop_counts: dict[int, int] = field(default_factory=dict)

    def resolve(self, target: Target) -> int | None:
        """The index a target names; None when it is unset (-1), out of range, or an unknown id."""
        index = self.labels.get(target) if isinstance(target, str) else target
        return index if index is not None and 0 <= index < self.total else None

    def jump(self, target: Target, at: int) -> int:
        index = self.resolve(target)
        return at + 1 if index is None else index

    def record(self, at: int, step: StepBase, message: str, **data: Any) -> None:
        record(self.ctx, at, step, "branch", message, self.task_id, **data)

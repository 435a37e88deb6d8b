"""A plan checked without running it: everything a submission would refuse, each problem with its path,
and what it would only warn about. The `validate` action and `mantis validate` both answer with this."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mantis.fence.policy import FencePolicy, refused_up_front
from mantis.plans.resolve import PlanInvalid, ResolvedPlan, resolve_micro, resolve_suite
from mantis.steps.control import Loop


@dataclass(frozen=True)
class Bounds:
    """What the server allows: the plan's size, the loop cap, the fence and the plane by default."""

    max_steps: int
    max_loop_iterations: int
    fence: FencePolicy = field(default_factory=FencePolicy)
    compute_backend: str = "computer_plane"


@dataclass
class Report:
    kind: str
    steps: int = 0
    compute_backend: str | None = None
    problems: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems

    def view(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "kind": self.kind,
            "steps": self.steps,
            "compute_backend": self.compute_backend,
            "problems": self.problems,
            "warnings": self.warnings,
        }


def document_kind(document: Any) -> str:
    """A plan file's shape: a suite has `tasks`; anything else is read as a micro-plan."""
    return "task_suite" if isinstance(document, dict) and "tasks" in document else "micro"


def check_document(document: Any, bounds: Bounds, kind: str | None = None) -> Report:
    kind = kind or document_kind(document)
    try:
        plan = resolve_micro(document) if kind == "micro" else resolve_suite(document, "task_suite")
    except PlanInvalid as exc:
        return Report(kind, problems=[{**e, "code": "invalid_plan"} for e in exc.errors])
    return check_plan(plan, bounds)


def check_plan(plan: ResolvedPlan, bounds: Bounds) -> Report:
    backend = plan.runtime.compute_backend or bounds.compute_backend
    report = Report(plan.kind, plan.step_count(), backend, warnings=plan.warnings())
    if plan.step_count() > bounds.max_steps:
        message = f"the plan has {plan.step_count()} steps; this server allows {bounds.max_steps}"
        report.problems.append({"path": "", "code": "plan_too_large", "message": message})
    for path, url in plan.located_urls():
        for refusal in refused_up_front(bounds.fence, [url]):
            message = f"refused by the fence: {refusal}"
            report.problems.append({"path": path, "code": "domain_not_allowed", "message": message})
    for prefix, task in plan.step_lists():
        for i, step in enumerate(task.steps or ()):
            where = f"{prefix}[{i}]"
            if step.needs_dom() and backend != "browser_use_plane":
                message = f"a {step.type} step{' with target_role' if not step.dom_aware else ''} needs "
                message += f"a DOM-aware plane (browser_use_plane); this plan runs on {backend}"
                report.problems.append({"path": where, "code": "capability_missing", "message": message})
            if isinstance(step, Loop) and step.loop_count > bounds.max_loop_iterations:
                report.warnings.append(
                    f"{where}.loop_count: {step.loop_count} is clamped to this server's "
                    f"{bounds.max_loop_iterations}"
                )
    return report


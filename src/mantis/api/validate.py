"""`{"action": "validate", ...}`: a submission's plan checked as a submission would be, without a run."""

from __future__ import annotations

from typing import Any

from mantis.api.errors import ApiError
from mantis.api.schemas import ValidateRequest
from mantis.api.submit import parse_submission, resolve_plan
from mantis.fence.policy import FencePolicy
from mantis.plans.check import Bounds, Report, check_plan
from mantis.services import Services
from mantis.store.models import Tenant


def validate(body: dict[str, Any], tenant: Tenant, services: Services) -> dict[str, Any]:
    """Every problem the plan has, each with its path, and its warnings; a plan that would be refused
    answers 200 with `valid: false`. A request that names no plan, or a missing file, is still an error."""
    settings = services.settings
    sub = parse_submission(body, ValidateRequest)
    bounds = Bounds(
        settings.caps.max_steps_per_plan,
        settings.caps.max_loop_iterations,
        FencePolicy(tuple(tenant.allowed_domains), settings.allow_private_browsing, settings.public_url),
        sub.compute_backend or settings.default_compute_backend,
    )
    try:
        plan = resolve_plan(sub, settings)
    except ApiError as exc:
        if exc.code != "invalid_plan":
            raise
        kind = next(name for name in ("task_suite", "task_file", "micro") if getattr(sub, name) is not None)
        return Report(kind, problems=[{**e, "code": "invalid_plan"} for e in exc.details]).view()
    report = check_plan(plan, bounds)
    if plan.kind == "plan_text":
        report.warnings.append("plan_text becomes steps when the run starts; only those can be checked")
    return report.view()

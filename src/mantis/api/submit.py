"""Submissions: validate everything up front, store the run, hand it to the executor."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from mantis import metrics
from mantis.api.errors import ApiError
from mantis.api.schemas import PLAN_FIELDS, Submission
from mantis.artifacts import ArtifactStore
from mantis.config import Settings
from mantis.fence.policy import FencePolicy, refused_up_front
from mantis.plans import resolve
from mantis.plans.resolve import ResolvedPlan
from mantis.plans.urls import url_fault
from mantis.profiles import ProfileTooLarge
from mantis.replay import policy as replay_policy
from mantis.runner.checkpoint import plan_fingerprint
from mantis.runner.context import PLACEHOLDER
from mantis.services import Services
from mantis.store.models import Run, Tenant
from mantis.store.views import aware, iso

IDEMPOTENCY_WINDOW = timedelta(hours=24)
QUEUE_FULL_RETRY_S = 30
MAX_IDEMPOTENCY_KEY = 200  # the store's column; the body's field has the same bound
# What the queued handle says of the run's effective settings (`replay`: runs queued before it had none).
SHOWN_EFFECTIVE = ("max_cost", "max_time_minutes", "compute_backend", "replay")


RUN_ID = re.compile(r"\d{8}_\d{6}_[0-9a-f]{8}")


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%d_%H%M%S}_{secrets.token_hex(4)}"


def parse_submission(body: dict[str, Any], model: type[Submission] = Submission) -> Submission:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        unknown = sorted(str(e["loc"][0]) for e in exc.errors() if e["type"] == "extra_forbidden")
        if unknown:
            raise ApiError(
                400, "unknown_field", f"unknown fields: {', '.join(unknown)}", {"fields": unknown}
            ) from exc
        details = [{"path": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        raise ApiError(400, "invalid_request", "the request body is not valid", details) from exc


def resolve_plan(sub: Submission, settings: Settings) -> ResolvedPlan:
    given = [name for name in PLAN_FIELDS if getattr(sub, name) is not None]
    if len(given) != 1:
        raise ApiError(
            400,
            "invalid_plan_shape",
            f"give exactly one of {', '.join(PLAN_FIELDS)}" + (f"; got {', '.join(given)}" if given else ""),
        )
    try:
        if sub.plan_text is not None:
            return resolve.resolve_text(sub.plan_text)
        if sub.task_suite is not None:
            return resolve.resolve_suite(sub.task_suite, "task_suite")
        path_field = sub.task_file if sub.task_file is not None else sub.micro
        if isinstance(path_field, str):
            path = resolve.library_path(settings.plans_dir, path_field, settings.home)
            document = resolve.load_json(path)
            if sub.task_file is not None:
                return resolve.resolve_suite(document, "task_file", source=path_field)
            return resolve.resolve_micro(document, source=path_field)
        return resolve.resolve_micro(sub.micro)
    except resolve.PlanPathError as exc:
        raise ApiError(400, "invalid_plan_path", f"the plan path {exc}") from exc
    except resolve.PlanNotFound as exc:
        raise ApiError(404, "plan_not_found", f"no plan at {exc} in the plan library") from exc
    except resolve.PlanInvalid as exc:
        raise ApiError(400, "invalid_plan", "the plan does not match plan.schema.json", exc.errors) from exc


def check_urls(sub: Submission, plan: ResolvedPlan) -> None:
    """Refuses a URL that names no host a browser would agree on, before anything is stored. A `{name}`
    the inputs do not fill is filled at run time (where the fence checks it): here it stands for a plain
    name, so that only a URL no filling could mend is refused."""
    if sub.callback_url is not None and (fault := url_fault(sub.callback_url, require_web=True)):
        details = [{"path": "callback_url", "message": f"the URL {fault}"}]
        raise ApiError(400, "invalid_request", f"callback_url {fault}", details)
    inputs = {k: str(v) for k, v in sub.inputs.items()}
    faults = []
    for url in plan.navigate_urls():
        filled = PLACEHOLDER.sub(lambda m: inputs.get(m.group(1), "x"), url)
        if fault := url_fault(filled):
            faults.append({"path": "url", "message": f"the URL {filled[:200]!r} {fault}"})
    if faults:
        raise ApiError(400, "invalid_plan", "the plan names a URL that cannot be parsed", faults)


def _cap(*values: float | None) -> float:
    return min(v for v in values if v is not None)


def effective_settings(
    sub: Submission, plan: ResolvedPlan, tenant: Tenant, settings: Settings
) -> dict[str, Any]:
    runtime = plan.runtime
    viewport = runtime.viewport
    return {
        "max_cost": _cap(settings.caps.max_cost_usd, tenant.max_cost_per_run, sub.max_cost, runtime.max_cost),
        "max_time_minutes": _cap(
            settings.caps.max_runtime_minutes,
            tenant.max_time_minutes_per_run,
            sub.max_time_minutes,
            runtime.max_time_minutes,
        ),
        "compute_backend": runtime.compute_backend or sub.compute_backend or settings.default_compute_backend,
        "cua_model": runtime.cua_model or sub.cua_model,
        "record_video": bool(runtime.record_video if runtime.record_video is not None else sub.record_video),
        "viewport": [viewport.width, viewport.height] if viewport else [1280, 800],
        "locale": runtime.locale,
        "timezone": runtime.timezone,
        "allowed_domains": list(tenant.allowed_domains),
        "replay": replay_policy.effective(sub.replay, tenant.replay),
        "warnings": plan.warnings(),
    }


def request_hash(body: dict[str, Any]) -> str:
    canonical = {k: v for k, v in body.items() if k != "idempotency_key"}
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, default=str).encode()).hexdigest()


async def submit(
    body: dict[str, Any], idempotency_header: str | None, tenant: Tenant, services: Services
) -> tuple[Run, bool]:
    """Validates and stores a submission; returns the run and whether it is new."""
    settings = services.settings
    sub = parse_submission(body)
    key = sub.idempotency_key or (idempotency_header or "").strip() or None
    if key is not None and len(key) > MAX_IDEMPOTENCY_KEY:
        message = f"the idempotency key is longer than {MAX_IDEMPOTENCY_KEY} characters"
        raise ApiError(400, "invalid_request", message, [{"path": "Idempotency-Key", "message": message}])
    digest = request_hash(body)
    if key is not None:
        earlier = await run_in_threadpool(services.runs.by_idempotency_key, tenant.id, key)
        if earlier is not None and _fresh(earlier):
            if earlier.request_hash != digest:
                raise ApiError(409, "idempotency_conflict", "this idempotency key was used with another body")
            return earlier, False
        if earlier is not None:
            await run_in_threadpool(services.runs.release_idempotency_key, earlier.id)
    if sub.live_viewer and not services.executor.serves_live_viewer:
        raise ApiError(
            400,
            "invalid_request",
            "live_viewer needs the embedded executor; this server runs its runs on remote workers",
            [{"path": "live_viewer", "message": "not available with MANTIS_EXECUTOR=" + settings.executor}],
        )
    plan = resolve_plan(sub, settings)
    if plan.step_count() > settings.caps.max_steps_per_plan:
        raise ApiError(
            400,
            "plan_too_large",
            f"the plan has {plan.step_count()} steps; this server allows {settings.caps.max_steps_per_plan}",
        )
    check_urls(sub, plan)
    policy = FencePolicy(tuple(tenant.allowed_domains), settings.allow_private_browsing, settings.public_url)
    if refused := refused_up_front(policy, plan.navigate_urls()):
        raise ApiError(
            403,
            "domain_not_allowed",
            f"refused by the fence: {'; '.join(str(r) for r in refused)}",
            {"hosts": [r.host for r in refused]},
        )
    queued = (await run_in_threadpool(services.runs.active_counts))["queued"]
    if queued >= settings.max_queued_runs:
        raise ApiError(
            429, "too_many_runs", "the queue is full; try again shortly", retry_after=QUEUE_FULL_RETRY_S
        )
    effective = effective_settings(sub, plan, tenant, settings)
    workflow_id = sub.workflow_id or sub.state_key
    if sub.resume_state:
        await _check_resumable(plan, workflow_id, tenant, services)
    profile_id = sub.profile_id or sub.state_key
    if profile_id is not None:
        try:
            await run_in_threadpool(services.profiles.check_size, tenant.id, profile_id)
        except ProfileTooLarge as exc:
            raise ApiError(409, exc.code, str(exc), {"profile_id": profile_id}) from exc
    run = Run(
        id=new_run_id(),
        tenant_id=tenant.id,
        status="queued",
        mode="detached" if sub.detached else "sync",
        model=effective["cua_model"] or "offline",
        created_at=datetime.now(UTC),
        payload=body,
        plan=plan.model_dump(mode="json", exclude_none=True),
        effective=effective,
        profile_id=profile_id,
        workflow_id=workflow_id,
        idempotency_key=key,
        request_hash=digest,
        summary="",
        step_index=0,
        steps_total=plan.step_count(),
        cost_usd=0.0,
        viable=0,
        rows=0,
        cancel_requested=False,
    )
    stored, created = await run_in_threadpool(services.runs.create, run)
    if not created and stored.request_hash != digest:
        raise ApiError(409, "idempotency_conflict", "this idempotency key was used with another body")
    if created:
        metrics.RUNS_SUBMITTED.inc()
    return stored, created


async def _check_resumable(
    plan: ResolvedPlan, workflow_id: str | None, tenant: Tenant, services: Services
) -> None:
    """`resume_state` needs a workflow, and a checkpoint (if there is one yet) of this very plan."""
    if workflow_id is None:
        raise ApiError(400, "invalid_request", "resume_state needs workflow_id (or state_key)")
    stored = await run_in_threadpool(services.checkpoints.of_workflow, tenant.id, workflow_id)
    if stored is not None and stored.fingerprint != plan_fingerprint(
        plan.model_dump(mode="json", exclude_none=True)
    ):
        raise ApiError(
            409,
            "checkpoint_mismatch",
            f"the plan differs from the one that wrote workflow {workflow_id!r}'s checkpoint "
            f"(run {stored.run_id}); rotate workflow_id to start this plan afresh",
            {"workflow_id": workflow_id, "run_id": stored.run_id},
        )


def _fresh(run: Run) -> bool:
    return datetime.now(UTC) - aware(run.created_at) < IDEMPOTENCY_WINDOW


def queued_view(run: Run, artifacts: ArtifactStore) -> dict[str, Any]:
    effective = run.effective
    return {
        "status": "queued",
        "model": run.model,
        "mode": run.mode,
        "run_id": run.id,
        "created_at": iso(run.created_at),
        "payload": run.payload,
        "status_path": artifacts.location(run.id, "status.json"),
        "result_path": artifacts.location(run.id, "result.json"),
        "csv_path": artifacts.location(run.id, "leads.csv"),
        "events_path": artifacts.location(run.id, "events.log"),
        "effective": {k: effective[k] for k in SHOWN_EFFECTIVE if k in effective},
        **({"warnings": effective["warnings"]} if effective.get("warnings") else {}),
    }

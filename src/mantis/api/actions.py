"""`{"action": ...}` on a run: status, result, logs, cancel, recording, list; profiles,
delete_profile on the tenant's browser profiles; replays, clear_replays on its replay records."""

from __future__ import annotations

import asyncio
import json
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from mantis.api.auth import require_scope
from mantis.api.errors import ApiError
from mantis.api.schemas import ActionRequest
from mantis.api.submit import RUN_ID
from mantis.replay.store import LIST_LIMIT, Stored
from mantis.runner.checkpoint import plan_fingerprint
from mantis.runner.recording import recording_state
from mantis.services import Services
from mantis.store.db import off_loop
from mantis.store.models import Run, Tenant
from mantis.store.runs import FINAL
from mantis.store.views import aware, event_view, iso, status_view
from mantis.viewer.signing import Signer, artifact_subject

CANCEL_WAIT_S = 5.0
MAX_EVENT_ID_DIGITS = 18  # below 2**63: every database can compare it
SCOPES = {"cancel": "runs:cancel", "delete_profile": "runs:submit", "clear_replays": "runs:submit"}
# The fields each action reads besides `action`: another one given would be accepted and ignored (a
# `list` with a `profile_id` would look filtered and is not), so it is refused instead.
ACTION_FIELDS: dict[str, frozenset[str]] = {
    "status": frozenset({"run_id"}),
    "result": frozenset({"run_id"}),
    "cancel": frozenset({"run_id"}),
    "recording": frozenset({"run_id"}),
    "logs": frozenset({"run_id", "cursor", "limit"}),
    "list": frozenset({"status", "cursor", "limit"}),
    "profiles": frozenset(),
    "delete_profile": frozenset({"profile_id"}),
    "replays": frozenset({"run_id"}),
    "clear_replays": frozenset({"run_id"}),
}
# How long a `result` or `recording` link opens without the token: long enough to look at a run, short
# enough that a link copied out of a page is soon worthless. A client asks again for fresh ones.
ARTIFACT_LINK_TTL_S = 900


def parse_action(body: dict[str, Any]) -> ActionRequest:
    try:
        req = ActionRequest.model_validate(body)
    except ValidationError as exc:
        errors = exc.errors()
        if any(e["loc"] == ("action",) for e in errors):
            raise ApiError(
                400,
                "invalid_action",
                "unknown action; use one of status, result, logs, cancel, recording, list, validate, "
                "profiles, delete_profile, replays, clear_replays",
            ) from exc
        unknown = sorted(str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden")
        if unknown:
            raise ApiError(
                400, "unknown_field", f"unknown fields: {', '.join(unknown)}", {"fields": unknown}
            ) from exc
        details = [{"path": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in errors]
        raise ApiError(400, "invalid_request", "the action request is not valid", details) from exc
    unread = sorted(
        name
        for name in req.model_fields_set - ACTION_FIELDS[req.action] - {"action"}
        if getattr(req, name) is not None
    )
    if unread:
        details = [{"path": name, "message": f"{req.action} does not read {name}"} for name in unread]
        raise ApiError(400, "invalid_request", f"{req.action} does not read {', '.join(unread)}", details)
    return req


async def find_run(services: Services, tenant: Tenant, run_id: str | None) -> Run:
    if not run_id:
        raise ApiError(400, "invalid_request", "this action needs run_id")
    run = await off_loop(services.runs.get, run_id, tenant.id) if RUN_ID.fullmatch(run_id) else None
    if run is None:
        raise ApiError(404, "run_not_found", f"no run {run_id}")
    return run


async def handle(body: dict[str, Any], tenant: Tenant, services: Services, base_url: str) -> dict[str, Any]:
    req = parse_action(body)
    require_scope(tenant, SCOPES.get(req.action, "runs:read"))
    if req.action == "list":
        return await list_runs(req, tenant, services)
    if req.action == "profiles":
        found = await run_in_threadpool(services.profiles.list, tenant.id)
        return {"profiles": [profile.view() for profile in found]}
    if req.action == "delete_profile":
        return await delete_profile(req.profile_id, tenant, services)
    if req.action in ("replays", "clear_replays"):
        return await replay_records(req, tenant, services)
    run = await find_run(services, tenant, req.run_id)
    match req.action:
        case "status":
            return status_view(run, services.viewers.url(run.id))
        case "result":
            return await result_view(run, services, base_url)
        case "logs":
            return await logs_view(run, req, services)
        case "cancel":
            return await cancel(run, services)
        case _:
            return await recording_view(run, services, base_url)


async def replay_records(req: ActionRequest, tenant: Tenant, services: Services) -> dict[str, Any]:
    """The tenant's replay records (with `run_id`, only those of that run's plan), or their deletion."""
    run = await find_run(services, tenant, req.run_id) if req.run_id is not None else None
    fingerprint = plan_fingerprint(run.plan) if run is not None else None
    if req.action == "clear_replays":
        return {"cleared": await off_loop(services.replay.clear, tenant.id, fingerprint)}
    found = await off_loop(services.replay.list, tenant.id, fingerprint)
    total = len(found)
    if total == LIST_LIMIT:
        total = await off_loop(services.replay.count, tenant.id, fingerprint)
    return {"replays": [record_view(record) for record in found], "total": total}


def record_view(record: Stored) -> dict[str, Any]:
    return {
        "plan": record.fingerprint,
        "step": record.step,
        "kind": record.kind,
        "heals": record.heals,
        "run_id": record.run_id,
        "created_at": iso(record.created_at),
        "updated_at": iso(record.updated_at),
    }


async def delete_profile(profile_id: str | None, tenant: Tenant, services: Services) -> dict[str, Any]:
    """Deletes a profile on every plane; never while a run of it is queued or running."""
    if not profile_id:
        raise ApiError(400, "invalid_request", "delete_profile needs profile_id")
    if await off_loop(services.runs.profile_in_use, tenant.id, profile_id):
        raise ApiError(
            409, "profile_in_use", f"a run with profile {profile_id!r} is queued or running; try once it ends"
        )
    if not await run_in_threadpool(services.profiles.delete, tenant.id, profile_id):
        raise ApiError(404, "profile_not_found", f"no profile {profile_id!r}")
    return {"profile_id": profile_id, "deleted": True}


def artifact_url(base_url: str, run_id: str, name: str, signer: Signer) -> str:
    """A download URL that also opens in a browser: signed for this one file, for a short while."""
    query = signer.query(artifact_subject(run_id, name), ARTIFACT_LINK_TTL_S)
    return f"{base_url.rstrip('/')}/v1/runs/{run_id}/artifacts/{quote(name)}?{query}"


async def result_view(run: Run, services: Services, base_url: str) -> dict[str, Any]:
    if run.status not in FINAL:
        raise ApiError(
            409, "run_not_finished", f"run {run.id} is {run.status}; poll status until it ends", retry_after=5
        )
    raw = await run_in_threadpool(services.artifacts.read, run.id, "result.json")
    stored = json.loads(raw) if raw else {}
    result = stored.get("result") or {
        "leads": [],
        "viable": 0,
        "rows": [],
        "steps": [],
        "state_vars": {},
        "cost": {"usd": 0.0, "calls": []},
        "artifacts": [],
    }
    signer = services.viewers.signer
    result["artifacts"] = {
        name: artifact_url(base_url, run.id, name, signer) for name in result.get("artifacts", [])
    }
    return {"run_id": run.id, "status": run.status, "summary": run.summary, "result": result}


def event_cursor(raw: str | None) -> int | None:
    """An event id given back by a client (`next_cursor`, `Last-Event-ID`); None if it cannot be one."""
    if not raw:
        return 0
    if not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_EVENT_ID_DIGITS:
        return None
    return int(raw)


async def logs_view(run: Run, req: ActionRequest, services: Services) -> dict[str, Any]:
    after = event_cursor(req.cursor)
    if after is None:
        raise ApiError(400, "invalid_request", "cursor must be a value from next_cursor")
    events = await off_loop(services.runs.events, run.id, after, req.limit)
    return {
        "run_id": run.id,
        "events": [event_view(e) for e in events],
        "next_cursor": str(events[-1].id if events else after),
    }


async def cancel(run: Run, services: Services) -> dict[str, Any]:
    """A queued run ends at once; a running one is asked to stop (wherever it runs) and waited for."""
    runs = services.runs
    if run.status in ("queued", "running"):
        await services.executor.cancel(run.id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CANCEL_WAIT_S
        while loop.time() < deadline:
            current = await off_loop(runs.get, run.id)
            if current is None or current.status in FINAL:
                break
            await asyncio.sleep(0.1)
    latest = await off_loop(runs.get, run.id)
    return status_view(latest or run, services.viewers.url(run.id))


async def recording_view(run: Run, services: Services, base_url: str) -> dict[str, Any]:
    """`state` is `pending` while the recordings are made after the run (the files appear when done),
    then `ready` (with the polish's cost and each step's place in the polished video) or `failed`."""
    made = await run_in_threadpool(recording_state, services.settings.runs_dir / run.id)
    sizes = await run_in_threadpool(services.artifacts.sizes, run.id)

    def describe(stem: str) -> dict[str, Any] | None:
        for name in sorted(sizes):
            path = PurePath(name)
            if path.stem == stem and path.suffix in (".mp4", ".webm", ".gif"):
                return {
                    "format": path.suffix[1:],
                    "bytes": sizes[name],
                    "url": artifact_url(base_url, run.id, name, services.viewers.signer),
                }
        return None

    polished = describe("recording")
    if polished is not None and made.get("steps"):
        polished["steps"] = made["steps"]
    return {
        "run_id": run.id,
        "status": run.status,
        "state": made["state"],
        "polished": polished,
        "raw": describe("recording_raw"),
        "polish": made.get("polish"),
        "message": made.get("message"),
    }


def plan_label(run: Run) -> str:
    """What a person calls the run's plan: its name, else its library path, else how it was sent."""
    plan = run.plan
    return str(plan.get("name") or plan.get("source") or f"inline {plan.get('kind', 'plan')}")


async def list_runs(req: ActionRequest, tenant: Tenant, services: Services) -> dict[str, Any]:
    before = None
    if req.cursor:
        cursor = req.cursor if RUN_ID.fullmatch(req.cursor) else None
        anchor = await off_loop(services.runs.get, cursor, tenant.id) if cursor else None
        if anchor is None:
            raise ApiError(400, "invalid_request", "cursor must be a value from next_cursor")
        before = aware(anchor.created_at)
    runs = await off_loop(services.runs.page, tenant.id, req.status, req.limit, before)
    return {
        "runs": [
            {
                "run_id": r.id,
                "status": r.status,
                "created_at": iso(r.created_at),
                "summary": status_view(r)["summary"],
                "plan": plan_label(r),
                "compute_backend": r.effective.get("compute_backend"),
                "profile_id": r.profile_id,
                "workflow_id": r.workflow_id,
                "rows": r.rows,
                "viable": r.viable,
                "cost_usd": round(r.cost_usd, 6),
            }
            for r in runs
        ],
        "next_cursor": runs[-1].id if len(runs) == req.limit else None,
    }

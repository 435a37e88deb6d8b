"""The HTTP surface: `POST /v1/predict`, the read-only conveniences, and the health endpoints."""

from __future__ import annotations

import asyncio
import json
import logging
import mimetypes
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool

from mantis import metrics
from mantis.api import actions, status_path
from mantis.api.auth import admit, authenticate, look_up, require_scope
from mantis.api.body import read_json_body
from mantis.api.errors import CODES, ApiError
from mantis.api.openapi import PREDICT_BODY, error_responses
from mantis.api.schemas import ErrorBody
from mantis.api.submit import queued_view, submit
from mantis.api.validate import validate
from mantis.artifacts import is_artifact_name
from mantis.plans.schema import SCHEMA_PATH, plan_schema
from mantis.services import Services
from mantis.store.db import off_loop
from mantis.store.models import Tenant
from mantis.store.runs import FINAL
from mantis.store.views import event_view, status_view
from mantis.viewer.signing import artifact_subject
from mantis.workers import ends

POLL_S = 0.25
# A file a run made is data, never a page of this site: no sniffing it into HTML, no script if it is one,
# and a signed link in its URL is not sent on to other sites.
ARTIFACT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox",
    "Referrer-Policy": "no-referrer",
}

log = logging.getLogger("mantis.api")

router = APIRouter()


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.post(
    "/v1/predict",
    summary="Submit a run, or act on one",
    openapi_extra={"requestBody": PREDICT_BODY},
    responses={
        200: {
            "description": "A submission's queued handle (with `detached: false`, the run's result), "
            "or the action's answer"
        },
        **error_responses(*(code for codes in CODES.values() for code in codes)),
    },
)
async def predict(request: Request, token: str = Depends(admit)) -> Any:
    """Submit a plan, or act on a run with `{"action": ..., "run_id": ...}`."""
    services = services_of(request)
    early, refused = await status_path.small_body(request)
    if status_path.asks_status(early):
        return await status_path.status(request, token, early, services)
    tenant = await look_up(request, token)
    if refused is not None:
        raise refused
    body = early if early is not None else await read_json_body(request)
    if body.get("action") == "validate":
        require_scope(tenant, "runs:read")
        return await run_in_threadpool(validate, body, tenant, services)
    if "action" in body:
        return await actions.handle(body, tenant, services, base_url(request))
    require_scope(tenant, "runs:submit")
    run, created = await submit(body, request.headers.get("idempotency-key"), tenant, services)
    if created:
        await services.executor.submit(run.id)
    if run.mode == "detached":
        return JSONResponse(queued_view(run, services.artifacts), status_code=200)
    while run.status not in FINAL:
        await ends.wait(run.id, POLL_S)
        latest = await off_loop(services.runs.get, run.id)
        run = latest or run
    return await actions.result_view(run, services, base_url(request))


@router.get(
    "/v1/runs/{run_id}",
    summary="A run's status",
    responses={
        200: {"description": "The body of `action: status`"},
        **error_responses("forbidden_scope", "run_not_found"),
    },
)
async def run_status(run_id: str, request: Request, tenant: Tenant = Depends(authenticate)) -> dict[str, Any]:
    require_scope(tenant, "runs:read")
    services = services_of(request)
    run = await actions.find_run(services, tenant, run_id)
    return status_view(run, services.viewers.url(run.id))


@router.get(
    "/v1/runs/{run_id}/artifacts/{name:path}",
    summary="Download an artifact",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The file",
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        },
        **error_responses("forbidden_scope", "run_not_found", "artifact_not_found"),
        403: {"model": ErrorBody, "description": "Codes: `forbidden_scope`, `invalid_signature`"},
    },
)
async def artifact(
    run_id: str,
    name: str,
    request: Request,
    exp: Annotated[str, Query(description="A signed link's expiry (unix seconds)")] = "",
    sig: Annotated[str, Query(description="A signed link's signature, as `result.artifacts` gives it")] = "",
) -> Response:
    """Download one file of the run's folder, named as in `result.artifacts`: with the token, or through
    the signed, short-lived link that `result` and `recording` hand out (it opens in a browser)."""
    services = services_of(request)
    if "x-mantis-token" not in request.headers and (exp or sig):
        if not services.viewers.signer.valid(artifact_subject(run_id, name), exp, sig):
            raise ApiError(403, "invalid_signature", "this artifact link is not valid or has expired")
        run = await off_loop(services.runs.get, run_id)
        if run is None:
            raise ApiError(404, "run_not_found", f"no run {run_id}")
    else:
        tenant = await authenticate(request)
        require_scope(tenant, "runs:read")
        run = await actions.find_run(services, tenant, run_id)
    missing = ApiError(404, "artifact_not_found", f"run {run.id} has no artifact {name[:200]!r}")
    if not is_artifact_name(name):
        raise missing
    store = services.artifacts
    path = await run_in_threadpool(store.local_file, run.id, name)
    if path is not None:
        return FileResponse(path, headers=ARTIFACT_HEADERS)
    data = await run_in_threadpool(store.read, run.id, name)
    if data is None:
        raise missing
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Response(data, media_type=kind, headers=ARTIFACT_HEADERS)


@router.get(
    "/v1/runs/{run_id}/events",
    summary="A run's log as server-sent events",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Per event `id`, `event` (its type) and `data` (as in `action: logs`); "
            "`event: end` when the run has ended",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        **error_responses("forbidden_scope", "run_not_found"),
    },
)
async def run_events(
    run_id: str, request: Request, tenant: Tenant = Depends(authenticate)
) -> StreamingResponse:
    """The run's log as server-sent events, until the run ends."""
    require_scope(tenant, "runs:read")
    services = services_of(request)
    run = await actions.find_run(services, tenant, run_id)
    start = request.headers.get("last-event-id", "0")
    after = actions.event_cursor(start) or 0

    async def stream() -> AsyncIterator[str]:
        nonlocal after
        while True:
            events = await off_loop(services.runs.events, run.id, after, 500)
            for e in events:
                yield f"id: {e.id}\nevent: {e.type}\ndata: {json.dumps(event_view(e), default=str)}\n\n"
                after = e.id
            if events:
                continue
            current = await off_loop(services.runs.get, run.id)
            if current is None or current.status in FINAL:
                yield "event: end\ndata: {}\n\n"
                return
            await asyncio.sleep(POLL_S)

    return StreamingResponse(stream(), media_type="text/event-stream")


@router.get(
    SCHEMA_PATH,
    summary="The plan schema",
    responses={200: {"description": "plan.schema.json (JSON Schema 2020-12)"}},
    openapi_extra={"security": []},
)
async def schema(request: Request) -> dict[str, Any]:
    """The JSON Schema every plan is checked against, with this URL as its `$id`. It needs no token, so
    an editor can fetch it for a plan file that names it in `"$schema"`."""
    return {**plan_schema(), "$id": base_url(request) + SCHEMA_PATH}


@router.get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", include_in_schema=False)
async def readyz(request: Request) -> Response:
    services = services_of(request)

    def ping() -> None:
        with services.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    try:
        await off_loop(ping)
    except Exception:
        raise ApiError(503, "unavailable", "the run store is not reachable") from None
    return JSONResponse({"status": "ready"})


@router.get("/metrics", include_in_schema=False)
async def prometheus(request: Request) -> Response:
    try:
        counts = await off_loop(services_of(request).runs.active_counts)
    except OperationalError:
        log.warning("/metrics: the run store is not reachable; queue gauges keep their last values")
    else:
        metrics.RUNS_QUEUED.set(counts["queued"])
        metrics.RUNS_RUNNING.set(counts["running"])
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

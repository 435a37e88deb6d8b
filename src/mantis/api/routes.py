"""The HTTP surface: `POST /v1/predict`, the read-only conveniences, and the health endpoints."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from mantis.api import actions
from mantis.api.auth import authenticate, require_scope
from mantis.api.errors import ApiError
from mantis.api.submit import queued_view, submit
from mantis.plans.schema import plan_schema
from mantis.services import Services
from mantis.store.models import Tenant
from mantis.store.runs import FINAL
from mantis.store.views import iso, status_view

MAX_BODY = 5 * 1024 * 1024
POLL_S = 0.25

router = APIRouter()


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def read_json_body(request: Request) -> dict[str, Any]:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise ApiError(413, "payload_too_large", "the body is over 5 MiB")
    raw = bytearray()
    async for chunk in request.stream():
        raw.extend(chunk)
        if len(raw) > MAX_BODY:
            raise ApiError(413, "payload_too_large", "the body is over 5 MiB")
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", "the body must be a JSON object")
    return body


@router.post("/v1/predict")
async def predict(request: Request, tenant: Tenant = Depends(authenticate)) -> Any:
    """Submit a plan, or act on a run with `{"action": ..., "run_id": ...}`."""
    body = await read_json_body(request)
    services = services_of(request)
    if "action" in body:
        return await actions.handle(body, tenant, services, base_url(request))
    require_scope(tenant, "runs:submit")
    run, created = await submit(body, request.headers.get("idempotency-key"), tenant, services)
    if created:
        await services.executor.submit(run.id)
    if run.mode == "detached":
        return JSONResponse(queued_view(run, services.settings), status_code=200)
    while run.status not in FINAL:
        await asyncio.sleep(POLL_S)
        latest = await run_in_threadpool(services.runs.get, run.id)
        run = latest or run
    return actions.result_view(run, services, base_url(request))


@router.get("/v1/runs/{run_id}")
async def run_status(run_id: str, request: Request, tenant: Tenant = Depends(authenticate)) -> dict[str, Any]:
    require_scope(tenant, "runs:read")
    return status_view(await actions.find_run(services_of(request), tenant, run_id))


@router.get("/v1/runs/{run_id}/artifacts/{name}")
async def artifact(
    run_id: str, name: str, request: Request, tenant: Tenant = Depends(authenticate)
) -> Response:
    require_scope(tenant, "runs:read")
    services = services_of(request)
    run = await actions.find_run(services, tenant, run_id)
    run_dir = (services.settings.runs_dir / run.id).resolve()
    path = (run_dir / name).resolve()
    if name.startswith(".") or path.parent != run_dir or not path.is_file():
        raise ApiError(404, "artifact_not_found", f"run {run.id} has no artifact {name!r}")
    return FileResponse(path)


@router.get("/v1/runs/{run_id}/events")
async def run_events(
    run_id: str, request: Request, tenant: Tenant = Depends(authenticate)
) -> StreamingResponse:
    """The run's log as server-sent events, until the run ends."""
    require_scope(tenant, "runs:read")
    services = services_of(request)
    run = await actions.find_run(services, tenant, run_id)
    start = request.headers.get("last-event-id", "0")
    after = int(start) if start.isdigit() else 0

    async def stream() -> AsyncIterator[str]:
        nonlocal after
        while True:
            events = await run_in_threadpool(services.runs.events, run.id, after, 500)
            for e in events:
                data = {
                    "ts": iso(e.ts),
                    "level": e.level,
                    "type": e.type,
                    "step_index": e.step_index,
                    "message": e.message,
                    "data": e.data,
                }
                yield f"id: {e.id}\nevent: {e.type}\ndata: {json.dumps(data, default=str)}\n\n"
                after = e.id
            current = await run_in_threadpool(services.runs.get, run.id)
            if not events and (current is None or current.status in FINAL):
                yield "event: end\ndata: {}\n\n"
                return
            if not events:
                await asyncio.sleep(POLL_S)

    return StreamingResponse(stream(), media_type="text/event-stream")


@router.get("/v1/plan.schema.json")
async def schema(_tenant: Tenant = Depends(authenticate)) -> dict[str, Any]:
    return plan_schema()


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
        await run_in_threadpool(ping)
    except Exception:
        raise ApiError(503, "unavailable", "the run store is not reachable") from None
    return JSONResponse({"status": "ready"})


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

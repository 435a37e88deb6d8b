"""`action: status`, the call clients poll, with one store call: the token and the run looked up together.

Every other request looks the token up in one store call and what it asks for in another; each call is
a hand-over to a store thread and back, GIL and all, and with four runs going those hand-overs were most
of a status answer's time (bench/README.md, "status_load"). The token is still looked up on every
request, so a revoked token stops at once, and the answers and their order of checks are those of
`actions.handle`: authentication first, then the request, the scope, the run.
"""

from __future__ import annotations

from typing import Any, TypeGuard

from fastapi import Request
from fastapi.responses import JSONResponse

from mantis.api.actions import parse_action
from mantis.api.auth import accept, require_scope
from mantis.api.body import read_json_body
from mantis.api.errors import ApiError
from mantis.api.submit import RUN_ID
from mantis.services import Services
from mantis.store.db import off_loop
from mantis.store.models import Run, Tenant
from mantis.store.views import status_view

# Bodies this short are read before the token is looked up, to see whether they ask for a status: a
# status body is about 60 bytes. A longer one, or one without Content-Length, is read only once its
# token is known, as before, so an unknown caller's large body is never read.
SMALL_BODY = 1024


async def small_body(request: Request) -> tuple[dict[str, Any] | None, ApiError | None]:
    """The body if it is declared small, or the error reading it gave (raised once the caller is known);
    (None, None) when it is to be read later."""
    declared = request.headers.get("content-length", "")
    if not (declared.isascii() and declared.isdigit() and int(declared) <= SMALL_BODY):
        return None, None
    try:
        return await read_json_body(request), None
    except ApiError as refused:
        return None, refused


def asks_status(body: dict[str, Any] | None) -> TypeGuard[dict[str, Any]]:
    run_id = body.get("run_id") if body is not None else None
    return (
        body is not None
        and body.get("action") == "status"
        and isinstance(run_id, str)
        and run_id != ""  # an empty run_id is actions.find_run's to refuse (400, "needs run_id")
    )


async def status(request: Request, token: str, body: dict[str, Any], services: Services) -> JSONResponse:
    tenant, run = await off_loop(_lookup, services, token, body["run_id"])
    accepted = accept(request, tenant)
    parse_action(body)
    require_scope(accepted, "runs:read")
    if run is None:
        raise ApiError(404, "run_not_found", f"no run {body['run_id']}")
    return JSONResponse(status_view(run, services.viewers.url(run.id)))


def _lookup(services: Services, token: str, run_id: str) -> tuple[Tenant | None, Run | None]:
    """On a store thread: the token's tenant, and the run if it is that tenant's."""
    if not token:
        return None, None
    return services.tenants.authenticate_run(token, run_id if RUN_ID.fullmatch(run_id) else "")

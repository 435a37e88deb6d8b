"""The error contract: every error is `{"error": {code, message, retryable, details}}`, never a trace."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

log = logging.getLogger("mantis.api")

# API.md's error table: the codes each status may carry.
CODES: dict[int, tuple[str, ...]] = {
    400: (
        "invalid_json",
        "invalid_plan_shape",
        "invalid_plan",
        "invalid_plan_path",
        "plan_too_large",
        "unknown_field",
        "invalid_action",
        "invalid_request",
    ),
    401: ("unauthorized", "platform_key_required"),
    403: ("forbidden_scope", "domain_not_allowed"),
    404: ("run_not_found", "plan_not_found", "artifact_not_found", "profile_not_found"),
    409: (
        "idempotency_conflict",
        "run_not_finished",
        "checkpoint_mismatch",
        "profile_in_use",
        "profile_too_large",
    ),
    413: ("payload_too_large",),
    429: ("too_many_runs", "rate_limited"),
    500: ("internal_error",),
    503: ("unavailable",),
}
RETRYABLE = frozenset({"run_not_finished", "too_many_runs", "rate_limited", "internal_error", "unavailable"})


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, details: Any = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.retry_after = retry_after


def error_response(
    status: int, code: str, message: str, details: Any = None, retry_after: int | None = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "retryable": code in RETRYABLE, "details": details}}
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    if retry_after is None and status in (429, 503):
        headers = {"Retry-After": "5"}
    return JSONResponse(body, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.retry_after)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"path": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        return error_response(400, "invalid_request", "the request is not valid", details)

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "invalid_request")
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def _store_down(request: Request, exc: Exception) -> JSONResponse:
        log.warning("the run store failed on %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return error_response(503, "unavailable", "the run store is not reachable; try again shortly")

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "the server hit an internal error; try again")

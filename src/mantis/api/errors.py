"""The error contract: every error is `{"error": {code, message, retryable, details}}`, never a trace."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

log = logging.getLogger("mantis.api")

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

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "the server hit an internal error; try again")

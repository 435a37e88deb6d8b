"""The raw body of `POST /v1/predict`: at most 5 MiB, strict JSON (`mantis.strictjson`), one object.

Read by hand rather than by FastAPI so that each fault gets the contract's own code, before anything is
stored: a number, a string or a nesting the store or the runner could not take is a 400 here, not a 500
(or a run ending `internal_error`) later.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from mantis import strictjson
from mantis.api.errors import ApiError

MAX_BODY = 5 * 1024 * 1024


async def read_json_body(request: Request) -> dict[str, Any]:
    declared = request.headers.get("content-length")
    if declared and declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY:
        raise ApiError(413, "payload_too_large", "the body is over 5 MiB")
    raw = bytearray()
    async for chunk in request.stream():
        raw.extend(chunk)
        if len(raw) > MAX_BODY:
            raise ApiError(413, "payload_too_large", "the body is over 5 MiB")
    try:
        body = strictjson.loads(bytes(raw))
    except strictjson.TextRefused as exc:
        raise ApiError(400, "invalid_request", str(exc)) from None
    except strictjson.JsonRefused as exc:
        raise ApiError(400, "invalid_json", f"the body is refused: {exc}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", "the body must be a JSON object")
    return body

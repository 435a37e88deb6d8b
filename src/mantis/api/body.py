"""The raw body of `POST /v1/predict`: at most 5 MiB, strict JSON, and only text the store can keep.

Read by hand rather than by FastAPI so that each fault gets the contract's own code. Non-finite numbers,
NUL characters and lone surrogates are refused here: PostgreSQL would refuse them later, as a 500.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

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
        body = json.loads(raw, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON: {exc}") from None
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_json", "the body is not UTF-8 text") from None
    except (ValueError, RecursionError):
        message = "the body nests too deep, or holds a number JSON cannot carry"
        raise ApiError(400, "invalid_json", message) from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", "the body must be a JSON object")
    if not storable(body):
        raise ApiError(400, "invalid_request", "strings must be Unicode text without NUL characters")
    return body


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def storable(value: Any) -> bool:
    """Whether every string (keys too) is valid Unicode without NUL; walked without recursion."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                return False
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
    return True

"""What goes over the wire: the calls the protocol asks for, the answers it gets back, and how an answer
becomes a dict or a MantisError."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from mantis.client.errors import MantisError


@dataclass(frozen=True)
class Call:
    """One HTTP request; the transport waits `delay_s` first, and streams a 2xx body to `dest` if set."""

    method: Literal["GET", "POST"]
    path: str
    body: dict[str, Any] | None = None
    delay_s: float = 0.0
    dest: Path | None = None


@dataclass(frozen=True)
class Reply:
    status: int
    content: bytes
    retry_after: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True)
class Unreachable:
    """No answer: the connection failed or the call timed out."""

    reason: str

    @classmethod
    def of(cls, exc: BaseException) -> Unreachable:
        detail = str(exc)
        return cls(f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__)


Outcome = Reply | Unreachable


def retry_after_s(value: str | None) -> float | None:
    """`Retry-After` in seconds, from either of its forms (delta seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _json_or_none(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None


def error_of(reply: Reply) -> MantisError:
    """The API's error body as a MantisError."""
    payload = _json_or_none(reply.content)
    error = payload.get("error") if isinstance(payload, dict) else None
    wait = retry_after_s(reply.retry_after)
    if isinstance(error, dict) and "code" in error:
        return MantisError(
            reply.status,
            str(error["code"]),
            str(error.get("message") or ""),
            bool(error.get("retryable")),
            error.get("details"),
            wait,
        )
    # Not Mantis's error body (a proxy or gateway answered): keep the status, guess retryable from it.
    text = " ".join(reply.content.decode("utf-8", "replace").split())[:200] or f"HTTP {reply.status}"
    retryable = reply.status in (429, 502, 503, 504)
    return MantisError(reply.status, f"http_{reply.status}", text, retryable, None, wait)


def json_of(reply: Reply) -> dict[str, Any]:
    body = _json_or_none(reply.content)
    if not isinstance(body, dict):
        raise MantisError(reply.status, "invalid_response", "the server's answer is not a JSON object")
    return body


def artifact_path(run_id: str, name: str) -> str:
    return f"/v1/runs/{quote(run_id, safe='')}/artifacts/{quote(name, safe='')}"


def checked_name(name: str) -> str:
    """An artifact name is a plain file name; anything else could write outside the destination."""
    if name in ("", ".", "..") or Path(name).name != name:
        raise MantisError(None, "invalid_artifact_name", f"not a plain file name: {name!r}")
    return name

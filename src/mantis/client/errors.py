"""The one exception a caller catches: an error answer from Mantis, or a failure to get any answer."""

from __future__ import annotations

from typing import Any


class MantisError(Exception):
    """An error in the shape of the API's error body.

    `status` is the HTTP status, or None when no answer came (the server was unreachable, the call timed
    out, a wait ran out of time, or the client was not configured).
    """

    def __init__(
        self,
        status: int | None,
        code: str,
        message: str,
        retryable: bool = False,
        details: Any = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retryable = retryable
        self.details = details
        self.retry_after = retry_after

    def __str__(self) -> str:
        where = f" (HTTP {self.status})" if self.status is not None else ""
        return f"{self.code}: {self.message}{where}"

    def __repr__(self) -> str:
        return f"MantisError({self.status!r}, {self.code!r}, {self.message!r}, retryable={self.retryable!r})"

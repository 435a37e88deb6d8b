"""Webhook settings, read from the environment at server start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

# Seconds to wait after each failed attempt: 7 attempts over about 48 minutes.
DEFAULT_BACKOFF: tuple[float, ...] = (5.0, 30.0, 120.0, 300.0, 600.0, 1800.0)


def parse_backoff(raw: str) -> tuple[float, ...]:
    """`MANTIS_WEBHOOK_BACKOFF`: comma-separated seconds, one per retry."""
    try:
        delays = tuple(float(item) for item in raw.split(","))
    except ValueError as exc:
        raise ValueError(f"MANTIS_WEBHOOK_BACKOFF must be comma-separated seconds, not {raw!r}") from exc
    if any(delay < 0 for delay in delays):
        raise ValueError(f"MANTIS_WEBHOOK_BACKOFF must not hold negative delays: {raw!r}")
    return delays


def retry_delay(attempts_made: int, backoff: tuple[float, ...]) -> float | None:
    """Seconds until the next attempt after `attempts_made` failed ones; None when they are used up."""
    return backoff[attempts_made - 1] if attempts_made <= len(backoff) else None


@dataclass(frozen=True)
class WebhookSettings:
    backoff: tuple[float, ...] = DEFAULT_BACKOFF
    allow_private: bool = False
    timeout_s: float = 10.0
    concurrency: int = 8

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> WebhookSettings:
        raw = environ.get("MANTIS_WEBHOOK_BACKOFF", "").strip()
        return cls(
            backoff=parse_backoff(raw) if raw else DEFAULT_BACKOFF,
            allow_private=environ.get("MANTIS_ALLOW_PRIVATE_CALLBACKS", "").strip() == "1",
        )

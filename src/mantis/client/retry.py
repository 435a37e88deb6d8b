"""When to try a call again, and after how long, as docs/client/errors.md advises."""

from __future__ import annotations

import random
from dataclasses import dataclass

from mantis.client.errors import MantisError

# `run_not_finished` is retryable by the server's book, but it means "the run is still going": the answer is
# to wait for the run (`wait`), not to hammer `result`.
NOT_RETRIED = frozenset({"run_not_finished"})
# A 500 may be a bug that repeats: the guide says retry it once.
ATTEMPTS_BY_CODE = {"internal_error": 2}


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with full jitter; a `Retry-After` is a floor, never cut short."""

    max_attempts: int = 5
    base_s: float = 0.5
    cap_s: float = 30.0

    def delay(self, attempt: int, error: MantisError) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None to give up and raise `error`."""
        if not error.retryable or error.code in NOT_RETRIED:
            return None
        if attempt >= min(self.max_attempts, ATTEMPTS_BY_CODE.get(error.code, self.max_attempts)):
            return None
        backoff = random.uniform(0, min(self.cap_s, self.base_s * 2 ** (attempt - 1)))
        return max(backoff, error.retry_after or 0.0)

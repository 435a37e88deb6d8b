"""Token buckets, in this process: per tenant for requests, per client address for failed authentication.

A tenant may send `rate` requests a second on average and bursts of `BURST_S` seconds' worth; past that
it gets 429 `rate_limited` with how long to wait. Each server process counts on its own.
"""

from __future__ import annotations

import math
import threading
import time

BURST_S = 5.0
# Failed authentications an address may make at once before it must wait for the refill: room for a
# person's typos and a client's misconfigured retries, while a guesser gets a few per minute.
AUTH_FAILURE_BURST = 10.0


class RateLimiter:
    def __init__(self, rate_per_s: float, burst: float | None = None) -> None:
        self._rate = rate_per_s
        self._capacity = burst if burst is not None else max(rate_per_s * BURST_S, 1.0)
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when counted)
        self._lock = threading.Lock()

    def wait_s(self, key: str) -> int:
        """Takes one request from `key`'s bucket: 0 when allowed, else whole seconds until it would be."""
        return self._count(key, take=True)

    def blocked_s(self, key: str) -> int:
        """Whole seconds until `key`'s bucket holds a request again (0: it does), taking nothing."""
        return self._count(key, take=False)

    def _count(self, key: str, take: bool) -> int:
        if self._rate <= 0:
            return 0
        moment = time.monotonic()
        with self._lock:
            tokens, then = self._buckets.get(key, (self._capacity, moment))
            tokens = min(self._capacity, tokens + (moment - then) * self._rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0 if take else tokens, moment)
                return 0
            self._buckets[key] = (tokens, moment)
            return max(1, math.ceil((1.0 - tokens) / self._rate))

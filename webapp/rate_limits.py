"""Rate limits that services apply themselves, per user or per account rather than per address.

flask-limiter's decorators key on the request; rules such as "30 quiz starts an hour per learner"
belong to the service, so the HTML views and the API share one budget. The counters live in the
limiter's storage (Redis when `REDIS_URL` is set), so every worker and server sees the same count.
"""

from __future__ import annotations

import math
import time

from limits import parse
from limits.strategies import MovingWindowRateLimiter

from webapp.exceptions import AppError
from webapp.extensions import limiter


class RateLimited(AppError):
    status = 429
    code = "RATE_LIMITED"
    message = "Too many requests. Wait a moment and try again."

    def __init__(self, message: str | None = None, retry_after: int = 60, code: str | None = None) -> None:
        super().__init__(message, code=code, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = max(1, retry_after)


class KeyedLimit:
    """A moving-window limit such as "30 per hour", counted per caller-chosen key."""

    def __init__(self, namespace: str, limit: str) -> None:
        self.namespace = namespace
        self.item = parse(limit)
        # RATELIMIT_ENABLED = False (the benchmarks) switches these off too, as it does the decorators.
        self.strategy = MovingWindowRateLimiter(limiter.storage) if limiter.enabled else None

    def allows(self, key: str) -> bool:
        """True while `key` still has room (does not count anything)."""
        return self.strategy is None or self.strategy.test(self.item, self.namespace, key)

    def hit(self, key: str) -> bool:
        """Count one event for `key`; False when the limit was already reached (nothing counted)."""
        return self.strategy is None or self.strategy.hit(self.item, self.namespace, key)

    def retry_after(self, key: str) -> int:
        """Seconds until `key` has room again (0 if it has room now)."""
        reset_at, remaining = self.strategy.get_window_stats(self.item, self.namespace, key)
        if remaining > 0:
            return 0
        return max(1, math.ceil(reset_at - time.time()))

    def check(self, key: str, message: str | None = None, code: str | None = None) -> None:
        """Count one event, or raise RateLimited with Retry-After when the limit is reached."""
        if not self.hit(key):
            raise RateLimited(message, retry_after=self.retry_after(key), code=code)

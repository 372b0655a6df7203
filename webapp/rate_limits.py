"""Rate limits that services apply themselves, per user or per account rather than per address.

flask-limiter's decorators key on the request; rules such as "30 quiz starts an hour per learner"
belong to the service, so the HTML views and the API share one budget. The counters live in the
limiter's storage (Redis when `REDIS_URL` is set), so every worker and server sees the same count.

When that storage fails (Redis stopped or unreachable), the limits are counted in this process's
memory instead, as flask-limiter does for its decorators (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED):
each limit still holds, per process, so N workers allow at most N times the limit until Redis
answers again. One warning is logged per process and outage; the storage is tried again every
RATELIMIT_STORAGE_RETRY_SECONDS (docs/PRODUCTION.md, "Faults").
"""

from __future__ import annotations

import logging
import math
import time

from flask import current_app
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from webapp.exceptions import AppError
from webapp.extensions import limiter

logger = logging.getLogger(__name__)


class RateLimited(AppError):
    status = 429
    code = "RATE_LIMITED"
    message = "Too many requests. Wait a moment and try again."

    def __init__(self, message: str | None = None, retry_after: int = 60, code: str | None = None) -> None:
        super().__init__(message, code=code, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = max(1, retry_after)


class _Fallback:
    """Per process: the in-memory counters used while the shared storage fails."""

    def __init__(self) -> None:
        self.strategy = MovingWindowRateLimiter(MemoryStorage())
        self.down = False
        self.retry_at = 0.0


_fallback = _Fallback()


class KeyedLimit:
    """A moving-window limit such as "30 per hour", counted per caller-chosen key."""

    def __init__(self, namespace: str, limit: str) -> None:
        self.namespace = namespace
        self.item = parse(limit)
        # RATELIMIT_ENABLED = False (the benchmarks) switches these off too, as it does the decorators.
        self.strategy = MovingWindowRateLimiter(limiter.storage) if limiter.enabled else None
        self.shared = self.strategy is not None and not isinstance(limiter.storage, MemoryStorage)

    def _ask(self, action: str, key: str):
        """`action` (test, hit, get_window_stats) on the shared storage, or on this process's
        memory while the shared storage is failing."""
        if self.shared and not (_fallback.down and time.monotonic() < _fallback.retry_at):
            try:
                answer = getattr(self.strategy, action)(self.item, self.namespace, key)
            except limiter.storage.base_exceptions as error:
                self._storage_failed(error)
            else:
                if _fallback.down:
                    _fallback.down = False
                    logger.info("rate-limit storage recovered")
                return answer
        strategy = _fallback.strategy if self.shared else self.strategy
        return getattr(strategy, action)(self.item, self.namespace, key)

    @staticmethod
    def _storage_failed(error: Exception) -> None:
        _fallback.retry_at = time.monotonic() + float(current_app.config["RATELIMIT_STORAGE_RETRY_SECONDS"])
        if not _fallback.down:  # one warning per outage, not one per request
            _fallback.down = True
            logger.warning("rate-limit storage unreachable; counting in this process's memory",
                           extra={"error": f"{type(error).__name__}: {error}"})

    def allows(self, key: str) -> bool:
        """True while `key` still has room (does not count anything)."""
        return self.strategy is None or self._ask("test", key)

    def hit(self, key: str) -> bool:
        """Count one event for `key`; False when the limit was already reached (nothing counted)."""
        return self.strategy is None or self._ask("hit", key)

    def retry_after(self, key: str) -> int:
        """Seconds until `key` has room again (0 if it has room now)."""
        reset_at, remaining = self._ask("get_window_stats", key)
        if remaining > 0:
            return 0
        return max(1, math.ceil(reset_at - time.time()))

    def check(self, key: str, message: str | None = None, code: str | None = None) -> None:
        """Count one event, or raise RateLimited with Retry-After when the limit is reached."""
        if not self.hit(key):
            raise RateLimited(message, retry_after=self.retry_after(key), code=code)

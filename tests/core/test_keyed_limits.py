"""Service-level limits keyed per user or account, in the limiter's shared storage."""

from __future__ import annotations

import pytest

from webapp.rate_limits import KeyedLimit, RateLimited


def test_keyed_limit_counts_per_key_and_reports_retry_after(app):
    """A key gets its budget and then RateLimited with a positive Retry-After; other keys are untouched."""
    with app.app_context():
        limit = KeyedLimit("test-keyed", "3 per minute")
        for _ in range(3):
            limit.check("alice")
        with pytest.raises(RateLimited) as caught:
            limit.check("alice")
        assert caught.value.status == 429 and 0 < caught.value.retry_after <= 60
        assert caught.value.headers["Retry-After"] == str(caught.value.retry_after)
        assert limit.allows("bob") and not limit.allows("alice")

"""Database readiness check used by `/health`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa

from webapp.extensions import db

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HealthReport:
    healthy: bool
    timestamp: str
    database: str
    version: str


def check_health(version: str, timeout_seconds: float) -> HealthReport:
    """Ask the database for `SELECT 1`, giving up after `timeout_seconds`."""
    ok = database_answers(timeout_seconds)
    return HealthReport(
        healthy=ok,
        timestamp=datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        database="connected" if ok else "disconnected",
        version=version,
    )


def database_answers(timeout_seconds: float) -> bool:
    """True if the database runs `SELECT 1` in time. Failures are logged, never returned."""
    try:
        with db.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text(f"SET LOCAL statement_timeout = {int(timeout_seconds * 1000)}"))
            connection.execute(sa.text("SELECT 1")).scalar_one()
        return True
    except Exception as exc:  # any failure means "not ready"; the detail goes to the log only
        logger.warning("database health check failed", extra={"error_type": type(exc).__name__})
        return False

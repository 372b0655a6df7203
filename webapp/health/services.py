"""Database readiness check used by `/health`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone

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
    """True if the database runs `SELECT 1`. Failures are logged, never returned.

    The engine's connect timeout (2 s, config.py) bounds a database that does not answer, and
    pool_pre_ping replaces connections a restart has broken, so the check recovers by itself.
    Load balancers call this several times a second, so it talks to the driver directly: on
    PostgreSQL in autocommit, one round trip for the pre-ping and one for `SELECT 1`, where a
    SQLAlchemy transaction would add a BEGIN and a ROLLBACK.
    """
    try:
        pooled = db.engine.raw_connection()
        try:
            driver = pooled.driver_connection
            postgres = db.engine.dialect.name == "postgresql"
            if postgres:
                driver.autocommit = True
            try:
                cursor = driver.cursor()
                cursor.execute("SELECT 1")
                cursor.fetchone()
                cursor.close()
            finally:
                if postgres and not driver.closed:
                    driver.autocommit = False
        finally:
            pooled.close()
        return True
    except Exception as exc:  # any failure means "not ready"; the detail goes to the log only
        logger.warning("database health check failed", extra={"error_type": type(exc).__name__})
        return False

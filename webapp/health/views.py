"""`/health` (readiness, checks the database) and `/health/live` (liveness, no I/O)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from webapp.health.services import check_health

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    report = check_health(current_app.config["APP_VERSION"], current_app.config["HEALTH_DB_TIMEOUT_SECONDS"])
    body = {
        "status": "healthy" if report.healthy else "unhealthy",
        "timestamp": report.timestamp,
        "database": report.database,
        "version": report.version,
    }
    response = jsonify(body)
    response.status_code = 200 if report.healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/health/live")
def live():
    response = jsonify({"status": "alive"})
    response.headers["Cache-Control"] = "no-store"
    return response

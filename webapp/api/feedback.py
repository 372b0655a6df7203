"""`POST /api/v1/questions/{id}/feedback` and `GET /api/v1/users/me/feedback`: learner reports."""

from __future__ import annotations

from webapp.api import Blueprint

feedback_bp = Blueprint("api_feedback", __name__, description="Question reports")

"""`/api/v1/admin/flagged-questions` and `/api/v1/admin/feedback/{id}`: the triage queue (admin tokens only)."""

from __future__ import annotations

from webapp.api import Blueprint

triage_bp = Blueprint("api_triage", __name__, description="Triage of reported questions (admin tokens only)")

"""`PATCH /api/v1/admin/questions/{id}`: the admin question editor over JSON (admin tokens only)."""

from __future__ import annotations

from webapp.api import Blueprint

editor_bp = Blueprint("api_editor", __name__, description="Question editing (admin tokens only)")

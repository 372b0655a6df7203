"""`/api/v1/admin`: admin-only endpoints (admin bearer token required)."""

from __future__ import annotations

from webapp.admin import services
from webapp.api import Blueprint
from webapp.api.auth import admin_token_required
from webapp.api.schemas import BEARER, AuditPageSchema, PageArgsSchema, page_body

admin_bp = Blueprint("api_admin", __name__, description="Administration (admin tokens only)")


@admin_bp.route("/audit-events", methods=["GET"])
@admin_bp.doc(security=BEARER)
@admin_bp.arguments(PageArgsSchema, location="query")
@admin_bp.response(200, AuditPageSchema)
@admin_token_required
def audit_events(args):
    """The audit log, newest first."""
    page = services.audit_page(args["page"], per_page=args["per_page"])
    return page_body(page, page.items)

"""/admin: the admin home and the audit log."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from webapp.admin import services
from webapp.audit.services import EVENTS
from webapp.exceptions import AuthenticationRequired, PermissionDenied

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def require_admin() -> None:
    """Every admin route, present and future, is closed to everyone but admins."""
    if not current_user.is_authenticated:
        raise AuthenticationRequired()
    if not current_user.is_admin:
        raise PermissionDenied("This area is for administrators.")


@bp.get("/")
def index():
    return render_template("admin/index.html", counts=services.site_counts(),
                           recent=services.audit_page(1, per_page=10).items)


@bp.get("/audit")
def audit():
    event = request.args.get("event") or None
    page = services.audit_page(request.args.get("page", 1, type=int), event=event if event in EVENTS else None)
    return render_template("admin/audit.html", page=page, events=sorted(EVENTS), selected=event)

"""/admin: the admin home and the audit log."""

from __future__ import annotations

from flask import render_template, request

from webapp.admin import services
from webapp.admin.access import admin_blueprint
from webapp.audit.services import EVENTS

bp = admin_blueprint("admin", __name__)


@bp.get("/")
def index():
    return render_template("admin/index.html", counts=services.site_counts(),
                           recent=services.audit_page(1, per_page=10).items)


@bp.get("/audit")
def audit():
    event = request.args.get("event") or None
    page = services.audit_page(request.args.get("page", 1, type=int), event=event if event in EVENTS else None)
    return render_template("admin/audit.html", page=page, events=sorted(EVENTS), selected=event)

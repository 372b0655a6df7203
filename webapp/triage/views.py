"""/admin/flags: the triage queue of reported and statistically suspect questions."""

from __future__ import annotations

from webapp.admin.access import admin_blueprint

bp = admin_blueprint("triage", __name__)

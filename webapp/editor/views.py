"""/admin/questions/<id>/edit: the admin question editor."""

from __future__ import annotations

from webapp.admin.access import admin_blueprint

bp = admin_blueprint("editor", __name__)

"""The one gate of the admin pages: every blueprint made here is closed to all but admins."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from webapp.exceptions import AuthenticationRequired, PermissionDenied


def require_admin() -> None:
    """Anonymous callers must sign in (401 / the login page); signed-in non-admins get 403."""
    if not current_user.is_authenticated:
        raise AuthenticationRequired()
    if not current_user.is_admin:
        raise PermissionDenied("This area is for administrators.")


def admin_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint under `/admin` whose every route, present and future, requires an admin."""
    bp = Blueprint(name, import_name, url_prefix="/admin")
    bp.before_request(require_admin)
    return bp

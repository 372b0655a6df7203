"""The browser session: Flask-Login wiring, starting a session, safe redirects after sign-in,
and the sign-in rate limit that the web form and the token endpoint share."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, g, request, session, url_for
from flask_login import login_user, logout_user
from flask_login.config import COOKIE_NAME

from webapp.auth.services import begin_session, load_session_user
from webapp.extensions import login_manager


def register_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    # Session ids are already bound to a server-side secret; "strong" would also drop the
    # session when a mobile user's IP changes, which is more annoying than protective.
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_key: str):
        user = load_session_user(session_key)
        if user is not None:
            g.log_user_id = user.id
        return user


# flask-limiter scopes: routes that share one per-address budget, so the web form and the API
# together allow LOGIN_RATE_LIMIT, not that much each.
SIGN_IN_SCOPE = "sign-in"  # POST /auth/login and POST /api/v1/auth/token
REGISTER_SCOPE = "register"  # POST /auth/register and POST /api/v1/auth/register


def login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def safe_next(target: str | None) -> str:
    """Only local paths are accepted as a post-login destination (no open redirect)."""
    fallback = url_for("main.index")
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def start_session(user, remember: bool) -> None:
    """A fresh session at sign-in, so a planted session id is worthless (no fixation).

    The identity records the sign-in time and kind, so the server ends it after
    SESSION_ABSOLUTE_LIFETIME (or REMEMBER_COOKIE_MAX_AGE_DAYS with "remember me").
    """
    session.clear()
    begin_session(user, remember)
    login_user(user, remember=remember)
    session.permanent = remember
    if not remember:
        clear_remember_cookie()


def clear_remember_cookie() -> None:
    """Have Flask-Login delete the browser's remember cookie with this response (if it sent one)."""
    if current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies:
        session["_remember"] = "clear"


def end_browser_session() -> None:
    """Sign the browser out: an empty session, and the remember cookie deleted in the browser."""
    session.clear()
    logout_user()  # after the clear: it leaves `_remember = "clear"`, which deletes the cookie


def skip_user_loading() -> None:
    """Treat the rest of this request as anonymous unless its user was already loaded: for the
    error page of a database outage, whose layout would otherwise ask the failing database for
    the user again (Flask-Login loads it for every template)."""
    if "_login_user" not in g:
        login_manager._update_request_context_with_user()

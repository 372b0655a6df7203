"""Security headers on every response (pages, errors and static files) and ProxyFix.

The CSP allows scripts only from this origin plus a per-request nonce for the few inline
chart scripts, so no `unsafe-inline` is needed. Responses to a signed-in user or to a bearer
token are `Cache-Control: no-store` (they carry personal data); static files stay cacheable.
The Host check is Flask's own `TRUSTED_HOSTS` (config.py).
"""

from __future__ import annotations

import re
import secrets

from flask import Flask, g, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from webapp.exceptions import ValidationError


def csp_nonce() -> str:
    """The nonce for this request's inline scripts (created on first use)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(nonce: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
    )


# Browser features the app never uses, switched off for this origin and anything it embeds.
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "camera", "geolocation", "gyroscope", "magnetometer", "microphone", "payment",
    "usb"))


def register_security_headers(app: Flask) -> None:
    """Install ProxyFix and the after-request hook that sets the headers."""
    hops = app.config["PROXY_COUNT"]
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]

    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def set_security_headers(response):
        headers = response.headers
        headers["Content-Security-Policy"] = content_security_policy(csp_nonce())
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        headers["X-Frame-Options"] = "DENY"
        headers["Permissions-Policy"] = PERMISSIONS_POLICY
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if request.is_secure:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if request.endpoint != "static" and (_has_api_token() or _is_signed_in()):
            headers["Cache-Control"] = "no-store"
        return response


def _has_api_token() -> bool:
    return g.get("api_token") is not None


def _is_signed_in() -> bool:
    try:
        return bool(current_user and current_user.is_authenticated)
    except Exception:  # no user loader yet, or the session is unreadable: treat as anonymous
        return False


class NulCharacter(ValidationError):
    code = "INVALID_CHARACTER"
    message = "Text may not contain the NUL character (U+0000)."


# A NUL written as a JSON escape; the raw byte is checked as well.
_JSON_NUL = re.compile(rb"\\u0000", re.IGNORECASE)


def refuse_nul_characters() -> None:
    """No request may carry U+0000 in its path, query, form or JSON body.

    PostgreSQL refuses NUL in text values, so one would otherwise surface as a 500 deep inside a
    query; SQLite would store it. Refusing it up front gives both databases the same 400.
    """
    if "\x00" in request.path:
        raise NulCharacter(field="path")
    sources = [request.args] if request.mimetype == "application/json" else [request.args, request.form]
    for source in sources:
        for key, value in source.items(multi=True):
            if "\x00" in key or "\x00" in value:
                raise NulCharacter(field=key.replace("\x00", ""))
    if request.mimetype == "application/json":
        body = request.get_data(cache=True)
        if b"\x00" in body or _JSON_NUL.search(body):
            raise NulCharacter(field="json")


def register_input_guards(app: Flask) -> None:
    """Checks every request passes before any view runs."""
    app.before_request(refuse_nul_characters)

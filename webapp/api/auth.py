"""Bearer-token authentication for the JSON API.

Tokens are read only from `Authorization: Bearer ...`, never from the query string, and cookies
never authenticate `/api/v1`: these helpers do not look at the Flask-Login session at all.
"""

from __future__ import annotations

from functools import wraps

from flask import g, request

from webapp.auth.services import resolve_token
from webapp.exceptions import AuthenticationRequired, PermissionDenied
from webapp.models import ApiToken, User

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="certquest"'}


class InvalidToken(AuthenticationRequired):
    code = "INVALID_TOKEN"
    message = "The bearer token is missing, expired or revoked."

    def __init__(self) -> None:
        super().__init__(headers=BEARER_CHALLENGE)


def presented_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


def authenticate_request() -> ApiToken:
    token = resolve_token(presented_secret() or "")
    if token is None:
        raise InvalidToken()
    g.api_token = token
    g.api_user = token.user
    g.log_user_id = token.user_id
    return token


def token_required(view):
    """The view needs a live bearer token; `api_user()` is then the caller."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        authenticate_request()
        return view(*args, **kwargs)

    return wrapper


def admin_token_required(view):
    """The view needs a live bearer token that belongs to an admin."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        authenticate_request()
        if not g.api_user.is_admin:
            raise PermissionDenied("This endpoint is for administrators.")
        return view(*args, **kwargs)

    return wrapper


def api_user() -> User:
    return g.api_user


def api_token() -> ApiToken:
    return g.api_token

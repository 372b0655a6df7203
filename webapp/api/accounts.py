"""`/api/v1/auth` and `/api/v1/users`: registration, tokens and the caller's own account."""

from __future__ import annotations

from flask import jsonify

from webapp.api import Blueprint, error_response, link, links
from webapp.api.auth import api_token, api_user, token_required
from webapp.api.schemas import (BEARER, RegisterSchema, TokenRequestSchema, TokenSchema, UserEnvelopeSchema,
                                UserPatchSchema, UserSchema)
from webapp.audit.meta import current_request_meta
from webapp.cache import PROFILES, cached, profile_group
from webapp.auth import services
from webapp.auth.session import REGISTER_SCOPE, SIGN_IN_SCOPE, login_rate_limit
from webapp.extensions import limiter
from webapp.gamification.levels import level_for_xp
from webapp.gamification.services import local_day, user_streak
from webapp.models.base import utcnow
from webapp.privacy.services import export_user_data

auth_bp = Blueprint("api_auth", __name__, description="Registration and bearer tokens")
users_bp = Blueprint("api_users", __name__, description="The caller's own account")


def user_body(user, now=None) -> dict:
    streak = user_streak(user, now)
    return {"id": user.id, "username": user.username, "email": user.email, "timezone": user.timezone,
            "xp": user.xp, "level": level_for_xp(user.xp), "is_admin": user.is_admin,
            "created_at": user.created_at, "digest_opt_in": user.digest_opt_in,
            "streak": {"current": streak.current, "longest": streak.longest, "freezes": streak.freezes}}


def cached_profile(user) -> dict:
    """`user_body`, kept CACHE_PROFILE_TIMEOUT under this learner's own profile version (webapp/cache.py),
    which any change to their account or streak bumps; keyed by their day, which the streak depends on."""
    now = utcnow()
    day = local_day(now, user.timezone).isoformat()
    return cached((PROFILES, profile_group(user.id)), f"{user.id}:{day}", "CACHE_PROFILE_TIMEOUT",
                  lambda: user_body(user, now))


@auth_bp.route("/register", methods=["POST"])
@auth_bp.doc(**links(201, CreateToken=link(
    "post", "/auth/token", "Sign in with the new account",
    request_body={"login": "$request.body#/username", "password": "$request.body#/password"})))
@auth_bp.arguments(RegisterSchema)
@auth_bp.response(201, UserEnvelopeSchema)
@auth_bp.alt_response(409, response=error_response(409))
@auth_bp.alt_response(429, response=error_response(429))
@limiter.shared_limit(login_rate_limit, scope=REGISTER_SCOPE, methods=["POST"])
def register(body):
    """Create an account. Passwords follow the same policy as the web form."""
    user = services.register_user(body["email"], body["username"], body["password"], current_request_meta())
    return {"user": user_body(user)}


@auth_bp.route("/token", methods=["POST"])
@auth_bp.arguments(TokenRequestSchema)
@auth_bp.response(200, TokenSchema)
@auth_bp.alt_response(401, response=error_response(401))
@auth_bp.alt_response(429, response=error_response(429))
@limiter.shared_limit(login_rate_limit, scope=SIGN_IN_SCOPE, methods=["POST"])
def create_token(body):
    """Exchange an email or username and password for a bearer token (`API_TOKEN_TTL_DAYS`, 30 days)."""
    issued = services.issue_token_for_login(body["login"], body["password"], current_request_meta())
    return {"access_token": issued.secret, "token_type": "bearer", "expires_at": issued.token.expires_at}


@auth_bp.route("/token", methods=["DELETE"])
@auth_bp.doc(security=BEARER)
@auth_bp.response(204)
@token_required
def revoke_token():
    """Revoke the token used for this request."""
    services.revoke_token(api_user(), api_token().id, current_request_meta())
    return ""


@users_bp.route("/me", methods=["GET"])
@users_bp.doc(security=BEARER)
@users_bp.response(200, UserSchema)
@token_required
def me():
    """The caller's profile."""
    return cached_profile(api_user())


@users_bp.route("/me", methods=["PATCH"])
@users_bp.doc(security=BEARER)
@users_bp.arguments(UserPatchSchema)
@users_bp.response(200, UserSchema)
@users_bp.alt_response(409, response=error_response(409))
@token_required
def update_me(body):
    """Change username, timezone, leaderboard visibility or the weekly digest. Any other key is refused."""
    changes = services.ProfileChanges(username=body.get("username"), timezone=body.get("timezone"),
                                      show_on_leaderboard=body.get("show_on_leaderboard"),
                                      digest_opt_in=body.get("digest_opt_in"))
    return user_body(services.update_profile(api_user(), changes, current_request_meta()))


@users_bp.route("/me/export", methods=["GET"])
@users_bp.doc(security=BEARER)
@users_bp.response(200)
@token_required
def export_me():
    """Everything stored about the caller, as JSON (no hashes or token secrets)."""
    response = jsonify(export_user_data(api_user(), current_request_meta()))
    response.headers["Cache-Control"] = "no-store"
    return response

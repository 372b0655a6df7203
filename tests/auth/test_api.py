"""The accounts JSON API: registration, the token lifecycle and /users/me."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tests.factories import DEFAULT_PASSWORD, bearer, gen_token, gen_user
from webapp.extensions import db
from webapp.models import ApiToken, User
from webapp.models.base import utcnow

ME_FIELDS = {"id", "username", "email", "timezone", "xp", "level", "is_admin", "created_at"}


def test_register_returns_201_with_user(client):
    """POST /api/v1/auth/register creates the account and returns {"user": {...}}."""
    response = client.post("/api/v1/auth/register", json={"email": "api@example.com", "username": "apiuser",
                                                          "password": DEFAULT_PASSWORD})
    assert response.status_code == 201
    user = response.get_json()["user"]
    assert ME_FIELDS <= set(user) and user["username"] == "apiuser" and user["level"] == 1
    assert "password" not in user and "password_hash" not in user


def test_register_validation_errors_name_the_field(client, app):
    """A weak password or a taken username is a 400/409 with the field named."""
    weak = client.post("/api/v1/auth/register", json={"email": "w@example.com", "username": "weakling",
                                                      "password": "short"})
    assert weak.status_code == 400 and weak.get_json()["field"] == "password"
    gen_user(app, username="taken")
    taken = client.post("/api/v1/auth/register", json={"email": "t2@example.com", "username": "taken",
                                                       "password": DEFAULT_PASSWORD})
    assert taken.status_code == 409 and taken.get_json()["field"] == "username"


def test_token_lifecycle(client, app):
    """Create a token with credentials, use it, revoke it, and it stops working."""
    gen_user(app, username="lifecycle", email="life@example.com")
    response = client.post("/api/v1/auth/token", json={"login": "life@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "bearer" and body["expires_at"] and len(body["access_token"]) >= 43
    headers = bearer(body["access_token"])
    me = client.get("/api/v1/users/me", headers=headers)
    assert me.status_code == 200 and set(me.get_json()) >= ME_FIELDS
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    after = client.get("/api/v1/users/me", headers=headers)
    assert after.status_code == 401
    assert after.headers["WWW-Authenticate"].startswith("Bearer")
    assert after.get_json()["code"] == "INVALID_TOKEN"


def test_tokens_are_stored_only_as_hashes(client, app):
    """The database holds the SHA-256 of the token, never the token."""
    user = gen_user(app, username="hashed")
    secret = gen_token(app, user)
    with app.app_context():
        stored = db.session.scalar(sa.select(ApiToken))
        assert secret not in (stored.token_hash, stored.prefix) and len(stored.token_hash) == 64


def test_token_expires_after_thirty_days_by_default(app):
    """A new token expires 30 days after creation; an expired one is refused."""
    user = gen_user(app, username="expiry")
    secret = gen_token(app, user)
    with app.app_context():
        token = db.session.scalar(sa.select(ApiToken))
        assert abs((token.expires_at - token.created_at) - timedelta(days=30)) < timedelta(seconds=5)
        token.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert app.test_client().get("/api/v1/users/me", headers=bearer(secret)).status_code == 401


def test_bad_credentials_get_401_standard_body(client, app):
    """Wrong passwords and unknown logins both get 401 INVALID_CREDENTIALS."""
    gen_user(app, username="known")
    for login_name in ("known", "unknown"):
        response = client.post("/api/v1/auth/token", json={"login": login_name, "password": "wrong password 1"})
        assert response.status_code == 401
        assert response.get_json()["code"] == "INVALID_CREDENTIALS"


def test_missing_or_malformed_token_is_401(client):
    """No token, a non-Bearer scheme or garbage all get 401 with WWW-Authenticate."""
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer cq_nope"}):
        response = client.get("/api/v1/users/me", headers=headers)
        assert response.status_code == 401 and "Bearer" in response.headers["WWW-Authenticate"]


def test_token_in_query_string_is_ignored(client, app):
    """A token passed as ?access_token= does not authenticate."""
    user = gen_user(app, username="querystring")
    secret = gen_token(app, user)
    assert client.get(f"/api/v1/users/me?access_token={secret}").status_code == 401
    assert client.get(f"/api/v1/users/me?token={secret}").status_code == 401


def test_session_cookie_never_authenticates_the_api(client, signed_in):
    """A signed-in browser session is not accepted by /api/v1."""
    assert client.get("/account").status_code == 200
    assert client.get("/api/v1/users/me").status_code == 401


def test_patch_me_changes_allowed_fields(client, app):
    """PATCH accepts username, timezone and show_on_leaderboard."""
    user = gen_user(app, username="patcher")
    headers = bearer(gen_token(app, user))
    response = client.patch("/api/v1/users/me", headers=headers,
                            json={"username": "patched", "timezone": "Asia/Tokyo", "show_on_leaderboard": False})
    assert response.status_code == 200
    assert response.get_json()["username"] == "patched" and response.get_json()["timezone"] == "Asia/Tokyo"


def test_patch_me_refuses_mass_assignment(client, app):
    """is_admin, xp or any other key is a 400 and changes nothing."""
    user = gen_user(app, username="sneaky")
    headers = bearer(gen_token(app, user))
    for body in ({"is_admin": True}, {"xp": 99999}, {"username": "renamed", "is_admin": True},
                 {"email": "x@example.com"}, {"session_secret": "x"}):
        response = client.patch("/api/v1/users/me", headers=headers, json=body)
        assert response.status_code == 400
        assert response.get_json()["code"] == "VALIDATION_ERROR"
    with app.app_context():
        fresh = db.session.get(User, user.id)
        assert fresh.is_admin is False and fresh.xp == 0 and fresh.username == "sneaky"


def test_patch_me_invalid_timezone_names_the_field(client, app):
    """An unknown time zone is a 400 with field "timezone"."""
    user = gen_user(app, username="tzapi")
    response = client.patch("/api/v1/users/me", headers=bearer(gen_token(app, user)), json={"timezone": "Nowhere/Land"})
    assert response.status_code == 400 and response.get_json()["field"] == "timezone"


def test_non_json_bodies_get_415(client, app):
    """Form-encoded or text bodies sent to JSON endpoints get 415."""
    user = gen_user(app, username="formy")
    headers = bearer(gen_token(app, user))
    assert client.post("/api/v1/auth/token", data={"login": "x", "password": "y"}).status_code == 415
    assert client.post("/api/v1/auth/register", data="hello", content_type="text/plain").status_code == 415
    assert client.patch("/api/v1/users/me", headers=headers, data="timezone=UTC",
                        content_type="application/x-www-form-urlencoded").status_code == 415


def test_openapi_documents_the_account_endpoints(client):
    """The OpenAPI document lists the auth and users endpoints with bearer security."""
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/auth/register", "/api/v1/auth/token", "/api/v1/users/me", "/api/v1/users/me/export"):
        assert path in paths
    assert paths["/api/v1/users/me"]["get"]["security"] == [{"bearerAuth": []}]

"""Browser sign-in: registration, generic errors, redirects, sessions and cookies."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from config import ProductionConfig, TestingConfig
from tests.factories import DEFAULT_PASSWORD, gen_token, gen_user, login
from webapp.extensions import db
from webapp.models import AuditEvent, User


def _events(app, event: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.event == event)))


def test_register_page_and_successful_registration(client, app):
    """Registering creates the account, signs the user in and audits it."""
    assert client.get("/auth/register").status_code == 200
    response = client.post("/auth/register", data={"email": "New@Example.com", "username": "newbie",
                                                   "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "newbie"))
        assert user.email == "new@example.com"
        assert user.password_hash != DEFAULT_PASSWORD
    assert len(_events(app, "register")) == 1


def test_register_rejects_bad_input_and_keeps_it(client):
    """Invalid registrations re-render the form with field errors and the typed values."""
    response = client.post("/auth/register", data={"email": "not-an-email", "username": "ok_name",
                                                   "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "valid email" in html and 'value="ok_name"' in html


def test_email_is_unique_case_insensitively(client, app):
    """An email that differs only in case is the same account."""
    gen_user(app, username="first", email="dup@example.com")
    response = client.post("/auth/register", data={"email": "DUP@example.COM", "username": "second",
                                                   "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert "already registered" in response.get_data(as_text=True)


def test_html_in_username_is_refused_and_escaped(client):
    """A username with HTML is refused, and the echoed value is escaped, never rendered."""
    payload = "<script>alert(1)</script>"
    html = client.post("/auth/register", data={"email": "x@example.com", "username": payload,
                                               "password": DEFAULT_PASSWORD}).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def _normalise(html: str) -> str:
    html = re.sub(r'name="csrf_token" type="hidden" value="[^"]*"', "", html)
    html = re.sub(r'<meta name="csrf-token"[^>]*>', "", html)
    html = re.sub(r"hx-headers='[^']*'", "", html)
    return html


def test_unknown_account_and_wrong_password_look_identical(client, app):
    """Both failures give the same status and the same page."""
    gen_user(app, username="realuser")
    wrong = client.post("/auth/login", data={"login": "realuser", "password": "wrong password 123"})
    unknown = client.post("/auth/login", data={"login": "ghostuser", "password": "wrong password 123"})
    assert wrong.status_code == unknown.status_code == 401
    same_login = [_normalise(r.get_data(as_text=True)).replace(name, "LOGIN")
                  for r, name in ((wrong, "realuser"), (unknown, "ghostuser"))]
    assert same_login[0] == same_login[1]
    assert "Incorrect email/username or password." in wrong.get_data(as_text=True)


def test_login_by_email_or_username_any_case(client, app):
    """Sign-in accepts the email or the username, case-insensitively."""
    gen_user(app, username="casey", email="casey@example.com")
    assert login(client, "CASEY@example.com").status_code == 302
    client.post("/auth/logout")
    assert login(client, "Casey").status_code == 302


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)",
    "http:/evil.example", "/%0d%0aLocation: https://evil.example", "evil.example",
])
def test_next_only_redirects_to_local_paths(client, app, target):
    """Open-redirect payloads in ?next= fall back to the home page."""
    gen_user(app, username="redirectme")
    response = login(client, "redirectme", next_url=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_local_path_is_honoured(client, app):
    """A local path in ?next= is where sign-in lands."""
    gen_user(app, username="localnext")
    response = login(client, "localnext", next_url="/account")
    assert response.headers["Location"] == "/account"


def _session_cookie(client) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def test_session_is_renewed_at_login(client, app):
    """The session cookie issued before sign-in is not the one used after (no fixation)."""
    gen_user(app, username="fixate")
    client.get("/auth/login")
    before = _session_cookie(client)
    login(client, "fixate")
    after = _session_cookie(client)
    assert before != after
    # The pre-login cookie, replayed, is still anonymous.
    other = app.test_client()
    other.set_cookie("session", before)
    assert other.get("/account").status_code == 302


def test_old_cookie_does_not_work_after_logout(client, app):
    """A copy of the session cookie taken before logout is rejected afterwards."""
    gen_user(app, username="replayer")
    login(client, "replayer", remember=True)
    stolen = _session_cookie(client)
    stolen_remember = client.get_cookie("remember_token").value
    assert client.post("/auth/logout").status_code == 302
    attacker = app.test_client()
    attacker.set_cookie("session", stolen)
    attacker.set_cookie("remember_token", stolen_remember)
    response = attacker.get("/account")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert len(_events(app, "logout")) == 1


def test_password_change_ends_other_sessions(app):
    """Changing the password signs out every other session but keeps the current one."""
    gen_user(app, username="twodevices")
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "twodevices")
    login(phone, "twodevices")
    response = laptop.post("/account/password", data={"current_password": DEFAULT_PASSWORD,
                                                      "new_password": "a brand new passphrase 77"})
    assert response.status_code == 302
    assert laptop.get("/account").status_code == 200
    assert phone.get("/account").status_code == 302
    assert login(phone, "twodevices", password="a brand new passphrase 77").status_code == 302


def test_password_change_needs_current_password_and_policy(client, signed_in):
    """A wrong current password or a weak new one is refused with a field error."""
    wrong = client.post("/account/password", data={"current_password": "nope nope nope",
                                                    "new_password": "another long passphrase"})
    assert wrong.status_code == 400 and "current password is not correct" in wrong.get_data(as_text=True)
    weak = client.post("/account/password", data={"current_password": DEFAULT_PASSWORD, "new_password": "short"})
    assert weak.status_code == 400 and "at least 12" in weak.get_data(as_text=True)


def test_deactivation_ends_sessions_and_tokens(client, app, signed_in):
    """A deactivated account loses its sessions and its tokens at once."""
    from tests.factories import META, bearer
    from webapp.auth.services import set_active

    secret = gen_token(app, signed_in)
    with app.app_context():
        set_active(db.session.get(User, signed_in.id), False, META)
    assert client.get("/account").status_code == 302
    assert client.get("/api/v1/users/me", headers=bearer(secret)).status_code == 401
    assert login(app.test_client(), signed_in.username).status_code == 401


def test_cookie_flags(client, app):
    """Session cookies are HttpOnly and SameSite=Lax; remember-me lasts at most 30 days."""
    gen_user(app, username="cookies")
    response = login(client, "cookies", remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    remember_cookie = next(c for c in cookies if c.startswith("remember_token="))
    for cookie in (session_cookie, remember_cookie):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert app.config["REMEMBER_COOKIE_DURATION"].days <= 30
    assert app.config["PERMANENT_SESSION_LIFETIME"].days <= 30


def test_production_cookies_are_secure():
    """Production marks the session and remember cookies Secure."""
    assert ProductionConfig.SESSION_COOKIE_SECURE and ProductionConfig.REMEMBER_COOKIE_SECURE
    assert not TestingConfig.SESSION_COOKIE_SECURE


def test_signed_in_pages_are_not_cached(client, signed_in):
    """Pages for a signed-in user carry Cache-Control: no-store."""
    assert client.get("/account").headers["Cache-Control"] == "no-store"
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_account_requires_login(client):
    """Anonymous visitors are sent to sign in, with the page remembered in ?next=."""
    response = client.get("/account")
    assert response.status_code == 302
    assert "/auth/login?next=" in response.headers["Location"]


def test_htmx_request_needing_login_gets_hx_redirect(client):
    """An htmx request that needs a login is answered with HX-Redirect, not a page."""
    response = client.get("/admin/", headers={"HX-Request": "true"})
    assert "/auth/login" in response.headers["HX-Redirect"]


def test_logout_is_post_only(client, signed_in):
    """GET /auth/logout changes nothing: sign-out needs a POST."""
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/account").status_code == 200


def test_profile_update_and_email_change_needs_password(client, app, sign_in):
    """Profile fields save; changing the email needs the current password."""
    sign_in(username="editor", email="editor@example.com")
    base = {"username": "editor2", "email": "editor@example.com", "timezone": "Europe/Paris",
            "show_on_leaderboard": ""}
    assert client.post("/account/profile", data=base).status_code == 302
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "editor2"))
        assert user.timezone == "Europe/Paris" and user.show_on_leaderboard is False
    refused = client.post("/account/profile", data={**base, "email": "new@example.com"})
    assert refused.status_code == 400
    accepted = client.post("/account/profile", data={**base, "email": "new@example.com",
                                                     "current_password": DEFAULT_PASSWORD})
    assert accepted.status_code == 302


def test_invalid_timezone_is_refused(client, signed_in):
    """Only IANA time zone names are accepted."""
    response = client.post("/account/profile", data={"username": signed_in.username, "email": signed_in.email,
                                                     "timezone": "Mars/Olympus"})
    assert response.status_code == 400


def test_token_created_in_browser_is_shown_once(client, signed_in):
    """A token created on /account is shown in that response only and works as a bearer."""
    missing_pw = client.post("/account/tokens", data={"name": "ci"})
    assert missing_pw.status_code == 400
    response = client.post("/account/tokens", data={"name": "ci", "current_password": DEFAULT_PASSWORD})
    assert response.status_code == 201
    secret = re.search(r"(cq_[A-Za-z0-9_-]{40,})", response.get_data(as_text=True)).group(1)
    assert secret not in client.get("/account").get_data(as_text=True)
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200


def test_revoking_a_token_in_the_browser(client, app, signed_in):
    """Revoking from /account makes the token stop working."""
    secret = gen_token(app, signed_in)
    with app.app_context():
        token_id = db.session.scalar(sa.text("SELECT id FROM api_tokens"))
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 302
    assert client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_cannot_revoke_another_users_token(client, app, signed_in):
    """Another user's token id is a 404 and stays live."""
    owner = gen_user(app, username="owner")
    secret = gen_token(app, owner)
    with app.app_context():
        token_id = db.session.scalar(sa.text("SELECT id FROM api_tokens"))
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 404
    assert app.test_client().get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200

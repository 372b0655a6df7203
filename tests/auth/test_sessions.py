"""Session identity and lifetimes: a cookie names one sign-in of one account, and ends on the server.

Issue 9, items 1 (ids are never reused; identities carry a random per-account secret), 3 (a
password change, deactivation or deletion revokes API tokens) and 7 (sessions end on the server).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import DEFAULT_PASSWORD, META, bearer, gen_bank, gen_token, gen_user, gen_user_at_id, login
from webapp.auth import services
from webapp.extensions import db
from webapp.models import QuizAttempt, QuizMode, User
from webapp.models.base import utcnow

DELETE_FORM = {"current_password": DEFAULT_PASSWORD, "confirm": "delete my account"}


def _cookies(client) -> dict[str, str]:
    return {name: client.get_cookie(name).value for name in ("session", "remember_token")}


def _signed_in_with(app, name: str, value: str) -> bool:
    """Whether a fresh browser holding only this one cookie gets the account page."""
    browser = app.test_client()
    browser.set_cookie(name, value)
    response = browser.get("/account")
    if response.status_code == 302:
        assert "/auth/login" in response.headers["Location"]
        return False
    assert response.status_code == 200
    return True


def _user_id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(User.id).where(User.username == username))


def test_deleted_accounts_cookies_never_sign_in_the_next_account(app):
    """Register, copy both cookies, delete the account, register again: both cookies are rejected."""
    first = app.test_client()
    assert first.post("/auth/register", data={"email": "gone@example.com", "username": "gone",
                                              "password": DEFAULT_PASSWORD}).status_code == 302
    browser = app.test_client()
    assert login(browser, "gone", remember=True).status_code == 302
    stolen = _cookies(browser)
    old_id = _user_id(app, "gone")
    assert browser.post("/account/delete", data=DELETE_FORM).status_code == 302

    newcomer = app.test_client()
    assert newcomer.post("/auth/register", data={"email": "next@example.com", "username": "next",
                                                 "password": DEFAULT_PASSWORD}).status_code == 302
    assert _user_id(app, "next") != old_id  # SQLite used to hand the deleted id out again
    for name, value in stolen.items():
        assert not _signed_in_with(app, name, value), name
    assert newcomer.get("/account").status_code == 200


def test_cookie_never_names_an_account_that_got_the_same_id(app):
    """Even if an id were reused, the old cookies do not sign in as the account now holding it."""
    gen_user(app, username="original")
    browser = app.test_client()
    login(browser, "original", remember=True)
    stolen = _cookies(browser)
    old_id = _user_id(app, "original")
    assert browser.post("/account/delete", data=DELETE_FORM).status_code == 302
    gen_user_at_id(app, old_id, "impostor")
    for name, value in stolen.items():
        assert not _signed_in_with(app, name, value), name


def test_deleted_attempt_id_is_never_reused(app):
    """A new quiz attempt never gets the id of a deleted one, so an old attempt URL names nothing."""
    exam = gen_bank(app, per_objective=4)
    for username in ("firstlearner", "secondlearner"):
        gen_user(app, username=username)
    first = app.test_client()
    login(first, "firstlearner")
    quiz = {"exam": exam.slug, "mode": QuizMode.PRACTICE, "count": "5"}
    old_url = first.post("/quizzes", data=quiz).headers["Location"]
    with app.app_context():
        old_id = db.session.scalar(sa.select(sa.func.max(QuizAttempt.id)))
    assert first.post("/account/delete", data=DELETE_FORM).status_code == 302

    second = app.test_client()
    login(second, "secondlearner")
    new_url = second.post("/quizzes", data=quiz).headers["Location"]
    with app.app_context():
        new_id = db.session.scalar(sa.select(sa.func.max(QuizAttempt.id)))
    assert new_id > old_id and new_url != old_url


def test_every_table_with_a_surrogate_id_never_reuses_ids(app, db_label):
    """Every table with an integer id is marked AUTOINCREMENT, and SQLite really created it so."""
    tables = [t for t in db.metadata.sorted_tables
              if [c.name for c in t.primary_key.columns] == ["id"]]
    assert {"users", "quiz_attempts", "api_tokens", "answers"} <= {t.name for t in tables}
    unmarked = [t.name for t in tables if not t.dialect_options["sqlite"]["autoincrement"]]
    assert not unmarked, f"add NEVER_REUSE_IDS to __table_args__ of {unmarked}"
    if db_label == "sqlite":
        with app.app_context():
            ddl = dict(db.session.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all())
        assert [t.name for t in tables if "AUTOINCREMENT" not in ddl[t.name]] == []


def test_session_secret_is_random_per_account_and_rotates_at_sign_out(client, app, signed_in):
    """Two new accounts never share a session secret, and signing out rotates it."""
    alice, bob = signed_in, gen_user(app, username="bob")
    assert len(alice.session_secret) >= 43 and alice.session_secret != bob.session_secret
    client.post("/auth/logout")
    with app.app_context():
        assert db.session.get(User, alice.id).session_secret != alice.session_secret


def test_session_secret_is_never_exported(client, signed_in):
    """The data export leaves the session secret out, like the password hash."""
    response = client.post("/account/export", data={"current_password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    data = response.get_json(force=True)
    assert data["user"]["username"] == signed_in.username
    assert "session_secret" not in data["user"] and "password_hash" not in data["user"]


def test_password_change_revokes_api_tokens(client, app, signed_in):
    """After a password change on the account page, an old bearer token gets 401."""
    user = signed_in
    secret = gen_token(app, user)
    assert client.get("/api/v1/users/me", headers=bearer(secret)).status_code == 200
    response = client.post("/account/password", data={"current_password": DEFAULT_PASSWORD,
                                                      "new_password": "a brand new passphrase 77"})
    assert response.status_code == 302
    assert client.get("/api/v1/users/me", headers=bearer(secret)).status_code == 401
    with app.app_context():
        fresh = db.session.get(User, user.id)
        assert all(token.revoked_at is not None for token in fresh.tokens)


def test_deactivation_revokes_api_tokens(client, app):
    """A deactivated account's bearer token gets 401 and stays revoked after reactivation."""
    user = gen_user(app, username="paused")
    secret = gen_token(app, user)
    with app.app_context():
        services.set_active(db.session.get(User, user.id), False, META)
        services.set_active(db.session.get(User, user.id), True, META)
    assert client.get("/api/v1/users/me", headers=bearer(secret)).status_code == 401


def test_deletion_revokes_api_tokens(client, app, signed_in):
    """After the account is deleted, its bearer token gets 401."""
    secret = gen_token(app, signed_in)
    assert client.post("/account/delete", data=DELETE_FORM).status_code == 302
    assert client.get("/api/v1/users/me", headers=bearer(secret)).status_code == 401


def test_sign_out_deletes_the_remember_cookie_in_the_browser(client, app):
    """Signing out sends a Set-Cookie that deletes remember_token, and the browser drops it."""
    gen_user(app, username="leaver")
    login(client, "leaver", remember=True)
    assert client.get_cookie("remember_token") is not None
    response = client.post("/auth/logout")
    cleared = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    assert cleared and ("Max-Age=0" in cleared[0] or "1970" in cleared[0])
    assert client.get_cookie("remember_token") is None
    assert client.get("/account").status_code == 302


@pytest.fixture
def clock(monkeypatch):
    """Moves the clock the session services read, to sign in in the past."""

    def set_offset(offset: timedelta) -> None:
        monkeypatch.setattr(services, "utcnow", lambda: utcnow() + offset)

    return set_offset


def test_config_names_the_session_limits(app):
    """The remember-me limit is 30 days and a plain session's absolute lifetime is set in config."""
    assert app.config["REMEMBER_COOKIE_MAX_AGE_DAYS"] == 30
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)
    assert timedelta(0) < app.config["SESSION_ABSOLUTE_LIFETIME"] <= timedelta(days=1)


def test_session_ends_after_its_absolute_lifetime(client, app, clock):
    """A session signed in longer ago than SESSION_ABSOLUTE_LIFETIME is refused, however active."""
    gen_user(app, username="marathon")
    lifetime = app.config.get("SESSION_ABSOLUTE_LIFETIME", timedelta(hours=12))
    clock(-(lifetime - timedelta(minutes=5)))
    login(client, "marathon")
    clock(timedelta(0))
    assert client.get("/account").status_code == 200  # still inside its lifetime
    clock(timedelta(minutes=10))
    assert client.get("/account").status_code == 302


def test_remember_cookie_has_a_server_side_maximum_age(app, clock):
    """A remember cookie from a sign-in more than REMEMBER_COOKIE_MAX_AGE_DAYS ago no longer signs in."""
    gen_user(app, username="forever")
    browser = app.test_client()
    clock(-timedelta(days=31))
    login(browser, "forever", remember=True)
    remember = browser.get_cookie("remember_token").value
    assert _signed_in_with(app, "remember_token", remember)  # on the day it was issued it signs in
    clock(timedelta(0))
    assert not _signed_in_with(app, "remember_token", remember)


def test_remember_cookie_restores_a_session_without_extending_it(app, clock):
    """A session restored from the remember cookie keeps the original sign-in time."""
    gen_user(app, username="returning")
    browser = app.test_client()
    clock(-timedelta(days=29))
    login(browser, "returning", remember=True)
    remember = browser.get_cookie("remember_token").value
    clock(timedelta(0))
    restored = app.test_client()
    restored.set_cookie("remember_token", remember)
    assert restored.get("/account").status_code == 200  # day 29: restored from the cookie
    clock(timedelta(days=2))
    assert restored.get("/account").status_code == 302  # day 31: the restored session ended too

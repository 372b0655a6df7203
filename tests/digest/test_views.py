"""The digest's opt-in (account page and API), its one-click unsubscribe, and `flask digest send`."""

from __future__ import annotations

import re

import pytest

from config import TestingConfig
from tests.digest.conftest import WEEK
from tests.factories import bearer, gen_token, gen_user
from webapp import create_app
from webapp.digest.services import make_unsubscribe_token
from webapp.extensions import db
from webapp.models import DigestLog, User


def _opted_in(app, user_id: int) -> bool:
    with app.app_context():
        return db.session.get(User, user_id).digest_opt_in


def _token(app, user_id: int) -> str:
    with app.app_context():
        return make_unsubscribe_token(db.session.get(User, user_id))


def _token_from_mail(smtp, address: str) -> str:
    header = smtp.to(address)[0]["List-Unsubscribe"]
    return re.fullmatch(r"<https://[^>]+/digest/unsubscribe/([^>]+)>", header).group(1)


def test_the_digest_is_off_by_default_and_the_account_page_switches_it(app, client, signed_in):
    """A new account is opted out; the account page's checkbox form turns the digest on and off."""
    page = client.get("/account").get_data(as_text=True)
    assert 'id="digest"' in page and 'name="digest_opt_in"' in page and "checked" not in page.split('id="digest"')[1][:600]
    assert _opted_in(app, signed_in.id) is False
    response = client.post("/account/digest", data={"digest_opt_in": "y"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/account#digest")
    assert _opted_in(app, signed_in.id) is True
    assert "Weekly digest switched on." in client.get("/account").get_data(as_text=True)
    client.post("/account/digest", data={})
    assert _opted_in(app, signed_in.id) is False


def test_the_account_digest_form_needs_a_csrf_token(app):
    """With CSRF on, POST /account/digest without a token is refused and changes nothing."""
    csrf_app = create_app(type("CsrfOn", (TestingConfig,), {"WTF_CSRF_ENABLED": True}))
    user = gen_user(csrf_app, username="csrfdigest")
    client = csrf_app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/auth/login", data={"login": "csrfdigest", "password": "correct horse battery staple 42",
                                     "csrf_token": token})
    assert client.post("/account/digest", data={"digest_opt_in": "y"}).status_code == 400
    assert _opted_in(csrf_app, user.id) is False


def test_the_api_reads_and_patches_digest_opt_in(app, client):
    """GET /api/v1/users/me shows digest_opt_in; PATCH with it switches the digest through the same service."""
    user = gen_user(app)
    headers = bearer(gen_token(app, user))
    assert client.get("/api/v1/users/me", headers=headers).get_json()["digest_opt_in"] is False
    response = client.patch("/api/v1/users/me", json={"digest_opt_in": True}, headers=headers)
    assert response.status_code == 200 and response.get_json()["digest_opt_in"] is True
    assert _opted_in(app, user.id) is True
    assert client.patch("/api/v1/users/me", json={"digest_opt_in": "maybe"}, headers=headers).status_code == 400


def test_the_emailed_link_shows_a_confirm_page_and_changes_nothing_on_get(app, client, smtp, learner):
    """GET on the mailed unsubscribe link, signed out, shows a confirm form posting to the same URL; still opted in."""
    from webapp.digest.services import send_digests

    with app.app_context():
        send_digests(WEEK)
    token = _token_from_mail(smtp, learner.email)
    response = client.get(f"/digest/unsubscribe/{token}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and learner.email in page
    assert f'action="/digest/unsubscribe/{token}"' in page and 'method="post"' in page
    assert _opted_in(app, learner.id) is True


def test_one_click_post_unsubscribes_without_a_session_or_csrf(app, smtp, learner):
    """RFC 8058: a bare POST of List-Unsubscribe=One-Click to the header URL, CSRF on and no session, opts out."""
    from webapp.digest.services import send_digests

    with app.app_context():
        send_digests(WEEK)
    token = _token_from_mail(smtp, learner.email)
    csrf_app = create_app(type("CsrfOn", (TestingConfig,), {"WTF_CSRF_ENABLED": True}))
    response = csrf_app.test_client().post(f"/digest/unsubscribe/{token}", data="List-Unsubscribe=One-Click",
                                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and "You are unsubscribed" in response.get_data(as_text=True)
    assert _opted_in(app, learner.id) is False
    assert csrf_app.test_client().post(f"/digest/unsubscribe/{token}").status_code == 200  # idempotent


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_forged_and_expired_tokens_are_refused(app, client, method, monkeypatch):
    """A tampered token, one signed with another salt, and one past DIGEST_UNSUBSCRIBE_MAX_AGE_DAYS are 400s; nothing changes."""
    from itsdangerous import URLSafeTimedSerializer

    user = gen_user(app, digest_opt_in=True)
    good = _token(app, user.id)
    other_salt = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="other").dumps({"u": user.id, "e": user.email})
    for bad in (good[:-2] + ("AA" if not good.endswith("AA") else "BB"), other_salt, "nonsense"):
        response = client.open(f"/digest/unsubscribe/{bad}", method=method)
        assert response.status_code == 400 and "not valid or has expired" in response.get_data(as_text=True)
    monkeypatch.setitem(app.config, "DIGEST_UNSUBSCRIBE_MAX_AGE_DAYS", -1)
    assert client.open(f"/digest/unsubscribe/{good}", method=method).status_code == 400
    assert _opted_in(app, user.id) is True


def test_a_token_stops_working_once_the_email_changes(app, client):
    """The token names the address it was mailed to: after an email change it is refused."""
    user = gen_user(app, digest_opt_in=True)
    token = _token(app, user.id)
    with app.app_context():
        db.session.get(User, user.id).email = "moved@example.com"
        db.session.commit()
    assert client.post(f"/digest/unsubscribe/{token}").status_code == 400
    assert _opted_in(app, user.id) is True


def test_digest_routes_permission_matrix(app, client, signed_in):
    """Every digest route: the token alone authorises (anonymous 200 with a good token); the account form needs a session."""
    found = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("digest.") or rule.endpoint == "account.update_digest"
             for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert found == {("digest.confirm_unsubscribe", "GET"), ("digest.unsubscribe", "POST"),
                     ("account.update_digest", "POST")}
    other = gen_user(app, digest_opt_in=True)
    token = _token(app, other.id)
    anonymous = app.test_client()
    assert anonymous.get(f"/digest/unsubscribe/{token}").status_code == 200
    assert anonymous.post("/account/digest", data={"digest_opt_in": "y"}).status_code == 302  # to sign in
    client.post("/account/digest", data={})  # the signed-in learner changes only their own setting
    assert _opted_in(app, other.id) is True
    assert anonymous.post(f"/digest/unsubscribe/{token}").status_code == 200
    assert _opted_in(app, other.id) is False


def test_the_command_sends_once_and_dry_run_prints_without_sending(app, smtp, learner):
    """`flask digest send --dry-run --week` lists the learner and sends nothing; the real run sends; again, nothing."""
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["digest", "send", "--dry-run", "--week", str(WEEK)])
    assert dry.exit_code == 0, dry.output
    assert f"Would send 1 digest(s) for {WEEK}" in dry.output and f"would send: {learner.email}" in dry.output
    assert smtp.messages == []
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(DigestLog)) == 0
    real = runner.invoke(args=["digest", "send", "--week", str(WEEK)])
    assert real.exit_code == 0 and f"sent: {learner.email}" in real.output
    again = runner.invoke(args=["digest", "send", "--week", str(WEEK)])
    assert again.exit_code == 0 and "Sent 0 digest(s)" in again.output and "1 skipped" in again.output
    assert len(smtp.messages) == 1


def test_the_command_refuses_a_malformed_week_and_exits_1_on_failures(app, smtp, learner):
    """--week 2026-13 is a usage error; a refused recipient makes the run exit 1 after trying everyone."""
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["digest", "send", "--week", "2026-13"])
    assert bad.exit_code == 2 and "YYYY-Www" in bad.output
    smtp.refuse.add(learner.email)
    failing = runner.invoke(args=["digest", "send", "--week", str(WEEK)])
    assert failing.exit_code == 1 and f"failed: {learner.email}" in failing.output

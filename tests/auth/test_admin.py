"""Admin access is closed by default: a URL-map walk checks every admin route."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.factories import bearer, gen_token, gen_user, login
from webapp.extensions import db
from webapp.models import AuditEvent, User


def _admin_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin") or rule.rule.startswith("/api/v1/admin"):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                yield rule, method


def _url(rule, values: dict | None = None) -> str:
    """The rule with each argument filled in: from `values` by name, else 1."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: str((values or {}).get(m.group(1), 1)), rule.rule)


# Admin routes that act on a record: a fresh one for each admin request (the walk expects < 400).
def _fresh_records(app) -> dict:
    """A new question with one open report: the ids admin routes name (question_id, report_id)."""
    from tests.factories import gen_exam, gen_feedback, gen_question

    from webapp.models import Question
    from webapp.models.enums import VersionOrigin
    from webapp.models.base import utcnow
    from webapp.questions.bank import add_version

    question = gen_question(app, gen_exam(app))
    with app.app_context():  # as the bank import records it: version 1 exists
        add_version(db.session.get(Question, question.id), VersionOrigin.IMPORT, utcnow())
        db.session.commit()
    return {"question_id": question.id, "report_id": gen_feedback(app, gen_user(app), question), "number": 1}


# JSON bodies that admin API routes need to succeed, by (method, rule).
def _sample_json(method: str, rule: str, values: dict) -> dict | None:
    bodies = {
        ("PATCH", "/api/v1/admin/feedback/<int:report_id>"): {"status": "dismissed", "resolution_note": "walk"},
        ("POST", "/api/v1/admin/feedback/dismiss"): {"question_ids": [values["question_id"]]},
    }
    return bodies.get((method, rule))


# Admin routes about one record answer 404 to an admin for the walk's placeholder id 1 (there is
# no such record): the gate let the admin through to the lookup. (rule, method) pairs.
ADMIN_NOT_FOUND = {
    # The question editor (webapp/editor, webapp/api/editor.py).
    ("/admin/questions/<int:question_id>/edit", "GET"), ("/admin/questions/<int:question_id>/edit", "POST"),
    ("/admin/questions/<int:question_id>/versions/<int:number>", "GET"),
    ("/api/v1/admin/questions/<int:question_id>", "GET"), ("/api/v1/admin/questions/<int:question_id>", "PATCH"),
}


def _admin_allowed(rule, method, status: int) -> bool:
    return status == 404 if (rule.rule, method) in ADMIN_NOT_FOUND else status < 400


# Browser admin forms whose empty POST is refused field by field (400): the gate let the admin
# through to the form's own validation. (rule, method) pairs.
ADMIN_EMPTY_FORM_REFUSED = {("/admin/questions/<int:question_id>/edit", "POST")}


def test_admin_access_matrix(app):
    """Anonymous → login/401, a normal user → 403, an admin → allowed, for every admin route."""
    rules = list(_admin_rules(app))
    assert any(r.rule.startswith("/admin") for r, _ in rules) and any(r.rule.startswith("/api/") for r, _ in rules)
    learner = gen_user(app, username="plainuser")
    admin = gen_user(app, username="boss", is_admin=True)
    learner_token, admin_token = gen_token(app, learner), gen_token(app, admin)
    anonymous, as_learner, as_admin = app.test_client(), app.test_client(), app.test_client()
    login(as_learner, "plainuser")
    login(as_admin, "boss")
    for rule, method in rules:
        url = _url(rule)
        api = rule.rule.startswith("/api/")
        anon = anonymous.open(url, method=method)
        if api:
            assert anon.status_code == 401, url
            assert as_learner.open(url, method=method, headers=bearer(learner_token)).status_code == 403, url
            values = _fresh_records(app) if "<" in rule.rule or method != "GET" else {}
            admin_url = _url(rule, values)
            answer = as_admin.open(admin_url, method=method, headers=bearer(admin_token),
                                   json=_sample_json(method, rule.rule, values) if values else None)
            assert answer.status_code < 400, (admin_url, answer.get_data(as_text=True))
            # A browser session does not open the admin API either.
            assert as_admin.open(url, method=method).status_code == 401, url
        else:
            assert anon.status_code == 302 and "/auth/login" in anon.headers["Location"], url
            assert as_learner.open(url, method=method).status_code == 403, url
            admin_url = _url(rule, _fresh_records(app) if "<" in rule.rule else {})
            answer = as_admin.open(admin_url, method=method)
            if (rule.rule, method) in ADMIN_EMPTY_FORM_REFUSED:
                assert answer.status_code == 400 and 'aria-invalid="true"' in answer.get_data(as_text=True), admin_url
            else:
                assert answer.status_code < 400, admin_url


def test_admin_audit_page_lists_events(client, admin):
    """The audit log page shows events newest first, filterable by event."""
    html = client.get("/admin/audit?event=login_success").get_data(as_text=True)
    assert "login_success" in html and "<table" in html


def test_create_admin_generates_password_once(app):
    """`flask create-admin --generate-password` creates an admin and prints the password once."""
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "chief@example.com", "--username", "chief", "--generate-password"])
    assert result.exit_code == 0, result.output
    password = re.search(r"shown once\): (\S+)", result.output).group(1)
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "chief"))
        assert user.is_admin and user.password_hash != password
        events = {e.event for e in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.user_id == user.id))}
        assert "admin_promotion" in events
    assert login(app.test_client(), "chief", password=password).status_code == 302


def test_create_admin_prompts_for_password(app):
    """Without --generate-password the command prompts (twice) for the new admin's password."""
    result = app.test_cli_runner().invoke(args=["create-admin", "typed@example.com", "--username", "typed"],
                                          input="orchid lantern basalt 7\norchid lantern basalt 7\n")
    assert result.exit_code == 0, result.output
    assert "Generated password" not in result.output


def test_create_admin_promotes_existing_user(app):
    """An existing account is promoted, not duplicated."""
    gen_user(app, username="risingstar", email="star@example.com")
    result = app.test_cli_runner().invoke(args=["create-admin", "star@example.com"])
    assert result.exit_code == 0 and "Promoted" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1
        assert db.session.scalar(sa.select(User.is_admin).where(User.username == "risingstar")) is True


def test_no_default_accounts_exist(app):
    """A fresh database has no users at all, so no default admin."""
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_audit_rows_cannot_be_changed_through_any_route(app):
    """No route updates or deletes audit rows: nothing under /admin or the API mutates them."""
    for rule in app.url_map.iter_rules():
        if "audit" in rule.rule:
            assert (rule.methods or set()) <= {"GET", "HEAD", "OPTIONS"}, rule.rule


def test_deactivate_user_command_ends_sessions_and_tokens(app):
    """`flask deactivate-user` signs the account out everywhere and kills its tokens."""
    user = gen_user(app, username="suspended")
    secret = gen_token(app, user)
    browser = app.test_client()
    login(browser, "suspended")
    result = app.test_cli_runner().invoke(args=["deactivate-user", "suspended"])
    assert result.exit_code == 0, result.output
    assert browser.get("/account").status_code == 302
    assert app.test_client().get("/api/v1/users/me", headers=bearer(secret)).status_code == 401
    assert app.test_cli_runner().invoke(args=["deactivate-user", "nobody"]).exit_code != 0


def test_signed_in_fixture_is_a_learner_session(client, signed_in):
    """The shared `signed_in` fixture signs a learner in on `client`: the account page opens, admin pages are 403."""
    assert not signed_in.is_admin
    account = client.get("/account")
    assert account.status_code == 200 and signed_in.username in account.get_data(as_text=True)
    assert client.get("/admin/").status_code == 403


def test_admin_fixture_is_an_administrator_session(client, admin):
    """The shared `admin` fixture signs an administrator in on `client`: admin pages open."""
    assert admin.is_admin
    assert client.get("/admin/").status_code == 200

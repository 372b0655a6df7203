"""The permission matrix of every bookmark and note route, found by walking the URL map: anonymous
callers are sent to sign in (pages) or get 401 (API); another learner and an admin reach only
their own bookmarks and notes, never the owner's."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.factories import bearer, gen_bank, gen_bookmark, gen_token, gen_user, login
from webapp.extensions import db
from webapp.models import AttemptQuestion, BookmarkTag, Question, QuestionBookmark, QuestionNote, QuizAttempt

# (endpoint, method) -> (status for another signed-in user or admin acting on the owner's question,
# the body they send). Every route of the walk must be listed here, so a new one needs a decision.
MATRIX = {
    ("bookmarks.list_bookmarks", "GET"): (200, None),
    ("bookmarks.toggle_bookmark", "POST"): (302, {"bookmarked": "0"}),  # their own (absent) bookmark: nothing to do
    ("bookmarks.save_tags", "POST"): (404, {"tags": "stolen"}),  # they have no bookmark of it
    ("bookmarks.show_tags", "GET"): (404, None),
    ("bookmarks.edit_tags", "GET"): (404, None),
    ("bookmarks.show_note", "GET"): (200, None),  # their own (empty) note
    ("bookmarks.edit_note", "GET"): (200, None),
    ("bookmarks.save_note", "POST"): (302, {"action": "delete"}),  # deletes their own note, if any
    ("quiz.bookmark", "POST"): (404, {"bookmarked": "1"}),  # the owner's quiz does not exist for them
    ("api_bookmarks.list_bookmarks", "GET"): (200, None),
    ("api_bookmarks.add_bookmark", "POST"): (201, {}),  # a bookmark of their own
    ("api_bookmarks.update_bookmark", "PATCH"): (404, {"notes": "stolen"}),
    ("api_bookmarks.remove_bookmark", "DELETE"): (404, None),
    ("api_bookmarks.get_note", "GET"): (404, None),
    ("api_bookmarks.put_note", "PUT"): (201, {"body": "a note of their own"}),
    ("api_bookmarks.delete_note", "DELETE"): (404, None),
    ("api_bookmarks.list_notes", "GET"): (200, None),
}
SECRET = "The owner's private note"


def _routes(app):
    """Every (rule, method) of the bookmarks blueprints, and the quiz screen's toggle."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("bookmarks.", "api_bookmarks.")) or rule.endpoint == "quiz.bookmark":
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                yield rule, method


def _url(rule, ids: dict[str, int]) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: str(ids[m.group(1)]), rule.rule)


def _owner_data(app):
    """The owner's bookmark (tagged, with a note) of a question in a quiz of theirs: (question id, attempt id)."""
    exam = gen_bank(app, per_objective=2)
    owner = gen_user(app, username="owner")
    browser = app.test_client()
    login(browser, "owner")
    location = browser.post("/quizzes", data={"exam": exam.slug, "mode": "practice", "count": "5"}).headers["Location"]
    attempt_id = int(re.search(r"/quizzes/(\d+)/", location).group(1))
    with app.app_context():
        question_id = db.session.scalar(sa.select(AttemptQuestion.question_id).where(
            AttemptQuestion.attempt_id == attempt_id, AttemptQuestion.position == 0))
        question = db.session.get(Question, question_id)
    gen_bookmark(app, owner, question, tags=["owned"], notes=SECRET)
    return owner, question_id, attempt_id


def _owner_rows(app, owner_id: int):
    with app.app_context():
        return (db.session.scalar(sa.select(sa.func.count()).select_from(QuestionBookmark)
                                  .where(QuestionBookmark.user_id == owner_id)),
                db.session.scalars(sa.select(BookmarkTag.name).where(BookmarkTag.user_id == owner_id)).all(),
                db.session.scalars(sa.select(QuestionNote.body).where(QuestionNote.user_id == owner_id)).all(),
                db.session.scalar(sa.select(QuizAttempt.status).where(QuizAttempt.user_id == owner_id)))


def test_the_walk_finds_exactly_the_routes_in_the_matrix(app):
    """Every bookmark and note route has a row in MATRIX and every row is a route: a new route needs a decision."""
    found = {(rule.endpoint, method) for rule, method in _routes(app)}
    assert len(found) == 17
    assert found == set(MATRIX)


def test_anonymous_callers_are_sent_to_sign_in_or_get_401(client, app):
    """Pages redirect anonymous callers to the sign-in form; the API answers 401 INVALID_TOKEN."""
    _owner, question_id, attempt_id = _owner_data(app)
    ids = {"question_id": question_id, "attempt_id": attempt_id, "number": 1}
    for rule, method in _routes(app):
        _status, body = MATRIX[(rule.endpoint, method)]
        url = _url(rule, ids)
        if rule.rule.startswith("/api/"):
            response = client.open(url, method=method, json=body)
            assert response.status_code == 401 and response.get_json()["code"] == "INVALID_TOKEN", (method, url)
        else:
            response = client.open(url, method=method, data=body)
            assert response.status_code == 302 and "/auth/login" in response.headers["Location"], (method, url)


def test_another_learner_and_an_admin_never_reach_the_owners_data(app):
    """Another learner and an admin get the MATRIX status on every route, never see the owner's note, and change nothing of theirs."""
    owner, question_id, attempt_id = _owner_data(app)
    before = _owner_rows(app, owner.id)
    ids = {"question_id": question_id, "attempt_id": attempt_id, "number": 1}
    for username, is_admin in (("other", False), ("chief", True)):
        other = gen_user(app, username=username, is_admin=is_admin)
        headers = bearer(gen_token(app, other))
        browser = app.test_client()
        login(browser, username)
        # Routes that create the caller's own bookmark or note run last, so every other row sees none.
        for rule, method in sorted(_routes(app), key=lambda route: MATRIX[(route[0].endpoint, route[1])][0] == 201):
            status, body = MATRIX[(rule.endpoint, method)]
            url = _url(rule, ids)
            if rule.rule.startswith("/api/"):
                response = browser.open(url, method=method, json=body, headers=headers)
            else:
                response = browser.open(url, method=method, data=body)
            assert response.status_code == status, (username, method, url, response.status_code)
            assert SECRET not in response.get_data(as_text=True), (username, method, url)
    assert _owner_rows(app, owner.id) == before == (1, ["owned"], [SECRET], before[3])

"""The report JSON API contract: POST /api/v1/questions/{id}/feedback and GET /api/v1/users/me/feedback."""

from __future__ import annotations

import pytest

from tests.factories import bearer, gen_exam, gen_question, gen_report, gen_token, gen_user
from tests.helpers import walk_keys
from webapp.extensions import db
from webapp.feedback import services as feedback
from webapp.models import FeedbackStatus, Question, User

REPORT_KEYS = {"id", "question_id", "feedback_type", "comment", "status", "created_at"}


@pytest.fixture
def learner(app):
    """A learner and the headers of their bearer token."""
    user = gen_user(app, username="reporter")
    return user, bearer(gen_token(app, user))


@pytest.fixture
def question(app):
    """One active question of an active exam."""
    return gen_question(app, gen_exam(app, slug="security"))


def _post(client, headers, qid, **body):
    return client.post(f"/api/v1/questions/{qid}/feedback", headers=headers, json=body)


def _close(app, question_id: int, status=FeedbackStatus.RESOLVED, note="Fixed the key, thanks.") -> None:
    with app.app_context():
        admin = gen_user(app, is_admin=True)
        feedback.close_reports(question_id, db.session.get(User, admin.id), status, note)
        db.session.commit()


def test_first_report_is_201_and_a_second_updates_it_with_200(client, app, learner, question):
    """A first report is 201 pending with the contract's fields; a second one updates the same report (200)."""
    first = _post(client, learner[1], question.id, feedback_type="typo", comment="  'recieve'  ")
    assert first.status_code == 201 and REPORT_KEYS <= set(first.get_json())
    body = first.get_json()
    assert (body["question_id"], body["feedback_type"], body["comment"], body["status"]) == (
        question.id, "typo", "'recieve'", "pending")
    again = _post(client, learner[1], question.id, feedback_type="unclear", comment=None)
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    assert again.get_json()["feedback_type"] == "unclear" and again.get_json()["comment"] is None
    assert again.get_json()["created_at"] == body["created_at"]
    assert "no-store" in first.headers["Cache-Control"]


def test_a_report_after_the_last_was_resolved_is_a_new_one(client, app, learner, question):
    """Once the open report is resolved, the next report is filed anew (201, another id)."""
    first = _post(client, learner[1], question.id, feedback_type="typo").get_json()
    _close(app, question.id)
    second = _post(client, learner[1], question.id, feedback_type="typo")
    assert second.status_code == 201 and second.get_json()["id"] != first["id"]
    assert second.get_json()["status"] == "pending"


@pytest.mark.parametrize("body, field, code", [
    ({"feedback_type": "wrong"}, "feedback_type", "FEEDBACK_TYPE_UNKNOWN"),
    ({"feedback_type": "incorrect"}, "comment", "COMMENT_REQUIRED"),
    ({"feedback_type": "other", "comment": "   "}, "comment", "COMMENT_REQUIRED"),
    ({"feedback_type": "typo", "comment": "x" * 2001}, "comment", "COMMENT_TOO_LONG"),
    ({"comment": "no type"}, "feedback_type", "VALIDATION_ERROR"),
])
def test_invalid_reports_are_400_on_the_field(client, learner, question, body, field, code):
    """An unknown type, a missing comment for incorrect/other and a comment over 2,000 characters are 400s on their field."""
    response = _post(client, learner[1], question.id, **body)
    assert response.status_code == 400
    assert (response.get_json()["field"], response.get_json()["code"]) == (field, code)


def test_a_comment_of_exactly_the_limit_counts_line_breaks_once(client, learner, question):
    """2,000 characters with CRLF line breaks counted as one each are accepted, as notes count them."""
    comment = ("x" * 9 + "\r\n") * 200  # 2,200 characters sent, 2,000 after CRLF -> LF, trailing one trimmed
    response = _post(client, learner[1], question.id, feedback_type="incorrect", comment=comment)
    assert response.status_code == 201 and len(response.get_json()["comment"]) == 1999


def test_a_question_the_learner_cannot_see_is_404(client, app, learner):
    """An inactive question, one of a retired exam and an unknown id are 404, as for bookmarks."""
    exam = gen_exam(app)
    inactive = gen_question(app, exam, is_active=False)
    hidden = gen_question(app, gen_exam(app, is_active=False))
    for qid in (inactive.id, hidden.id, 999_999):
        response = _post(client, learner[1], qid, feedback_type="typo")
        assert response.status_code == 404 and response.get_json()["code"] == "NOT_FOUND", qid


def test_a_report_reveals_nothing_about_correctness(client, learner, question):
    """Neither the report nor the list carries a key, is_correct or choices."""
    posted = _post(client, learner[1], question.id, feedback_type="typo").get_json()
    listed = client.get("/api/v1/users/me/feedback", headers=learner[1]).get_json()
    keys = walk_keys(posted) | walk_keys(listed)
    assert "question_id" in keys and "stem" in keys
    assert not keys & {"is_correct", "answer", "key", "choices", "correct_choice_ids", "rationale"}


def test_without_a_token_both_routes_are_401(client, question):
    """No bearer token: 401 on both routes."""
    assert _post(client, {}, question.id, feedback_type="typo").status_code == 401
    assert client.get("/api/v1/users/me/feedback").status_code == 401


def test_my_feedback_lists_own_reports_newest_first_with_the_note(client, app, learner, question):
    """GET /users/me/feedback pages the caller's reports newest first, with status and the admin's note; not others'."""
    other_question = gen_question(app, gen_exam(app, slug="network"))
    gen_report(app, learner[0], question)
    _close(app, question.id, FeedbackStatus.DISMISSED, "Not a typo: British spelling.")
    gen_report(app, learner[0], other_question, "unclear", None)
    gen_report(app, gen_user(app), question)
    page = client.get("/api/v1/users/me/feedback?per_page=1", headers=learner[1]).get_json()
    assert (page["total"], page["per_page"], len(page["items"])) == (2, 1, 1)
    assert page["items"][0]["question_id"] == other_question.id and page["items"][0]["status"] == "pending"
    second = client.get("/api/v1/users/me/feedback?per_page=1&page=2", headers=learner[1]).get_json()["items"][0]
    assert second["status"] == "dismissed" and second["resolution_note"] == "Not a typo: British spelling."
    assert (second["question"]["id"], second["question"]["exam_type"], second["question"]["stem"]) == (
        question.id, "security", question.stem)


def test_reports_are_rate_limited_per_learner(client, app, learner, question, monkeypatch):
    """Past FEEDBACK_RATE_LIMIT reports a learner gets 429 RATE_LIMITED with Retry-After; a refused report counts nothing."""
    monkeypatch.setitem(app.config, "FEEDBACK_RATE_LIMIT", "2 per day")
    exam = gen_exam(app)
    others = [gen_question(app, exam) for _ in range(2)]
    assert _post(client, learner[1], question.id, feedback_type="incorrect").status_code == 400  # not counted
    assert _post(client, learner[1], question.id, feedback_type="typo").status_code == 201
    assert _post(client, learner[1], others[0].id, feedback_type="typo").status_code == 201
    third = _post(client, learner[1], others[1].id, feedback_type="typo")
    assert third.status_code == 429 and third.get_json()["code"] == "RATE_LIMITED"
    assert int(third.headers["Retry-After"]) > 0
    with app.app_context():
        assert db.session.get(Question, others[1].id).flag_count == 0
    someone_else = bearer(gen_token(app, gen_user(app)))
    assert _post(client, someone_else, others[1].id, feedback_type="typo").status_code == 201

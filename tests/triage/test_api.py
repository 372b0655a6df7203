"""The triage JSON API: the queue's contract, deciding and bulk-dismissing reports, errors, and
who may call it."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.factories import bearer, gen_exam, gen_feedback, gen_question, gen_question_stats, gen_token, gen_user
from webapp.extensions import db
from webapp.models import AuditEvent, FeedbackStatus, FeedbackType, Question, QuestionFeedback

QUEUE = "/api/v1/admin/flagged-questions"


def _admin_headers(app) -> dict:
    return bearer(gen_token(app, gen_user(app, is_admin=True)))


def test_queue_item_contract(app, client):
    """Each item carries the question, every type's open count, the latest report time and the stats."""
    exam = gen_exam(app)
    question = gen_question(app, exam, stem="Which port does LDAPS use?")
    gen_feedback(app, gen_user(app), question, feedback_type=FeedbackType.TYPO, comment=None)
    gen_question_stats(app, question, is_suspect=True, suspect_reasons=["Facility above 95% (98%)"], facility=98.0,
                       suspicion_score=1.2)
    response = client.get(QUEUE, headers=_admin_headers(app))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert (body["page"], body["per_page"], body["total"]) == (1, 20, 1)
    item = body["items"][0]
    assert item["question"] == {
        "id": question.id, "external_id": question.external_id, "exam": exam.slug, "objective": "1.1",
        "objective_title": "Explain the basics", "stem": "Which port does LDAPS use?", "is_active": True,
        "is_flagged": False, "flag_count": 1, "withdrawn": False, "withdrawn_at": None}
    assert item["counts"] == {"incorrect": 0, "typo": 1, "unclear": 0, "other": 0} and item["open_reports"] == 1
    assert item["latest_report_at"].endswith(("Z", "+00:00"))
    assert item["stats"]["suspect_reasons"] == ["Facility above 95% (98%)"] and item["stats"]["facility"] == 98.0
    assert set(item["stats"]) >= {"responses", "discrimination", "choice_counts", "top_group", "computed_at"}


def test_queue_query_arguments(app, client):
    """exam, feedback_type, status, suspect, q, sort and per_page reach the queue; bad values are 400."""
    first, second = gen_exam(app), gen_exam(app)
    typo = gen_question(app, first, stem="A typo here")
    wrong = gen_question(app, second, stem="A wrong key")
    suspect = gen_question(app, second, stem="Suspiciously easy")
    gen_feedback(app, gen_user(app), typo, feedback_type=FeedbackType.TYPO)
    gen_feedback(app, gen_user(app), wrong)
    gen_feedback(app, gen_user(app), wrong, status=FeedbackStatus.RESOLVED)
    gen_question_stats(app, suspect, is_suspect=True, suspicion_score=4.0)
    headers = _admin_headers(app)

    def ids(query: str) -> list[int]:
        response = client.get(f"{QUEUE}?{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return [item["question"]["id"] for item in response.get_json()["items"]]

    assert set(ids("")) == {typo.id, wrong.id, suspect.id}
    assert set(ids(f"exam={second.slug}")) == {wrong.id, suspect.id}
    assert ids("feedback_type=typo") == [typo.id]
    assert ids("status=resolved") == [wrong.id]
    assert ids("suspect=true") == [suspect.id]
    assert ids("q=WRONG") == [wrong.id]
    assert ids("sort=suspicion")[0] == suspect.id
    assert len(ids("per_page=1&page=2")) == 1
    for bad in ("sort=random", "status=open", "feedback_type=rude", "exam=nope", "per_page=500"):
        response = client.get(f"{QUEUE}?{bad}", headers=headers)
        assert response.status_code == 400, bad
    assert client.get(f"{QUEUE}?exam=nope", headers=headers).get_json()["code"] == "UNKNOWN_EXAM"


def test_patch_feedback_resolves_and_returns_the_report(app, client):
    """PATCH resolves the report with the note and returns it; the flags are recounted and the decision audited."""
    question = gen_question(app, gen_exam(app))
    report_id = gen_feedback(app, gen_user(app), question, comment="Key is B.")
    admin = gen_user(app, is_admin=True)
    response = client.patch(f"/api/v1/admin/feedback/{report_id}", headers=bearer(gen_token(app, admin)),
                            json={"status": "resolved", "resolution_note": "Fixed the key."})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert {key: body[key] for key in ("id", "question_id", "feedback_type", "comment", "status", "resolved_by",
                                       "resolution_note")} == {
        "id": report_id, "question_id": question.id, "feedback_type": "incorrect", "comment": "Key is B.",
        "status": "resolved", "resolved_by": admin.id, "resolution_note": "Fixed the key."}
    assert body["resolved_at"] and body["created_at"] and "user_id" in body
    with app.app_context():
        assert db.session.get(Question, question.id).flag_count == 0
        event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.event == "feedback_resolve")).one()
        assert event.details["before"]["status"] == "pending" and event.details["after"]["status"] == "resolved"


def test_patch_feedback_errors(app, client):
    """A closed report is 409 REPORT_CLOSED; pending or a missing status 400; an unknown id 404; a long note 400."""
    question = gen_question(app, gen_exam(app))
    report_id = gen_feedback(app, gen_user(app), question, status=FeedbackStatus.DISMISSED)
    open_id = gen_feedback(app, gen_user(app), question)
    headers = _admin_headers(app)
    closed = client.patch(f"/api/v1/admin/feedback/{report_id}", headers=headers, json={"status": "resolved"})
    assert closed.status_code == 409 and closed.get_json()["code"] == "REPORT_CLOSED"
    assert client.patch(f"/api/v1/admin/feedback/{open_id}", headers=headers,
                        json={"status": "pending"}).status_code == 400
    assert client.patch(f"/api/v1/admin/feedback/{open_id}", headers=headers, json={}).status_code == 400
    assert client.patch(f"/api/v1/admin/feedback/{open_id + 999}", headers=headers,
                        json={"status": "dismissed"}).status_code == 404
    long_note = client.patch(f"/api/v1/admin/feedback/{open_id}", headers=headers,
                             json={"status": "dismissed", "resolution_note": "x" * 2001})
    assert long_note.status_code == 400 and long_note.get_json()["field"] == "resolution_note"
    with app.app_context():
        assert db.session.get(QuestionFeedback, open_id).status == FeedbackStatus.PENDING


def test_bulk_dismiss_route(app, client):
    """POST /admin/feedback/dismiss dismisses every open report of the questions; an empty list is 400."""
    exam = gen_exam(app)
    first, second = gen_question(app, exam), gen_question(app, exam)
    for _ in range(3):
        gen_feedback(app, gen_user(app), first, feedback_type=FeedbackType.UNCLEAR)
    headers = _admin_headers(app)
    response = client.post("/api/v1/admin/feedback/dismiss", headers=headers,
                           json={"question_ids": [first.id, second.id], "resolution_note": "Reads fine."})
    assert response.status_code == 200 and response.get_json() == {"question_ids": [first.id], "dismissed": 3}
    with app.app_context():
        assert not db.session.get(Question, first.id).is_flagged
        assert db.session.scalar(sa.select(sa.func.count()).select_from(QuestionFeedback)
                                 .where(QuestionFeedback.status == FeedbackStatus.DISMISSED)) == 3
    assert client.post("/api/v1/admin/feedback/dismiss", headers=headers, json={"question_ids": []}).status_code == 400


def test_triage_api_permission_matrix(app, client):
    """Every triage API route: anonymous 401, a learner's token 403, an admin's token 200, even with a bad body."""
    question = gen_question(app, gen_exam(app))
    routes = [("GET", QUEUE, None),
              ("PATCH", "/api/v1/admin/feedback/{report}", {"status": "dismissed"}),
              ("POST", "/api/v1/admin/feedback/dismiss", {"question_ids": [question.id]})]
    learner = bearer(gen_token(app, gen_user(app)))
    admin = _admin_headers(app)
    for method, url, body in routes:
        url = url.format(report=gen_feedback(app, gen_user(app), question))
        assert client.open(url, method=method, json={"bad": 1}).status_code == 401, url
        assert client.open(url, method=method, headers=learner, json={"bad": 1}).status_code == 403, url
        assert client.open(url, method=method, headers=admin, json=body).status_code == 200, url


def test_page_and_api_list_the_same_queue(app, client, admin):
    """One source of truth: the page and the API show the same questions in the same order."""
    exam = gen_exam(app)
    questions = [gen_question(app, exam, stem=f"Stem number {n}") for n in range(3)]
    for count, question in enumerate(questions, 1):
        for _ in range(count):
            gen_feedback(app, gen_user(app), question)
    api = [item["question"]["id"] for item in
           client.get(f"{QUEUE}?sort=open_reports", headers=_admin_headers(app)).get_json()["items"]]
    html = client.get("/admin/flags").get_data(as_text=True)
    page = [int(n) for n in re.findall(r'id="queue-row-(\d+)"', html)]
    assert api == page == [q.id for q in reversed(questions)]

"""The "retry what I got wrong" actions on the result and review pages: which appear, the start
fields each posts, and the practice one end to end."""

from __future__ import annotations

import re

import sqlalchemy as sa

from config import TestingConfig
from tests.factories import DEFAULT_PASSWORD, bearer, choice_ids, gen_bank, gen_token, gen_user
from webapp import create_app
from webapp.extensions import db
from webapp.models import AttemptQuestion, QuestionSource, QuizAttempt, QuizMode

HX = {"HX-Request": "true"}
MISSED_STUDY, MISSED_QUIZ, MARKED_STUDY = ("Study the ones I missed", "Quiz me on the ones I missed",
                                           "Study the ones I marked")


def _finish(client, app, slug: str, right: int, marked: tuple[int, ...] = ()) -> int:
    """A 5-question practice quiz with the first `right` questions right, the rest blank, and the
    positions in `marked` marked, submitted in the browser; returns its id."""
    response = client.post("/quizzes", data={"exam": slug, "mode": "practice", "count": "5", "timed": "y"})
    attempt_id = int(response.headers["Location"].split("/")[2])
    with app.app_context():
        rows = db.session.scalars(sa.select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id)
                                  .order_by(AttemptQuestion.position)).all()
        keys = [choice_ids(aq.question_id)[0] for aq in rows]
    for position in range(right):
        client.post(f"/quizzes/{attempt_id}/q/{position + 1}/answer", data={"choice": str(keys[position])})
    for position in marked:
        client.post(f"/quizzes/{attempt_id}/q/{position + 1}/mark", data={"marked": "1"})
    assert client.post(f"/quizzes/{attempt_id}/submit").status_code == 302
    return attempt_id


def _retry_forms(html: str, keep_token: bool = False) -> dict[str, dict[str, str]]:
    """Each retry form's button text -> its posted fields (the CSRF token only if `keep_token`)."""
    section = re.search(r'<section id="retry-actions".*?</section>', html, re.S)
    forms = {}
    for form in re.findall(r'<form method="post" action="/quizzes">(.*?)</form>', section.group(0) if section else "",
                           re.S):
        text = re.search(r'<button type="submit" class="button">(.*?)</button>', form).group(1)
        fields = dict(re.findall(r'<input name="(\w+)" type="hidden" value="([^"]*)">', form))
        if not keep_token:
            fields.pop("csrf_token", None)
        forms[text] = fields
    return forms


def test_result_with_wrong_and_marked_questions_offers_all_three_retries(client, app, signed_in):
    """A result with a wrong answer and a marked question offers the three retries with the start fields."""
    exam = gen_bank(app, per_objective=3)
    attempt_id = _finish(client, app, exam.slug, right=3, marked=(0,))
    html = client.get(f"/quizzes/{attempt_id}/result").get_data(as_text=True)
    forms = _retry_forms(html)
    assert list(forms) == [MISSED_STUDY, MISSED_QUIZ, MARKED_STUDY]
    count = str(app.config["QUIZ_MAX_COUNT"])
    assert forms[MISSED_STUDY] == {"exam": exam.slug, "mode": QuizMode.STUDY.value,
                                   "source": QuestionSource.MISSED.value, "count": count, "timed": ""}
    assert forms[MISSED_QUIZ] == {"exam": exam.slug, "mode": QuizMode.PRACTICE.value,
                                  "source": QuestionSource.MISSED.value, "count": count, "timed": "y"}
    assert forms[MARKED_STUDY] == {"exam": exam.slug, "mode": QuizMode.STUDY.value,
                                   "source": QuestionSource.MARKED.value, "count": count, "timed": ""}
    assert 'aria-labelledby="retry-heading"' in html


def test_review_page_offers_the_same_retries(client, app, signed_in):
    """The review page shows the retry forms too (and its htmx filter fragment leaves them alone)."""
    exam = gen_bank(app, per_objective=3)
    attempt_id = _finish(client, app, exam.slug, right=4, marked=(1,))
    review = client.get(f"/quizzes/{attempt_id}/review").get_data(as_text=True)
    assert list(_retry_forms(review)) == [MISSED_STUDY, MISSED_QUIZ, MARKED_STUDY]
    fragment = client.get(f"/quizzes/{attempt_id}/review?show=wrong", headers=HX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="review-list"') and 'id="retry-actions"' not in fragment


def test_an_all_right_unmarked_quiz_offers_no_retry(client, app, signed_in):
    """Everything right and nothing marked: the result has no retry section."""
    exam = gen_bank(app, per_objective=3)
    attempt_id = _finish(client, app, exam.slug, right=5)
    html = client.get(f"/quizzes/{attempt_id}/result").get_data(as_text=True)
    assert "100.0%" in html and 'id="retry-actions"' not in html


def test_all_right_with_a_mark_offers_only_the_marked_study(client, app, signed_in):
    """Everything right but one question marked: only "Study the ones I marked"."""
    exam = gen_bank(app, per_objective=3)
    attempt_id = _finish(client, app, exam.slug, right=5, marked=(2,))
    html = client.get(f"/quizzes/{attempt_id}/result").get_data(as_text=True)
    assert list(_retry_forms(html)) == [MARKED_STUDY]
    assert "“Marked” takes every one you marked" in html and "“Missed”" not in html


def test_wrong_without_a_mark_offers_only_the_missed_retries(client, app, signed_in):
    """A wrong answer and no mark: the two "missed" retries and not the marked one."""
    exam = gen_bank(app, per_objective=3)
    attempt_id = _finish(client, app, exam.slug, right=2)
    html = client.get(f"/quizzes/{attempt_id}/result").get_data(as_text=True)
    assert list(_retry_forms(html)) == [MISSED_STUDY, MISSED_QUIZ]
    assert "“Missed” takes every" in html and "“Marked”" not in html
    assert f"up to {app.config['QUIZ_MAX_COUNT']}." in html


def test_htmx_submit_response_carries_the_retries(client, app, signed_in):
    """Submitting with htmx swaps in the result with its retry forms."""
    exam = gen_bank(app, per_objective=3)
    response = client.post("/quizzes", data={"exam": exam.slug, "mode": "practice", "count": "5"})
    attempt_id = int(response.headers["Location"].split("/")[2])
    html = client.post(f"/quizzes/{attempt_id}/submit", headers=HX).get_data(as_text=True)
    assert "<html" not in html and list(_retry_forms(html)) == [MISSED_STUDY, MISSED_QUIZ]


def test_quiz_me_on_the_ones_i_missed_starts_a_timed_quiz_of_exactly_those(client, app, signed_in):
    """Posting the practice retry's fields starts a timed quiz of the 3 missed questions, with the notice."""
    exam = gen_bank(app, per_objective=3)
    attempt_id = _finish(client, app, exam.slug, right=2)
    with app.app_context():
        missed = set(db.session.scalars(sa.select(AttemptQuestion.question_id).where(
            AttemptQuestion.attempt_id == attempt_id, AttemptQuestion.position >= 2)))
    fields = _retry_forms(client.get(f"/quizzes/{attempt_id}/result").get_data(as_text=True))[MISSED_QUIZ]
    response = client.post("/quizzes", data=fields)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Only 3 questions match “Missed last time”" in page
    with app.app_context():
        retry = db.session.scalar(sa.select(QuizAttempt).order_by(QuizAttempt.id.desc()))
        assert (retry.mode, retry.source, retry.question_count, retry.timed) == (
            QuizMode.PRACTICE.value, QuestionSource.MISSED.value, 3, True)
        assert {aq.question_id for aq in retry.questions} == missed
        assert retry.time_limit_seconds == 3 * app.config["QUIZ_SECONDS_PER_QUESTION"]


def test_the_quiz_retry_leads_to_the_quiz_already_in_progress(client, app, signed_in):
    """With a quiz already open, the practice retry shows the in-progress page (409) instead of starting one."""
    exam = gen_bank(app, per_objective=3)
    attempt_id = _finish(client, app, exam.slug, right=1)
    fields = _retry_forms(client.get(f"/quizzes/{attempt_id}/result").get_data(as_text=True))[MISSED_QUIZ]
    open_quiz = client.post("/api/v1/quizzes", headers=bearer(gen_token(app, signed_in)),
                            json={"exam_type": exam.slug, "count": 5}).get_json()
    response = client.post("/quizzes", data=fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "Resume it" in html
    assert f"/quizzes/{open_quiz['id']}" in html


def test_retry_forms_carry_the_csrf_token_and_work_with_csrf_on(app):
    """With CSRF enforced, each retry form holds the token and posting it starts the quiz."""
    csrf_app = create_app(type("CsrfOn", (TestingConfig,), {"WTF_CSRF_ENABLED": True}))
    exam = gen_bank(csrf_app, per_objective=3)
    user = gen_user(csrf_app, username="retrier")
    headers = bearer(gen_token(csrf_app, user))
    browser = csrf_app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      browser.get("/auth/login").get_data(as_text=True)).group(1)
    assert browser.post("/auth/login", data={"login": "retrier", "password": DEFAULT_PASSWORD,
                                             "csrf_token": token}).status_code == 302
    quiz = browser.post("/api/v1/quizzes", headers=headers, json={"exam_type": exam.slug, "count": 5}).get_json()
    browser.post(f"/api/v1/quizzes/{quiz['id']}/submit", headers=headers)
    forms = _retry_forms(browser.get(f"/quizzes/{quiz['id']}/result").get_data(as_text=True), keep_token=True)
    assert all(fields.get("csrf_token") for fields in forms.values()) and len(forms) == 2
    without = {key: value for key, value in forms[MISSED_QUIZ].items() if key != "csrf_token"}
    assert browser.post("/quizzes", data=without).status_code == 400
    assert browser.post("/quizzes", data=forms[MISSED_QUIZ]).status_code == 302

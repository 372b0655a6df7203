"""Quiz pages: start form, one question per screen, htmx fragments and the no-JS form path."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.factories import choice_ids, gen_bank, gen_user, login
from webapp.extensions import db
from webapp.models import AttemptQuestion, QuizAttempt

HX = {"HX-Request": "true"}


@pytest.fixture
def signed_in(client, app):
    gen_user(app, username="pageuser")
    login(client, "pageuser")
    return client


def _start(client, slug: str, **form) -> str:
    data = {"exam": slug, "mode": "practice", "count": "5", "timed": "y", **form}
    response = client.post("/quizzes", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response.headers["Location"]


def _attempt(app) -> QuizAttempt:
    with app.app_context():
        attempt = db.session.scalar(sa.select(QuizAttempt).order_by(QuizAttempt.id.desc()))
        db.session.expunge(attempt)
        return attempt


def _question_at(app, attempt_id: int, position: int) -> tuple[int, list[int], list[int]]:
    with app.app_context():
        aq = db.session.scalar(sa.select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id,
                                                                AttemptQuestion.position == position))
        return aq.question_id, list(aq.choice_order), choice_ids(aq.question_id)


def test_exam_page_offers_start_form(signed_in, app):
    """The exam page shows the start form with modes, count, timing and objectives."""
    exam = gen_bank(app, per_objective=4)
    html = signed_in.get(f"/exams/{exam.slug}").get_data(as_text=True)
    assert 'action="/quizzes"' in html and "Exam simulation" in html and 'name="objectives"' in html


def test_anonymous_exam_page_invites_sign_in(client, app):
    """Anonymous visitors see the exam page with a sign-in prompt instead of the form."""
    exam = gen_bank(app, per_objective=4)
    html = client.get(f"/exams/{exam.slug}").get_data(as_text=True)
    assert "to take quizzes" in html and 'action="/quizzes"' not in html


def test_start_redirects_to_first_question(signed_in, app):
    """Starting a quiz lands on question 1, a full page with the navigator and a countdown."""
    exam = gen_bank(app, per_objective=4)
    location = _start(signed_in, exam.slug)
    assert location.endswith("/q/1")
    html = signed_in.get(location).get_data(as_text=True)
    assert "<html" in html and 'id="quiz-panel"' in html and 'id="countdown"' in html
    assert html.count('class="nav-cell') == 5 and 'aria-current="step"' in html


def test_start_validation_error_rerenders_exam_page(signed_in, app):
    """An impossible count re-renders the exam page with the error next to the field."""
    exam = gen_bank(app, per_objective=1)
    response = signed_in.post("/quizzes", data={"exam": exam.slug, "mode": "practice", "count": "50"})
    assert response.status_code == 400
    assert "Only 3 active questions match" in response.get_data(as_text=True)


def test_second_start_offers_resume_or_abandon(signed_in, app):
    """Starting while a quiz is open shows a 409 page with Resume and Abandon."""
    exam = gen_bank(app, per_objective=4)
    _start(signed_in, exam.slug)
    response = signed_in.post("/quizzes", data={"exam": exam.slug, "mode": "practice", "count": "5"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "Resume it" in html and "Abandon it" in html


def test_question_fragment_for_htmx(signed_in, app):
    """Navigating with htmx returns only the panel fragment, varying on HX-Request."""
    exam = gen_bank(app, per_objective=4)
    location = _start(signed_in, exam.slug)
    response = signed_in.get(location.replace("/q/1", "/q/2"), headers=HX)
    html = response.get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith('<div id="quiz-panel"')
    assert "HX-Request" in response.headers["Vary"]


def test_answer_with_htmx_returns_navigator_cell(signed_in, app):
    """Choosing an answer with htmx saves it and returns the navigator cell plus an OOB status."""
    exam = gen_bank(app, per_objective=4)
    _start(signed_in, exam.slug)
    attempt = _attempt(app)
    _qid, order, _correct = _question_at(app, attempt.id, 0)
    response = signed_in.post(f"/quizzes/{attempt.id}/q/1/answer", data={"choice": str(order[2])}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert re.search(r'<li id="nav-cell-1"[^>]*class="nav-cell is-answered', html)
    assert 'id="save-status"' in html and 'hx-swap-oob="true"' in html
    reload = signed_in.get(f"/quizzes/{attempt.id}/q/1").get_data(as_text=True)
    assert f'value="{order[2]}"\n                 id="choice-{order[2]}" data-key="3" checked' in reload


def test_answer_without_javascript_redirects_to_next(signed_in, app):
    """The plain form path saves the answer and moves on to the next question."""
    exam = gen_bank(app, per_objective=4)
    _start(signed_in, exam.slug)
    attempt = _attempt(app)
    _qid, order, _ = _question_at(app, attempt.id, 0)
    response = signed_in.post(f"/quizzes/{attempt.id}/q/1/answer", data={"choice": str(order[0]), "go": "next"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/q/2")


def test_mark_for_review_both_paths(signed_in, app):
    """Marking works as a plain POST (redirect) and with htmx (control + OOB cell)."""
    exam = gen_bank(app, per_objective=4)
    _start(signed_in, exam.slug)
    attempt = _attempt(app)
    plain = signed_in.post(f"/quizzes/{attempt.id}/q/2/mark", data={"marked": "1"})
    assert plain.status_code == 302
    fragment = signed_in.post(f"/quizzes/{attempt.id}/q/3/mark", data={"marked": "1"}, headers=HX)
    html = fragment.get_data(as_text=True)
    assert 'id="mark-control"' in html and 'aria-pressed="true"' in html
    assert re.search(r'<li id="nav-cell-3" hx-swap-oob="true" class="nav-cell is-marked', html)


def test_submit_page_counts_and_result(signed_in, app):
    """The submit page shows unanswered and marked counts; submitting shows the result and review."""
    exam = gen_bank(app, per_objective=4)
    _start(signed_in, exam.slug)
    attempt = _attempt(app)
    _qid, order, correct = _question_at(app, attempt.id, 0)
    signed_in.post(f"/quizzes/{attempt.id}/q/1/answer", data={"choice": str(correct[0])})
    signed_in.post(f"/quizzes/{attempt.id}/q/2/mark", data={"marked": "1"})
    page = signed_in.get(f"/quizzes/{attempt.id}/submit").get_data(as_text=True)
    assert "<strong>4</strong> unanswered" in page and "<strong>1</strong> marked" in page
    result = signed_in.post(f"/quizzes/{attempt.id}/submit")
    assert result.headers["Location"].endswith(f"/quizzes/{attempt.id}/result")
    html = signed_in.get(result.headers["Location"]).get_data(as_text=True)
    assert "20.0%" in html and "1 of 5 correct" in html
    review = signed_in.get(f"/quizzes/{attempt.id}/review?show=wrong").get_data(as_text=True)
    assert review.count('class="card review-item') == 4
    marked = signed_in.get(f"/quizzes/{attempt.id}/review?show=marked", headers=HX).get_data(as_text=True)
    assert "<html" not in marked and marked.count('class="card review-item') == 1


def test_other_users_cannot_see_a_quiz(client, app, signed_in):
    """Another signed-in user gets 404 for someone else's quiz pages."""
    exam = gen_bank(app, per_objective=4)
    _start(signed_in, exam.slug)
    attempt = _attempt(app)
    gen_user(app, username="peeker")
    other = app.test_client()
    login(other, "peeker")
    for url in (f"/quizzes/{attempt.id}/q/1", f"/quizzes/{attempt.id}/submit", f"/quizzes/{attempt.id}/review"):
        assert other.get(url).status_code == 404


def test_quiz_pages_need_login(client, app):
    """Anonymous visitors are sent to sign in."""
    response = client.get("/quizzes/1/q/1")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_history_lists_quizzes(signed_in, app):
    """My quizzes lists attempts with their status, or an empty state."""
    assert "No quizzes yet" in signed_in.get("/quizzes").get_data(as_text=True)
    exam = gen_bank(app, per_objective=4)
    _start(signed_in, exam.slug)
    assert "In progress: continue" in signed_in.get("/quizzes").get_data(as_text=True)


def test_abandon_from_the_browser(signed_in, app):
    """Abandoning returns to the exam page and frees the learner to start again."""
    exam = gen_bank(app, per_objective=4)
    _start(signed_in, exam.slug)
    attempt = _attempt(app)
    response = signed_in.post(f"/quizzes/{attempt.id}/abandon")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/exams/{exam.slug}")
    _start(signed_in, exam.slug)


def test_too_many_choices_without_javascript_explains_and_keeps_the_page(signed_in, app):
    """A no-JS submission with too many choices returns to the question with a clear message."""
    exam = gen_bank(app, per_objective=4)
    _start(signed_in, exam.slug)
    attempt = _attempt(app)
    _qid, order, _ = _question_at(app, attempt.id, 0)
    response = signed_in.post(f"/quizzes/{attempt.id}/q/1/answer", data={"choice": [str(order[0]), str(order[1])]})
    assert response.status_code == 302 and response.headers["Location"].endswith("/q/1")
    assert "Choose one answer." in signed_in.get(response.headers["Location"]).get_data(as_text=True)
    htmx = signed_in.post(f"/quizzes/{attempt.id}/q/1/answer", data={"choice": [str(order[0]), str(order[1])]},
                          headers=HX)
    assert htmx.status_code == 400 and htmx.headers["HX-Retarget"] == "#alert-region"

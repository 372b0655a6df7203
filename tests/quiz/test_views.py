"""Quiz pages: start form, one question per screen, htmx fragments and the no-JS form path."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import sqlalchemy as sa

from tests.factories import choice_ids, gen_bank, gen_exam, gen_multiple_question, gen_user, login
from webapp.extensions import db
from webapp.models import Answer, AttemptQuestion, AttemptResult, Exam, QuizAttempt, QuizMode, User

HX = {"HX-Request": "true"}


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


def _checked(html: str) -> list[int]:
    """The choice ids rendered as ticked."""
    return [int(c) for c in re.findall(r'name="choice" value="(\d+)"\s+id="choice-\d+" data-key="\d" checked', html)]


def _status(html: str) -> str:
    """The text of the live region next to the choices."""
    found = re.search(r'<p id="choice-status"[^>]*>(.*?)</p>', html, re.S)
    assert found, "no choice status next to the choices"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def _alert_region(html: str) -> str:
    found = re.search(r'<div id="alert-region".*?</div>', html, re.S)
    return found.group(0) if found else ""


def _question_at(app, attempt_id: int, position: int) -> tuple[int, list[int], list[int]]:
    with app.app_context():
        aq = db.session.scalar(sa.select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id,
                                                                AttemptQuestion.position == position))
        return aq.question_id, list(aq.choice_order), choice_ids(aq.question_id)


def test_exam_page_offers_start_form(client, app, signed_in):
    """The exam page shows the start form with modes, count, timing and objectives."""
    exam = gen_bank(app, per_objective=4)
    html = client.get(f"/exams/{exam.slug}").get_data(as_text=True)
    assert 'action="/quizzes"' in html and "Exam simulation" in html and 'name="objectives"' in html


def test_anonymous_exam_page_invites_sign_in(client, app):
    """Anonymous visitors see the exam page with a sign-in prompt instead of the form."""
    exam = gen_bank(app, per_objective=4)
    html = client.get(f"/exams/{exam.slug}").get_data(as_text=True)
    assert "to take quizzes" in html and 'action="/quizzes"' not in html


def test_start_redirects_to_first_question(client, app, signed_in):
    """Starting a quiz lands on question 1, a full page with the navigator and a countdown."""
    exam = gen_bank(app, per_objective=4)
    location = _start(client, exam.slug)
    assert location.endswith("/q/1")
    html = client.get(location).get_data(as_text=True)
    assert "<html" in html and 'id="quiz-panel"' in html and 'id="countdown"' in html
    assert html.count('class="nav-cell') == 5 and 'aria-current="step"' in html


def test_start_validation_error_rerenders_exam_page(client, app, signed_in):
    """An impossible count re-renders the exam page with the error next to the field."""
    exam = gen_bank(app, per_objective=1)
    response = client.post("/quizzes", data={"exam": exam.slug, "mode": "practice", "count": "50"})
    assert response.status_code == 400
    assert "Only 3 active questions match" in response.get_data(as_text=True)


def test_second_start_offers_resume_or_abandon(client, app, signed_in):
    """Starting while a quiz is open shows a 409 page with Resume and Abandon."""
    exam = gen_bank(app, per_objective=4)
    _start(client, exam.slug)
    response = client.post("/quizzes", data={"exam": exam.slug, "mode": "practice", "count": "5"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "Resume it" in html and "Abandon it" in html


def test_question_fragment_for_htmx(client, app, signed_in):
    """Navigating with htmx returns only the panel fragment, varying on HX-Request."""
    exam = gen_bank(app, per_objective=4)
    location = _start(client, exam.slug)
    response = client.get(location.replace("/q/1", "/q/2"), headers=HX)
    html = response.get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith('<div id="quiz-panel"')
    assert "HX-Request" in response.headers["Vary"]


def test_answer_with_htmx_returns_saved_choices_and_navigator_cell(client, app, signed_in):
    """Choosing an answer with htmx saves it and returns the choices as saved, the status and the cell out of band."""
    exam = gen_bank(app, per_objective=4)
    _start(client, exam.slug)
    attempt = _attempt(app)
    _qid, order, _correct = _question_at(app, attempt.id, 0)
    response = client.post(f"/quizzes/{attempt.id}/q/1/answer", data={"choice": str(order[2])}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<fieldset id="choices-1"')
    assert re.search(r'<li id="nav-cell-1" hx-swap-oob="true" class="nav-cell is-answered', html)
    assert re.search(r'<p id="choice-status"[^>]*hx-swap-oob="innerHTML">\s*<span>Answer saved</span>', html)
    assert _checked(html) == [order[2]]
    reload = client.get(f"/quizzes/{attempt.id}/q/1").get_data(as_text=True)
    assert _checked(reload) == [order[2]]


def test_answer_without_javascript_redirects_to_next(client, app, signed_in):
    """The plain form path saves the answer and moves on to the next question."""
    exam = gen_bank(app, per_objective=4)
    _start(client, exam.slug)
    attempt = _attempt(app)
    _qid, order, _ = _question_at(app, attempt.id, 0)
    response = client.post(f"/quizzes/{attempt.id}/q/1/answer", data={"choice": str(order[0]), "go": "next"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/q/2")


def test_mark_for_review_both_paths(client, app, signed_in):
    """Marking works as a plain POST (redirect) and with htmx (control + OOB cell)."""
    exam = gen_bank(app, per_objective=4)
    _start(client, exam.slug)
    attempt = _attempt(app)
    plain = client.post(f"/quizzes/{attempt.id}/q/2/mark", data={"marked": "1"})
    assert plain.status_code == 302
    fragment = client.post(f"/quizzes/{attempt.id}/q/3/mark", data={"marked": "1"}, headers=HX)
    html = fragment.get_data(as_text=True)
    assert 'id="mark-control"' in html and 'aria-pressed="true"' in html
    assert re.search(r'<li id="nav-cell-3" hx-swap-oob="true" class="nav-cell is-marked', html)


def test_marking_from_the_answer_form_without_javascript_keeps_the_tick(client, app, signed_in):
    """Without JS the Mark button submits the answer form to the mark URL: the ticked choice is saved with the mark."""
    exam = gen_bank(app, per_objective=4)
    _start(client, exam.slug)
    attempt = _attempt(app)
    _qid, order, _ = _question_at(app, attempt.id, 1)
    page = client.get(f"/quizzes/{attempt.id}/q/2").get_data(as_text=True)
    assert re.search(rf'<button type="submit" form="answer-form" formaction="/quizzes/{attempt.id}/q/2/mark"', page)
    response = client.post(f"/quizzes/{attempt.id}/q/2/mark",
                              data={"with_selection": "1", "choice": str(order[3]), "marked": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/q/2")
    assert _saved(app, attempt.id, 1) == [order[3]]
    html = client.get(f"/quizzes/{attempt.id}/q/2").get_data(as_text=True)
    assert _checked(html) == [order[3]] and 'aria-pressed="true"' in html


def test_submit_page_counts_and_result(client, app, signed_in):
    """The submit page shows unanswered and marked counts; submitting shows the result and review."""
    exam = gen_bank(app, per_objective=4)
    _start(client, exam.slug)
    attempt = _attempt(app)
    _qid, order, correct = _question_at(app, attempt.id, 0)
    client.post(f"/quizzes/{attempt.id}/q/1/answer", data={"choice": str(correct[0])})
    client.post(f"/quizzes/{attempt.id}/q/2/mark", data={"marked": "1"})
    page = client.get(f"/quizzes/{attempt.id}/submit").get_data(as_text=True)
    assert "<strong>4</strong> unanswered" in page and "<strong>1</strong> marked" in page
    result = client.post(f"/quizzes/{attempt.id}/submit")
    assert result.headers["Location"].endswith(f"/quizzes/{attempt.id}/result")
    html = client.get(result.headers["Location"]).get_data(as_text=True)
    assert "20.0%" in html and "1 of 5 correct" in html
    review = client.get(f"/quizzes/{attempt.id}/review?show=wrong").get_data(as_text=True)
    assert review.count('class="card review-item') == 4
    marked = client.get(f"/quizzes/{attempt.id}/review?show=marked", headers=HX).get_data(as_text=True)
    assert "<html" not in marked and marked.count('class="card review-item') == 1


def test_other_users_cannot_see_a_quiz(client, app, signed_in):
    """Another signed-in user gets 404 for someone else's quiz pages."""
    exam = gen_bank(app, per_objective=4)
    _start(client, exam.slug)
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


def test_history_lists_quizzes(client, app, signed_in):
    """My quizzes lists attempts with their status, or an empty state."""
    assert "No quizzes yet" in client.get("/quizzes").get_data(as_text=True)
    exam = gen_bank(app, per_objective=4)
    _start(client, exam.slug)
    assert "In progress: continue" in client.get("/quizzes").get_data(as_text=True)


def test_abandon_from_the_browser(client, app, signed_in):
    """Abandoning returns to the exam page and frees the learner to start again."""
    exam = gen_bank(app, per_objective=4)
    _start(client, exam.slug)
    attempt = _attempt(app)
    response = client.post(f"/quizzes/{attempt.id}/abandon")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/exams/{exam.slug}")
    _start(client, exam.slug)


def test_too_many_choices_on_a_single_answer_question_explains_next_to_the_choices(client, app, signed_in):
    """Two choices on a single-answer question are refused with the reason next to the choices, with or without JS."""
    exam = gen_bank(app, per_objective=4)
    _start(client, exam.slug)
    attempt = _attempt(app)
    _qid, order, _ = _question_at(app, attempt.id, 0)
    response = client.post(f"/quizzes/{attempt.id}/q/1/answer", data={"choice": [str(order[0]), str(order[1])]})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "<html" in html and _checked(html) == []
    assert "Choose one answer." in _status(html) and "Choose one answer." not in _alert_region(html)
    htmx = client.post(f"/quizzes/{attempt.id}/q/1/answer", data={"choice": [str(order[0]), str(order[1])]},
                          headers=HX)
    assert htmx.status_code == 400 and htmx.headers["HX-Retarget"] == "#choices-1"
    assert "Choose one answer." in _status(htmx.get_data(as_text=True))


def _multiple_bank(app, questions: int = 5):
    """An exam whose every question is "Choose two" out of five."""
    exam = gen_exam(app, slug="multi")
    for _ in range(questions):
        gen_multiple_question(app, exam, objective="2.1")
    return exam


def _saved(app, attempt_id: int, position: int) -> list[int]:
    with app.app_context():
        return list(db.session.scalar(sa.select(AttemptQuestion.selected_choice_ids).where(
            AttemptQuestion.attempt_id == attempt_id, AttemptQuestion.position == position)))


def test_over_selection_with_htmx_keeps_the_saved_two_and_says_so_next_to_the_choices(client, app, signed_in):
    """A third tick on "Choose two" re-renders the two saved choices with the refusal in the live region beside them."""
    exam = _multiple_bank(app)
    _start(client, exam.slug)
    attempt = _attempt(app)
    _qid, order, _ = _question_at(app, attempt.id, 0)
    url = f"/quizzes/{attempt.id}/q/1/answer"
    two = client.post(url, data={"choice": [str(order[0]), str(order[1])]}, headers=HX)
    assert two.status_code == 200 and _checked(two.get_data(as_text=True)) == order[:2]
    assert _status(two.get_data(as_text=True)) == "2 of 2 chosen"
    three = client.post(url, data={"choice": [str(c) for c in order[:3]]}, headers=HX)
    html = three.get_data(as_text=True)
    assert three.status_code == 400 and three.headers["HX-Retarget"] == "#choices-1"
    assert three.headers["HX-Reswap"] == "outerHTML" and html.lstrip().startswith('<fieldset id="choices-1"')
    assert _checked(html) == order[:2] and _saved(app, attempt.id, 0) == order[:2]
    assert _status(html) == "Choose 2 — untick one first (2 of 2 chosen)"


def test_over_selection_without_javascript_shows_the_saved_choices_and_the_reason_beside_them(client, app, signed_in):
    """Without JS, three ticks on "Choose two" render the page again with the saved two and the refusal by the choices."""
    exam = _multiple_bank(app)
    _start(client, exam.slug)
    attempt = _attempt(app)
    _qid, order, _ = _question_at(app, attempt.id, 0)
    url = f"/quizzes/{attempt.id}/q/1/answer"
    assert client.post(url, data={"choice": [str(c) for c in order[:2]], "go": "stay"}).status_code == 302
    assert _status(client.get(f"/quizzes/{attempt.id}/q/1").get_data(as_text=True)) == "2 of 2 chosen"
    response = client.post(url, data={"choice": [str(c) for c in order[:3]], "go": "next"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "<html" in html and 'id="choices-1"' in html
    assert _checked(html) == order[:2] and _saved(app, attempt.id, 0) == order[:2]
    assert _status(html) == "Choose 2 — untick one first (2 of 2 chosen)"
    assert "untick" not in _alert_region(html)


def test_every_way_of_leaving_a_question_is_a_submit_button_of_the_answer_form(client, app, signed_in):
    """Next, Previous, End quiz, Review and submit and every navigator cell submit the answer form (no plain links)."""
    exam = gen_bank(app, per_objective=4)
    _start(client, exam.slug)
    attempt = _attempt(app)
    html = client.get(f"/quizzes/{attempt.id}/q/2").get_data(as_text=True)
    buttons = re.findall(r'<button type="submit" form="answer-form" name="go" value="([^"]+)"', html)
    assert {"prev", "next", "end", "review", "1", "2", "3", "4", "5"} <= set(buttons)
    assert not re.search(rf'<a [^>]*href="/quizzes/{attempt.id}/(q/\d|submit)', html)


def test_leaving_a_question_without_javascript_saves_the_selection_and_goes_where_asked(client, app, signed_in):
    """Without JS, each go button (prev, next, a number, review, end) saves the ticked choice, then leads there."""
    exam = gen_bank(app, per_objective=4)
    _start(client, exam.slug)
    attempt = _attempt(app)
    base = f"/quizzes/{attempt.id}"
    expected = {"prev": "/q/2", "next": "/q/4", "5": "/q/5", "review": "/submit", "end": "/end"}
    for position, (go, target) in enumerate(expected.items()):
        _qid, order, _ = _question_at(app, attempt.id, 2)
        choice = order[position % len(order)]
        response = client.post(f"{base}/q/3/answer", data={"choice": str(choice), "go": go})
        assert response.status_code == 302 and response.headers["Location"] == base + target, go
        assert _saved(app, attempt.id, 2) == [choice], go


def test_leaving_a_question_with_htmx_saves_and_swaps_in_the_next_panel(client, app, signed_in):
    """With htmx, Next posts the selection, answers with the next question's panel and pushes its URL."""
    exam = gen_bank(app, per_objective=4)
    _start(client, exam.slug)
    attempt = _attempt(app)
    _qid, order, _ = _question_at(app, attempt.id, 0)
    response = client.post(f"/quizzes/{attempt.id}/q/1/answer", data={"choice": str(order[1]), "go": "next"},
                              headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<div id="quiz-panel"')
    assert 'data-question-number="2"' in html and response.headers["HX-Push-Url"] == f"/quizzes/{attempt.id}/q/2"
    assert _saved(app, attempt.id, 0) == [order[1]]
    assert re.search(r'<li id="nav-cell-1" class="nav-cell is-answered"', html)
    end = client.post(f"/quizzes/{attempt.id}/q/2/answer", data={"go": "end"}, headers=HX)
    assert end.headers["HX-Redirect"] == f"/quizzes/{attempt.id}/end"


def test_re_posting_an_unchanged_selection_keeps_when_it_was_answered(client, app, signed_in):
    """Leaving a question re-posts its selection; answered_at only moves when the selection changes."""
    exam = gen_bank(app, per_objective=4)
    _start(client, exam.slug)
    attempt = _attempt(app)
    _qid, order, _ = _question_at(app, attempt.id, 0)
    client.post(f"/quizzes/{attempt.id}/q/1/answer", data={"choice": str(order[0])})
    with app.app_context():
        aq = db.session.scalar(sa.select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id,
                                                                AttemptQuestion.position == 0))
        aq.answered_at = datetime(2026, 1, 1, tzinfo=timezone.utc)
        db.session.commit()
    client.post(f"/quizzes/{attempt.id}/q/1/answer", data={"choice": str(order[0]), "go": "next"})
    with app.app_context():
        when = db.session.scalar(sa.select(AttemptQuestion.answered_at).where(
            AttemptQuestion.attempt_id == attempt.id, AttemptQuestion.position == 0))
    assert when == datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_end_quiz_page_offers_submit_now_or_abandon_with_what_abandoning_costs(client, app, signed_in):
    """End quiz leads to a page with Submit now and Abandon; abandoning costs what it says and returns to the exam."""
    exam = gen_bank(app, per_objective=4)
    _start(client, exam.slug)
    attempt = _attempt(app)
    _qid, order, correct = _question_at(app, attempt.id, 0)
    question = client.get(f"/quizzes/{attempt.id}/q/1").get_data(as_text=True)
    assert re.search(r'name="go" value="end"[^>]*>End<span class="bar-label"> quiz</span>', question)
    client.post(f"/quizzes/{attempt.id}/q/1/answer", data={"choice": str(correct[0])})
    page = client.get(f"/quizzes/{attempt.id}/end")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert f'action="/quizzes/{attempt.id}/submit"' in html and f'action="/quizzes/{attempt.id}/abandon"' in html
    assert "no score, no XP, no streak day and no achievement progress" in html
    assert "the questions it drew stay unseen" in html
    response = client.post(f"/quizzes/{attempt.id}/abandon")
    assert response.status_code == 302 and response.headers["Location"] == f"/exams/{exam.slug}"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0
        assert db.session.scalar(sa.select(User.xp).where(User.id == signed_in.id)) == 0
        assert db.session.get(AttemptResult, attempt.id) is None
    assert client.get(f"/quizzes/{attempt.id}/end").headers["Location"] == f"/exams/{exam.slug}"


def test_simulations_hide_the_objective_code_until_review(client, app, signed_in):
    """An exam simulation shows no objective code on its questions; practice does, and review does after either."""
    exam = gen_bank(app, per_objective=4)
    with app.app_context():
        db.session.execute(sa.update(Exam).where(Exam.id == exam.id).values(question_count=5))
        db.session.commit()
    _start(client, exam.slug, mode="exam")
    attempt = _attempt(app)
    assert attempt.mode == QuizMode.EXAM
    with app.app_context():
        codes = [aq.question.objective.code for aq in db.session.get(QuizAttempt, attempt.id).questions]
    for number, code in enumerate(codes, start=1):
        html = client.get(f"/quizzes/{attempt.id}/q/{number}").get_data(as_text=True)
        assert 'class="badge"' not in html and f">{code}<" not in html
    client.post(f"/quizzes/{attempt.id}/submit")
    review = client.get(f"/quizzes/{attempt.id}/review").get_data(as_text=True)
    assert all(f'<span class="badge">{code}</span>' in review for code in codes)
    _start(client, exam.slug)
    practice = _attempt(app)
    html = client.get(f"/quizzes/{practice.id}/q/1").get_data(as_text=True)
    assert re.search(r'<span class="badge"><span class="visually-hidden">Objective </span>\d\.\d</span>', html)

"""Study pages: starting from the exam page, the question screen, the feedback fragment and the
same flow without JavaScript, skip and Show answer, the summary, the conflict page and CSRF."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from config import TestingConfig
from tests.factories import (DEFAULT_PASSWORD, bearer, choice_ids, gen_bank, gen_exam, gen_matching_question,
                             gen_note, gen_ordering_question, gen_question, gen_token, gen_user, login, pbq_key)
from tests.study.conftest import SECRET_EXPLANATION, SECRET_RATIONALE, SECRET_REFERENCE, make_secret
from webapp import create_app
from webapp.extensions import db
from webapp.models import Answer, Question, QuestionSource, QuizAttempt, QuizMode, StudyQuestion, StudySession

HX = {"HX-Request": "true"}


def _start(client, slug: str, **form) -> str:
    data = {"exam": slug, "mode": QuizMode.STUDY.value, "count": "5", **form}
    response = client.post("/quizzes", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response.headers["Location"]


def _session(app) -> StudySession:
    with app.app_context():
        session = db.session.scalar(sa.select(StudySession).order_by(StudySession.id.desc()))
        db.session.expunge(session)
        return session


def _question(app, session_id: int, position: int) -> StudyQuestion:
    with app.app_context():
        sq = db.session.scalar(sa.select(StudyQuestion).where(StudyQuestion.session_id == session_id,
                                                              StudyQuestion.position == position))
        db.session.expunge(sq)
        return sq


def _right(app, question_id: int) -> list[str]:
    with app.app_context():
        return [str(c) for c in choice_ids(question_id)]


def _fields(form_html: str) -> dict[str, list[str]]:
    """The hidden inputs of a form: name to values, whatever the attribute order."""
    found: dict[str, list[str]] = {}
    for tag in re.findall(r"<input[^>]*>", form_html):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and value:
            found.setdefault(name.group(1), []).append(value.group(1))
    return found


def _status(html: str) -> str:
    found = re.search(r'<p id="study-status"[^>]*>(.*?)</p>', html, re.S)
    assert found, "no status region"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_exam_page_offers_study_as_a_third_mode(client, app, signed_in):
    """The start form lists Study next to practice and simulation, with what it means."""
    exam = gen_bank(app, per_objective=4)
    html = client.get(f"/exams/{exam.slug}").get_data(as_text=True)
    modes = re.findall(r'name="mode" required type="radio" value="(\w+)"', html)
    assert modes == [QuizMode.PRACTICE.value, QuizMode.EXAM.value, QuizMode.STUDY.value]
    assert "Untimed; each answer explained at once; no XP." in html


def test_starting_study_from_the_start_form_opens_question_one(client, app, signed_in):
    """POST /quizzes with mode study starts a study session (no quiz attempt) and lands on its first question."""
    exam = gen_bank(app, per_objective=4)
    location = _start(client, exam.slug, timed="y")
    session = _session(app)
    assert location == f"/study/{session.id}/q/1"
    page = client.get(location)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and 'id="study-panel"' in html
    assert "Question 1 of 5 · 0 answered · 0 skipped" in html
    assert 'id="card-tools-1"' in html and ">Check answer</button>" in html and ">Skip</button>" in html
    assert ">End session</a>" in html and 'id="countdown"' not in html
    assert page.headers["Cache-Control"] == "no-store"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(QuizAttempt.id))) == 0


def test_a_shrunk_source_is_announced(client, app, signed_in):
    """Starting study of the missed questions with fewer than asked says so on the first question."""
    exam = gen_bank(app, per_objective=4)
    _start(client, exam.slug)
    session = _session(app)
    sq = _question(app, session.id, 0)
    with app.app_context():
        wrong = str(choice_ids(sq.question_id, correct=False)[0])
    client.post(f"/study/{session.id}/q/1/answer", data={"choice": wrong})
    client.post(f"/study/{session.id}/finish")
    location = _start(client, exam.slug, count="10", source=QuestionSource.MISSED.value)
    html = client.get(location).get_data(as_text=True)
    assert "Only 1 question matches “Missed last time” in this selection, so you get 1 instead of" in html


def test_the_question_page_holds_no_explanation_before_an_answer(client, app, signed_in):
    """Neither the explanation, the rationales, the reference nor a key marker is in the page before answering."""
    exam = gen_exam(app)
    question = gen_question(app, exam)
    for _ in range(4):
        gen_question(app, exam)
    with app.app_context():
        make_secret(question.id)
    _start(client, exam.slug)
    session = _session(app)
    with app.app_context():
        number = db.session.scalar(sa.select(StudyQuestion.position).where(
            StudyQuestion.session_id == session.id, StudyQuestion.question_id == question.id)) + 1
    html = client.get(f"/study/{session.id}/q/{number}").get_data(as_text=True)
    assert question.stem in html
    for secret in (SECRET_EXPLANATION, SECRET_RATIONALE, SECRET_REFERENCE, "correct answer", "is-key"):
        assert secret not in html, secret
    skipped = client.post(f"/study/{session.id}/q/{number}/skip", headers=HX).get_data(as_text=True)
    assert "Show answer" in skipped and SECRET_EXPLANATION not in skipped
    shown = client.post(f"/study/{session.id}/q/{number}/reveal", headers=HX).get_data(as_text=True)
    assert SECRET_EXPLANATION in shown and SECRET_RATIONALE in shown and SECRET_REFERENCE in shown


def test_check_answer_with_htmx_swaps_in_the_feedback(client, app, signed_in):
    """The htmx answer POST returns the feedback fragment (no layout) with the progress and status out of band."""
    exam = gen_bank(app, per_objective=4)
    _start(client, exam.slug)
    session = _session(app)
    sq = _question(app, session.id, 0)
    response = client.post(f"/study/{session.id}/q/1/answer", data={"choice": _right(app, sq.question_id)},
                           headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<section id="study-feedback-1"')
    assert '<h3 id="feedback-heading-1" class="feedback-heading" tabindex="-1">Correct</h3>' in html
    assert "correct answer" in html and "Because." in html and ">Next question</a>" in html
    assert re.search(r'<p id="study-progress"[^>]*hx-swap-oob="true">\s*Question 1 of 5 · 1 answered', html)
    assert re.search(r'<p id="study-status"[^>]*hx-swap-oob="innerHTML">Correct.</p>', html)
    assert "HX-Request" in response.headers["Vary"]


def test_check_answer_without_javascript_renders_the_page_with_the_feedback(client, app, signed_in):
    """The plain form POST renders the full page with the same feedback in place of the form."""
    exam = gen_bank(app, per_objective=4)
    _start(client, exam.slug)
    session = _session(app)
    sq = _question(app, session.id, 0)
    with app.app_context():
        wrong = str(choice_ids(sq.question_id, correct=False)[0])
    response = client.post(f"/study/{session.id}/q/1/answer", data={"choice": wrong, "confidence": "unsure"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html and 'id="study-feedback-1"' in html
    assert 'id="study-answer-1"' not in html and "your choice" in html and "You were unsure." in html
    assert _status(html) == "Not quite: the correct answer is marked below."
    again = client.get(f"/study/{session.id}/q/1").get_data(as_text=True)
    assert 'id="study-feedback-1"' in again and "Question 1 of 5 · 1 answered · 0 skipped" in again


@pytest.mark.parametrize("headers", [HX, {}], ids=["htmx", "no-js"])
def test_an_incomplete_answer_shows_the_form_again_with_the_reason(client, app, signed_in, headers):
    """Check answer with nothing chosen is a 400 that shows the form again, the reason next to the choices."""
    exam = gen_bank(app, per_objective=4)
    _start(client, exam.slug)
    session = _session(app)
    response = client.post(f"/study/{session.id}/q/1/answer", data={}, headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="study-answer-1"' in html
    assert '<span class="is-error">Choose one answer.</span>' in html
    assert ("<html" in html) == (not headers)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Answer.id))) == 0


def test_skip_then_show_answer_with_htmx(client, app, signed_in):
    """Skip swaps in the form again with Show answer; Show answer swaps in the feedback without a verdict."""
    exam = gen_bank(app, per_objective=4)
    _start(client, exam.slug)
    session = _session(app)
    skipped = client.post(f"/study/{session.id}/q/2/skip", headers=HX)
    html = skipped.get_data(as_text=True)
    assert skipped.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<form id="study-answer-2"') and 'hx-target="this" hx-swap="outerHTML"' in html
    assert ">Show answer</button>" in html and ">Next question</a>" in html and 'id="skip-note-2"' in html
    assert re.search(r'hx-swap-oob="true">\s*Question 2 of 5 · 0 answered · 1 skipped', html)
    shown = client.post(f"/study/{session.id}/q/2/reveal", headers=HX).get_data(as_text=True)
    assert shown.lstrip().startswith('<section id="study-feedback-2"') and ">Answer shown</h3>" in shown
    assert "Answer shown: question 2 stays unanswered." in shown
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Answer.id))) == 0


def test_skip_and_show_answer_without_javascript(client, app, signed_in):
    """Without JavaScript Skip and Show answer are the form's formaction buttons and render full pages."""
    exam = gen_bank(app, per_objective=4)
    _start(client, exam.slug)
    session = _session(app)
    page = client.get(f"/study/{session.id}/q/1").get_data(as_text=True)
    assert f'formaction="/study/{session.id}/q/1/skip"' in page
    skipped = client.post(f"/study/{session.id}/q/1/skip").get_data(as_text=True)
    assert "<html" in skipped and f'formaction="/study/{session.id}/q/1/reveal"' in skipped
    shown = client.post(f"/study/{session.id}/q/1/reveal").get_data(as_text=True)
    assert "<html" in shown and 'id="study-feedback-1"' in shown and "Because." in shown


def test_ordering_and_matching_through_the_form(client, app, signed_in):
    """Ordering items are placed with their menus and matching items with target menus; no autosave, no Move buttons."""
    exam = gen_exam(app)
    ordering = gen_ordering_question(app, exam)
    matching = gen_matching_question(app, exam)
    for _ in range(3):
        gen_question(app, exam)
    _start(client, exam.slug)
    session = _session(app)
    with app.app_context():
        where = {sq.question_id: sq.position + 1 for sq in db.session.scalars(
            sa.select(StudyQuestion).where(StudyQuestion.session_id == session.id))}
        order, matches = pbq_key(ordering.id)["order"], pbq_key(matching.id)["matches"]
    page = client.get(f"/study/{session.id}/q/{where[ordering.id]}").get_data(as_text=True)
    assert 'name="position-' in page and 'name="move"' not in page and 'hx-trigger="change"' not in page
    placed = {f"position-{item}": str(place + 1) for place, item in enumerate(order)}
    html = client.post(f"/study/{session.id}/q/{where[ordering.id]}/answer", data=placed,
                       headers=HX).get_data(as_text=True)
    assert ">Correct</h3>" in html and "4 of 4 in the right place." in html
    partial = {f"match-{item}": str(target) for item, target in matches.items()}
    first = next(iter(matches))
    partial[f"match-{first}"] = ""
    refused = client.post(f"/study/{session.id}/q/{where[matching.id]}/answer", data=partial)
    assert refused.status_code == 400 and "Match every item before checking the answer." in refused.get_data(as_text=True)
    kept = re.search(rf'<select name="match-{first}".*?</select>', refused.get_data(as_text=True), re.S).group(0)
    assert '<option value="" selected>' in kept
    full = {f"match-{item}": str(target) for item, target in matches.items()}
    html = client.post(f"/study/{session.id}/q/{where[matching.id]}/answer", data=full).get_data(as_text=True)
    assert ">Correct</h3>" in html and "3 of 3 matched correctly." in html


def test_end_screen_finish_and_study_the_ones_i_missed(client, app, signed_in):
    """End session shows the figures and Finish; once finished, "Study the ones I missed" starts a missed-source session."""
    exam = gen_bank(app, per_objective=4)
    _start(client, exam.slug)
    session = _session(app)
    first, second = _question(app, session.id, 0), _question(app, session.id, 1)
    with app.app_context():
        wrong = str(choice_ids(second.question_id, correct=False)[0])
    client.post(f"/study/{session.id}/q/1/answer", data={"choice": _right(app, first.question_id)})
    client.post(f"/study/{session.id}/q/2/answer", data={"choice": wrong})
    client.post(f"/study/{session.id}/q/3/skip")
    end = client.get(f"/study/{session.id}/end").get_data(as_text=True)
    assert "End this study session?" in end and ">Finish</button>" in end and "Study the ones I missed" not in end
    figures = dict(re.findall(r'<dt class="stat-label">(\w+)</dt><dd class="stat-value">(\d+)', end))
    assert figures == {"Viewed": "3", "Answered": "2", "Right": "1", "Skipped": "1"}
    assert '<span aria-hidden="true">0:00</span>' in end
    finished = client.post(f"/study/{session.id}/finish")
    assert finished.status_code == 302 and finished.headers["Location"] == f"/study/{session.id}/end"
    summary = client.get(f"/study/{session.id}/end").get_data(as_text=True)
    assert "Study session summary" in summary and ">Study the ones I missed</button>" in summary
    form = re.search(r'<form method="post" action="/quizzes" id="study-missed">(.*?)</form>', summary, re.S).group(1)
    assert f'name="source" value="{QuestionSource.MISSED.value}"' in form
    assert f'name="mode" value="{QuizMode.STUDY.value}"' in form
    fields = _fields(form)
    assert fields["exam"] == [exam.slug]
    response = client.post("/quizzes", data=fields)
    assert response.status_code == 302
    location = response.headers["Location"]
    again = _session(app)
    assert again.id != session.id and again.source == QuestionSource.MISSED and again.question_count == 1
    assert location == f"/study/{again.id}/q/1"


def test_a_finished_session_sends_its_pages_to_the_summary(client, app, signed_in):
    """After Finish, the question page and the answer POST lead to the summary."""
    exam = gen_bank(app, per_objective=4)
    _start(client, exam.slug)
    session = _session(app)
    client.post(f"/study/{session.id}/finish")
    for response in (client.get(f"/study/{session.id}/q/1"), client.post(f"/study/{session.id}/q/1/answer"),
                     client.get(f"/study/{session.id}")):
        assert response.status_code == 302 and response.headers["Location"] == f"/study/{session.id}/end"


def test_a_second_start_offers_resume_or_end_and_start(client, app, signed_in):
    """Starting while a session is open is a 409 page; "End it and start the new one" does exactly that."""
    exam = gen_bank(app, per_objective=4)
    _start(client, exam.slug)
    first = _session(app)
    response = client.post("/quizzes", data={"exam": exam.slug, "mode": QuizMode.STUDY.value, "count": "6",
                                             "objectives": ["1.1", "1.2"]})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and ">Resume it</a>" in html and "End it and start the new one" in html
    assert f'href="/study/{first.id}"' in html
    form = re.search(r'<form method="post" action="/study/restart">(.*?)</form>', html, re.S).group(1)
    data = _fields(form)
    assert data["objectives"] == ["1.1", "1.2"] and data["count"] == ["6"] and data["exam"] == [exam.slug]
    restarted = client.post("/study/restart", data=data)
    second = _session(app)
    assert restarted.status_code == 302 and restarted.headers["Location"] == f"/study/{second.id}/q/1"
    assert second.id != first.id and second.question_count == 6 and second.objective_codes == ["1.1", "1.2"]
    with app.app_context():
        assert db.session.get(StudySession, first.id).finished_at is not None


def test_a_quiz_and_a_study_session_run_side_by_side(client, app, signed_in):
    """With a practice quiz in progress a study session still starts; the dashboard offers to continue both."""
    exam = gen_bank(app, per_objective=4)
    response = client.post("/quizzes", data={"exam": exam.slug, "mode": QuizMode.PRACTICE.value, "count": "5"})
    assert response.status_code == 302
    _start(client, exam.slug)
    session = _session(app)
    dashboard = client.get("/").get_data(as_text=True)
    assert 'id="continue-quiz"' in dashboard and 'id="continue-study"' in dashboard
    assert f'href="/study/{session.id}">Continue studying</a>' in dashboard
    exam_page = client.get(f"/exams/{exam.slug}").get_data(as_text=True)
    assert f'href="/study/{session.id}">Continue studying</a>' in exam_page


def test_resume_goes_to_the_question_last_seen(client, app, signed_in):
    """The session's own URL leads to the question the learner was on."""
    exam = gen_bank(app, per_objective=4)
    _start(client, exam.slug)
    session = _session(app)
    client.get(f"/study/{session.id}/q/3")
    response = client.get(f"/study/{session.id}")
    assert response.status_code == 302 and response.headers["Location"] == f"/study/{session.id}/q/3"


def test_history_lists_sessions(client, app, signed_in):
    """The study history lists the learner's sessions, newest first, with a way back into the open one."""
    exam = gen_bank(app, per_objective=4)
    empty = client.get("/study").get_data(as_text=True)
    assert "No study sessions yet." in empty
    _start(client, exam.slug)
    session = _session(app)
    html = client.get("/study").get_data(as_text=True)
    assert f'href="/study/{session.id}">Open: continue</a>' in html


def test_other_learners_and_visitors_cannot_open_a_session(client, app, signed_in):
    """Another learner gets 404 on every study page of someone else's session; a visitor is sent to sign in."""
    exam = gen_bank(app, per_objective=4)
    _start(client, exam.slug)
    session = _session(app)
    gen_user(app, username="peeker")
    other = app.test_client()
    login(other, "peeker")
    for url in (f"/study/{session.id}", f"/study/{session.id}/q/1", f"/study/{session.id}/end"):
        assert other.get(url).status_code == 404, url
    for url in (f"/study/{session.id}/q/1/answer", f"/study/{session.id}/q/1/skip", f"/study/{session.id}/finish"):
        assert other.post(url).status_code == 404, url
    anonymous = app.test_client().get(f"/study/{session.id}/q/1")
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]


def test_the_answer_form_needs_its_csrf_token(app):
    """With CSRF on, an answer POST without the token is refused and stores nothing; with the page's token it works."""
    csrf_app = create_app(type("CsrfOn", (TestingConfig,), {"WTF_CSRF_ENABLED": True}))
    exam = gen_bank(csrf_app, per_objective=4)
    gen_user(csrf_app, username="careful")
    client = csrf_app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/auth/login", data={"login": "careful", "password": DEFAULT_PASSWORD, "csrf_token": token})
    exam_page = client.get(f"/exams/{exam.slug}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', exam_page).group(1)
    started = client.post("/quizzes", data={"exam": exam.slug, "mode": QuizMode.STUDY.value, "count": "5",
                                            "csrf_token": token})
    assert started.status_code == 302
    location = started.headers["Location"]
    question_page = client.get(location).get_data(as_text=True)
    choice = re.search(r'name="choice" value="(\d+)"', question_page).group(1)
    refused = client.post(f"{location}/answer", data={"choice": choice})
    assert refused.status_code == 400
    with csrf_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Answer.id))) == 0
    form_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', question_page).group(1)
    accepted = client.post(f"{location}/answer", data={"choice": choice, "csrf_token": form_token})
    assert accepted.status_code == 200 and 'id="study-feedback-1"' in accepted.get_data(as_text=True)


def test_show_answer_on_an_ordering_question_shows_the_key_alone(client, app, signed_in):
    """Show answer on an ordering question lists each item's correct place and rationale, with no "your place" or verdicts."""
    exam = gen_exam(app)
    ordering = gen_ordering_question(app, exam)
    for _ in range(4):
        gen_question(app, exam)
    _start(client, exam.slug)
    session = _session(app)
    with app.app_context():
        number = db.session.scalar(sa.select(StudyQuestion.position).where(
            StudyQuestion.session_id == session.id, StudyQuestion.question_id == ordering.id)) + 1
    client.post(f"/study/{session.id}/q/{number}/skip")
    html = client.post(f"/study/{session.id}/q/{number}/reveal", headers=HX).get_data(as_text=True)
    assert ">Answer shown</h3>" in html and ">Correct place</th>" in html and "Step 1 comes at place 1." in html
    assert "Your place" not in html and "tag-chosen" not in html and "in the right place" not in html


def test_the_page_and_the_api_agree_on_what_a_question_may_show(client, app, signed_in):
    """The feedback the page shows after an answer is the one the API returns for that question, and neither shows it before."""
    exam = gen_bank(app, per_objective=4)
    _start(client, exam.slug)
    session = _session(app)
    first, second = _question(app, session.id, 0), _question(app, session.id, 1)
    headers = bearer(gen_token(app, signed_in))
    before = client.get(f"/api/v1/study-sessions/{session.id}", headers=headers).get_json()
    assert before["answers"][str(first.question_id)]["feedback"] is None
    page = client.post(f"/study/{session.id}/q/1/answer", data={"choice": _right(app, first.question_id)},
                       headers=HX).get_data(as_text=True)
    api = client.get(f"/api/v1/study-sessions/{session.id}", headers=headers).get_json()["answers"]
    feedback = api[str(first.question_id)]["feedback"]
    assert feedback["is_correct"] is True and ">Correct</h3>" in page and feedback["explanation"] in page
    assert api[str(second.question_id)]["feedback"] is None
    shown = client.post(f"/api/v1/study-sessions/{session.id}/reveal", headers=headers,
                        json={"question_id": second.question_id}).get_json()
    html = client.get(f"/study/{session.id}/q/2").get_data(as_text=True)
    assert shown["is_correct"] is None and ">Answer shown</h3>" in html and 'id="study-answer-2"' not in html


def test_the_study_card_carries_the_bookmark_toggle_and_the_private_note(client, app, signed_in):
    """The question card of a study page has the bookmark toggle and the learner's note, which an answer swap leaves alone."""
    exam = gen_bank(app, per_objective=4)
    location = _start(client, exam.slug)
    sq = _question(app, _session(app).id, 0)
    with app.app_context():
        question = db.session.get(Question, sq.question_id)
    gen_note(app, signed_in, question, body="Port 22 is <SSH>")
    html = client.get(location).get_data(as_text=True)
    tools = html[html.index('id="card-tools-1"'):]
    assert f'id="bookmark-toggle-{sq.question_id}"' in tools and f'id="note-{sq.question_id}"' in tools
    assert "Port 22 is &lt;SSH&gt;" in tools and "<SSH>" not in html
    swap = client.post(f"{location}/answer", data={"choice": _right(app, sq.question_id)}, headers={"HX-Request": "true"})
    assert swap.status_code == 200 and "card-tools" not in swap.get_data(as_text=True)

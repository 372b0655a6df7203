"""The report component in the browser: on every question card, the htmx form, the plain form
page and its redirect, the "Reported" state, "My reports", the dashboard notice and CSRF."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from config import TestingConfig
from tests.factories import (choice_ids, gen_bank, gen_bookmark, gen_exam, gen_question, gen_report, gen_user, login,
                             user_in_db)
from webapp import create_app
from webapp.extensions import db
from webapp.feedback import services as feedback
from webapp.models import AttemptQuestion, FeedbackStatus, QuestionFeedback, QuizAttempt, QuizMode, StudyQuestion

HX = {"HX-Request": "true"}


@pytest.fixture
def question(app):
    """One active question of an active exam."""
    return gen_question(app, gen_exam(app, slug="security"), stem="Which port does HTTPS use?")


def _start(client, slug: str, mode: QuizMode) -> str:
    response = client.post("/quizzes", data={"exam": slug, "mode": mode.value, "count": "5"})
    assert response.status_code == 302
    return response.headers["Location"]


def _first_question_id(app, model, column) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(model.question_id).where(model.position == 0).order_by(column.desc()))


def _close(app, question_id: int, note: str = "Fixed the typo, thanks.") -> None:
    with app.app_context():
        feedback.close_reports(question_id, user_in_db(app, is_admin=True), FeedbackStatus.RESOLVED, note)
        db.session.commit()


def test_the_quiz_card_has_the_control_outside_the_answer_form(client, app, signed_in):
    """The quiz screen's control sits after the answer form closes and, without JavaScript, submits it with go=report."""
    exam = gen_bank(app, per_objective=4)
    html = client.get(_start(client, exam.slug, QuizMode.PRACTICE)).get_data(as_text=True)
    qid = _first_question_id(app, AttemptQuestion, AttemptQuestion.attempt_id)
    control = re.search(rf'<div id="report-{qid}".*?</div>', html, re.S).group(0)
    assert 'form="answer-form" name="go" value="report"' in control and 'hx-params="none"' in control
    assert f'hx-get="/questions/{qid}/report?next=' in control and "Report a problem" in control
    form = html[html.index('<form id="answer-form"'):]
    assert form.index("</form>") < form.index(f'id="report-{qid}"')


def test_go_report_saves_the_answer_then_opens_the_report_page(client, app, signed_in):
    """Submitting the answer form with go=report keeps the ticked choice and redirects to the report page, back to the question."""
    exam = gen_bank(app, per_objective=4)
    location = _start(client, exam.slug, QuizMode.PRACTICE)
    qid = _first_question_id(app, AttemptQuestion, AttemptQuestion.attempt_id)
    with app.app_context():
        chosen = choice_ids(qid)[:1]
    response = client.post(location.replace("/q/1", "/q/1/answer"), data={"choice": chosen, "go": "report",
                                                                          "with_selection": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/questions/{qid}/report?next=") and response.headers["Location"].endswith("/q/1")
    with app.app_context():
        saved = db.session.scalar(sa.select(AttemptQuestion).where(AttemptQuestion.question_id == qid))
        assert saved.selected_choice_ids == chosen


def test_the_study_review_and_bookmark_cards_have_the_control(client, app, signed_in):
    """Study, the review list and the bookmarks page each show the control with a plain link to the form page."""
    exam = gen_bank(app, per_objective=4)
    study = client.get(_start(client, exam.slug, QuizMode.STUDY)).get_data(as_text=True)
    sid = _first_question_id(app, StudyQuestion, StudyQuestion.session_id)
    assert f'id="report-{sid}"' in study and f'href="/questions/{sid}/report?next=/study/' in study
    client.post(study_end := re.search(r'href="(/study/\d+/end)"', study).group(1))
    client.post(study_end.replace("/end", "/finish"))
    quiz = _start(client, exam.slug, QuizMode.PRACTICE).rsplit("/q/", 1)[0]
    client.post(quiz + "/submit")
    review = client.get(quiz + "/review").get_data(as_text=True)
    assert review.count('class="report-control"') == 5 and "Report a problem" in review
    gen_bookmark(app, signed_in, gen_question(app, exam))
    bookmarks = client.get("/bookmarks").get_data(as_text=True)
    assert bookmarks.count('class="report-control"') == 1 and 'href="/questions/' in bookmarks


def test_the_htmx_form_is_a_fragment_with_a_fieldset_and_a_counter(client, signed_in, question):
    """For htmx the form comes alone: the stable root id, a fieldset with a legend, every type, the counter."""
    response = client.get(f"/questions/{question.id}/report?next=/bookmarks", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and html.lstrip().startswith(f'<div id="report-{question.id}"')
    assert "<fieldset" in html and "<legend>What is wrong with this question?</legend>" in html
    assert html.count('name="feedback_type"') == 4 and "autofocus" in html
    assert f'data-char-count="report-count-{question.id}"' in html and "0</span> of 2,000 characters" in html
    assert f'hx-get="/questions/{question.id}/report/control?next=/bookmarks"' in html


def test_the_plain_form_page_posts_and_redirects_back_to_a_local_next(client, app, signed_in, question):
    """Without JavaScript the page holds the form; its POST redirects to next at the component, never off-site."""
    page = client.get(f"/questions/{question.id}/report?next=/bookmarks")
    assert page.status_code == 200 and "<main" in page.get_data(as_text=True) and question.stem in page.get_data(as_text=True)
    sent = client.post(f"/questions/{question.id}/report", data={"feedback_type": "typo", "next": "/bookmarks"})
    assert sent.status_code == 302 and sent.headers["Location"] == f"/bookmarks#report-{question.id}"
    off_site = client.post(f"/questions/{question.id}/report",
                           data={"feedback_type": "unclear", "next": "https://evil.example/"})
    assert off_site.status_code == 302 and off_site.headers["Location"] == f"/#report-{question.id}"
    with app.app_context():
        assert db.session.scalar(sa.select(QuestionFeedback.feedback_type)) == "unclear"


def test_sending_with_htmx_shows_reported_with_edit_and_announces_it(client, signed_in, question):
    """After sending, the component shows "Reported" and "Edit report", focused, and its status says "Report sent"."""
    html = client.post(f"/questions/{question.id}/report", headers=HX,
                       data={"feedback_type": "typo", "comment": "recieve", "next": "/bookmarks"}).get_data(as_text=True)
    assert "Reported" in html and "Edit report" in html and "autofocus" in html
    assert re.search(r'role="status">Report sent', html)
    edit = client.get(f"/questions/{question.id}/report?next=/bookmarks", headers=HX).get_data(as_text=True)
    assert "Edit your report" in edit and 'value="typo" id="report-type-' in edit and ">recieve</textarea>" in edit


def test_a_refused_report_shows_the_error_on_the_form(client, signed_in, question):
    """An "incorrect" report without a comment is 400 with the form again, the comment marked invalid."""
    response = client.post(f"/questions/{question.id}/report", headers=HX, data={"feedback_type": "incorrect"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "comment is required" in html and 'aria-invalid="true"' in html
    assert 'value="incorrect" id="report-type-' in html and " checked" in html


def test_my_reports_lists_status_and_note_and_pages(client, app, signed_in, monkeypatch):
    """/reports lists the learner's reports with status and the admin's note, a page at a time."""
    monkeypatch.setitem(app.config, "FEEDBACK_REPORTS_PER_PAGE", 1)
    exam = gen_exam(app)
    first, second = gen_question(app, exam, stem="First stem?"), gen_question(app, exam, stem="Second stem?")
    gen_report(app, signed_in, first)
    _close(app, first.id, "Fixed, thank you.")
    gen_report(app, signed_in, second, "unclear", None)
    page_one = client.get("/reports").get_data(as_text=True)
    assert "Second stem?" in page_one and "Open" in page_one and "Page 1 of 2" in page_one
    page_two = client.get("/reports?page=2").get_data(as_text=True)
    assert "First stem?" in page_two and "Resolved" in page_two and "Fixed, thank you." in page_two


def test_my_reports_has_an_empty_state_and_needs_sign_in(client, app):
    """Anonymous visitors are sent to sign in; a learner without reports sees the empty state."""
    assert "/auth/login" in client.get("/reports").headers["Location"]
    gen_user(app, username="quiet")
    login(client, "quiet")
    html = client.get("/reports").get_data(as_text=True)
    assert "You have not reported any question" in html and 'href="/reports" aria-current="page"' in html


def test_the_dashboard_shows_a_resolution_until_it_is_marked_seen(client, app, signed_in, question):
    """The dashboard shows the resolution with the note on every GET until the seen POST, then never again."""
    report_id = gen_report(app, signed_in, question)
    assert "answered your report" not in client.get("/").get_data(as_text=True)
    _close(app, question.id, "Typo fixed.")
    shown = [client.get("/").get_data(as_text=True) for _ in range(2)]
    assert all("An admin answered your report" in html and "Typo fixed." in html for html in shown)
    assert 'hx-trigger="load"' in shown[0] and f'name="report_ids-0" value="{report_id}"' in shown[0]
    dismissed = client.post("/reports/seen", data={"report_ids-0": str(report_id)}, headers=HX)
    assert dismissed.status_code == 200 and 'role="status"' in dismissed.get_data(as_text=True)
    after = client.get("/").get_data(as_text=True)
    assert "Welcome" in after and "answered your report" not in after


def test_the_plain_dismiss_returns_to_the_dashboard(client, app, signed_in, question):
    """Without JavaScript, Dismiss posts the ids and redirects to the dashboard, which no longer shows them."""
    report_id = gen_report(app, signed_in, question)
    _close(app, question.id)
    response = client.post("/reports/seen", data={"report_ids-0": str(report_id)})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    with app.app_context():
        assert db.session.get(QuestionFeedback, report_id).resolution_seen_at is not None


def test_report_posts_need_the_csrf_token(app):
    """With CSRF on, a signed-in learner's report and seen POSTs without the token are refused (400)."""
    csrf_app = create_app(type("CsrfOn", (TestingConfig,), {"WTF_CSRF_ENABLED": True}))
    question = gen_question(csrf_app, gen_exam(csrf_app))
    gen_user(csrf_app, username="csrfreporter")
    browser = csrf_app.test_client()
    page = browser.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert browser.post("/auth/login", data={"login": "csrfreporter", "password": "correct horse battery staple 42",
                                             "csrf_token": token}).status_code == 302
    refused = browser.post(f"/questions/{question.id}/report", data={"feedback_type": "typo"})
    assert refused.status_code == 400 and browser.post("/reports/seen", data={}).status_code == 400
    form = browser.get(f"/questions/{question.id}/report").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    sent = browser.post(f"/questions/{question.id}/report", data={"feedback_type": "typo", "csrf_token": token})
    assert sent.status_code == 302


def test_the_browser_routes_need_sign_in_and_a_visible_question(client, app, question):
    """Anonymous visitors are sent to sign in from every report route; a learner gets 404 for a hidden question."""
    hidden = gen_question(app, gen_exam(app, is_active=False))
    for method, path in (("GET", f"/questions/{question.id}/report"), ("GET", f"/questions/{question.id}/report/control"),
                         ("POST", f"/questions/{question.id}/report"), ("POST", "/reports/seen")):
        response = client.open(path, method=method)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], path
    gen_user(app, username="looker")
    login(client, "looker")
    assert client.get(f"/questions/{hidden.id}/report").status_code == 404
    assert client.post(f"/questions/{hidden.id}/report", data={"feedback_type": "typo"}).status_code == 404

"""/admin/flags in the browser: the full page, the htmx fragments, pushed URLs, decisions with and
without JavaScript, CSRF, empty states, escaping and who may open it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.factories import gen_exam, gen_feedback, gen_question, gen_question_stats, gen_user, login
from tests.auth.test_csrf import csrf_app  # noqa: F401  (the app with CSRF switched on)
from webapp.extensions import db
from webapp.models import FeedbackStatus, FeedbackType, Question, QuestionFeedback, QuestionVersion

HX = {"HX-Request": "true"}


@pytest.fixture
def reported(app):
    """A question with one open "incorrect" report and one typo report."""
    question = gen_question(app, gen_exam(app), stem="Which protocol uses port 636?")
    first = gen_feedback(app, gen_user(app, username="alice"), question, comment="The key should be LDAPS.")
    second = gen_feedback(app, gen_user(app), question, feedback_type=FeedbackType.TYPO, comment="Typo in B.")
    return question, first, second


def test_full_page_renders_the_filters_the_queue_and_an_empty_pane(client, admin, reported):
    """A plain GET is the whole page: filters with htmx attributes, the queue rows, an empty detail pane."""
    question, _, _ = reported
    response = client.get("/admin/flags")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html and "HX-Request" in response.headers["Vary"]
    assert f'id="queue-row-{question.id}"' in html and "Which protocol uses port 636?" in html
    assert 'hx-push-url="true"' in html and 'hx-trigger="change, submit"' in html
    assert 'hx-trigger="input changed delay:300ms, search"' in html
    assert "Choose a question in the queue" in html
    assert "2 open reports: Wrong answer or fact 1, Typo 1" in html


def test_filter_fragment_for_htmx_keeps_the_filters_in_links(client, admin, reported):
    """An htmx filter request gets the queue fragment (no layout) whose detail links keep the filters."""
    question, _, _ = reported
    response = client.get("/admin/flags?feedback_type=typo&q=port", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and html.lstrip().startswith(("<section", "{#", "\n"))
    assert 'id="triage-queue"' in html and "HX-Request" in response.headers["Vary"]
    assert f'href="/admin/flags/{question.id}?feedback_type=typo&amp;q=port"' in html
    assert 'hx-swap-oob="innerHTML"' in html and "1 question in the queue." in html


def test_pagination_links_keep_the_filters(app, client, admin):
    """With more than a page, the Next link carries the filters and targets the queue."""
    exam = gen_exam(app)
    for n in range(21):
        gen_feedback(app, gen_user(app), gen_question(app, exam, stem=f"About ports {n}"))
    html = client.get("/admin/flags?q=ports&sort=newest").get_data(as_text=True)
    assert re.search(r'href="/admin/flags\?page=2&amp;q=ports&amp;sort=newest"[^>]*rel="next"[^>]*hx-get=', html)
    second = client.get("/admin/flags?page=2&q=ports&sort=newest").get_data(as_text=True)
    assert len(re.findall(r'id="queue-row-\d+"', second)) == 1


def test_detail_full_page_and_fragment(app, client, admin, reported):
    """/admin/flags/<id> is the full page with the pane, or the pane alone for htmx; it shows the key,
    reports, statistics, history and the editor link."""
    question, first, _ = reported
    with app.app_context():
        db.session.add(QuestionVersion(question_id=question.id, version=1, content={}, origin="import"))
        db.session.commit()
    gen_question_stats(app, question, is_suspect=True, suspect_reasons=["Discrimination below 0 (-0.20)"])
    page = client.get(f"/admin/flags/{question.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and 'id="triage-queue"' in html
    assert 'id="triage-detail-heading"' in html and "autofocus" in html
    fragment = client.get(f"/admin/flags/{question.id}", headers=HX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and 'id="triage-detail"' in body
    assert "HX-Request" in fragment.headers["Vary"]
    assert "tag-correct" in body and "alice" in body and "The key should be LDAPS." in body and "(today)" in body
    assert "Discrimination below 0 (-0.20)" in body and "Bank import" in body
    assert f'href="/admin/questions/{question.id}/edit"' in body
    assert f'action="/admin/flags/reports/{first}"' in body and 'hx-target="#triage-detail"' in body


def test_detail_empty_states_and_missing_question(app, client, admin):
    """A question without reports, statistics or history says so in each section; an unknown id is 404."""
    question = gen_question(app, gen_exam(app))
    html = client.get(f"/admin/flags/{question.id}").get_data(as_text=True)
    assert "No learner has reported this question." in html and "Not computed yet" in html
    assert "No recorded versions yet." in html
    assert client.get(f"/admin/flags/{question.id + 999}").status_code == 404


def test_empty_queue_and_filtered_empty_states(client, admin):
    """An empty queue says there is nothing to triage; a filter that matches nothing offers the open queue."""
    assert "Nothing to triage" in client.get("/admin/flags").get_data(as_text=True)
    assert "No question matches these filters." in client.get("/admin/flags?q=zzz").get_data(as_text=True)


def test_report_comment_is_escaped(app, client, admin):
    """A `<script>` comment is shown as text, never as markup."""
    question = gen_question(app, gen_exam(app))
    gen_feedback(app, gen_user(app), question, comment="<script>alert('x')</script>")
    html = client.get(f"/admin/flags/{question.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html and "<script>alert" not in html


def test_no_js_decision_redirects_back_with_a_flash(app, client, admin, reported):
    """A plain POST resolves the report, records the admin and note, and redirects to `next` with a flash."""
    question, first, _ = reported
    back = f"/admin/flags/{question.id}?q=port"
    response = client.post(f"/admin/flags/reports/{first}", data={
        "status": FeedbackStatus.RESOLVED.value, "resolution_note": "Key fixed.", "next": back})
    assert response.status_code == 302 and response.headers["Location"] == f"{back}#triage-detail"
    assert "Report resolved." in client.get(back).get_data(as_text=True)
    with app.app_context():
        report = db.session.get(QuestionFeedback, first)
        assert (report.status, report.resolved_by, report.resolution_note) == (
            FeedbackStatus.RESOLVED.value, admin.id, "Key fixed.")


def test_no_js_decision_on_a_closed_report_is_flashed(app, client, admin, reported):
    """Deciding a report twice without JavaScript flashes that it is already closed."""
    _, first, _ = reported
    client.post(f"/admin/flags/reports/{first}", data={"status": FeedbackStatus.DISMISSED.value})
    again = client.post(f"/admin/flags/reports/{first}", data={"status": FeedbackStatus.RESOLVED.value},
                        follow_redirects=True)
    assert again.status_code == 200 and "already been resolved or dismissed" in again.get_data(as_text=True)


def test_htmx_decision_swaps_the_pane_and_the_row_out_of_band(app, client, admin, reported):
    """With htmx a decision answers with the new pane, the queue row out of band and a status line."""
    question, first, _ = reported
    response = client.post(f"/admin/flags/reports/{first}", headers=HX, data={
        "status": FeedbackStatus.DISMISSED.value, "next": f"/admin/flags/{question.id}?feedback_type=typo"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and 'id="triage-detail"' in html
    assert f'<li id="queue-row-{question.id}" class="triage-item card" hx-swap-oob="outerHTML">' in html
    assert f'href="/admin/flags/{question.id}?feedback_type=typo"' in html
    assert '<p id="triage-status" hx-swap-oob="innerHTML">Report dismissed.</p>' in html
    assert "1 open report: Typo 1" in html


def test_htmx_decision_on_a_closed_report_is_409_in_the_alert_region(app, client, admin, reported):
    """With htmx a closed report is 409 REPORT_CLOSED, retargeted to the alert region by the error policy."""
    _, first, _ = reported
    client.post(f"/admin/flags/reports/{first}", data={"status": FeedbackStatus.DISMISSED.value})
    response = client.post(f"/admin/flags/reports/{first}", headers=HX, data={"status": FeedbackStatus.RESOLVED.value})
    assert response.status_code == 409 and response.headers["HX-Retarget"] == "#alert-region"


def test_dismiss_all_of_one_question(app, client, admin, reported):
    """"Dismiss all open reports" in the pane dismisses both reports with the note and clears the flag count."""
    question, _, _ = reported
    response = client.post(f"/admin/flags/{question.id}/dismiss", data={"resolution_note": "Reads fine."})
    assert response.status_code == 302
    with app.app_context():
        notes = db.session.scalars(sa.select(QuestionFeedback.resolution_note)
                                   .where(QuestionFeedback.question_id == question.id)).all()
        assert notes == ["Reads fine.", "Reads fine."] and db.session.get(Question, question.id).flag_count == 0


def test_bulk_dismiss_from_the_queue_checkboxes(app, client, admin, reported):
    """Ticked queue rows and one note dismiss every open report of those questions; htmx gets the queue back."""
    question, _, _ = reported
    other = gen_question(app, gen_exam(app))
    gen_feedback(app, gen_user(app), other)
    response = client.post("/admin/flags/dismiss", headers=HX, data={
        "question_ids": [str(question.id), str(other.id)], "resolution_note": "Batch.", "next": "/admin/flags?q=x"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="triage-queue"' in html
    assert "3 reports dismissed on 2 question(s)." in html
    plain = client.post("/admin/flags/dismiss", data={"next": "/admin/flags"})
    assert plain.status_code == 302 and plain.headers["Location"] == "/admin/flags#triage-queue"
    assert "Choose at least one question" in client.get("/admin/flags").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(QuestionFeedback)
                                 .where(QuestionFeedback.status == FeedbackStatus.PENDING)) == 0


def test_next_must_be_a_local_path(client, admin, reported):
    """A `next` pointing at another site is replaced by a local page (no open redirect)."""
    _, first, _ = reported
    response = client.post(f"/admin/flags/reports/{first}", data={
        "status": FeedbackStatus.RESOLVED.value, "next": "https://evil.example/"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/")


def test_every_triage_form_requires_csrf(csrf_app):  # noqa: F811
    """With CSRF on, each triage POST without a token is refused and changes nothing."""
    question = gen_question(csrf_app, gen_exam(csrf_app))
    report_id = gen_feedback(csrf_app, gen_user(csrf_app), question)
    gen_user(csrf_app, username="csrfboss", is_admin=True)
    client = csrf_app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/auth/login", data={"login": "csrfboss", "password": "correct horse battery staple 42",
                                     "csrf_token": token})
    for url, data in ((f"/admin/flags/reports/{report_id}", {"status": FeedbackStatus.RESOLVED.value}),
                      (f"/admin/flags/{question.id}/dismiss", {}),
                      ("/admin/flags/dismiss", {"question_ids": str(question.id)})):
        assert client.post(url, data=data).status_code == 400, url
    with csrf_app.app_context():
        assert db.session.get(QuestionFeedback, report_id).status == FeedbackStatus.PENDING


def test_triage_pages_permission_matrix(app, reported):
    """Every /admin/flags route: anonymous to the sign-in page, a learner 403, an admin 200 or a redirect."""
    question, first, second = reported
    gen_user(app, username="plainlearner")
    gen_user(app, username="flagboss", is_admin=True)
    routes = [("GET", "/admin/flags", {}), ("GET", f"/admin/flags/{question.id}", {}),
              ("POST", f"/admin/flags/reports/{first}", {"status": FeedbackStatus.RESOLVED.value}),
              ("POST", f"/admin/flags/{question.id}/dismiss", {}),
              ("POST", "/admin/flags/dismiss", {"question_ids": str(question.id)})]
    anonymous, learner, boss = app.test_client(), app.test_client(), app.test_client()
    login(learner, "plainlearner")
    login(boss, "flagboss")
    for method, url, data in routes:
        anon = anonymous.open(url, method=method, data=data)
        assert anon.status_code == 302 and "/auth/login" in anon.headers["Location"], url
        assert learner.open(url, method=method, data=data).status_code == 403, url
        assert boss.open(url, method=method, data=data).status_code in (200, 302), url
    with app.app_context():
        assert db.session.get(QuestionFeedback, second).status == FeedbackStatus.DISMISSED


def test_admin_home_and_nav_link_the_queue(client, admin):
    """The admin home and the admin's navigation both link to /admin/flags."""
    html = client.get("/admin/").get_data(as_text=True)
    assert html.count('href="/admin/flags"') >= 2

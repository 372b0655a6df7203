"""Bookmarks and notes in the browser: the page and its fragments, the toggle, tag and note
components with and without htmx, the quiz, review and result pages, CSRF and escaping."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from config import TestingConfig
from tests.factories import (DEFAULT_PASSWORD, META, choice_ids, gen_answer, gen_bank, gen_bookmark, gen_exam,
                             gen_note, gen_question, gen_user, login, user_in_db)
from webapp import create_app
from webapp.editor import services as editor
from webapp.extensions import db
from webapp.models import (AttemptQuestion, BookmarkTag, Question, QuestionBookmark, QuestionNote, QuestionSource,
                           QuizAttempt, QuizMode)
from webapp.models.base import utcnow

HX = {"HX-Request": "true"}


def _html(response) -> str:
    return response.get_data(as_text=True)


def _bookmarked(app, user_id: int, question_id: int) -> bool:
    with app.app_context():
        return db.session.get(QuestionBookmark, (user_id, question_id)) is not None


def _note(app, user_id: int, question_id: int) -> str | None:
    with app.app_context():
        note = db.session.get(QuestionNote, (user_id, question_id))
        return note.body if note else None


def _root(html: str) -> str:
    """The id of the response's first element."""
    return re.search(r'<[a-z]+[^>]*\sid="([^"]+)"', html).group(1)


def _start_quiz(client, slug: str, **fields) -> str:
    data = {"exam": slug, "mode": QuizMode.PRACTICE.value, "count": "5", "timed": "y", **fields}
    response = client.post("/quizzes", data=data)
    assert response.status_code == 302, _html(response)[:400]
    return response.headers["Location"]


def _finished_quiz(client, app, slug: str) -> int:
    """A submitted five-question quiz; its id."""
    location = _start_quiz(client, slug)
    attempt_id = int(re.search(r"/quizzes/(\d+)/", location).group(1))
    assert client.post(f"/quizzes/{attempt_id}/submit").status_code == 302
    return attempt_id


def _attempt_question_ids(app, attempt_id: int) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AttemptQuestion.question_id)
                                       .where(AttemptQuestion.attempt_id == attempt_id)
                                       .order_by(AttemptQuestion.position)))


def test_the_page_and_its_fragment(client, app, signed_in):
    """GET /bookmarks is a full page with the list; with HX-Request only #bookmark-list (and its OOB parts), Vary: HX-Request."""
    exam = gen_exam(app, slug="security")
    question = gen_question(app, exam, stem="Which port does SSH use?")
    gen_bookmark(app, signed_in, question, tags=["ports"], notes="Twenty-two")
    page = client.get("/bookmarks")
    fragment = client.get("/bookmarks?exam=security", headers=HX)
    assert page.status_code == fragment.status_code == 200
    assert "<html" in _html(page) and 'id="bookmark-list"' in _html(page) and "Which port does SSH use?" in _html(page)
    assert "Bookmarks (1)" in _html(page) and 'id="bookmark-count"' in _html(page)
    html = _html(fragment)
    assert "<html" not in html and _root(html) == "bookmark-list"
    assert "Which port does SSH use?" in html and "Twenty-two" in html and "ports" in html
    assert 'id="bookmark-status" class="small muted bookmark-status" hx-swap-oob="innerHTML"' in html
    assert 'id="bookmark-filter-objective" class="filter-objective" hx-swap-oob="true"' in html
    assert "HX-Request" in fragment.headers["Vary"]
    assert page.headers["Cache-Control"] == fragment.headers["Cache-Control"] == "no-store"


def test_the_filter_form_is_a_get_form_that_pushes_its_url(client, app, signed_in):
    """The filter has labelled Exam, Objective and Tag menus and a Filter button; htmx swaps #bookmark-list and pushes the URL."""
    html = _html(client.get("/bookmarks"))
    form = re.search(r'<form id="bookmark-filters".*?</form>', html, re.S).group(0)
    assert 'method="get"' in form and 'hx-target="#bookmark-list"' in form and 'hx-push-url="true"' in form
    for name, label in (("exam", "Exam"), ("objective", "Objective"), ("tag", "Tag")):
        assert f'<label for="filter-{name}">{label}</label>' in form and f'name="{name}"' in form
    assert ">Filter</button>" in form


def test_empty_states_tell_no_bookmarks_from_no_match(client, app, signed_in):
    """No bookmarks at all says how to add one; filters matching nothing say so and link to all bookmarks."""
    exam = gen_exam(app, slug="security")
    empty = _html(client.get("/bookmarks"))
    assert "No bookmarks yet: use Bookmark on any question" in empty and "Bookmarks (0)" in empty
    gen_bookmark(app, signed_in, gen_question(app, exam), tags=["vpn"])
    unmatched = _html(client.get("/bookmarks?tag=dns"))
    assert "No bookmarks match these filters." in unmatched and "No bookmarks yet" not in unmatched


def test_filters_narrow_the_list_and_a_stale_objective_is_dropped(client, app, signed_in):
    """Exam, objective and tag narrow the list; an objective left over from another exam is ignored, not an error."""
    security = gen_exam(app, slug="security")
    network = gen_exam(app, slug="network", domains=[{"number": "1.0", "name": "Networking", "weight_percent": 100,
                                                      "objectives": [{"code": "1.1", "title": "Explain ports"}]}])
    first = gen_question(app, security, "1.1", stem="Security one-one stem")
    second = gen_question(app, security, "2.1", stem="Security two-one stem")
    other = gen_question(app, network, "1.1", stem="Network stem")
    for question, tags in ((first, ["VPN"]), (second, None), (other, ["vpn"])):
        gen_bookmark(app, signed_in, question, tags=tags)
    by_objective = _html(client.get("/bookmarks?exam=security&objective=2.1"))
    assert "Security two-one stem" in by_objective and "Security one-one stem" not in by_objective
    by_tag = _html(client.get("/bookmarks?tag=vpn"))
    assert "Security one-one stem" in by_tag and "Network stem" in by_tag and "Security two-one stem" not in by_tag
    assert '<option selected value="VPN">VPN</option>' in by_tag
    stale = client.get("/bookmarks?exam=network&objective=2.1", headers=HX)
    assert stale.status_code == 200 and "Network stem" in _html(stale)
    unknown = client.get("/bookmarks?exam=nope")
    assert unknown.status_code == 400 and "Unknown exam_type" in _html(unknown)


def test_the_list_is_paginated_newest_first(client, app, signed_in):
    """BOOKMARKS_PER_PAGE a page, newest first; page links keep the filters and push their URL."""
    app.config["BOOKMARKS_PER_PAGE"] = 20
    exam = gen_exam(app, slug="security")
    start = utcnow() - timedelta(days=1)
    for minutes in range(21):
        gen_bookmark(app, signed_in, gen_question(app, exam, stem=f"Stem number {minutes:02d}."),
                     tags=["all"], created_at=start + timedelta(minutes=minutes))
    first = _html(client.get("/bookmarks?tag=all"))
    assert first.count('class="card bookmark-item') == 20
    assert first.index("Stem number 20.") < first.index("Stem number 19.") and "Stem number 00." not in first
    link = re.search(r'<a id="bookmark-page-next"[^>]*>', first).group(0)
    assert 'href="/bookmarks?page=2&amp;tag=all"' in link and 'hx-push-url="true"' in link
    second = _html(client.get("/bookmarks?page=2&tag=all", headers={**HX, "HX-Trigger": "bookmark-page-next"}))
    assert second.count('class="card bookmark-item') == 1 and "Stem number 00." in second
    assert 'tabindex="-1" autofocus' in second


def test_no_key_on_the_page_until_answered(client, app, signed_in):
    """An unanswered bookmark shows its stem and choices but no "Show answer"; an answered one folds the key away."""
    exam = gen_exam(app, slug="security")
    unanswered = gen_question(app, exam, stem="Never answered?")
    answered = gen_question(app, exam, stem="Answered once?")
    gen_bookmark(app, signed_in, unanswered)
    gen_bookmark(app, signed_in, answered)
    gen_answer(app, signed_in, answered)
    html = _html(client.get("/bookmarks"))
    items = {m.group(1): m.group(0) for m in
             re.finditer(r'<article class="card bookmark-item[^"]*" id="bookmark-(\d+)".*?</article>', html, re.S)}
    assert len(items) == 2
    assert "Show answer" in items[str(answered.id)] and "Because." in items[str(answered.id)]
    assert "Never answered?" in items[str(unanswered.id)] and "Choice 0" in items[str(unanswered.id)]
    assert "Show answer" not in items[str(unanswered.id)] and "Because." not in items[str(unanswered.id)]


def test_the_toggle_with_htmx_swaps_itself_and_the_count(client, app, signed_in):
    """The htmx toggle answers its own component (aria-pressed, Bookmarked) and the nav count out of band."""
    question = gen_question(app, gen_exam(app))
    on = client.post(f"/bookmarks/{question.id}", data={"bookmarked": "1", "next": "/bookmarks"}, headers=HX)
    html = _html(on)
    assert on.status_code == 200 and "<html" not in html and _root(html) == f"bookmark-toggle-{question.id}"
    assert 'hx-target="this" hx-swap="outerHTML"' in html and 'aria-pressed="true"' in html and "Bookmarked</button>" in html
    assert 'value="0"' in html and "autofocus" in html
    assert 'id="bookmark-count" href="/bookmarks" hx-swap-oob="innerHTML">Bookmarks (1)</a>' in html
    off = _html(client.post(f"/bookmarks/{question.id}", data={"bookmarked": "0", "next": "/bookmarks"}, headers=HX))
    assert 'aria-pressed="false"' in off and "Bookmark</button>" in off and ">Bookmarks (0)</a>" in off
    assert not _bookmarked(app, signed_in.id, question.id)


def test_the_toggle_without_javascript_redirects_back(client, app, signed_in):
    """The plain toggle form bookmarks and redirects to `next` at the toggle; a foreign `next` goes home instead."""
    question = gen_question(app, gen_exam(app))
    back = client.post(f"/bookmarks/{question.id}", data={"bookmarked": "1", "next": "/quizzes?x=1"})
    assert back.status_code == 302 and back.headers["Location"] == f"/quizzes?x=1#bookmark-toggle-{question.id}"
    assert _bookmarked(app, signed_in.id, question.id)
    again = client.post(f"/bookmarks/{question.id}", data={"bookmarked": "1", "next": "//evil.example/x"})
    assert again.headers["Location"] == f"/#bookmark-toggle-{question.id}"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(QuestionBookmark)) == 1


def test_toggling_a_hidden_question_is_404(client, app, signed_in):
    """An inactive question cannot be bookmarked from the browser either (404)."""
    question = gen_question(app, gen_exam(app), is_active=False)
    response = client.post(f"/bookmarks/{question.id}", data={"bookmarked": "1"})
    assert response.status_code == 404 and not _bookmarked(app, signed_in.id, question.id)


@pytest.fixture
def csrf_client(app):
    """A client of the app with CSRF switched on, as in production, and a signed-in learner."""
    csrf_app = create_app(type("CsrfOn", (TestingConfig,), {"WTF_CSRF_ENABLED": True}))
    user = gen_user(csrf_app, username="csrflearner")
    browser = csrf_app.test_client()
    page = _html(browser.get("/auth/login"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    browser.post("/auth/login", data={"login": user.username, "password": DEFAULT_PASSWORD, "csrf_token": token})
    return csrf_app, browser, user


def test_component_forms_need_the_csrf_token(csrf_client):
    """Toggle, tags and note POSTs without the token are refused (400) and change nothing; the page's token works."""
    csrf_app, browser, user = csrf_client
    question = gen_question(csrf_app, gen_exam(csrf_app))
    for url, data in ((f"/bookmarks/{question.id}", {"bookmarked": "1"}), (f"/notes/{question.id}", {"body": "x"}),
                      (f"/bookmarks/{question.id}/tags", {"tags": "a"})):
        assert browser.post(url, data=data).status_code == 400, url
    assert not _bookmarked(csrf_app, user.id, question.id) and _note(csrf_app, user.id, question.id) is None
    page = _html(browser.get("/bookmarks"))
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    done = browser.post(f"/bookmarks/{question.id}", data={"bookmarked": "1", "csrf_token": token})
    assert done.status_code == 302 and _bookmarked(csrf_app, user.id, question.id)
    forms = re.findall(r'<form method="post".*?</form>', _html(browser.get("/bookmarks")), re.S)
    assert len(forms) >= 4  # toggle, study, quiz (the note's and the tags' Add are GET forms), sign-out
    editing = _html(browser.get(f"/bookmarks/{question.id}/tags/edit"))
    forms += re.findall(r'<form method="post"[^>]*/tags".*?</form>', editing, re.S)
    assert len(forms) >= 5 and all('name="csrf_token"' in form for form in forms)


def test_the_quiz_screen_toggle_saves_the_selection_and_shows_no_verdict(client, app, signed_in):
    """On the question screen the toggle submits the answer form: the tick is saved, the answer has no verdict or key."""
    exam = gen_bank(app, per_objective=2)
    question_url = _start_quiz(client, exam.slug)
    attempt_id = int(re.search(r"/quizzes/(\d+)/", question_url).group(1))
    question_id = _attempt_question_ids(app, attempt_id)[0]
    screen = _html(client.get(question_url))
    toggle = re.search(rf'<div id="bookmark-toggle-{question_id}".*?</div>', screen, re.S).group(0)
    assert 'form="answer-form"' in toggle and f'formaction="/quizzes/{attempt_id}/q/1/bookmark"' in toggle
    assert "Add a private note" not in screen and 'id="note-' not in screen
    with app.app_context():
        wrong = choice_ids(question_id, correct=False)[0]
    response = client.post(f"/quizzes/{attempt_id}/q/1/bookmark", headers=HX,
                           data={"bookmarked": "1", "with_selection": "1", "choice": str(wrong)})
    html = _html(response)
    assert response.status_code == 200 and _root(html) == f"bookmark-toggle-{question_id}" and "Bookmarked" in html
    for verdict in ("correct", "Correct", "wrong", "Wrong", "is-key", "Explanation", "rationale"):
        assert verdict not in html, verdict
    assert _bookmarked(app, signed_in.id, question_id)
    with app.app_context():
        saved = db.session.scalar(sa.select(AttemptQuestion.selected_choice_ids).where(
            AttemptQuestion.attempt_id == attempt_id, AttemptQuestion.position == 0))
    assert saved == [wrong]
    plain = client.post(f"/quizzes/{attempt_id}/q/1/bookmark", data={"bookmarked": "0", "with_selection": "1"})
    assert plain.status_code == 302 and plain.headers["Location"] == question_url


def test_the_review_shows_a_toggle_and_the_note_on_every_question(client, app, signed_in):
    """Each reviewed question carries its toggle (state shown) and its note component; its plain forms return to the review."""
    exam = gen_bank(app, per_objective=2)
    attempt_id = _finished_quiz(client, app, exam.slug)
    ids = _attempt_question_ids(app, attempt_id)
    with app.app_context():
        first = db.session.get(Question, ids[0])
    gen_bookmark(app, signed_in, first)
    gen_note(app, signed_in, first, "Review this one")
    html = _html(client.get(f"/quizzes/{attempt_id}/review"))
    assert html.count('class="bookmark-toggle"') == html.count('class="note"') == 5
    first_toggle = re.search(rf'<div id="bookmark-toggle-{ids[0]}".*?</div>', html, re.S).group(0)
    assert 'aria-pressed="true"' in first_toggle and f'value="/quizzes/{attempt_id}/review?show=all"' in first_toggle
    assert "Review this one" in html and "Edit note" in html and html.count("Add a private note") == 4
    fragment = _html(client.get(f"/quizzes/{attempt_id}/review?show=wrong", headers=HX))
    assert "<html" not in fragment and "Review this one" in fragment


def test_the_result_page_shows_the_learners_notes(client, app, signed_in):
    """The result page lists the learner's notes on the quiz's questions, each editable in place."""
    exam = gen_bank(app, per_objective=2)
    attempt_id = _finished_quiz(client, app, exam.slug)
    with app.app_context():
        noted = db.session.get(Question, _attempt_question_ids(app, attempt_id)[2])
    gen_note(app, signed_in, noted, "Result-page note")
    html = _html(client.get(f"/quizzes/{attempt_id}/result"))
    assert "Your private notes on these questions" in html and "Result-page note" in html
    assert f'id="note-{noted.id}"' in html and "Question 3" in html


def test_the_note_component_with_htmx(client, app, signed_in):
    """Add shows the edit state in place (label, count, Save/Cancel); Save shows the note with Edit; Cancel returns to it."""
    question = gen_question(app, gen_exam(app))
    shown = _html(client.get(f"/notes/{question.id}?next=/bookmarks", headers=HX))
    assert _root(shown) == f"note-{question.id}" and "<html" not in shown and "Add a private note" in shown
    editing = _html(client.get(f"/notes/{question.id}/edit?next=/bookmarks", headers=HX))
    assert _root(editing) == f"note-{question.id}" and "<html" not in editing
    assert f'<label for="note-body-{question.id}">Private note</label>' in editing and "autofocus" in editing
    assert "0</span> of 5,000 characters" in editing and ">Save note</button>" in editing and ">Cancel</a>" in editing
    assert "Delete note" not in editing
    saved = _html(client.post(f"/notes/{question.id}", headers=HX, data={"body": "Line one\r\nLine two", "next": "/bookmarks"}))
    assert _root(saved) == f"note-{question.id}" and "Line one\nLine two" in saved and "Edit note" in saved
    assert "Note saved." in saved and _note(app, signed_in.id, question.id) == "Line one\nLine two"
    again = _html(client.get(f"/notes/{question.id}/edit?next=/bookmarks", headers=HX))
    assert "Delete note" in again and "17</span> of 5,000 characters" in again
    deleted = _html(client.post(f"/notes/{question.id}", headers=HX, data={"action": "delete", "next": "/bookmarks"}))
    assert "Add a private note" in deleted and _note(app, signed_in.id, question.id) is None


def test_a_refused_note_stays_in_the_form(client, app, signed_in):
    """Too long or blank: 400 with the edit form, the typed text and the reason (htmx in place, else a page)."""
    question = gen_question(app, gen_exam(app))
    limit = app.config["NOTE_MAX_LENGTH"]
    long = client.post(f"/notes/{question.id}", headers=HX, data={"body": "z" * (limit + 1), "next": "/bookmarks"})
    assert long.status_code == 400 and _root(_html(long)) == f"note-{question.id}"
    assert "A note has at most 5,000 characters." in _html(long) and 'aria-invalid="true"' in _html(long)
    blank = client.post(f"/notes/{question.id}", data={"body": "   ", "next": "/bookmarks"})
    assert blank.status_code == 400 and "<html" in _html(blank) and "Write something in the note" in _html(blank)
    assert _note(app, signed_in.id, question.id) is None


def test_the_note_without_javascript(client, app, signed_in):
    """Add opens a plain page with the form; Save redirects back to `next` at the note."""
    question = gen_question(app, gen_exam(app), stem="Plain page stem?")
    page = _html(client.get(f"/notes/{question.id}/edit?next=/bookmarks?tag=x"))
    assert "<html" in page and "Plain page stem?" in page and 'name="next" value="/bookmarks?tag=x"' in page
    saved = client.post(f"/notes/{question.id}", data={"body": "Plain note", "next": "/bookmarks?tag=x"})
    assert saved.status_code == 302 and saved.headers["Location"] == f"/bookmarks?tag=x#note-{question.id}"
    assert _note(app, signed_in.id, question.id) == "Plain note"
    assert client.get(f"/notes/{gen_question(app, gen_exam(app), is_active=False).id}/edit").status_code == 404


def test_tags_component_with_and_without_htmx(client, app, signed_in):
    """Save tags replaces them in place (htmx) or redirects back; too many tags is a 400 with the reason at the field."""
    question = gen_question(app, gen_exam(app))
    gen_bookmark(app, signed_in, question, tags=["VPN"])
    saved = client.post(f"/bookmarks/{question.id}/tags", headers=HX, data={"tags": "vpn, DNS , ,nat", "next": "/bookmarks"})
    html = _html(saved)
    assert saved.status_code == 200 and _root(html) == f"tags-{question.id}" and "<html" not in html
    assert re.findall(r'<li class="user-tag">([^<]*)</li>', html) == ["DNS", "nat", "VPN"]
    assert ">Edit tags</button>" in html and "Tags saved." in html and 'name="tags"' not in html
    refused = client.post(f"/bookmarks/{question.id}/tags", headers=HX, data={"tags": "a,b,c,d,e,f", "next": "/bookmarks"})
    assert refused.status_code == 400 and "at most 5 tags" in _html(refused) and 'value="a,b,c,d,e,f"' in _html(refused)
    plain = client.post(f"/bookmarks/{question.id}/tags", data={"tags": "only", "next": "/bookmarks"})
    assert plain.status_code == 302 and plain.headers["Location"] == f"/bookmarks#tags-{question.id}"
    with app.app_context():
        assert db.session.scalars(sa.select(BookmarkTag.name)).all() == ["only"]
    page = client.post(f"/bookmarks/{question.id}/tags", data={"tags": "x" * 31, "next": "/bookmarks"})
    assert page.status_code == 400 and "<html" in _html(page) and "1 to 30 characters" in _html(page)


def test_tags_open_for_editing_in_place_or_on_a_page(client, app, signed_in):
    """The bookmark shows its tags with Edit tags; the edit form opens in place (htmx) or as a plain
    page that keeps `next`, and Cancel shows the tags again."""
    question = gen_question(app, gen_exam(app), stem="Tag page stem?")
    gen_bookmark(app, signed_in, question, tags=["VPN", "dns"])
    listed = _html(client.get("/bookmarks"))
    assert f'action="/bookmarks/{question.id}/tags/edit"' in listed and ">Edit tags</button>" in listed
    editing = _html(client.get(f"/bookmarks/{question.id}/tags/edit?next=/bookmarks", headers=HX))
    assert _root(editing) == f"tags-{question.id}" and "<html" not in editing
    assert '<label for="tags-input-' in editing and 'value="dns, VPN"' in editing and ">Save tags</button>" in editing
    plain = _html(client.get(f"/bookmarks/{question.id}/tags/edit?next=/bookmarks?tag=vpn"))
    assert "<html" in plain and "Tag page stem?" in plain and 'name="next" value="/bookmarks?tag=vpn"' in plain
    shown = _html(client.get(f"/bookmarks/{question.id}/tags?next=/bookmarks", headers=HX))
    assert _root(shown) == f"tags-{question.id}" and ">Edit tags</button>" in shown and 'name="tags"' not in shown
    assert client.get(f"/bookmarks/{gen_question(app, gen_exam(app)).id}/tags/edit").status_code == 404


def test_notes_and_tags_are_escaped(client, app, signed_in):
    """A <script> in a note and in a tag is shown as text on the bookmarks and review pages, never as markup."""
    exam = gen_bank(app, per_objective=2)
    attempt_id = _finished_quiz(client, app, exam.slug)
    with app.app_context():
        question = db.session.get(Question, _attempt_question_ids(app, attempt_id)[0])
    payload = "<script>alert(1)</script>"
    gen_bookmark(app, signed_in, question, tags=[payload[:30]], notes=payload)
    for url in ("/bookmarks", f"/quizzes/{attempt_id}/review", f"/quizzes/{attempt_id}/result"):
        html = _html(client.get(url))
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
        assert "<script>alert(1)" not in html, url


def test_study_and_quiz_buttons_post_to_quiz_start(client, app, signed_in):
    """"Study these" and "Quiz me on these" post exam, mode, source bookmarked, tag, objective and count; the quiz starts."""
    exam = gen_bank(app, per_objective=2, slug="security")
    with app.app_context():
        questions = list(db.session.scalars(sa.select(Question).where(Question.exam_id == exam.id).order_by(Question.id)))
    for question in questions[:3]:
        gen_bookmark(app, signed_in, question, tags=["VPN"])
    html = _html(client.get("/bookmarks?exam=security&objective=1.1&tag=vpn"))
    forms = re.findall(r'<form method="post" action="/quizzes" class="start-from-bookmarks">.*?</form>', html, re.S)
    assert len(forms) == 2
    study, quiz = forms
    fields = {form: dict(re.findall(r'<input id="[^"]+" name="([a-z]+)" type="hidden" value="([^"]*)"', form))
              for form in forms}
    expected = {"exam": "security", "source": QuestionSource.BOOKMARKED.value, "tag": "VPN", "objectives": "1.1",
                "count": str(app.config["QUIZ_MAX_COUNT"])}
    assert fields[study] == {**expected, "mode": QuizMode.STUDY.value} and ">Study these</button>" in study
    assert fields[quiz] == {**expected, "mode": QuizMode.PRACTICE.value, "timed": "y"}
    assert ">Quiz me on these</button>" in quiz
    started = client.post("/quizzes", data=fields[quiz])
    assert started.status_code == 302 and "/q/1" in started.headers["Location"]
    with app.app_context():
        attempt = db.session.scalar(sa.select(QuizAttempt))
        assert (attempt.source, attempt.source_tag, attempt.question_count) == (QuestionSource.BOOKMARKED, "VPN", 2)


def test_one_pair_of_buttons_per_exam_without_an_exam_filter(client, app, signed_in):
    """Without an exam filter, each exam holding bookmarks gets its own Study / Quiz pair."""
    for slug in ("security", "network"):
        gen_bookmark(app, signed_in, gen_question(app, gen_exam(app, slug=slug)))
    html = _html(client.get("/bookmarks"))
    assert html.count(">Study these</button>") == html.count(">Quiz me on these</button>") == 2
    assert 'name="exam" type="hidden" value="security"' in html and 'name="exam" type="hidden" value="network"' in html


def test_a_retired_bookmark_is_marked_and_its_note_read_only(client, app, signed_in):
    """A bookmark of a question deactivated later is listed as Retired, can be removed, and its note is not editable."""
    question = gen_question(app, gen_exam(app), stem="Old question?")
    gen_bookmark(app, signed_in, question, notes="Old note")
    with app.app_context():
        db.session.get(Question, question.id).is_active = False
        db.session.commit()
    html = _html(client.get("/bookmarks"))
    assert "Old question?" in html and ">Retired</span>" in html and "Old note" in html
    assert "Edit note" not in html and "Bookmarked</button>" in html
    removed = _html(client.post(f"/bookmarks/{question.id}", headers=HX, data={"bookmarked": "0", "next": "/bookmarks"}))
    assert "Retired question: it can no longer be bookmarked." in removed and ">Bookmarks (0)</a>" in removed


def test_the_nav_link_counts_bookmarks_on_every_page(client, app, signed_in):
    """Signed-in pages show "Bookmarks (N)" with the id the toggle updates; it is current on the bookmarks page."""
    exam = gen_exam(app)
    for _ in range(2):
        gen_bookmark(app, signed_in, gen_question(app, exam))
    assert 'id="bookmark-count" href="/bookmarks">Bookmarks (2)</a>' in _html(client.get("/"))
    assert 'id="bookmark-count" href="/bookmarks" aria-current="page">Bookmarks (2)</a>' in _html(client.get("/bookmarks"))


def test_pages_need_sign_in(client, app):
    """Anonymous visitors are sent to sign in from the bookmarks page and the note pages."""
    question = gen_question(app, gen_exam(app))
    for url in ("/bookmarks", f"/notes/{question.id}", f"/notes/{question.id}/edit"):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], url


def test_admin_pages_never_show_notes(client, app):
    """Notes are private: no admin page shows a learner's note or tag, even to an admin."""
    learner = gen_user(app)
    question = gen_question(app, gen_exam(app))
    gen_bookmark(app, learner, question, tags=["secret-tag-1"], notes="Secret note text 42")
    admin = gen_user(app, is_admin=True)
    login(client, admin.username)
    pages = [rule.rule for rule in app.url_map.iter_rules()
             if rule.rule.startswith("/admin") and "GET" in (rule.methods or set()) and "<" not in rule.rule]
    assert pages
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Secret note text 42" not in _html(response) and "secret-tag-1" not in _html(response), url


def test_a_failing_count_leaves_the_nav_link_without_a_number(client, app, signed_in, monkeypatch):
    """When the count query fails the page still renders, its nav link showing just "Bookmarks"."""
    from sqlalchemy.exc import OperationalError

    from webapp.bookmarks import services

    def broken(user):
        raise OperationalError("SELECT count", {}, Exception("connection lost"))

    monkeypatch.setattr(services, "bookmark_count", broken)
    response = client.get("/")
    assert response.status_code == 200
    assert 'id="bookmark-count" href="/bookmarks">Bookmarks</a>' in _html(response)


def test_an_edited_question_shows_its_new_content_on_the_page_at_once(client, app, signed_in):
    """The cards' question parts are reused per question version: a page read after an edit (a choice renamed, the stem unchanged) shows the new text."""
    exam = gen_exam(app, slug="security")
    question = gen_question(app, exam, stem="Which port does SSH use?")
    gen_bookmark(app, signed_in, question)
    assert "Choice 1" in _html(client.get("/bookmarks"))
    with app.app_context():
        ids = choice_ids(question.id) + choice_ids(question.id, False)
        editor.edit_question(user_in_db(app, is_admin=True), question.id, {
            "choices": [{"id": ids[0]}, {"id": ids[1], "text": "Port 22"}] + [{"id": cid} for cid in ids[2:]]}, META)
    html = _html(client.get("/bookmarks"))
    assert "Port 22" in html and "Choice 1" not in html and "Which port does SSH use?" in html

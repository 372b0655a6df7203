"""Study mode, bookmarks and notes in a real browser: study five questions (click and keyboard,
each explanation in place), skip and show one, bookmark one with a tag and a note, filter the
bookmarks by the tag, quiz on them, and study the ones the quiz missed; the same study
answer and bookmark with JavaScript off; and the phone layout of study and bookmarks."""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_exhibits import WIDE_TEXT
from tests.e2e.test_pbq import _settled
from tests.e2e.test_quiz import _sign_in
from tests.factories import choice_ids, gen_bookmark, gen_exam, gen_ordering_question, gen_question, gen_user
from webapp.extensions import db
from webapp.models import Confidence, Question, QuestionSource, QuizMode, StudySession

# Generous: on a loaded CI machine a save and its swap can take seconds.
SWAP_TIMEOUT = 15_000
NOTE = "Remember: the port decides it."


def _bank(app, slug: str):
    """An exam with four single-answer questions in each of its three objectives, by id."""
    exam = gen_exam(app, slug=slug)
    questions = [gen_question(app, exam, objective=code) for code in ("1.1", "1.2", "2.1") for _ in range(4)]
    return exam, {question.id: question for question in questions}


def _question_id(page: Page) -> int:
    """The id of the question on screen, read from its bookmark toggle (one per card)."""
    return int(page.locator(".bookmark-toggle").first.get_attribute("id").rsplit("-", 1)[1])


def _choice(app, question_id: int, correct: bool) -> int:
    """A correct (or a wrong) choice of the question."""
    with app.app_context():
        return choice_ids(question_id, correct)[0]


def _key_of(page: Page, choice_id: int) -> str:
    """The digit key that picks this choice on screen (the choices are shuffled)."""
    return page.locator(f"#choice-{choice_id}").get_attribute("data-key")


def _start_study(page: Page, live_url: str, slug: str, count: int = 5) -> None:
    page.goto(f"{live_url}/exams/{slug}")
    page.get_by_role("radio", name=re.compile(f"^{QuizMode.STUDY.label}")).check()
    page.get_by_label("Number of questions").fill(str(count))
    page.get_by_role("button", name="Start", exact=True).click()
    expect(page.get_by_role("heading", name=f"Question 1 of {count}")).to_be_visible(timeout=SWAP_TIMEOUT)


def _mark_page(page: Page) -> None:
    """Tag the loaded document; a page load would lose the tag."""
    page.evaluate("window.__marker = 'same document'")


def _same_page(page: Page) -> bool:
    return page.evaluate("window.__marker") == "same document"


def _expect_feedback(page: Page, number: int, verdict: str) -> None:
    """The feedback replaced the answer form in place, and its heading has the focus."""
    heading = page.locator(f"#feedback-heading-{number}")
    expect(heading).to_be_visible(timeout=SWAP_TIMEOUT)
    expect(heading).to_have_text(verdict)
    expect(heading).to_be_focused()
    expect(page.locator(f"#study-answer-{number}")).to_have_count(0)
    assert _same_page(page), "the explanation came with a page load"


def _next(page: Page, number: int, total: int) -> None:
    """N goes on to the next question (a plain link)."""
    _settled(page)
    page.keyboard.press("n")
    expect(page.get_by_role("heading", name=f"Question {number + 1} of {total}")).to_be_visible(timeout=SWAP_TIMEOUT)


def _latest_study(app, user_id: int) -> tuple[str, set[int]]:
    """The source and the question ids of the user's newest study session."""
    with app.app_context():
        db.session.remove()
        session = db.session.scalars(sa.select(StudySession).where(StudySession.user_id == user_id)
                                     .order_by(StudySession.id.desc())).first()
        return session.source, {sq.question_id for sq in session.questions}


def test_study_bookmark_filter_quiz_and_study_the_missed_ones(page: Page, live_url, app):
    """Study 5 (click, keys, skip, show), bookmark with tag and note, filter, quiz on them, study exactly the missed."""
    exam, questions = _bank(app, "study-flow")
    user = gen_user(app, username="studier")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    latest: dict[int, bool] = {}  # each question's latest verdict: what "missed" must draw from
    _sign_in(page, live_url, "studier")
    _start_study(page, live_url, exam.slug)
    studied = []

    # 1: a wrong answer by clicking; the explanation replaces the form, no page load.
    expect(page.locator(".keyboard-help")).to_be_visible()  # the script that runs the shortcuts shows their help
    q1 = _question_id(page)
    studied.append(q1)
    _mark_page(page)
    page.locator(f'label[for="choice-{_choice(app, q1, correct=False)}"]').click()
    page.get_by_role("button", name="Check answer").click()
    _expect_feedback(page, 1, "Wrong")
    expect(page.locator("#study-status")).to_have_text("Not quite: the correct answer is marked below.")
    expect(page.locator("#study-progress")).to_contain_text("1 answered · 0 skipped")
    latest[q1] = False

    # 2: right, all by keyboard: the choice's digit, S for sure, Enter to check.
    _next(page, 1, 5)
    q2 = _question_id(page)
    studied.append(q2)
    _mark_page(page)
    right = _choice(app, q2, correct=True)
    page.keyboard.press(_key_of(page, right))
    expect(page.locator(f"#choice-{right}")).to_be_checked()
    page.keyboard.press("s")
    expect(page.get_by_role("radio", name=Confidence.SURE.label, exact=True)).to_be_checked()
    page.keyboard.press("Enter")
    _expect_feedback(page, 2, "Correct")
    expect(page.get_by_text("You were sure.")).to_be_visible()
    expect(page.locator("#study-status")).to_have_text("Correct.")
    latest[q2] = True

    # 3: K skips (the form comes back saying so), then Show answer: still unanswered.
    _next(page, 2, 5)
    studied.append(_question_id(page))
    _mark_page(page)
    page.keyboard.press("k")
    note = page.locator("#skip-note-3")
    expect(note).to_be_visible(timeout=SWAP_TIMEOUT)
    expect(note).to_be_focused()
    expect(page.locator("#study-progress")).to_contain_text("2 answered · 1 skipped")
    _settled(page)
    page.get_by_role("button", name="Show answer").click()
    _expect_feedback(page, 3, "Answer shown")
    expect(page.locator("#study-status")).to_have_text("Answer shown: question 3 stays unanswered.")

    # 4: bookmark it and write a note on the card, then answer it right; both stay on the card.
    _next(page, 3, 5)
    q4 = _question_id(page)
    studied.append(q4)
    _mark_page(page)
    page.get_by_role("button", name="Bookmark", exact=True).click()
    bookmarked = page.get_by_role("button", name="Bookmarked", exact=True)
    expect(bookmarked).to_have_attribute("aria-pressed", "true", timeout=SWAP_TIMEOUT)
    expect(page.locator("#bookmark-count")).to_have_text("Bookmarks (1)")
    _settled(page)
    page.get_by_role("button", name="Add a private note").click()
    body = page.get_by_label("Private note")
    expect(body).to_be_focused(timeout=SWAP_TIMEOUT)
    body.fill(NOTE)
    page.get_by_role("button", name="Save note").click()
    expect(page.locator(f"#note-{q4} .note-body")).to_have_text(NOTE, timeout=SWAP_TIMEOUT)
    expect(page.locator(f"#note-{q4}")).to_contain_text("Note saved.")
    _settled(page)
    page.locator(f'label[for="choice-{_choice(app, q4, correct=True)}"]').click()
    page.get_by_role("button", name="Check answer").click()
    _expect_feedback(page, 4, "Correct")
    expect(bookmarked).to_have_attribute("aria-pressed", "true")
    expect(page.locator(f"#note-{q4} .note-body")).to_have_text(NOTE)
    latest[q4] = True

    # 5: wrong, by the choice's letter key and Enter.
    _next(page, 4, 5)
    q5 = _question_id(page)
    studied.append(q5)
    _mark_page(page)
    page.keyboard.press("ABCDEF"[int(_key_of(page, _choice(app, q5, correct=False))) - 1].lower())
    page.keyboard.press("Enter")
    _expect_feedback(page, 5, "Wrong")
    latest[q5] = False

    # The summary, then Finish (one study session at a time: the retry below needs it closed).
    _settled(page)
    page.keyboard.press("n")
    expect(page.get_by_role("heading", name="End this study session?")).to_be_visible(timeout=SWAP_TIMEOUT)
    summary = page.locator("#study-summary")
    for name, value in (("Viewed", "5 of 5"), ("Answered", "4"), ("Right", "2"), ("Skipped", "1")):
        expect(summary.locator("div", has=page.get_by_text(name, exact=True)).locator("dd")).to_have_text(value)
    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_role("heading", name="Study session summary")).to_be_visible()
    assert len(set(studied)) == 5

    # Two earlier bookmarks tagged "ports" and one tagged otherwise, on questions not studied.
    others = [questions[qid] for qid in questions if qid not in studied]
    for question, tag in zip(others, ("ports", "ports", "later")):
        gen_bookmark(app, user, question, tags=[tag])
    x1, x2 = others[0].id, others[1].id

    # Tag the bookmark on the bookmarks page, filter by the tag: the URL is pushed, a reload keeps it.
    page.locator("#bookmark-count").click()
    expect(page.get_by_role("heading", name="Bookmarks", exact=True)).to_be_visible()
    expect(page.locator(".bookmark-item")).to_have_count(4)
    item = page.locator(f"#bookmark-{q4}")
    expect(item.locator(".note-body")).to_have_text(NOTE)
    item.get_by_role("button", name="Add tags").click()
    item.get_by_label("Tags", exact=True).fill("ports")
    item.get_by_role("button", name="Save tags").click()
    expect(item.locator(".user-tag")).to_have_text(["ports"], timeout=SWAP_TIMEOUT)
    expect(item.get_by_role("status")).to_have_text("Tags saved.")
    _settled(page)
    _mark_page(page)
    page.get_by_label("Tag", exact=True).select_option("ports")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"/bookmarks\?(.*&)?tag=ports(&|$)"), timeout=SWAP_TIMEOUT)
    expect(page.locator(".bookmark-item")).to_have_count(3)
    expect(page.locator("#bookmark-status")).to_have_text("3 bookmarks match these filters.")
    assert _same_page(page), "the filter reloaded the page"
    _settled(page)
    page.reload()
    expect(page.get_by_label("Tag", exact=True)).to_have_value("ports")
    expect(page.locator(".bookmark-item")).to_have_count(3)
    ids = {int(i.split("-")[1]) for i in page.locator(".bookmark-item").evaluate_all("els => els.map(e => e.id)")}
    assert ids == {q4, x1, x2}

    # Quiz me on these: a practice quiz of the three; one wrong, one right, one left blank.
    page.get_by_role("button", name="Quiz me on these").click()
    expect(page.get_by_role("heading", name="Question 1 of 3")).to_be_visible(timeout=SWAP_TIMEOUT)
    plan = {q4: False, x1: True, x2: None}
    for number in (1, 2, 3):
        qid = _question_id(page)
        if plan[qid] is not None:
            page.locator(f'label[for="choice-{_choice(app, qid, correct=plan[qid])}"]').click()
            expect(page.locator(f"#nav-cell-{number}")).to_have_class(re.compile(r"\bis-answered\b"))
        latest[qid] = bool(plan[qid])  # a blank quiz answer counts as wrong
        _settled(page)
        if number < 3:
            page.get_by_role("button", name="Next →", exact=True).click()
            expect(page.get_by_role("heading", name=f"Question {number + 1} of 3")).to_be_visible(timeout=SWAP_TIMEOUT)
    page.get_by_role("button", name="Review and submit").click()
    expect(page.get_by_text("1 unanswered")).to_be_visible()
    page.get_by_role("button", name="Submit and see my score").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quiz complete")
    expect(page.get_by_text("1 of 3 correct")).to_be_visible()

    # Study the ones I missed: a new study session of exactly the questions last answered wrong.
    missed = {qid for qid, right in latest.items() if not right}
    assert missed == {q1, q5, q4, x2}
    page.get_by_role("button", name="Study the ones I missed").click()
    expect(page.get_by_role("heading", name=f"Question 1 of {len(missed)}")).to_be_visible(timeout=SWAP_TIMEOUT)
    source, drawn = _latest_study(app, user.id)
    assert (source, drawn) == (QuestionSource.MISSED.value, missed)
    assert errors == []


def test_without_javascript_study_answers_come_as_a_full_page_and_bookmarks_use_plain_forms(
        browser: Browser, live_url, app):
    """With JavaScript off, Check answer returns the page with the explanation; Bookmark and the note save by plain form."""
    exam, _questions = _bank(app, "study-nojs")
    gen_user(app, username="studynojs")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    _sign_in(page, live_url, "studynojs")
    _start_study(page, live_url, exam.slug)
    qid = _question_id(page)
    question_url = page.url
    expect(page.locator(".keyboard-help")).to_be_hidden()  # no script, no shortcuts: no help line for them

    page.locator(f'label[for="choice-{_choice(app, qid, correct=True)}"]').click()
    page.get_by_role("button", name="Check answer").click()
    expect(page.get_by_role("heading", name="Question 1 of 5")).to_be_visible()
    expect(page.locator("#feedback-heading-1")).to_have_text("Correct")
    expect(page.locator("#study-status")).to_have_text("Correct.")
    expect(page.locator("#study-progress")).to_contain_text("1 answered · 0 skipped")
    expect(page.locator(".study-feedback .explanation")).to_contain_text("Because.")

    page.get_by_role("button", name="Bookmark", exact=True).click()
    expect(page).to_have_url(f"{question_url}#bookmark-toggle-{qid}")
    expect(page.get_by_text("Bookmarked.", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Bookmarked", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#bookmark-count")).to_have_text("Bookmarks (1)")
    expect(page.locator("#feedback-heading-1")).to_have_text("Correct")

    page.get_by_role("button", name="Add a private note").click()
    expect(page.get_by_role("heading", name="Your private note")).to_be_visible()
    page.get_by_label("Private note").fill(NOTE)
    page.get_by_role("button", name="Save note").click()
    expect(page).to_have_url(f"{question_url}#note-{qid}")
    expect(page.locator(f"#note-{qid} .note-body")).to_have_text(NOTE)
    expect(page.get_by_role("button", name="Edit note")).to_be_visible()
    context.close()


HANDSHAKE = ["The client sends a SYN with its initial sequence number",
             "The server replies with a SYN-ACK that acknowledges the client's sequence number",
             "The client sends an ACK, completing the handshake",
             "The client sends a segment carrying the HTTP request"]


def test_phone_layout_of_study_feedback_and_bookmarks_keeps_to_the_screen(page: Page, live_url, app):
    """At 390 px End session stays beside the progress line; ordering feedback and bookmarked exhibits fit."""
    exam = gen_exam(app, slug="study-phone")
    ordering = gen_ordering_question(app, exam, objective="1.1")
    with app.app_context():
        for choice, text in zip(db.session.get(Question, ordering.id).choices, HANDSHAKE):
            choice.text = text
        db.session.commit()
    exhibits = [gen_question(app, exam, objective="1.2", exhibit=WIDE_TEXT) for _ in range(4)]
    user = gen_user(app, username="studyphone")
    page.set_viewport_size({"width": 390, "height": 844})
    _sign_in(page, live_url, "studyphone")
    _start_study(page, live_url, exam.slug)
    end = page.get_by_role("link", name="End session").bounding_box()
    position = page.locator("#study-progress").bounding_box()
    assert end["height"] < 50, "End session wrapped onto two lines"
    assert end["y"] < position["y"] + position["height"] and position["y"] < end["y"] + end["height"], \
        "End session went under the progress line: the sticky bar takes two rows"
    for number in range(1, 6):
        page.goto(f"{page.url.rsplit('/q/', 1)[0]}/q/{number}")
        if page.locator(".pbq-ordering").count():
            break
    page.get_by_role("button", name="Check answer").click()
    expect(page.locator(".study-feedback .pbq-review")).to_be_visible(timeout=SWAP_TIMEOUT)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    for question in exhibits[:2]:
        gen_bookmark(app, user, question, tags=["ports"])
    page.goto(live_url + "/bookmarks")
    expect(page.locator(".bookmark-item figure.exhibit")).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = page.locator(".bookmark-item").first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390

"""Spaced review in a real browser: answer five questions in study mode with confidence ratings
(the keyboard's S and G), see no review due yet, move the app's clock two days on, see "2 reviews
due" on the dashboard and the exam page, press "Review now", review one, and see the count drop.
Screenshots of both pages at 1280x800 and 390x844 go to /tmp/shots-reviews/."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.test_pbq import _settled
from tests.factories import DEFAULT_PASSWORD, choice_ids, gen_user
from tests.learning.helpers import small_exam
from webapp.extensions import db
from webapp.models import QuizMode
from webapp.models.base import travel_clock

SWAP_TIMEOUT = 15_000
SHOTS = Path("/tmp/shots-reviews")
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


def _question_id(page: Page) -> int:
    """The id of the question on screen, read from its bookmark toggle."""
    return int(page.locator(".bookmark-toggle").first.get_attribute("id").rsplit("-", 1)[1])


def _choice(app, question_id: int, correct: bool) -> int:
    with app.app_context():
        return choice_ids(question_id, correct)[0]


def _answer(page: Page, app, number: int, total: int, correct: bool, confidence_key: str) -> None:
    """Answer the question on screen by keyboard: the choice's digit, the confidence key, Enter."""
    expect(page.get_by_role("heading", name=f"Question {number} of {total}")).to_be_visible(timeout=SWAP_TIMEOUT)
    _settled(page)
    # The shortcuts exist once the deferred study.js has run, which shows their help: on a page
    # just loaded, a key pressed before that does nothing.
    expect(page.locator(".keyboard-help")).to_be_visible()
    choice = _choice(app, _question_id(page), correct)
    page.keyboard.press(page.locator(f"#choice-{choice}").get_attribute("data-key"))
    expect(page.locator(f"#choice-{choice}")).to_be_checked()
    page.keyboard.press(confidence_key)
    page.keyboard.press("Enter")
    expect(page.locator(f"#feedback-heading-{number}")).to_have_text("Correct" if correct else "Wrong",
                                                                      timeout=SWAP_TIMEOUT)


def _sign_in_remembered(page: Page, live_url: str, username: str) -> None:
    """Sign in with "Keep me signed in": a sign-in for the day lasts 12 hours, less than the clock travels."""
    page.goto(live_url + "/auth/login")
    page.get_by_label("Email or username").fill(username)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_label(re.compile("^Keep me signed in")).check()
    page.get_by_role("button", name="Sign in").click()


def _finish(page: Page) -> None:
    _settled(page)
    page.keyboard.press("n")
    expect(page.get_by_role("heading", name="End this study session?")).to_be_visible(timeout=SWAP_TIMEOUT)
    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_role("heading", name="Study session summary")).to_be_visible()


def _shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.locator("#reviews-due").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"{name}-{size}.png"))
        page.screenshot(path=str(SHOTS / f"{name}-{size}-full.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_answer_travel_see_reviews_due_and_review_them(page: Page, live_url, app):
    """Study 5 (3 sure and right, 2 guessed and wrong), nothing due; 2 days on, 2 due; review one, 1 due."""
    exam, _ids = small_exam(app, slug="spaced")
    with app.app_context():
        name = db.session.get(type(exam), exam.id).name
    gen_user(app, username="reviewer", timezone="Europe/London")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    _sign_in_remembered(page, live_url, "reviewer")
    reviews = page.locator("#reviews-due")
    expect(reviews).to_contain_text("Reviews appear here once you answer questions")

    page.goto(f"{live_url}/exams/{exam.slug}")
    page.get_by_role("radio", name=re.compile(f"^{QuizMode.STUDY.label}")).check()
    page.get_by_label("Number of questions").fill("5")
    page.get_by_role("button", name="Start", exact=True).click()
    for number, correct in enumerate((True, False, True, False, True), start=1):
        if number > 1:
            _settled(page)
            page.keyboard.press("n")
        _answer(page, app, number, 5, correct, "s" if correct else "g")
        if number == 1:
            expect(page.get_by_text("You were sure.")).to_be_visible()
    _finish(page)

    page.goto(live_url + "/")
    expect(reviews).to_contain_text(f"{name}: no review due. Next review due")
    expect(reviews.get_by_role("button", name="Review now")).to_have_count(0)
    try:
        travel_clock(timedelta(days=2))
        page.reload()
        expect(reviews).to_contain_text(f"{name}: 2 reviews due of 5 questions you have answered")
        _shoot(page, "dashboard")
        page.goto(f"{live_url}/exams/{exam.slug}")
        expect(page.locator("#reviews-due")).to_contain_text("2 reviews due")
        _shoot(page, "exam-page")

        page.goto(live_url + "/")
        reviews.get_by_role("button", name="Review now").click()
        _answer(page, app, 1, 2, True, "s")
        _settled(page)
        page.keyboard.press("n")
        expect(page.get_by_role("heading", name="Question 2 of 2")).to_be_visible(timeout=SWAP_TIMEOUT)
        page.get_by_role("link", name="End session").click()  # the second one stays due
        expect(page.get_by_role("heading", name="End this study session?")).to_be_visible(timeout=SWAP_TIMEOUT)
        page.get_by_role("button", name="Finish").click()
        expect(page.get_by_role("heading", name="Study session summary")).to_be_visible()
        page.goto(live_url + "/")
        expect(reviews).to_contain_text(f"{name}: 1 review due of 5 questions you have answered")
        expect(reviews.get_by_role("button", name="Review now")).to_have_count(1)
    finally:
        travel_clock(timedelta(0))
    assert errors == []

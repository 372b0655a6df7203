"""Follow a recommendation in a real browser (issue 14): the dashboard's "Recommended for you"
card, press the first button, and the quiz it names opens; the same with JavaScript off."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_quiz import _sign_in
from tests.factories import gen_user
from tests.recommendations.helpers import bank, weak_history

SWAP_TIMEOUT = 15_000


def _follow_first(page: Page, live_url: str, username: str) -> None:
    _sign_in(page, live_url, username)
    page.goto(live_url + "/")
    card = page.locator("#recommendations")
    expect(card.get_by_role("heading", name="Recommended for you")).to_be_visible()
    card.locator(".recommendation-start button").first.click()
    expect(page).to_have_url(re.compile(r"/quizzes/\d+/q/1$"), timeout=SWAP_TIMEOUT)
    expect(page.get_by_role("heading", name=re.compile(r"^Question 1 of \d+"))).to_be_visible()


def test_follow_a_recommendation(page: Page, live_url, app):
    """A learner weak on 1.1 presses the first recommendation and its practice quiz's first question opens."""
    _, questions = bank(app, slug="rec-exam")
    weak_history(app, gen_user(app, username="recbrowser"), questions)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _follow_first(page, live_url, "recbrowser")
    assert errors == []


def test_follow_the_diagnostic_without_javascript(browser: Browser, live_url, app):
    """With JavaScript off, a new learner's diagnostic button opens a 10-question quiz."""
    bank(app, slug="rec-nojs")
    gen_user(app, username="recnojs")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    _follow_first(page, live_url, "recnojs")
    expect(page.get_by_role("heading", name="Question 1 of 10")).to_be_visible()
    context.close()

"""Daily goals in a real browser: set a goal of 10 on the goals page, answer 10 questions in study
mode and watch the navigation meter fill after each answer without a page load, "Goal reached"
said once; and the goals page and widget at phone width."""

from __future__ import annotations

from datetime import date, timedelta

import os
import re
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_pbq import _settled
from tests.e2e.test_quiz import _sign_in
from tests.e2e.test_study import SWAP_TIMEOUT, _bank, _choice, _mark_page, _next, _question_id, _same_page, _start_study
from tests.factories import gen_user

# Screenshots for review go to GOAL_SHOTS_DIR (default: a folder in the system temp directory).
SHOTS = Path(os.environ.get("GOAL_SHOTS_DIR") or Path(tempfile.gettempdir()) / "certquest-goal-shots")


def _set_goal(page: Page, live_url: str, target: int) -> None:
    page.goto(f"{live_url}/goals")
    page.get_by_role("group", name="Questions a day").get_by_label("Daily target").fill(str(target))
    page.get_by_role("group", name="Questions a day").get_by_role("button", name=re.compile("^(Set|Replace) goal$")).click()
    expect(page.get_by_text("Goal saved.")).to_be_visible()


def test_the_meter_fills_while_studying_and_says_goal_reached_once(page: Page, live_url, app):
    """Goal of 10; ten study answers each move the meter in place (same document); the tenth says
    "Goal reached!" once: the next page shows the day as met without saying it again."""
    exam, _questions = _bank(app, "goal-flow")
    gen_user(app, username="goalie")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, live_url, "goalie")
    _set_goal(page, live_url, 10)
    meter = page.locator("#goal-meter")
    expect(meter).to_contain_text("0/10")
    _start_study(page, live_url, exam.slug, count=10)
    for number in range(1, 11):
        if number > 1:
            _next(page, number - 1, 10)
        _mark_page(page)
        question = _question_id(page)
        page.locator(f'label[for="choice-{_choice(app, question, correct=number % 3 != 0)}"]').click()
        page.get_by_role("button", name="Check answer").click()
        expect(page.locator(f"#feedback-heading-{number}")).to_be_visible(timeout=SWAP_TIMEOUT)
        expect(meter).to_contain_text(f"{number}/10", timeout=SWAP_TIMEOUT)
        assert _same_page(page), f"answer {number}: the meter moved with a page load"
        if number < 10:
            expect(meter).not_to_contain_text("Goal reached")
    expect(meter.get_by_role("status")).to_have_text("Goal reached!")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / "study-goal-reached-1280.png"))
    _settled(page)
    page.wait_for_load_state("networkidle")  # the meter's POST that records the announcement
    page.goto(live_url + "/")
    expect(page.locator("#goal-widget")).to_contain_text("Done for today.")
    expect(page.locator("#goal-widget")).to_contain_text("10 of 10 questions")
    expect(page.get_by_text("Goal reached")).to_have_count(0)
    expect(page.locator("#goal-meter .goal-meter-link.is-met")).to_be_visible()
    page.locator("#goal-widget").screenshot(path=str(SHOTS / "goal-widget-met-1280.png"))
    assert not errors, errors


def test_goals_page_and_widget_screenshots(browser: Browser, live_url, app):
    """The goals page and the dashboard widget render at 1280x800 and at 390x844 without sideways
    scrolling (screenshots are written for review)."""
    exam, _questions = _bank(app, "goal-shots")
    gen_user(app, username="goalshots")
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1280, 800), (390, 844)):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        _sign_in(page, live_url, "goalshots")
        _set_goal(page, live_url, 10)
        page.get_by_label("Exam", exact=True).select_option(exam.slug)
        page.get_by_role("textbox", name="Exam date").fill((date.today() + timedelta(days=60)).isoformat())
        page.get_by_role("button", name="Save exam date").click()
        expect(page.get_by_text("Exam date saved.")).to_be_visible()
        page.screenshot(path=str(SHOTS / f"goals-page-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.goto(live_url + "/")
        expect(page.locator("#goal-widget")).to_contain_text("10 more questions to reach today's goal.")
        page.locator("#goal-widget").screenshot(path=str(SHOTS / f"goal-widget-{width}.png"))
        page.screenshot(path=str(SHOTS / f"dashboard-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        context.close()

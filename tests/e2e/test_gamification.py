"""Finishing a quiz updates the navbar XP without a reload and shows the achievement toast."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.factories import DEFAULT_PASSWORD, gen_bank, gen_user

SHOTS = Path(__file__).resolve().parents[2] / "test-results"


def test_xp_badge_and_toast_after_submit(page: Page, live_url, app):
    """Submit through htmx: the XP badge changes in place and "First steps" appears as a toast."""
    exam = gen_bank(app, per_objective=4, slug="xp-exam")
    gen_user(app, username="xpclimber")
    page.goto(live_url + "/auth/login")
    page.get_by_label("Email or username").fill("xpclimber")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#xp-badge")).to_contain_text("0 XP")

    page.goto(f"{live_url}/exams/{exam.slug}")
    page.get_by_label("Number of questions").fill("5")
    page.get_by_role("button", name="Start").click()
    for number in range(1, 6):
        expect(page.get_by_role("heading", name=f"Question {number} of 5")).to_be_visible()
        page.locator(".choice", has_text="Choice 0").click()  # the factory's correct choice
        expect(page.locator(f"#nav-cell-{number}")).to_have_class("nav-cell is-answered is-current")
        if number < 5:
            page.keyboard.press("n")
    page.get_by_role("button", name="Review and submit").click()
    page.evaluate("window.__noReload = true")  # survives only if the page is not reloaded
    page.get_by_role("button", name="Submit and see my score").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quiz complete")
    expect(page.locator(".toast", has_text="First steps")).to_contain_text("Achievement unlocked: First steps")
    assert page.evaluate("window.__noReload") is True
    expect(page).to_have_url(f"{live_url}/quizzes/{page.url.split('/quizzes/')[1].split('/')[0]}/result")
    expect(page.locator("#xp-badge")).to_contain_text("50 XP")  # 5 correct answers, no reload
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "result-toast-desktop.png"), full_page=True)

    page.goto(live_url + "/")
    expect(page.get_by_role("heading", name="Welcome back, xpclimber")).to_be_visible()
    page.screenshot(path=str(SHOTS / "dashboard-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SHOTS / "dashboard-phone.png"), full_page=True)
    page.goto(live_url + "/leaderboard")
    expect(page.locator("tr.is-me")).to_contain_text("xpclimber")

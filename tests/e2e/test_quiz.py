"""Taking a practice quiz in a real browser: click, keyboard, reload, mark, submit, review."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.factories import DEFAULT_PASSWORD, gen_bank, gen_user

SHOTS = Path(__file__).resolve().parents[2] / "test-results"


def _sign_in(page: Page, live_url: str, username: str) -> None:
    page.goto(live_url + "/auth/login")
    page.get_by_label("Email or username").fill(username)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_practice_quiz_flow(page: Page, live_url, app):
    """Start 5 questions, answer by click and keyboard, reload, mark one, submit and review."""
    exam = gen_bank(app, per_objective=4, slug="browser-exam")
    gen_user(app, username="quizbrowser")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    _sign_in(page, live_url, "quizbrowser")

    page.goto(f"{live_url}/exams/{exam.slug}")
    page.get_by_label("Number of questions").fill("5")
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_role("heading", name="Question 1 of 5")).to_be_visible()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "quiz-question-desktop.png"), full_page=True)

    # 1: answer by clicking; the navigator cell turns answered without a page load.
    page.locator(".choice").nth(1).click()
    expect(page.locator("#nav-cell-1")).to_have_class("nav-cell is-answered is-current")
    # 2: move with N, answer with the keyboard (B), mark with M.
    page.keyboard.press("n")
    expect(page.get_by_role("heading", name="Question 2 of 5")).to_be_visible()
    page.keyboard.press("b")
    expect(page.locator("#nav-cell-2")).to_have_class("nav-cell is-answered is-current")
    page.keyboard.press("m")
    expect(page.locator("#mark-control button")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#nav-cell-2")).to_have_class("nav-cell is-answered is-marked is-current")
    # 3: answer with the digit key.
    page.keyboard.press("n")
    expect(page.get_by_role("heading", name="Question 3 of 5")).to_be_visible()
    page.keyboard.press("3")
    expect(page.locator("#nav-cell-3")).to_have_class("nav-cell is-answered is-current")

    # Reload in the middle: every answer and the mark are still there.
    page.reload()
    expect(page.get_by_role("heading", name="Question 3 of 5")).to_be_visible()
    expect(page.locator('input[name="choice"]:checked')).to_have_count(1)
    expect(page.locator("#nav-cell-1")).to_have_class("nav-cell is-answered")
    expect(page.locator("#nav-cell-2")).to_have_class("nav-cell is-answered is-marked")
    page.keyboard.press("p")
    expect(page.get_by_role("heading", name="Question 2 of 5")).to_be_visible()
    expect(page.locator('input[name="choice"][data-key="2"]')).to_be_checked()

    page.get_by_role("link", name="Review and submit").click()
    expect(page.get_by_text("2 unanswered")).to_be_visible()
    expect(page.get_by_text("1 marked for review")).to_be_visible()
    page.get_by_role("button", name="Submit and see my score").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quiz complete")
    page.screenshot(path=str(SHOTS / "quiz-result-desktop.png"), full_page=True)

    page.get_by_role("link", name="Review answers and explanations").click()
    expect(page.locator(".review-item")).to_have_count(5)
    page.get_by_role("link", name="Marked only").click()
    expect(page.locator(".review-item")).to_have_count(1)
    expect(page.get_by_role("link", name="Marked only")).to_have_attribute("aria-current", "page")
    expect(page).to_have_url(f"{live_url}/quizzes/{page.url.split('/quizzes/')[1].split('/')[0]}/review?show=marked")
    expect(page.locator(".review-item .explanation")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SHOTS / "quiz-review-phone.png"), full_page=True)
    assert errors == []

"""Taking a practice quiz in a real browser: click, keyboard, reload, mark, submit, review."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.factories import DEFAULT_PASSWORD, gen_bank, gen_exam, gen_multiple_question, gen_user

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

    page.get_by_role("button", name="Review and submit").click()
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


def _start_quiz(page: Page, live_url: str, slug: str, count: int = 5) -> None:
    page.goto(f"{live_url}/exams/{slug}")
    page.get_by_label("Number of questions").fill(str(count))
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_role("heading", name=f"Question 1 of {count}")).to_be_visible()


def _in_viewport(page: Page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    viewport = page.viewport_size
    return bool(box) and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"] and \
        box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]


def test_third_tick_on_choose_two_is_undone_with_the_reason_beside_the_choices(page: Page, live_url, app):
    """On a phone, a third tick on "Choose two" leaves the two saved boxes ticked and says why, on screen, by the choices."""
    exam = gen_exam(app, slug="multi-browser")
    for _ in range(5):
        gen_multiple_question(app, exam, objective="2.1")
    gen_user(app, username="ticker")
    page.set_viewport_size({"width": 390, "height": 844})
    _sign_in(page, live_url, "ticker")
    _start_quiz(page, live_url, exam.slug)
    boxes = page.locator('input[name="choice"]')
    status = page.locator("#choice-status")
    expect(status).to_have_text("0 of 2 chosen")
    for index in range(3):
        page.locator(".choice").nth(index).click()
    expect(status).to_have_text("Choose 2 — untick one first (2 of 2 chosen)")
    expect(page.locator('input[name="choice"]:checked')).to_have_count(2)
    expect(boxes.nth(2)).not_to_be_checked()
    expect(page.locator("#alert-region")).to_have_text("")
    assert _in_viewport(page, "#choice-status")
    fieldset, message = page.locator("#choices-1").bounding_box(), status.bounding_box()
    assert 0 <= message["y"] - (fieldset["y"] + fieldset["height"]) < 40  # right under the choices

    page.reload()  # what the page showed is what the server saved
    expect(page.locator('input[name="choice"]:checked')).to_have_count(2)
    expect(boxes.nth(0)).to_be_checked()
    expect(boxes.nth(1)).to_be_checked()
    page.locator(".choice").nth(0).click()
    expect(status).to_have_text("1 of 2 chosen")
    page.locator(".choice").nth(2).click()
    expect(status).to_have_text("2 of 2 chosen")
    expect(page.locator("#nav-cell-1")).to_have_class("nav-cell is-answered is-current")


def test_focus_moves_to_the_question_heading_after_each_question_swap(page: Page, live_url, app):
    """Next, P and the navigator put focus on the new question's heading; saving an answer leaves focus on the choice."""
    exam = gen_bank(app, per_objective=4, slug="focus-exam")
    gen_user(app, username="focuser")
    _sign_in(page, live_url, "focuser")
    _start_quiz(page, live_url, exam.slug)
    heading = page.locator("#question-heading")
    page.locator(".choice").nth(1).click()
    expect(page.locator("#choice-status")).to_have_text("Answer saved")
    expect(page.locator('input[name="choice"]').nth(1)).to_be_focused()
    page.get_by_role("button", name="Next →", exact=True).click()
    expect(heading).to_have_text("Question 2 of 5")
    expect(heading).to_be_focused()
    page.keyboard.press("p")
    expect(heading).to_have_text("Question 1 of 5")
    expect(heading).to_be_focused()
    page.locator("#nav-cell-4 button").click()
    expect(heading).to_have_text("Question 4 of 5")
    expect(heading).to_be_focused()
    expect(page).to_have_url(f"{page.url.rsplit('/q/', 1)[0]}/q/4")
    expect(page.locator("#nav-cell-1")).to_have_class("nav-cell is-answered")


def test_phone_layout_keeps_timer_and_controls_in_reach_and_stacks_tables(page: Page, live_url, app):
    """At 390×844 the stem and first choices show on arrival, timer and Next/End stay on screen, history rows stack."""
    exam = gen_bank(app, per_objective=4, slug="phone-exam")
    gen_user(app, username="phoner")
    page.set_viewport_size({"width": 390, "height": 844})
    _sign_in(page, live_url, "phoner")
    _start_quiz(page, live_url, exam.slug, count=12)
    assert _in_viewport(page, ".stem")
    assert _in_viewport(page, ".choice >> nth=0") and _in_viewport(page, ".choice >> nth=1")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    expect(page.locator("#nav-cell-12")).to_be_in_viewport()
    for selector in ("#countdown", '.quiz-bar [data-key="next"]', '.quiz-bar button[value="end"]'):
        assert _in_viewport(page, selector), selector
    page.locator('.quiz-bar [data-key="next"]').click()
    expect(page.get_by_role("heading", name="Question 2 of 12")).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.goto(live_url + "/quizzes")
    wrap = page.locator(".table-wrap")
    assert wrap.evaluate("el => el.scrollWidth <= el.clientWidth")
    cell = page.locator('td[data-label="Status"]').first
    assert _in_viewport(page, 'td[data-label="Status"] >> nth=0')
    assert cell.evaluate("el => getComputedStyle(el, '::before').content") == '"Status"'
    assert page.locator("table thead").evaluate("el => el.getBoundingClientRect().height") <= 1


def test_without_javascript_leaving_a_question_keeps_what_is_ticked(browser: Browser, live_url, app):
    """With JavaScript off, a tick followed by Next, the navigator, Previous or Mark is saved; End quiz asks first."""
    exam = gen_bank(app, per_objective=4, slug="nojs-exam")
    gen_user(app, username="nojs")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    _sign_in(page, live_url, "nojs")
    _start_quiz(page, live_url, exam.slug)
    page.locator(".choice").nth(1).click()
    page.get_by_role("button", name="Next →", exact=True).click()
    expect(page.get_by_role("heading", name="Question 2 of 5")).to_be_visible()
    page.locator(".choice").nth(2).click()
    page.get_by_role("button", name="Question 4, unanswered").click()
    expect(page.get_by_role("heading", name="Question 4 of 5")).to_be_visible()
    page.locator(".choice").nth(0).click()
    page.get_by_role("button", name="← Previous", exact=True).click()
    expect(page.get_by_role("heading", name="Question 3 of 5")).to_be_visible()
    for number in (1, 2, 4):
        expect(page.locator(f"#nav-cell-{number}")).to_have_class("nav-cell is-answered")
    page.locator(".choice").nth(3).click()
    page.locator('[data-key="mark"]').click()
    expect(page.locator('[data-key="mark"]')).to_have_attribute("aria-pressed", "true")
    expect(page.locator('input[name="choice"]').nth(3)).to_be_checked()
    page.get_by_role("button", name="End quiz").click()
    expect(page.get_by_role("heading", name="End this quiz?")).to_be_visible()
    expect(page.get_by_text("4 of 5 answered")).to_be_visible()
    page.get_by_role("button", name="Abandon quiz").click()
    expect(page).to_have_url(f"{live_url}/exams/{exam.slug}")
    context.close()

"""Readiness in a real browser: answer in study mode with confidence ratings, watch the exam page's
"missing" list shrink, see the estimate appear once every domain has the minimum, and its mastery
bars; then screenshots of the dashboard, the exam page and /progress at desktop and phone sizes."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_pbq import _settled
from tests.e2e.test_quiz import _sign_in
from tests.factories import choice_ids, gen_exam, gen_question, gen_user
from webapp.models import Confidence, QuizMode

SWAP_TIMEOUT = 15_000
MINIMUM = 3  # READINESS_MIN_ANSWERS for this test: six answers reach it instead of thirty
SHOTS = Path("/tmp/shots-mastery")


def _answer(page: Page, app, number: int, total: int, right: bool) -> None:
    """Answer question `number` of the open study session (sure when right, guessed when wrong), then go on."""
    question_id = int(page.locator(".bookmark-toggle").first.get_attribute("id").rsplit("-", 1)[1])
    with app.app_context():
        choice = choice_ids(question_id, right)[0]
    page.locator(f'label[for="choice-{choice}"]').click()
    confidence = Confidence.SURE if right else Confidence.GUESSED
    page.get_by_role("radio", name=confidence.label, exact=True).check()
    page.get_by_role("button", name="Check answer").click()
    expect(page.locator(f"#feedback-heading-{number}")).to_be_visible(timeout=SWAP_TIMEOUT)
    if number < total:
        _settled(page)
        page.keyboard.press("n")
        expect(page.get_by_role("heading", name=f"Question {number + 1} of {total}")).to_be_visible(
            timeout=SWAP_TIMEOUT)


def test_missing_shrinks_then_readiness_appears(page: Page, live_url, app, browser: Browser):
    """Study 3 then 3 more: the exam page lists fewer answers missing, then shows 'likely to pass today'."""
    exam = gen_exam(app, slug="ready-flow")
    for code in ("1.1", "1.1", "1.2", "2.1", "2.1", "2.1"):  # three questions in each domain
        gen_question(app, exam, objective=code)
    gen_user(app, username="readier")
    minimum = app.config["READINESS_MIN_ANSWERS"]
    app.config["READINESS_MIN_ANSWERS"] = MINIMUM
    try:
        _sign_in(page, live_url, "readier")
        page.goto(f"{live_url}/exams/{exam.slug}")
        readiness = page.locator(f"#readiness-{exam.slug}")
        expect(readiness).to_contain_text("No estimate yet.")
        expect(readiness).to_contain_text(f"Answer {MINIMUM} more in 1.0 Foundations")
        expect(readiness).to_contain_text(f"Answer {MINIMUM} more in 2.0 Operations")

        page.get_by_role("radio", name=re.compile(f"^{QuizMode.STUDY.label}")).check()
        page.get_by_label("Number of questions").fill("6")
        page.get_by_role("button", name="Start", exact=True).click()
        expect(page.get_by_role("heading", name="Question 1 of 6")).to_be_visible(timeout=SWAP_TIMEOUT)
        for number in (1, 2, 3):
            _answer(page, app, number, 6, right=number != 2)
        study_url = page.url  # question 4, where the learner comes back to

        page.goto(f"{live_url}/exams/{exam.slug}")
        text = readiness.inner_text()
        needed = sum(int(n) for n in re.findall(r"Answer (\d+) more in", text))
        assert 0 < needed < 2 * MINIMUM, text  # three answers counted, the estimate not yet there
        expect(readiness).to_contain_text("No estimate yet.")

        page.goto(study_url)
        expect(page.get_by_role("heading", name="Question 4 of 6")).to_be_visible(timeout=SWAP_TIMEOUT)
        for number in (4, 5, 6):
            _answer(page, app, number, 6, right=True)

        page.goto(f"{live_url}/exams/{exam.slug}")
        expect(readiness).to_contain_text(re.compile(r"About \d+% likely to pass today \(\d+–\d+%\)"))
        expect(readiness).to_contain_text("An estimate, not a promise")
        expect(readiness.locator(".readiness-missing")).to_have_count(0)
        bars = page.locator(f"#mastery-{exam.slug} .mastery-item")
        expect(bars).to_have_count(3)
        expect(bars.last).to_contain_text("3 answers")

        SHOTS.mkdir(parents=True, exist_ok=True)
        for width, height in ((1280, 800), (390, 844)):
            context = browser.new_context(viewport={"width": width, "height": height},
                                          storage_state=page.context.storage_state())
            shot = context.new_page()
            for name, path in (("dashboard", "/"), ("exam", f"/exams/{exam.slug}"), ("progress", "/progress")):
                shot.goto(live_url + path)
                expect(shot.locator(".readiness, .mastery").first).to_be_visible()
                overflow = shot.evaluate("document.documentElement.scrollWidth - "
                                         "document.documentElement.clientWidth")
                assert overflow <= 0, f"{name} at {width}px scrolls sideways by {overflow}px"
                shot.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
            context.close()
    finally:
        app.config["READINESS_MIN_ANSWERS"] = minimum

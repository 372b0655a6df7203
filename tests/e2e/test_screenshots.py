"""The README's screenshots, taken by the Playwright suite from the bundled bank and a learner
with a few weeks of history: the dashboard, the exam page, a study question with its
explanation, a quiz result and /progress, at 1280x800 (the dashboard also at 390x844).

Every run checks that the pages render without a console error; `UPDATE_SCREENSHOTS=1` also
writes the images to docs/img/ (commit them), otherwise they go to test-results/.
"""

from __future__ import annotations

import os
import random
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from config import ROOT
from tests.e2e.test_quiz import _sign_in
from tests.e2e.test_study import SWAP_TIMEOUT, _start_study
from tests.factories import gen_learning_rows, gen_scored_quiz, gen_study_answers, gen_user
from webapp.extensions import db
from webapp.models import Exam, Objective, Question
from webapp.models.base import utcnow
from webapp.questions.bank import load_bundled_bank_if_empty

SHOTS = ROOT / "docs" / "img" if os.environ.get("UPDATE_SCREENSHOTS") == "1" else ROOT / "test-results"
DESKTOP, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}


def _history(app, username: str) -> None:
    """Security+ practice over three weeks: quizzes and study answers on every domain, stronger on
    some than others, then the learner's cards and mastery built from them."""
    user = gen_user(app, username=username)
    rng = random.Random(701)
    with app.app_context():
        exam = db.session.scalar(sa.select(Exam).where(Exam.slug == "security"))
        rows = db.session.execute(sa.select(Question, Objective.code).join(Objective)
                                  .where(Question.exam_id == exam.id, Question.type == "single")
                                  .order_by(Question.id)).all()
        for question, _code in rows:
            db.session.expunge(question)
    strength = {"1": 0.9, "2": 0.7, "3": 0.8, "4": 0.65, "5": 0.85}
    for days_ago in (20, 13, 9, 5, 2, 0):
        picked = rng.sample(rows, 20)
        picked.sort(key=lambda row: rng.random() < strength[row[1][0]])  # the wrong ones first
        right = sum(rng.random() < strength[code[0]] for _q, code in picked)
        gen_scored_quiz(app, user, [q for q, _c in picked], right, utcnow() - timedelta(days=days_ago, hours=3))
    for question, code in rng.sample(rows, 40):
        gen_study_answers(app, user, question, [rng.random() < strength[code[0]]],
                          answered_at=utcnow() - timedelta(days=rng.randint(0, 6)))
    gen_learning_rows(app, user)


def _shot(page: Page, name: str, selector: str | None = None) -> None:
    """The viewport, or one element of the page (`selector`), as docs/img/<name>.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = str(Path(SHOTS) / f"{name}.png")
    if selector:
        page.locator(selector).screenshot(path=path)
    else:
        page.screenshot(path=path, full_page=False)


def test_main_pages_render_and_are_photographed(page: Page, live_url, app):
    """The main pages of a learner with history render without console errors, and are saved as
    the README's screenshots."""
    with app.app_context():
        load_bundled_bank_if_empty()
    _history(app, "screenshots")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.set_viewport_size(DESKTOP)
    _sign_in(page, live_url, "screenshots")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    _shot(page, "dashboard")
    page.set_viewport_size(PHONE)
    _shot(page, "dashboard-phone")
    page.set_viewport_size(DESKTOP)

    page.goto(f"{live_url}/exams/security")
    expect(page.locator("#mastery-security")).to_be_visible()
    _shot(page, "exam-page")
    _shot(page, "readiness", "#readiness-security")
    _shot(page, "mastery", "#mastery-security")

    page.goto(f"{live_url}/progress?exam=security&period=30d")
    expect(page.locator("#chart-scores .js-plotly-plot")).to_be_visible(timeout=15000)
    _shot(page, "progress")

    _start_study(page, live_url, "security", count=5)
    # Skip, then "Show answer": it works for every type (a multiple-answer or ordering question
    # drawn first would need a complete answer to check) and shows the key and the explanation.
    page.get_by_role("button", name="Skip").click()
    page.get_by_role("button", name="Show answer").click()
    expect(page.locator("#feedback-heading-1")).to_be_visible(timeout=SWAP_TIMEOUT)
    _shot(page, "study")
    assert errors == []

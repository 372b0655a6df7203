"""Pacing and the confidence lists in a real browser: a simulation's result (the finish sentence,
the pacing tables, the slow questions) and /progress on one exam (pacing and both lists), at
1280x800 and 390x844 without sideways scrolling; screenshots are written for review. It takes about
30 s: a real 90-question simulation, 70 answers posted, at two widths."""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

import sqlalchemy as sa
from playwright.sync_api import Browser, expect

from tests.e2e.test_quiz import _sign_in
from tests.factories import DEFAULT_PASSWORD, choice_ids, gen_bank, gen_ordering_question, gen_timed_answers, gen_user, login
from webapp.extensions import db
from webapp.models import Answer, AttemptQuestion, Confidence, Question

# Screenshots for review go to PACING_SHOTS_DIR (default: a folder in the system temp directory).
SHOTS = Path(os.environ.get("PACING_SHOTS_DIR") or Path(tempfile.gettempdir()) / "certquest-pacing-shots")


def _simulation(app, slug: str, username: str) -> int:
    """A 90-question simulation with 70 answered in 5,390 s (some slow): it runs out at question 71."""
    client = app.test_client()
    assert login(client, username, DEFAULT_PASSWORD).status_code == 302
    attempt_id = int(client.post("/quizzes", data={"exam": slug, "mode": "exam"}).headers["Location"].split("/")[2])
    rng = random.Random(15)
    with app.app_context():
        rows = list(db.session.execute(sa.select(AttemptQuestion.position, AttemptQuestion.question_id)
                                       .where(AttemptQuestion.attempt_id == attempt_id)
                                       .order_by(AttemptQuestion.position)))
        keys = [choice_ids(qid, correct=rng.random() < 0.75)[0] for _position, qid in rows[:70]]
    for position, key in enumerate(keys):
        client.post(f"/quizzes/{attempt_id}/q/{position + 1}/answer", data={"choice": str(key)})
    assert client.post(f"/quizzes/{attempt_id}/submit").status_code == 302
    seconds = [150 if n % 9 == 4 else 66 for n in range(70)]
    seconds[0] += 5390 - sum(seconds)
    with app.app_context():
        for (_position, qid), spent in zip(rows, seconds):
            db.session.execute(sa.update(Answer).where(Answer.attempt_id == attempt_id, Answer.question_id == qid)
                               .values(time_spent_seconds=spent))
        db.session.commit()
    return attempt_id


def test_simulation_result_and_progress_pacing_screenshots(browser: Browser, live_url, app):
    """A simulation's result says it would have run out at question 71 and flags slow questions;
    /progress on the exam shows pacing and both confidence lists; neither scrolls sideways at 390 px."""
    exam = gen_bank(app, per_objective=36, slug="pacing-shots")
    user = gen_user(app, username="pacingshots")
    attempt_id = _simulation(app, exam.slug, user.username)
    for code in ("1.1", "2.1"):  # after the simulation, which would draw them too
        gen_ordering_question(app, exam, objective=code)
    with app.app_context():
        questions = list(db.session.scalars(sa.select(Question).where(Question.exam_id == exam.id)
                                            .order_by(Question.id.desc()).limit(12)))
        for question in questions:
            db.session.expunge(question)
    ratings = [Confidence.SURE, Confidence.GUESSED, Confidence.UNSURE]
    gen_timed_answers(app, user, [{"question": q, "seconds": (45, 140, 70, 30)[n % 4], "correct": n % 3 != 0,
                                   "confidence": ratings[n % 3].value} for n, q in enumerate(questions)])
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1280, 800), (390, 844)):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        _sign_in(page, live_url, user.username)
        page.goto(f"{live_url}/quizzes/{attempt_id}/result")
        expect(page.locator("#pacing")).to_contain_text("At this pace you would have run out at question 71.")
        expect(page.locator("#pacing")).to_contain_text("Slow")
        page.screenshot(path=str(SHOTS / f"simulation-result-{width}.png"), full_page=True)
        page.locator("#pacing").screenshot(path=str(SHOTS / f"simulation-pacing-{width}.png"))
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.goto(f"{live_url}/progress?period=30d&exam={exam.slug}")
        expect(page.locator("#confidence-lists")).to_contain_text("Confidently wrong")
        expect(page.locator("#pacing")).to_contain_text("By item type")
        page.screenshot(path=str(SHOTS / f"progress-{width}.png"), full_page=True)
        page.locator("#pacing").screenshot(path=str(SHOTS / f"progress-pacing-{width}.png"))
        page.locator("#confidence-lists").screenshot(path=str(SHOTS / f"progress-confidence-{width}.png"))
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        context.close()

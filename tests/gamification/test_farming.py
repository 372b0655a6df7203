"""XP and the leaderboard can't be farmed: blank submits, replayed answer keys, instant quizzes
and quiz-start floods earn no more than honest play of the same questions."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from config import Config
from tests.factories import bearer, choice_ids, gen_bank, gen_token, gen_user, user_in_db
from webapp.extensions import db
from webapp.gamification import services
from webapp.models import Answer, Exam, QuizAttempt, QuizMode, Streak, User, UserAchievement, XpEvent
from webapp.models.base import utcnow
from webapp.quiz import services as quiz
from webapp.quiz.services import QuizRequest

HONEST_PACE = 30  # seconds a question
MIN_PACE = Config.XP_MIN_SECONDS_PER_QUESTION


@pytest.fixture
def ctx(app):
    """An app context with the production pace rule (TestingConfig switches it off)."""
    with app.app_context():
        app.config["XP_MIN_SECONDS_PER_QUESTION"] = MIN_PACE
        try:
            yield
        finally:
            app.config["XP_MIN_SECONDS_PER_QUESTION"] = 0


def _bank(app) -> Exam:
    """21 questions (14 + 7 over two domains); a simulation is 10 questions here."""
    exam = gen_bank(app, per_objective=7)
    with app.app_context():
        db.session.execute(sa.update(Exam).where(Exam.id == exam.id).values(question_count=10))
        db.session.commit()
    return exam



class Player:
    """One learner on an injected clock; `key` is what they know of the correct answers."""

    def __init__(self, user: User, exam: Exam, start: datetime, key: dict[int, list[int]] | None = None) -> None:
        self.user, self.exam, self.clock, self.key = user, exam, start, key

    def play(self, mode: str = QuizMode.PRACTICE, count: int = 10, pace: float = HONEST_PACE,
             answer: int | None = None, right: int | None = None) -> dict:
        """Start, answer the first `answer` questions (all by default; the first `right` correctly),
        spending `pace` seconds on each, submit; returns the result body."""
        attempt = quiz.start_quiz(self.user, QuizRequest(self.exam.slug, mode=mode, count=count), now=self.clock,
                                  rng=random.Random(7))
        started = self.clock
        for index, aq in enumerate(attempt.questions):
            self.clock += timedelta(seconds=pace)
            if answer is not None and index >= answer:
                continue
            if self.key is not None:
                chosen = self.key[aq.question_id]
            else:
                chosen = choice_ids(aq.question_id, correct=right is None or index < right)[:1]
            quiz.save_answer(self.user, attempt.id, aq.question_id, chosen, now=self.clock)
        body = quiz.submit_attempt(self.user, attempt.id, now=started + timedelta(seconds=pace * count))
        self.clock += timedelta(hours=1)
        return body


def _scrape(player: Player, submits: int = 3) -> dict[int, list[int]]:
    """Blank instant submits; the result's review hands over the key for every drawn question."""
    key: dict[int, list[int]] = {}
    for _ in range(submits):
        body = player.play(pace=0, answer=0)
        assert body["xp_earned"] == 0
        key.update({item["question_id"]: item["correct_choice_ids"] for item in body["review"]})
    return key


def _ledger(user_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(XpEvent.amount), 0))
                             .where(XpEvent.user_id == user_id))


def test_blank_submit_earns_nothing(app, ctx):
    """A 0-answer submit of a 10-question quiz earns no XP, no streak day and no achievement, and says why."""
    exam = _bank(app)
    user = user_in_db(app)
    body = Player(user, exam, utcnow() - timedelta(days=1)).play(answer=0)
    assert body["xp_earned"] == 0 and body["new_achievements"] == []
    assert "too_few_answered" in [n["code"] for n in body["xp_notes"]]
    assert _ledger(user.id) == 0 and db.session.get(Streak, user.id) is None


def test_completion_bonus_needs_ninety_percent_answered(app, ctx):
    """8 of 10 answered (all right) earns 80 XP and no bonus; 9 of 10 answered earns the 50 bonus."""
    exam = _bank(app)
    start = utcnow() - timedelta(days=1)
    eight = Player(user_in_db(app), exam, start).play(answer=8)
    nine = Player(user_in_db(app), exam, start).play(answer=9)
    assert eight["xp_earned"] == 80 and [n["code"] for n in eight["xp_notes"]] == ["too_few_answered"]
    assert nine["xp_earned"] == 90 + 50 and nine["xp_notes"] == []


def test_simulation_bonus_needs_every_question_answered(app, ctx):
    """A simulation passed with a question left blank earns answer XP and completion, not the pass bonus."""
    exam = _bank(app)
    body = Player(user_in_db(app), exam, utcnow() - timedelta(days=1)).play(QuizMode.EXAM, answer=9)
    assert body["passed"] is True and body["correct"] == 9
    assert body["xp_earned"] == 90 + 50
    assert "unanswered_questions" in [n["code"] for n in body["xp_notes"]]


def test_replaying_the_same_questions_earns_nothing(app, ctx):
    """Once all 21 questions earned XP, further perfect quizzes earn 0 for 30 days, then earn again."""
    exam = _bank(app)
    user = user_in_db(app)
    player = Player(user, exam, utcnow() - timedelta(days=40))
    first = [player.play()["xp_earned"] for _ in range(3)]
    assert first == [250, 250, 10]  # 10 new, 10 new, then 1 new of 10: no bonus under half new
    replay = player.play()
    assert replay["xp_earned"] == 0
    assert {n["code"] for n in replay["xp_notes"]} == {"recently_credited", "mostly_repeated"}
    player.clock += timedelta(days=31)
    assert player.play()["xp_earned"] == 250  # a month later the questions count again
    assert db.session.get(User, user.id).xp == _ledger(user.id) == 760


def test_too_fast_quiz_is_scored_but_earns_nothing(app, ctx):
    """Under 5 s a question: scored, 0 XP, reason "too_fast"; its answers stay uncredited for honest play."""
    exam = _bank(app)
    user = user_in_db(app)
    player = Player(user, exam, utcnow() - timedelta(days=1))
    fast = player.play(count=21, pace=MIN_PACE - 0.1)
    assert fast["correct"] == 21 and fast["score_percent"] == 100.0
    assert fast["xp_earned"] == 0 and [n["code"] for n in fast["xp_notes"]] == ["too_fast"]
    assert fast["new_achievements"] == []
    assert not db.session.scalar(sa.select(sa.func.count()).select_from(Answer).where(Answer.xp_awarded.is_(True)))
    assert player.play(count=21, pace=MIN_PACE)["xp_earned"] == 210 + 50 + 100  # the same 21, at the minimum pace


def test_result_page_says_why_no_xp(client, app, signed_in):
    """The result page explains in plain words that a too-fast quiz earned no XP."""
    exam = _bank(app)
    app.config["XP_MIN_SECONDS_PER_QUESTION"] = MIN_PACE
    try:
        client.post("/quizzes", data={"exam": exam.slug, "mode": "practice", "count": "10"})
        with app.app_context():
            attempt_id = db.session.scalar(sa.select(QuizAttempt.id))
        client.post(f"/quizzes/{attempt_id}/submit")
        html = client.get(f"/quizzes/{attempt_id}/result").get_data(as_text=True)
    finally:
        app.config["XP_MIN_SECONDS_PER_QUESTION"] = 0
    assert "+0" in html and "faster than 5 seconds a question" in html


def test_farming_earns_no_more_than_honest_play(app, ctx):
    """3 blank submits, 5 perfect replays of the scraped key and a 0-second simulation earn 0 XP;
    even at the minimum pace the same sequence earns no more than honest play of the bank."""
    exam = _bank(app)
    start = utcnow() - timedelta(days=2)
    farmer = Player(user_in_db(app, username="farmer"), exam, start)
    farmer.key = _scrape(farmer)
    assert len(farmer.key) == 21  # every key in the bank is exposed
    fast = [farmer.play(pace=0)["xp_earned"] for _ in range(5)]
    simulation = farmer.play(QuizMode.EXAM, pace=0)
    assert simulation["passed"] is True and simulation["scaled_score"] == 900
    assert fast == [0] * 5 and simulation["xp_earned"] == 0
    assert db.session.get(User, farmer.user.id).xp == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserAchievement)) == 0

    patient = Player(user_in_db(app, username="patient"), exam, start)
    patient.key = _scrape(patient)
    patient_xp = sum(patient.play(pace=MIN_PACE)["xp_earned"] for _ in range(5))
    patient_xp += patient.play(QuizMode.EXAM, pace=MIN_PACE)["xp_earned"]

    honest = Player(user_in_db(app, username="honest"), exam, start)
    honest_xp = sum(honest.play()["xp_earned"] for _ in range(5)) + honest.play(QuizMode.EXAM)["xp_earned"]
    assert honest_xp == 510  # 21 questions once (210) and two bonus sets (2 x 150)
    assert patient_xp <= honest_xp


def test_blank_and_instant_quizzes_unlock_no_achievements(app, ctx):
    """Blank or instant quizzes count for neither quiz counts, perfect scores, simulations, speed nor comeback."""
    exam = _bank(app)
    user = user_in_db(app)
    player = Player(user, exam, utcnow() - timedelta(days=3))
    player.key = _scrape(player, submits=3)
    player.play(pace=0)  # a perfect instant quiz, 100% after 0%: would be "Comeback", "Flawless", "Beat the clock"
    player.play(QuizMode.EXAM, pace=0)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserAchievement)) == 0
    assert db.session.get(Streak, user.id) is None
    honest = player.play(pace=6)  # 60 s of a 720 s limit at 100%: now these count
    assert {"first_quiz", "perfect_score", "speed_run"} <= {a["code"] for a in honest["new_achievements"]}


def test_instant_quizzes_build_no_objective_mastery(app, ctx):
    """Three instant perfect quizzes of the whole bank (21 right answers per objective) are no "Specialist"."""
    exam = _bank(app)
    user = user_in_db(app)
    player = Player(user, exam, utcnow() - timedelta(days=1))
    for _ in range(3):
        player.play(count=21, pace=0)
    assert services.achievement_stats(user.id).best_mastered_objective_answers == 0
    player.play(count=21, pace=MIN_PACE)
    assert services.achievement_stats(user.id).best_mastered_objective_answers == 7
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserAchievement)
                             .where(UserAchievement.code == "objective_master")) == 0


def test_recompute_applies_the_same_rules_as_live_scoring(app, ctx):
    """After a mixed history, recompute from scratch equals the live totals; farmed old-rule XP is removed."""
    exam = _bank(app)
    user = user_in_db(app)
    player = Player(user, exam, utcnow() - timedelta(days=40))
    player.key = _scrape(player)
    player.play(pace=1)
    player.key = None
    for pace, right in ((HONEST_PACE, 7), (HONEST_PACE, 10), (MIN_PACE, 10), (HONEST_PACE, 10)):
        player.play(pace=pace, right=right)
    player.clock += timedelta(days=31)
    player.play(QuizMode.EXAM)
    assert not services.recompute_all().any
    live_xp = db.session.get(User, user.id).xp
    live_credits = set(db.session.scalars(sa.select(Answer.id).where(Answer.xp_awarded.is_(True))))
    live_ledger = set(db.session.execute(sa.select(XpEvent.reason, XpEvent.source, XpEvent.amount)).all())
    assert live_xp > 0 and live_credits

    blank_attempt = db.session.scalar(sa.select(sa.func.min(Answer.attempt_id)))
    db.session.execute(sa.update(Answer).values(xp_awarded=False))
    db.session.execute(sa.delete(XpEvent).where(XpEvent.reason == "correct_answers"))
    services.award_xp(user.id, "completion_bonus", f"attempt:{blank_attempt}", 50, utcnow())  # the old rule
    db.session.commit()
    drift = services.recompute_all()
    assert drift.xp_events_fixed == 1 and drift.credits_fixed == len(live_credits) and drift.xp_total_fixed == 1
    db.session.expire_all()
    assert db.session.get(User, user.id).xp == live_xp == _ledger(user.id)
    assert set(db.session.scalars(sa.select(Answer.id).where(Answer.xp_awarded.is_(True)))) == live_credits
    assert set(db.session.execute(sa.select(XpEvent.reason, XpEvent.source, XpEvent.amount)).all()) == live_ledger
    assert not services.recompute_all().any


def test_quiz_starts_are_rate_limited_across_browser_and_api(client, app, signed_in):
    """30 starts an hour per learner, browser and API together: the 31st is 429 in both, with Retry-After."""
    exam = _bank(app)
    token = bearer(gen_token(app, signed_in))
    app.config["QUIZ_START_RATE_LIMIT"] = Config.QUIZ_START_RATE_LIMIT
    try:
        for n in range(30):
            if n % 2:
                response = client.post("/api/v1/quizzes", headers=token, json={"exam_type": exam.slug, "count": 5})
                quiz_id = response.get_json()["id"]
            else:
                response = client.post("/quizzes", data={"exam": exam.slug, "mode": "practice", "count": "5"})
                quiz_id = int(response.headers["Location"].split("/")[2])
            assert response.status_code in (201, 302), n
            client.post(f"/api/v1/quizzes/{quiz_id}/abandon", headers=token)
        api = client.post("/api/v1/quizzes", headers=token, json={"exam_type": exam.slug, "count": 5})
        page = client.post("/quizzes", data={"exam": exam.slug, "mode": "practice", "count": "5"})
        other = gen_user(app, username="bystander")
        fresh = client.post("/api/v1/quizzes", headers=bearer(gen_token(app, other)),
                            json={"exam_type": exam.slug, "count": 5})
    finally:
        app.config["QUIZ_START_RATE_LIMIT"] = "1000 per hour"
    assert api.status_code == 429 and api.get_json()["code"] == "RATE_LIMITED"
    assert int(api.headers["Retry-After"]) > 0
    assert page.status_code == 429 and int(page.headers["Retry-After"]) > 0
    html = page.get_data(as_text=True)
    assert "started too many quizzes" in html and "Start a quiz" in html  # the exam page, not an error page
    assert fresh.status_code == 201  # the limit is per learner

"""What study answers count for: the streak (STUDY_STREAK_MIN_ANSWERS a local day), never XP,
quiz achievements, quiz history or leaderboards; `recompute` agrees with live scoring."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from tests.factories import bearer, choice_ids, gen_bank, gen_token, gen_user, user_in_db
from tests.study.conftest import answer_for, session_questions
from webapp.extensions import db
from webapp.gamification import services as gamification
from webapp.models import Answer, Streak, User, UserAchievement, XpEvent
from webapp.quiz import services as quiz
from webapp.study import services
from webapp.study.services import StudyRequest

# Noon UTC: the same calendar day in UTC and in Europe/London.
DAY_ONE = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)


def _study_day(user, exam, when: datetime, answers: int, right: bool = True) -> None:
    """One study session on `when`'s day with `answers` answers, a minute apart, then finished."""
    session = services.start_session(user, StudyRequest(exam.slug, count=max(answers, 5)), now=when)
    for index, sq in enumerate(session_questions(session.id)[:answers]):
        services.answer_question(user, session.id, sq.question_id, **answer_for(sq.question_id, right),
                                 now=when + timedelta(minutes=index + 1))
    services.finish_session(user, session.id, now=when + timedelta(minutes=answers + 1))


def _streak(user_id: int) -> tuple:
    streak = db.session.get(Streak, user_id)
    db.session.refresh(streak)
    return streak.current, streak.longest, streak.freezes, streak.last_active_day


def test_ten_study_answers_in_a_day_count_for_the_streak(app, ctx):
    """STUDY_STREAK_MIN_ANSWERS (10) study answers make an active streak day; 9 do not."""
    assert app.config["STUDY_STREAK_MIN_ANSWERS"] == 10
    exam = gen_bank(app, per_objective=4)  # 12 questions
    nine, ten = user_in_db(app), user_in_db(app)
    _study_day(nine, exam, DAY_ONE, answers=9)
    _study_day(ten, exam, DAY_ONE, answers=10)
    assert db.session.get(Streak, nine.id) is None or db.session.get(Streak, nine.id).current == 0
    assert _streak(ten.id)[0] == 1 and _streak(ten.id)[3] == DAY_ONE.date()


def test_consecutive_study_days_extend_the_streak(app, ctx):
    """Three days of ten study answers in a row make a streak of 3; wrong answers count as much as right ones."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    for offset in range(3):
        _study_day(user, exam, DAY_ONE + timedelta(days=offset), answers=10, right=offset != 1)
    assert _streak(user.id)[:2] == (3, 3)


def test_the_threshold_is_counted_in_the_learners_time_zone(app, ctx):
    """Ten answers split across UTC midnight count as one day for a learner whose local day spans them."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app, timezone="America/New_York")
    late_evening_utc = datetime(2026, 3, 2, 23, 50, tzinfo=timezone.utc)  # 18:50 in New York
    _study_day(user, exam, late_evening_utc, answers=10)  # the last answers fall after UTC midnight
    assert _streak(user.id)[0] == 1 and _streak(user.id)[3] == datetime(2026, 3, 2).date()


def test_study_answers_earn_no_xp_and_no_achievements(app, ctx):
    """Thirty right study answers in one objective: no XP, no ledger row, no achievement, and no mastery progress."""
    exam = gen_bank(app, per_objective=10)
    user = user_in_db(app)
    for offset in range(3):
        session = services.start_session(user, StudyRequest(exam.slug, count=10, objective_codes=["1.1"]),
                                         now=DAY_ONE + timedelta(hours=offset))
        for sq in session_questions(session.id):
            services.answer_question(user, session.id, sq.question_id, **answer_for(sq.question_id),
                                     now=DAY_ONE + timedelta(hours=offset, minutes=1))
        services.finish_session(user, session.id, now=DAY_ONE + timedelta(hours=offset, minutes=2))
    assert db.session.scalar(sa.select(sa.func.count(Answer.id)).where(Answer.is_correct.is_(True))) == 30
    assert db.session.get(User, user.id).xp == 0
    assert db.session.scalar(sa.select(sa.func.count(XpEvent.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserAchievement)) == 0
    stats = gamification.achievement_stats(user.id)
    assert (stats.quizzes, stats.correct_answers, stats.best_mastered_objective_answers) == (0, 0, 0)


def test_mastery_counts_quiz_answers_only(app, ctx):
    """Study answers are left out of the per-objective tallies, quiz answers still count."""
    exam = gen_bank(app, per_objective=8)
    user = user_in_db(app)
    attempt = quiz.start_quiz(user, quiz.QuizRequest(exam.slug, count=5, objective_codes=["1.1"]))
    for aq in attempt.questions:
        quiz.save_answer(user, attempt.id, aq.question_id, choice_ids(aq.question_id))
    quiz.submit_attempt(user, attempt.id)
    _study_day(user, exam, DAY_ONE, answers=8)
    assert gamification.achievement_stats(user.id).best_mastered_objective_answers == 5


def test_study_stays_out_of_quiz_history_and_the_leaderboard(client, app):
    """After studying, the quiz list is empty and the learner has no XP to rank with."""
    exam = gen_bank(app, per_objective=4)
    user = gen_user(app, username="studious")
    with app.app_context():
        _study_day(db.session.get(User, user.id), exam, DAY_ONE, answers=10)
    headers = bearer(gen_token(app, user))
    quizzes = client.get("/api/v1/quizzes", headers=headers).get_json()
    assert quizzes["total"] == 0 and quizzes["items"] == []
    board = client.get("/api/v1/leaderboard?period=week", headers=headers).get_json()
    assert all(entry["xp"] == 0 for entry in board["entries"] if entry["username"] == "studious")
    me = client.get("/api/v1/users/me", headers=headers).get_json()
    assert me["xp"] == 0 and me["streak"]["longest"] == 1


def test_a_studied_question_still_earns_quiz_xp(app, ctx):
    """A right study answer is never "recently credited": the same question answered right in a quiz earns its XP."""
    exam = gen_bank(app, per_objective=2)  # 6 questions
    user = user_in_db(app)
    _study_day(user, exam, DAY_ONE, answers=5)
    attempt = quiz.start_quiz(user, quiz.QuizRequest(exam.slug, count=6))
    for aq in attempt.questions:
        quiz.save_answer(user, attempt.id, aq.question_id, choice_ids(aq.question_id))
    body = quiz.submit_attempt(user, attempt.id)
    assert body["xp_earned"] == 6 * app.config["XP_PER_CORRECT_ANSWER"]
    assert db.session.scalar(sa.select(sa.func.count(Answer.id)).where(Answer.xp_awarded.is_(True),
                                                                         Answer.attempt_id.is_(None))) == 0


def test_recompute_replays_study_days_with_quiz_days(app, ctx):
    """Recompute merges study days and quiz days in date order: it agrees with live scoring and rebuilds a lost streak."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    _study_day(user, exam, DAY_ONE, answers=10)
    attempt = quiz.start_quiz(user, quiz.QuizRequest(exam.slug, count=5), now=DAY_ONE + timedelta(days=1))
    for aq in attempt.questions:
        quiz.save_answer(user, attempt.id, aq.question_id, choice_ids(aq.question_id),
                         now=DAY_ONE + timedelta(days=1, minutes=1))
    quiz.submit_attempt(user, attempt.id, now=DAY_ONE + timedelta(days=1, minutes=5))
    _study_day(user, exam, DAY_ONE + timedelta(days=2), answers=10)
    _study_day(user, exam, DAY_ONE + timedelta(days=2, hours=3), answers=9)  # same day again: no change
    live = _streak(user.id)
    assert live[:2] == (3, 3)
    assert not gamification.recompute_all().any  # live scoring and recompute agree
    db.session.execute(sa.update(Streak).where(Streak.user_id == user.id)
                       .values(current=0, longest=0, last_active_day=None))
    db.session.commit()
    drift = gamification.recompute_all()
    assert drift.streaks_fixed == 1 and _streak(user.id) == live
    assert not gamification.recompute_all().any


def test_a_week_of_study_earns_the_streak_achievement_live_and_in_recompute(app, ctx):
    """Seven study days in a row reach "On a roll" at the seventh day's tenth answer, and recompute finds nothing to add."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    for offset in range(7):
        _study_day(user, exam, DAY_ONE + timedelta(days=offset), answers=10)
    earned = db.session.scalars(sa.select(UserAchievement).where(UserAchievement.user_id == user.id)).all()
    assert [row.code for row in earned] == ["streak_7"]
    assert earned[0].source.startswith("study:")
    assert db.session.get(User, user.id).xp == 0
    assert not gamification.recompute_all().any

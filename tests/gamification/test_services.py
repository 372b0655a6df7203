"""XP ledger, awarding in the submit transaction, leaderboards and recomputation."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import choice_ids, gen_bank, gen_exam, user_in_db
from webapp.extensions import db
from webapp.gamification import services
from webapp.models import Streak, User, UserAchievement, WeeklyXp, XpEvent
from webapp.models.base import utcnow
from webapp.quiz import services as quiz
from webapp.quiz.services import QuizRequest




def _answer_all(user, attempt, right: int) -> None:
    for index, aq in enumerate(attempt.questions):
        chosen = choice_ids(aq.question_id, correct=index < right)
        quiz.save_answer(user, attempt.id, aq.question_id, chosen[:aq.question.select_count])


def _ledger_sum(user_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(XpEvent.amount), 0))
                             .where(XpEvent.user_id == user_id))


def test_submit_awards_xp_and_first_achievement(app, ctx):
    """A 10-question quiz with 8 right earns 80 + 50 XP and "First steps", in the result body."""
    exam = gen_bank(app, per_objective=4)
    gen_exam(app, slug="second-exam")  # so one exam is not "every exam"
    user = user_in_db(app)
    attempt = quiz.start_quiz(user, QuizRequest(exam.slug, count=10))
    _answer_all(user, attempt, right=8)
    body = quiz.submit_attempt(user, attempt.id, now=attempt.started_at + timedelta(minutes=9))
    assert body["xp_earned"] == 130
    assert [a["code"] for a in body["new_achievements"]] == ["first_quiz"]
    db.session.refresh(user)
    assert user.xp == 130 == _ledger_sum(user.id)
    reasons = dict(db.session.execute(sa.select(XpEvent.reason, XpEvent.amount).where(XpEvent.user_id == user.id)).all())
    assert reasons == {"correct_answers": 80, "completion_bonus": 50}
    assert db.session.get(Streak, user.id).current == 1


def test_perfect_score_awards_bonus_and_achievement(app, ctx):
    """A perfect 10-question quiz earns the perfect bonus and "Flawless"."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    attempt = quiz.start_quiz(user, QuizRequest(exam.slug, count=10))
    _answer_all(user, attempt, right=10)
    body = quiz.submit_attempt(user, attempt.id, now=attempt.started_at + timedelta(minutes=9))
    assert body["xp_earned"] == 100 + 50 + 100
    assert {"first_quiz", "perfect_score"} <= {a["code"] for a in body["new_achievements"]}


def test_abandoned_quiz_earns_nothing(app, ctx):
    """Abandoning writes no ledger rows and no streak day."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    attempt = quiz.start_quiz(user, QuizRequest(exam.slug, count=10))
    _answer_all(user, attempt, right=10)
    quiz.abandon_attempt(user, attempt.id)
    assert _ledger_sum(user.id) == 0 and db.session.get(Streak, user.id) is None


def test_award_is_idempotent_per_reason_and_source(app, ctx):
    """The same (user, reason, source) award twice adds XP once."""
    user = user_in_db(app)
    now = utcnow()
    assert services.award_xp(user.id, "correct_answers", "attempt:1", 40, now) == 40
    assert services.award_xp(user.id, "correct_answers", "attempt:1", 40, now) == 0
    db.session.commit()
    db.session.refresh(user)
    assert user.xp == 40 == _ledger_sum(user.id)
    assert db.session.get(WeeklyXp, (services.iso_week_start(now), user.id)).xp == 40


def test_achievements_unique_per_user(app, ctx):
    """The database refuses a second copy of the same achievement."""
    user = user_in_db(app)
    db.session.add(UserAchievement(user_id=user.id, code="first_quiz"))
    db.session.commit()
    db.session.add(UserAchievement(user_id=user.id, code="first_quiz"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_comeback_needs_twenty_points_on_the_same_exam(app, ctx):
    """Beating the previous score on the same exam by 20+ points unlocks "Comeback"."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    first = quiz.start_quiz(user, QuizRequest(exam.slug, count=10))
    _answer_all(user, first, right=3)
    quiz.submit_attempt(user, first.id)
    second = quiz.start_quiz(user, QuizRequest(exam.slug, count=10))
    _answer_all(user, second, right=6)
    codes = {a["code"] for a in quiz.submit_attempt(user, second.id)["new_achievements"]}
    assert "comeback" in codes


def test_untimed_quiz_never_earns_speed_achievement(app, ctx):
    """Finishing an untimed quiz instantly and perfectly does not unlock "Beat the clock"."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    attempt = quiz.start_quiz(user, QuizRequest(exam.slug, count=10, timed=False))
    _answer_all(user, attempt, right=10)
    codes = {a["code"] for a in quiz.submit_attempt(user, attempt.id)["new_achievements"]}
    assert "speed_run" not in codes
    timed = quiz.start_quiz(user, QuizRequest(exam.slug, count=10))
    _answer_all(user, timed, right=10)
    codes = {a["code"] for a in quiz.submit_attempt(user, timed.id)["new_achievements"]}
    assert "speed_run" in codes


def _give_xp(user_id: int, amount: int, when) -> None:
    services.award_xp(user_id, "test", f"seed:{user_id}:{when.timestamp()}", amount, when)
    db.session.commit()


def test_leaderboard_ties_go_to_whoever_reached_first(app, ctx):
    """Equal XP ranks the user who reached it earlier first."""
    early, late = user_in_db(app, username="early"), user_in_db(app, username="late")
    now = utcnow()
    _give_xp(late.id, 100, now - timedelta(minutes=1))
    _give_xp(early.id, 100, now - timedelta(minutes=5))
    db.session.commit()
    board = services.leaderboard("all", late)
    assert [e.username for e in board.entries[:2]] == ["early", "late"]
    assert board.me.rank == 2


def test_opted_out_users_are_hidden_and_unranked(app, ctx):
    """Users who opted out neither appear nor take a rank; their own `me` is null."""
    shy = user_in_db(app, username="shy", show_on_leaderboard=False)
    loud = user_in_db(app, username="loud")
    _give_xp(shy.id, 500, utcnow())
    _give_xp(loud.id, 100, utcnow())
    db.session.commit()
    board = services.leaderboard("all", loud)
    assert "shy" not in [e.username for e in board.entries]
    assert board.me.rank == 1
    assert services.leaderboard("all", shy).me is None


def test_caller_outside_top_fifty_still_sees_their_rank(app, ctx):
    """With 55 users ahead, the caller's rank is 56 although only 50 are listed."""
    now = utcnow()
    for n in range(55):
        user = user_in_db(app, username=f"top{n:02d}")
        _give_xp(user.id, 1000 + n, now)
    me = user_in_db(app, username="tail")
    _give_xp(me.id, 10, now)
    db.session.commit()
    db.session.refresh(me)
    board = services.leaderboard("all", me)
    assert len(board.entries) == 50 and board.entries[0].username == "top54"
    assert board.me.rank == 56 and board.me.xp == 10
    assert all("@" not in e.username for e in board.entries)


def test_weekly_leaderboard_counts_only_this_iso_week(app, ctx):
    """The weekly board sums XP since Monday 00:00 UTC."""
    old, new = user_in_db(app, username="oldtimer"), user_in_db(app, username="newcomer")
    now = utcnow()
    _give_xp(old.id, 900, now - timedelta(days=8))
    _give_xp(new.id, 50, now)
    db.session.commit()
    board = services.leaderboard("week", old, now=now)
    assert [e.username for e in board.entries] == ["newcomer"]
    assert board.me.xp == 0 and board.me.rank == 2
    assert [e.username for e in services.leaderboard("all", old).entries] == ["oldtimer", "newcomer"]


def test_recompute_is_idempotent_and_repairs_drift(app, ctx):
    """Recompute finds nothing on consistent data and repairs tampered totals, ledger and streaks."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    attempt = quiz.start_quiz(user, QuizRequest(exam.slug, count=10))
    _answer_all(user, attempt, right=10)
    quiz.submit_attempt(user, attempt.id)
    clean = services.recompute_all()
    assert not clean.any
    db.session.execute(sa.delete(XpEvent).where(XpEvent.reason == "perfect_score"))
    db.session.execute(sa.update(User).values(xp=5))
    db.session.execute(sa.delete(Streak))
    db.session.execute(sa.delete(UserAchievement))
    db.session.commit()
    drift = services.recompute_all()
    assert drift.any and drift.xp_events_added == 1 and drift.xp_total_fixed == 1 and drift.streaks_fixed == 1
    assert drift.achievements_added >= 2
    db.session.expire_all()
    assert db.session.get(User, user.id).xp == 250 == _ledger_sum(user.id)
    assert not services.recompute_all().any


def test_recompute_cli(app):
    """`flask gamification recompute` reports its findings."""
    result = app.test_cli_runner().invoke(args=["gamification", "recompute"])
    assert result.exit_code == 0 and "No drift" in result.output


def test_concurrent_submits_never_double_award(app, ctx):
    """Ten threads submitting at once leave one set of awards and xp equal to the ledger."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    attempt = quiz.start_quiz(user, QuizRequest(exam.slug, count=10))
    _answer_all(user, attempt, right=10)
    user_id, attempt_id = user.id, attempt.id
    bodies, errors = [], []
    barrier = threading.Barrier(10)

    def submit():
        with app.app_context():
            try:
                barrier.wait()
                bodies.append(quiz.submit_attempt(db.session.get(User, user_id), attempt_id))
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and len(bodies) == 10
    assert all(body == bodies[0] for body in bodies)
    db.session.expire_all()
    assert db.session.get(User, user_id).xp == _ledger_sum(user_id) == 250
    assert db.session.scalar(sa.select(sa.func.count()).select_from(XpEvent)) == 3

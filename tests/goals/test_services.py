"""Daily goals without HTTP: bounds, replacing and deleting goals, the learner's local day (time
zones, a DST day), which answers count, the met day written once (also under concurrency), the
streak, the history, exam dates and the suggested target, and the statements an answer costs."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from tests.factories import gen_bank, gen_study_answer, user_in_db
from tests.helpers import all_at_once
from tests.study.conftest import answer_for, session_questions
from webapp.exceptions import NotFound, ValidationError
from webapp.extensions import db
from webapp.gamification.services import local_day
from webapp.goals import services
from webapp.models import Answer, DailyGoal, ExamDate, GoalDay, Question, User
from webapp.models.base import utcnow
from webapp.models.enums import GoalType
from webapp.quiz import services as quiz
from webapp.quiz.services import QuizRequest
from webapp.study import services as study
from webapp.study.services import StudyRequest

Q, M = GoalType.DAILY_QUESTIONS.value, GoalType.DAILY_MINUTES.value


def _study_answers(user, exam, count: int, now=None) -> None:
    """`count` answers through the study service (one session)."""
    session = study.start_session(user, StudyRequest(exam.slug, count=count))
    for sq in session_questions(session.id):
        study.answer_question(user, session.id, sq.question_id, **answer_for(sq.question_id), now=now)


def _met_days(user_id: int) -> list[date]:
    return list(db.session.scalars(sa.select(GoalDay.day).where(GoalDay.user_id == user_id).order_by(GoalDay.day)))


@pytest.mark.parametrize(("kind", "low", "high"), [(Q, 5, 500), (M, 5, 300)])
def test_targets_outside_the_bounds_are_400_on_target(app, ctx, kind, low, high):
    """Each goal type takes its configured bounds inclusive; one below or above is 400 GOAL_OUT_OF_RANGE on target."""
    user = user_in_db(app)
    for bad in (low - 1, high + 1, 0, -5, True):
        with pytest.raises(ValidationError) as info:
            services.set_goal(user, kind, bad)
        assert (info.value.field, info.value.code) == ("target", "GOAL_OUT_OF_RANGE")
    assert services.set_goal(user, kind, low)[0].target == low
    assert services.set_goal(user, kind, high)[0].target == high


def test_an_unknown_goal_type_is_400_on_type(app, ctx):
    """A goal type outside GoalType is 400 UNKNOWN_GOAL_TYPE on type."""
    with pytest.raises(ValidationError) as info:
        services.set_goal(user_in_db(app), "weekly_hours", 10)
    assert (info.value.field, info.value.code) == ("type", "UNKNOWN_GOAL_TYPE")


def test_setting_a_goal_again_replaces_it(app, ctx):
    """The second goal of a type replaces the target (one row); the first call says new, the second not."""
    user = user_in_db(app)
    first, created = services.set_goal(user, Q, 10)
    second, again = services.set_goal(user, Q, 25)
    assert (created, again) == (True, False)
    assert second.target == 25
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DailyGoal)) == 1
    services.set_goal(user, M, 20)
    assert services.goals_of(user) == {GoalType.DAILY_QUESTIONS: 25, GoalType.DAILY_MINUTES: 20}


def test_delete_removes_one_goal_and_a_missing_one_is_404(app, ctx):
    """Deleting a goal removes that type only; deleting it again (or an unknown type) is 404 GOAL_NOT_FOUND."""
    user = user_in_db(app)
    services.set_goal(user, Q, 10)
    services.set_goal(user, M, 10)
    services.delete_goal(user, Q)
    assert services.goals_of(user) == {GoalType.DAILY_MINUTES: 10}
    for kind in (Q, "nonsense"):
        with pytest.raises(services.GoalNotFound):
            services.delete_goal(user, kind)


def test_study_answers_count_and_reaching_the_goal_writes_the_met_day(app, ctx):
    """Five study answers meet a goal of 5: the fifth writes today's GoalDay, not yet announced."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    services.set_goal(user, Q, 5)
    session = study.start_session(user, StudyRequest(exam.slug, count=5))
    for n, sq in enumerate(session_questions(session.id), start=1):
        study.answer_question(user, session.id, sq.question_id, **answer_for(sq.question_id))
        progress = services.today_progress(user)
        assert progress.count.questions == n and progress.met == (n == 5)
    assert progress.announce is True and progress.percentage == 100
    assert _met_days(user.id) == [local_day(utcnow(), user.timezone)]


def test_open_quiz_answers_count_until_submitted_then_from_answers_once(app, ctx):
    """The open quiz's answered questions count at once; after submit the quiz counts once (its
    answers rows, unanswered ones included), never twice."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    attempt = quiz.start_quiz(user, QuizRequest(exam.slug, count=6))
    for aq in attempt.questions[:4]:
        quiz.save_answer(user, attempt.id, aq.question_id, answer_for(aq.question_id)["choice_ids"])
    assert services.today_progress(user, with_history=True).count.questions == 4
    quiz.submit_attempt(user, attempt.id)
    assert services.today_progress(user, with_history=True).count.questions == 6  # every question of the quiz


def test_an_abandoned_quiz_does_not_count(app, ctx):
    """Answers saved in a quiz that is then abandoned stop counting towards today."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    attempt = quiz.start_quiz(user, QuizRequest(exam.slug, count=5))
    for aq in attempt.questions[:3]:
        quiz.save_answer(user, attempt.id, aq.question_id, answer_for(aq.question_id)["choice_ids"])
    assert services.day_count(user.id, local_day(utcnow(), "UTC"), "UTC").questions == 3
    quiz.abandon_attempt(user, attempt.id)
    assert services.day_count(user.id, local_day(utcnow(), "UTC"), "UTC").questions == 0


def test_the_quiz_answer_save_can_meet_the_day(app, ctx):
    """Saving the fifth answer of an open quiz meets a goal of 5 before the quiz is submitted."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    services.set_goal(user, Q, 5)
    attempt = quiz.start_quiz(user, QuizRequest(exam.slug, count=6))
    for aq in attempt.questions[:5]:
        quiz.save_answer(user, attempt.id, aq.question_id, answer_for(aq.question_id)["choice_ids"])
    assert services.today_progress(user).met is True


def test_minutes_count_the_time_spent_and_every_goal_must_be_reached(app, ctx):
    """With both goals set the day is met only once the minutes are reached too (time_spent_seconds, whole minutes)."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    services.set_goal(user, Q, 5)
    services.set_goal(user, M, 5)
    questions = list(db.session.scalars(sa.select(Question).where(Question.exam_id == exam.id).limit(6)))
    for question in questions[:5]:
        gen_study_answer(app, user, question, True)
    db.session.execute(sa.update(Answer).values(time_spent_seconds=50))
    db.session.commit()
    assert services.record_goal_progress(user.id, utcnow()) is False  # 5 questions, 4 minutes (250 s)
    progress = services.today_progress(user)
    assert (progress.count.minutes, progress.goal(GoalType.DAILY_MINUTES).remaining) == (4, 1)
    gen_study_answer(app, user, questions[5], True)
    db.session.execute(sa.update(Answer).values(time_spent_seconds=60))
    db.session.commit()
    assert services.record_goal_progress(user.id, utcnow()) is True
    assert services.record_goal_progress(user.id, utcnow()) is False  # already met: nothing written twice


def test_the_local_day_follows_the_time_zone(app, ctx):
    """For a learner in Tokyo an answer at 16:00 UTC belongs to the next local day; a UTC learner's to the same."""
    exam = gen_bank(app, per_objective=2)
    question = db.session.scalars(sa.select(Question).where(Question.exam_id == exam.id)).first()
    tokyo = user_in_db(app, timezone="Asia/Tokyo")
    moment = datetime(2025, 6, 1, 16, 0, tzinfo=timezone.utc)
    gen_study_answer(app, tokyo, question, True, answered_at=moment)
    assert services.day_count(tokyo.id, date(2025, 6, 2), "Asia/Tokyo").questions == 1
    assert services.day_count(tokyo.id, date(2025, 6, 1), "Asia/Tokyo").questions == 0
    assert services.day_count(tokyo.id, date(2025, 6, 1), "UTC").questions == 1


def test_a_dst_day_is_23_hours_long(app, ctx):
    """New York's 9 March 2025 runs 05:00 to 04:00 UTC the next day: an answer at 04:30 UTC on the
    10th (23:30 local) counts for the 9th, one at 04:30 UTC on the 9th (23:30 on the 8th) does not."""
    exam = gen_bank(app, per_objective=2)
    question = db.session.scalars(sa.select(Question).where(Question.exam_id == exam.id)).first()
    learner = user_in_db(app, timezone="America/New_York")
    for moment in (datetime(2025, 3, 10, 3, 30, tzinfo=timezone.utc), datetime(2025, 3, 9, 4, 30, tzinfo=timezone.utc)):
        gen_study_answer(app, learner, question, True, answered_at=moment)
    assert services.day_count(learner.id, date(2025, 3, 9), "America/New_York").questions == 1
    assert services.day_count(learner.id, date(2025, 3, 8), "America/New_York").questions == 1


def test_the_met_day_is_the_local_day(app, ctx):
    """An answer at 23:30 local time on a DST day writes the GoalDay of that local day, not the UTC one."""
    exam = gen_bank(app, per_objective=4)
    learner = user_in_db(app, timezone="America/New_York")
    services.set_goal(learner, Q, 5)
    moment = datetime(2025, 3, 10, 3, 30, tzinfo=timezone.utc)  # 23:30 EDT on 9 March
    questions = list(db.session.scalars(sa.select(Question).where(Question.exam_id == exam.id).limit(5)))
    for question in questions:
        gen_study_answer(app, learner, question, True, answered_at=moment)
    assert services.record_goal_progress(learner.id, moment) is True
    assert _met_days(learner.id) == [date(2025, 3, 9)]


def test_two_answers_at_once_write_one_met_day(app, ctx):
    """Two answers reaching the goal at the same moment (two sessions, two threads) write one GoalDay."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    services.set_goal(user, Q, 5)
    questions = list(db.session.scalars(sa.select(Question).where(Question.exam_id == exam.id).limit(5)))
    for question in questions:
        gen_study_answer(app, user, question, True)
    db.session.remove()

    def record() -> bool:
        with app.app_context():
            try:
                return services.record_goal_progress(user.id, utcnow())
            finally:
                db.session.commit()

    results = all_at_once([record, record])
    assert sorted(results) == [False, True]
    assert len(_met_days(user.id)) == 1


def test_a_lower_target_meets_today_at_once(app, ctx):
    """Lowering the target below today's count meets the day without another answer."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    services.set_goal(user, Q, 50)
    _study_answers(user, exam, 6)
    assert services.today_progress(user).met is False
    services.set_goal(user, Q, 5)
    assert services.today_progress(user).met is True


def test_no_goal_and_a_met_day_cost_one_statement(app, ctx):
    """record_goal_progress runs one statement with no goal and one on a met day; two on an unmet day."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        services.record_goal_progress(user.id, utcnow())
        no_goal = len(statements)
        services.set_goal(user, Q, 500)
        assert user.timezone
        statements.clear()
        services.record_goal_progress(user.id, utcnow())
        unmet = len(statements)
        db.session.add(GoalDay(user_id=user.id, day=local_day(utcnow(), user.timezone)))
        db.session.commit()
        assert user.timezone  # the signed-in user is loaded in a request; reload it outside the count
        statements.clear()
        services.record_goal_progress(user.id, utcnow())
        met = len(statements)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert (no_goal, unmet, met) == (1, 2, 1)
    assert exam is not None


def test_goal_streak_counts_back_from_today_or_yesterday(app, ctx):
    """The streak runs back from today when met, else from yesterday; a gap ends it."""
    today = date(2025, 5, 20)
    back = [today - timedelta(days=n) for n in range(6)]
    assert services.goal_streak([back[0], back[1], back[2], back[4]], today) == 3
    assert services.goal_streak([back[1], back[2]], today) == 2
    assert services.goal_streak([back[2], back[3]], today) == 0
    assert services.goal_streak([], today) == 0


def test_progress_history_is_the_last_14_days_oldest_first(app, ctx):
    """The history lists 14 local days ending today, each met or not; the streak reads the same days."""
    user = user_in_db(app)
    today = local_day(utcnow(), user.timezone)
    for back in (1, 2, 5, 20):
        db.session.add(GoalDay(user_id=user.id, day=today - timedelta(days=back)))
    db.session.commit()
    progress = services.today_progress(user, with_history=True)
    assert [day.day for day in progress.history] == [today - timedelta(days=n) for n in range(13, -1, -1)]
    assert [n for n, day in enumerate(reversed(progress.history)) if day.met] == [1, 2, 5]
    assert progress.streak == 2


def test_goal_reached_is_announced_once(app, ctx):
    """A met day announces until marked; marking it again, or an unmet day, changes nothing."""
    user = user_in_db(app)
    today = local_day(utcnow(), user.timezone)
    assert services.mark_goal_announced(user, today) is False
    db.session.add(GoalDay(user_id=user.id, day=today))
    db.session.commit()
    services.set_goal(user, Q, 5)
    assert services.today_progress(user).announce is True
    assert services.mark_goal_announced(user, today) is True
    assert services.mark_goal_announced(user, today) is False
    assert services.today_progress(user).announce is False and services.today_progress(user).met is True


def test_suggested_target_rounds_up_and_is_clamped():
    """Remaining ÷ days, rounded up, within 5..500; the exam day itself divides by one."""
    from webapp import create_app
    from config import TestingConfig

    with create_app(TestingConfig).app_context():
        assert services.suggested_target(100, 7) == 15
        assert services.suggested_target(10, 7) == 5
        assert services.suggested_target(5000, 2) == 500
        assert services.suggested_target(12, 0) == 12


def test_exam_plans_count_unseen_questions_and_days_left(app, ctx):
    """An exam date 10 days away with 12 questions, 2 of them answered: 10 unseen, 10 days left, 5 a day (the bound)."""
    exam = gen_bank(app, per_objective=4)  # 12 questions
    user = user_in_db(app)
    questions = list(db.session.scalars(sa.select(Question).where(Question.exam_id == exam.id).limit(2)))
    for question in questions:
        gen_study_answer(app, user, question, True)
    today = local_day(utcnow(), user.timezone)
    services.set_exam_date(user, exam.slug, today + timedelta(days=10))
    (plan,) = services.exam_plans(user)
    assert (plan.unseen, plan.days_left, plan.due_reviews, plan.suggested_target) == (10, 10, 0, 5)
    services.set_exam_date(user, exam.slug, today + timedelta(days=1))
    assert services.exam_plan(user, exam.slug).suggested_target == 10
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExamDate)) == 1


def test_exam_dates_must_be_today_or_later_on_a_visible_exam(app, ctx):
    """A past date is EXAM_DATE_PAST and one past the 730-day bound EXAM_DATE_TOO_FAR, on date; an unknown or
    retired exam is 404; clearing twice is 404."""
    exam = gen_bank(app, per_objective=1)
    retired = gen_bank(app, per_objective=1, slug="old")
    db.session.execute(sa.text("UPDATE exams SET is_active = false WHERE slug = 'old'"))
    db.session.commit()
    user = user_in_db(app)
    today = local_day(utcnow(), user.timezone)
    with pytest.raises(ValidationError) as info:
        services.set_exam_date(user, exam.slug, today - timedelta(days=1))
    assert (info.value.field, info.value.code) == ("date", "EXAM_DATE_PAST")
    services.set_exam_date(user, exam.slug, today + timedelta(days=app.config["EXAM_DATE_MAX_DAYS_AHEAD"]))
    with pytest.raises(ValidationError) as info:
        services.set_exam_date(user, exam.slug, today + timedelta(days=app.config["EXAM_DATE_MAX_DAYS_AHEAD"] + 1))
    assert (info.value.field, info.value.code) == ("date", "EXAM_DATE_TOO_FAR")
    for slug in ("nope", retired.slug):
        with pytest.raises(NotFound):
            services.set_exam_date(user, slug, today)
    services.set_exam_date(user, exam.slug, today)
    services.clear_exam_date(user, exam.slug)
    with pytest.raises(services.ExamDateNotFound):
        services.clear_exam_date(user, exam.slug)


def test_another_learner_never_sees_the_goals_or_days(app, ctx):
    """One learner's goals, answers, met days and exam dates never appear in another's progress."""
    exam = gen_bank(app, per_objective=4)
    owner, other = user_in_db(app), user_in_db(app)
    services.set_goal(owner, Q, 5)
    services.set_exam_date(owner, exam.slug, local_day(utcnow(), owner.timezone) + timedelta(days=3))
    _study_answers(owner, exam, 5)
    theirs = services.today_progress(db.session.get(User, other.id), with_history=True)
    assert (theirs.goals, theirs.count.questions, theirs.met, theirs.streak) == ([], 0, False, 0)
    assert services.exam_plans(other) == [] and len(services.exam_plans(owner)) == 1


def test_the_meter_after_an_answer_does_not_ask_again_for_goals_there_are_none_of(app, ctx):
    """A goal-free learner's answer hook finds no goal; the meter of the same request then costs
    no statement, and a goal set afterwards in that session is seen at once."""
    user = user_in_db(app)
    now = utcnow()
    assert services.record_goal_progress(user.id, now) is False
    statements = []
    count = lambda *_args: statements.append(1)  # noqa: E731
    sa.event.listen(db.engine, "after_cursor_execute", count)
    try:
        assert not services.today_progress(user, now).has_goals
    finally:
        sa.event.remove(db.engine, "after_cursor_execute", count)
    assert statements == []
    services.set_goal(user, GoalType.DAILY_QUESTIONS.value, 10, now)
    assert services.today_progress(user, now).goal(GoalType.DAILY_QUESTIONS).target == 10

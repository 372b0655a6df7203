"""Daily goals and exam dates: one source of truth for the goals page, the meter, the widget and the API.

Rules written once here:

- A learner has at most one goal of each `GoalType` (questions answered, or minutes spent
  answering, per local day). Setting a goal again replaces its target. Targets are bounded by
  GOAL_DAILY_QUESTIONS_MIN..MAX and GOAL_DAILY_MINUTES_MIN..MAX (400 on `target`).
- Days are the learner's own days (`User.timezone`), bounded by `local_day_bounds`, so a DST
  day is 23 or 25 hours long.
- What counts on a day: every `answers` row of the learner answered that day (practice,
  simulation and study; minutes are the sum of their `time_spent_seconds`, in whole minutes),
  plus the answered questions of the learner's quiz still in progress (their `answered_at` and
  time so far). The meter must move after every answer in a quiz, and a quiz writes `answers`
  only when it is submitted; once it is, its questions are counted from `answers` only (the
  attempt is no longer in progress). An abandoned quiz therefore stops counting. A submitted
  quiz writes a row for every question, so its unanswered questions (scored wrong) count as
  answered at submission: the `answers` table cannot tell them apart.
- A day is met when every goal set is reached. The answer that reaches it writes the
  `GoalDay` (insert-if-absent, so two answers at once write one row); a met day stays met, even
  if a goal is raised or the open quiz that helped is abandoned afterwards.
- "Goal reached" is told once: the meter shows it while the day's `announced_at` is empty, and
  a POST from the meter (`mark_goal_announced`) fills it in.
- The goal streak is the run of consecutive met days ending today, or yesterday while today is
  not met yet; the history is the last GOAL_HISTORY_DAYS days, met or not.
- An exam date (one per visible exam, today or later) suggests a daily questions target: the
  exam's unseen active questions plus its reviews due by the exam date (the learner's
  spaced-review cards of the exam whose `due` falls before the exam day ends, in the learner's
  time zone; the ones due already included), divided by the days left before the exam (at
  least 1, so on the exam day itself everything left is today's), rounded up and clamped to the
  questions bounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from webapp.exceptions import NotFound, ValidationError
from webapp.extensions import db
from webapp.gamification.services import insert_if_absent, local_day, local_day_bounds
from webapp.models import Answer, AttemptQuestion, AttemptStatus, Exam, Question, QuizAttempt, ReviewCard, User
from webapp.models.base import utcnow
from webapp.models.goals import DailyGoal, ExamDate, GoalDay
from webapp.models.enums import GoalType
from webapp.questions.services import visible_exam, visible_exams_query

_BOUND_KEYS = {GoalType.DAILY_QUESTIONS: ("GOAL_DAILY_QUESTIONS_MIN", "GOAL_DAILY_QUESTIONS_MAX"),
               GoalType.DAILY_MINUTES: ("GOAL_DAILY_MINUTES_MIN", "GOAL_DAILY_MINUTES_MAX")}


class GoalNotFound(NotFound):
    code = "GOAL_NOT_FOUND"
    message = "You have no goal of that type."


class ExamDateNotFound(NotFound):
    code = "EXAM_DATE_NOT_FOUND"
    message = "You have no date set for that exam."


# `db.session.info` key of `_goal_free`.
GOAL_FREE = "goals.goal_free_users"


def goal_bounds(goal_type: GoalType | str) -> tuple[int, int]:
    """The (lowest, highest) daily target of a goal type, from config."""
    low, high = _BOUND_KEYS[GoalType(goal_type)]
    return current_app.config[low], current_app.config[high]


def goal_type_of(value: str) -> GoalType:
    """The GoalType named by `value`; anything else is a 400 UNKNOWN_GOAL_TYPE on `type`."""
    try:
        return GoalType(value)
    except ValueError:
        raise ValidationError(f"The goal type must be one of {', '.join(GoalType)}.", field="type",
                              code="UNKNOWN_GOAL_TYPE") from None


def _upsert(model, keys: dict, values: dict) -> None:
    """INSERT, or UPDATE `values` where the primary key exists (one statement, safe under concurrency)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(**keys, **values)
    db.session.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=values))


def set_goal(user: User, goal_type: str, target: int, now: datetime | None = None) -> tuple[DailyGoal, bool]:
    """Set (or replace) the learner's goal of `goal_type`; returns it and whether it is new.

    A target outside the type's bounds is a 400 GOAL_OUT_OF_RANGE on `target`. A lower target
    may meet today at once, so the day is checked here too."""
    now = now or utcnow()
    kind = goal_type_of(goal_type)
    low, high = goal_bounds(kind)
    if isinstance(target, bool) or not isinstance(target, int) or not low <= target <= high:
        raise ValidationError(f"The target must be a whole number from {low} to {high}.", field="target",
                              code="GOAL_OUT_OF_RANGE")
    existed = db.session.get(DailyGoal, (user.id, kind.value)) is not None
    _goal_free(drop=user.id)
    _upsert(DailyGoal, {"user_id": user.id, "goal_type": kind.value},
            {"target": target, "updated_at": now} if existed else {"target": target, "created_at": now,
                                                                     "updated_at": now})
    record_goal_progress(user.id, now)
    db.session.commit()
    goal = db.session.get(DailyGoal, (user.id, kind.value), populate_existing=True)
    return goal, not existed


def delete_goal(user: User, goal_type: str, now: datetime | None = None) -> None:
    """Remove the learner's goal of `goal_type` (404 GOAL_NOT_FOUND when none, or for an unknown
    type). The goals left may meet today, so the day is checked again."""
    if goal_type not in set(GoalType):
        raise GoalNotFound()
    kind = GoalType(goal_type)
    deleted = db.session.execute(sa.delete(DailyGoal).where(DailyGoal.user_id == user.id,
                                                            DailyGoal.goal_type == kind.value)).rowcount
    if not deleted:
        db.session.rollback()
        raise GoalNotFound()
    record_goal_progress(user.id, now or utcnow())
    db.session.commit()


def goal_rows(user: User) -> list[DailyGoal]:
    """The learner's goals, in GoalType order (questions first)."""
    order = {kind.value: index for index, kind in enumerate(GoalType)}
    return sorted(db.session.scalars(sa.select(DailyGoal).where(DailyGoal.user_id == user.id)),
                  key=lambda goal: order[goal.goal_type])


def goals_of(user: User) -> dict[GoalType, int]:
    """The learner's goals: type -> daily target (questions goal first)."""
    return {GoalType(goal.goal_type): goal.target for goal in goal_rows(user)}


@dataclass(frozen=True)
class DayCount:
    """What counts towards the goals on one local day."""

    questions: int
    seconds: int

    @property
    def minutes(self) -> int:
        return self.seconds // 60

    def value(self, kind: GoalType) -> int:
        return self.questions if kind == GoalType.DAILY_QUESTIONS else self.minutes


def day_count(user_id: int, day: date, timezone_name: str) -> DayCount:
    """The questions answered and the seconds spent on `day` (one statement): the `answers` rows
    of the day, plus the answered questions of the quiz in progress (see the module docstring)."""
    start, end = local_day_bounds(day, timezone_name)
    answered = (sa.select(sa.func.count(Answer.id).label("n"),
                          sa.func.coalesce(sa.func.sum(Answer.time_spent_seconds), 0).label("s"))
                .where(Answer.user_id == user_id, Answer.answered_at >= start, Answer.answered_at < end)
                .subquery())
    open_quiz = (sa.select(sa.func.count(AttemptQuestion.id).label("n"),
                           sa.func.coalesce(sa.func.sum(AttemptQuestion.time_spent_ms), 0).label("ms"))
                 .join(QuizAttempt, QuizAttempt.id == AttemptQuestion.attempt_id)
                 .where(QuizAttempt.user_id == user_id, QuizAttempt.status == AttemptStatus.IN_PROGRESS,
                        AttemptQuestion.answered_at >= start, AttemptQuestion.answered_at < end)
                 .subquery())
    row = db.session.execute(sa.select(answered.c.n, answered.c.s, open_quiz.c.n, open_quiz.c.ms)
                             .select_from(answered.join(open_quiz, sa.true()))).one()
    return DayCount(questions=int(row[0]) + int(row[2]), seconds=int(row[1]) + int(row[3]) // 1000)


def _reached(goals: dict[GoalType, int], count: DayCount) -> bool:
    return bool(goals) and all(count.value(kind) >= target for kind, target in goals.items())


def record_goal_progress(user_id: int, now: datetime) -> bool:
    """The answers' hook, run in the transaction of every answer (study answer, quiz answer save,
    quiz submit) once its rows are written: when every goal the learner set is reached on the
    local day of `now` and that day is not yet met, write its GoalDay. True when written.

    Cheap: one statement (the goals with the day's met flag) when the learner has no goal or the
    day is already met; one more (the day's count) otherwise, and the insert on the answer that
    meets the day."""
    user = db.session.get(User, user_id)  # the signed-in user: already in the session
    day = local_day(now, user.timezone)
    met = sa.exists().where(GoalDay.user_id == user_id, GoalDay.day == day)
    rows = db.session.execute(sa.select(DailyGoal.goal_type, DailyGoal.target, met.label("met"))
                              .where(DailyGoal.user_id == user_id)).all()
    if not rows:
        _goal_free(add=user_id)  # the meter this request draws need not ask again
        return False
    if rows[0].met:
        return False
    goals = {GoalType(row.goal_type): row.target for row in rows}
    if not _reached(goals, day_count(user_id, day, user.timezone)):
        return False
    return insert_if_absent(GoalDay.__table__, {"user_id": user_id, "day": day, "met_at": now})


@dataclass(frozen=True)
class GoalStatus:
    """One goal today: its target, the amount so far and the share reached."""

    kind: GoalType
    target: int
    done: int

    @property
    def percentage(self) -> int:
        """Whole percent of the target, at most 100."""
        return min(100, self.done * 100 // self.target)

    @property
    def remaining(self) -> int:
        return max(0, self.target - self.done)

    @property
    def reached(self) -> bool:
        return self.done >= self.target


@dataclass(frozen=True)
class HistoryDay:
    day: date
    met: bool


@dataclass(frozen=True)
class Progress:
    """Today's state of the learner's goals: what the meter, the widget and the API show."""

    day: date
    count: DayCount
    goals: list[GoalStatus]
    met: bool
    announce: bool  # met, and not yet told
    streak: int = 0
    history: list[HistoryDay] = field(default_factory=list)

    @property
    def has_goals(self) -> bool:
        return bool(self.goals)

    def goal(self, kind: GoalType) -> GoalStatus | None:
        return next((goal for goal in self.goals if goal.kind == kind), None)

    @property
    def percentage(self) -> int:
        """The ring: the share of the goal furthest from done (every goal must be reached)."""
        return min((goal.percentage for goal in self.goals), default=0)


def goal_streak(days_met: list[date], today: date) -> int:
    """Consecutive met days ending today, or yesterday while today is not met (`days_met` newest first)."""
    met = set(days_met)
    day = today if today in met else today - timedelta(days=1)
    streak = 0
    while day in met:
        streak += 1
        day -= timedelta(days=1)
    return streak


def _goal_free(add: int | None = None, drop: int | None = None) -> set[int]:
    """The learners this database session has just found without a goal (the answer's hook, then
    the meter of the same request), so the answer's response does not look twice."""
    known = db.session.info.setdefault(GOAL_FREE, set())
    if add is not None:
        known.add(add)
    if drop is not None:
        known.discard(drop)
    return known


def today_progress(user: User, now: datetime | None = None, with_history: bool = False) -> Progress:
    """Today's progress of the learner's goals: one statement when no goal is set (the goals with
    today's met day; none when this request's answer hook has just found no goal), one more for
    the count; `with_history` adds the streak and the history (one more)."""
    now = now or utcnow()
    day = local_day(now, user.timezone)
    if not with_history and user.id in _goal_free():
        return Progress(day=day, count=DayCount(0, 0), goals=[], met=False, announce=False)
    rows = db.session.execute(
        sa.select(DailyGoal.goal_type, DailyGoal.target, GoalDay.announced_at, GoalDay.day)
        .select_from(User).outerjoin(DailyGoal, DailyGoal.user_id == User.id)
        .outerjoin(GoalDay, sa.and_(GoalDay.user_id == User.id, GoalDay.day == day))
        .where(User.id == user.id)).all()
    met = bool(rows) and rows[0].day is not None
    announce = met and rows[0].announced_at is None
    targets = {GoalType(row.goal_type): row.target for row in rows if row.goal_type is not None}
    count = day_count(user.id, day, user.timezone) if targets or with_history else DayCount(0, 0)
    goals = [GoalStatus(kind, targets[kind], count.value(kind)) for kind in GoalType if kind in targets]
    streak, history = 0, []
    if with_history:
        days_met = list(db.session.scalars(sa.select(GoalDay.day).where(GoalDay.user_id == user.id)
                                           .order_by(GoalDay.day.desc())))
        streak = goal_streak(days_met, day)
        met_set = set(days_met)
        span = current_app.config["GOAL_HISTORY_DAYS"]
        history = [HistoryDay(day - timedelta(days=back), day - timedelta(days=back) in met_set)
                   for back in range(span - 1, -1, -1)]
    return Progress(day=day, count=count, goals=goals, met=met, announce=announce, streak=streak, history=history)


def mark_goal_announced(user: User, day: date, now: datetime | None = None) -> bool:
    """Record that "goal reached" was shown for the learner's met `day`, so it is said once.
    True when this call marked it (an unmet or already announced day changes nothing)."""
    result = db.session.execute(sa.update(GoalDay).where(GoalDay.user_id == user.id, GoalDay.day == day,
                                                         GoalDay.announced_at.is_(None))
                                .values(announced_at=now or utcnow()).execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def _exam_for(user: User, slug: str) -> Exam:
    exam = visible_exam(user, slug)
    if exam is None:
        raise NotFound("There is no such exam.")
    return exam


def latest_exam_date(today: date) -> date:
    """The last day an exam date may name (EXAM_DATE_MAX_DAYS_AHEAD after `today`)."""
    return today + timedelta(days=int(current_app.config["EXAM_DATE_MAX_DAYS_AHEAD"]))


def set_exam_date(user: User, slug: str, exam_on: date, now: datetime | None = None) -> ExamDate:
    """Set (or move) the day the learner sits a visible exam (404 otherwise): today or later in
    their time zone (400 EXAM_DATE_PAST on `date`), and at most EXAM_DATE_MAX_DAYS_AHEAD days
    ahead (400 EXAM_DATE_TOO_FAR)."""
    now = now or utcnow()
    exam = _exam_for(user, slug)
    today = local_day(now, user.timezone)
    if exam_on < today:
        raise ValidationError("The exam date must be today or later.", field="date", code="EXAM_DATE_PAST")
    if exam_on > latest_exam_date(today):
        raise ValidationError(f"The exam date must be on or before {latest_exam_date(today).isoformat()}.",
                              field="date", code="EXAM_DATE_TOO_FAR")
    _upsert(ExamDate, {"user_id": user.id, "exam_id": exam.id},
            {"exam_on": exam_on, "updated_at": now})
    db.session.commit()
    return db.session.get(ExamDate, (user.id, exam.id), populate_existing=True)


def clear_exam_date(user: User, slug: str) -> None:
    """Remove the learner's date for an exam (404 NOT_FOUND for an exam the learner cannot see,
    EXAM_DATE_NOT_FOUND when none is set)."""
    exam = _exam_for(user, slug)
    deleted = db.session.execute(sa.delete(ExamDate).where(ExamDate.user_id == user.id,
                                                           ExamDate.exam_id == exam.id)).rowcount
    if not deleted:
        db.session.rollback()
        raise ExamDateNotFound()
    db.session.commit()


@dataclass(frozen=True)
class ExamPlan:
    """An exam date with its countdown and the daily questions target it suggests."""

    exam: Exam
    exam_on: date
    days_left: int  # the countdown: 0 on the exam day
    unseen: int
    due_reviews: int
    suggested_target: int


def suggested_target(remaining: int, days_left: int) -> int:
    """Questions a day to cover `remaining` in `days_left` days, rounded up, within the bounds."""
    low, high = goal_bounds(GoalType.DAILY_QUESTIONS)
    return max(low, min(high, math.ceil(remaining / max(1, days_left))))


def exam_plan(user: User, slug: str, now: datetime | None = None) -> ExamPlan:
    """The plan of one exam the learner has dated (404 EXAM_DATE_NOT_FOUND otherwise)."""
    plans = exam_plans(user, now, slug=slug)
    if not plans:
        raise ExamDateNotFound()
    return plans[0]


def exam_plans(user: User, now: datetime | None = None, slug: str | None = None) -> list[ExamPlan]:
    """The learner's exam dates still to come on visible exams, soonest first (three statements);
    `slug`: that exam's only."""
    today = local_day(now or utcnow(), user.timezone)
    visible = visible_exams_query(user).subquery()
    query = (sa.select(Exam, ExamDate.exam_on).join(ExamDate, ExamDate.exam_id == Exam.id)
             .where(ExamDate.user_id == user.id, ExamDate.exam_on >= today, Exam.id.in_(sa.select(visible.c.id)))
             .order_by(ExamDate.exam_on, Exam.code))
    if slug is not None:
        query = query.where(Exam.slug == slug)
    rows = db.session.execute(query).all()
    if not rows:
        return []
    seen = sa.exists().where(Answer.user_id == user.id, Answer.exam_id == Question.exam_id,
                             Answer.question_id == Question.id)
    unseen = dict(db.session.execute(
        sa.select(Question.exam_id, sa.func.count(Question.id))
        .where(Question.exam_id.in_([exam.id for exam, _ in rows]), Question.is_active.is_(True), ~seen)
        .group_by(Question.exam_id)).all())
    due = _reviews_due_by(user, rows)
    plans = []
    for exam, exam_on in rows:
        days_left = (exam_on - today).days
        left, reviews = unseen.get(exam.id, 0), due.get(exam.id, 0)
        plans.append(ExamPlan(exam, exam_on, days_left, left, reviews, suggested_target(left + reviews, days_left)))
    return plans


def _reviews_due_by(user: User, dated: list[tuple[Exam, date]]) -> dict[int, int]:
    """Per dated exam, the learner's cards due before the exam day ends (one grouped read of the
    learner's cards on their (user, exam, due) index)."""
    by_exam = sa.or_(*(sa.and_(ReviewCard.exam_id == exam.id,
                               ReviewCard.due < local_day_bounds(exam_on, user.timezone)[1]) for exam, exam_on in dated))
    return dict(db.session.execute(sa.select(ReviewCard.exam_id, sa.func.count())
                                   .where(ReviewCard.user_id == user.id, by_exam).group_by(ReviewCard.exam_id)).all())

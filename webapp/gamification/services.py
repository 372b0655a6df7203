"""XP, streaks, achievements and leaderboards.

`record_quiz_completion` is the quiz engine's hook: it runs inside the submit transaction, so
XP, the streak day and new achievements commit (or roll back) together with the result.
`record_study_answer` is study mode's: study answers earn no XP and feed no quiz achievement, but
a local day with STUDY_STREAK_MIN_ANSWERS of them is an active streak day (and so counts for the
streak achievements).

Every XP award is a ledger row keyed by (user, reason, source). Awards are inserted with
ON CONFLICT DO NOTHING and the user's total grows only by rows actually inserted, so repeats
and races can never double-count and `users.xp` always equals the ledger's sum.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from webapp.cache import LEADERBOARD, cached
from webapp.extensions import db
from webapp.gamification.achievements import ACHIEVEMENTS, COMEBACK_POINTS, AchievementStats, achievement_by_code
from webapp.gamification.levels import level_for_xp, level_progress
from webapp.questions.services import all_exams
from webapp.models import (AttemptQuestion, AttemptResult, AttemptStatus, Answer, Exam, QuizAttempt, QuizMode, Streak,
                           StudySession, User, UserAchievement, WeeklyXp, XpEvent)
from webapp.models.base import utcnow

logger = logging.getLogger(__name__)

MAX_FREEZES = 2
FREEZE_EVERY_DAYS = 7
LEADERBOARD_SIZE = 50
PERIODS = ("all", "week")


@dataclass(frozen=True)
class CompletionOutcome:
    xp_earned: int = 0
    new_achievements: list[dict] = field(default_factory=list)
    xp_notes: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class QuizFacts:
    """What the XP and achievement rules read about one scored attempt (plain values)."""

    mode: str
    total: int
    answered: int
    correct: int
    passed: bool | None
    time_used_seconds: int


@dataclass(frozen=True)
class XpDecision:
    awards: list[tuple[str, int]]  # (reason, amount) ledger rows to write
    notes: list[dict]  # {"code", "message"}: why XP was withheld, for the result


def _note(code: str, message: str) -> dict:
    return {"code": code, "message": message}


def is_too_fast(facts: QuizFacts) -> bool:
    """Answered faster than XP_MIN_SECONDS_PER_QUESTION on average: scored, but no XP."""
    return facts.time_used_seconds < facts.total * current_app.config["XP_MIN_SECONDS_PER_QUESTION"]


def counts_as_quiz(facts: QuizFacts) -> bool:
    """Counts for streaks and achievements: enough answered, at a human pace (see `_counted`)."""
    cfg = current_app.config
    return (facts.mode in QuizMode.scored() and not is_too_fast(facts)
            and facts.answered * 100 >= facts.total * cfg["XP_COMPLETION_MIN_ANSWERED_PERCENT"])


def _counted():
    """`counts_as_quiz` as SQL over attempt_results, for the achievement aggregates."""
    cfg = current_app.config
    return sa.and_(
        AttemptResult.answered * 100 >= AttemptResult.total * cfg["XP_COMPLETION_MIN_ANSWERED_PERCENT"],
        AttemptResult.time_used_seconds >= AttemptResult.total * cfg["XP_MIN_SECONDS_PER_QUESTION"])


def xp_awards_for(facts: QuizFacts, credited: int) -> XpDecision:
    """The XP a scored attempt earns when `credited` of its correct answers earn answer XP.

    Too fast: nothing. Answer XP per credited answer. Bonuses only when at least
    XP_BONUS_MIN_CREDITED_PERCENT of the questions earned answer XP; the completion bonus needs
    XP_COMPLETION_MIN_ANSWERED_PERCENT answered, perfect and simulation-passed need every answer.
    """
    cfg = current_app.config
    if facts.mode not in QuizMode.scored():
        return XpDecision([], [])  # study mode and anything else earns nothing
    if is_too_fast(facts):
        return XpDecision([], [_note("too_fast", (
            f"You answered faster than {cfg['XP_MIN_SECONDS_PER_QUESTION']} seconds a question on average: "
            "the quiz is scored, but it earns no XP."))])
    notes = []
    repeats = facts.correct - credited
    if repeats:
        notes.append(_note("recently_credited", (
            f"{repeats} correct {'answer' if repeats == 1 else 'answers'} earned no XP: those questions already "
            f"earned you XP in the last {cfg['XP_RECREDIT_DAYS']} days.")))
    every_answer = facts.answered == facts.total
    bonuses = []
    if facts.total >= cfg["XP_BONUS_MIN_QUESTIONS"]:
        if facts.answered * 100 >= facts.total * cfg["XP_COMPLETION_MIN_ANSWERED_PERCENT"]:
            bonuses.append(("completion_bonus", cfg["XP_COMPLETION_BONUS"]))
        else:
            notes.append(_note("too_few_answered", (
                f"No completion bonus: it needs at least {cfg['XP_COMPLETION_MIN_ANSWERED_PERCENT']}% "
                "of the questions answered.")))
        if every_answer and facts.correct == facts.total:
            bonuses.append(("perfect_score", cfg["XP_PERFECT_SCORE_BONUS"]))
    if facts.mode == QuizMode.EXAM and facts.passed:
        if every_answer:
            bonuses.append(("simulation_passed", cfg["XP_SIMULATION_PASSED"]))
        else:
            notes.append(_note("unanswered_questions",
                               "No simulation bonus: it needs every question answered."))
    if bonuses and credited * 100 < facts.total * cfg["XP_BONUS_MIN_CREDITED_PERCENT"]:
        bonuses = []
        notes.append(_note("mostly_repeated", (
            f"No bonus: fewer than {cfg['XP_BONUS_MIN_CREDITED_PERCENT']}% of the questions earned answer XP.")))
    awards = [("correct_answers", credited * cfg["XP_PER_CORRECT_ANSWER"]), *bonuses]
    return XpDecision([(reason, amount) for reason, amount in awards if amount > 0], notes)


def credit_answers(user_id: int, attempt_id: int, finished: datetime, correct_question_ids: list[int]) -> int:
    """Mark this attempt's correct answers whose question earned the user no XP in the last
    XP_RECREDIT_DAYS before `finished`; returns how many were credited.

    One lookup for all the attempt's questions on the (user_id, question_id, answered_at) index.
    """
    if not correct_question_ids:
        return 0
    since = finished - timedelta(days=current_app.config["XP_RECREDIT_DAYS"])
    # Study answers (attempt_id null) never earn XP, so they are never "recently credited" either.
    recent = set(db.session.scalars(
        sa.select(Answer.question_id).distinct()
        .where(Answer.user_id == user_id, Answer.question_id.in_(correct_question_ids),
               Answer.answered_at > since, Answer.attempt_id.is_not(None), Answer.attempt_id != attempt_id,
               Answer.xp_awarded.is_(True))))
    fresh = [qid for qid in correct_question_ids if qid not in recent]
    if fresh:
        db.session.execute(sa.update(Answer).where(Answer.attempt_id == attempt_id, Answer.question_id.in_(fresh))
                           .values(xp_awarded=True).execution_options(synchronize_session=False))
    return len(fresh)


def settle_attempt(user_id: int, attempt_id: int, finished: datetime, facts: QuizFacts,
                   correct_question_ids: list[int]) -> XpDecision:
    """The one XP rule, applied by live scoring and by recompute alike: credit the attempt's
    answers (none when too fast), then decide its awards."""
    if facts.mode not in QuizMode.scored() or is_too_fast(facts):
        return xp_awards_for(facts, 0)
    return xp_awards_for(facts, credit_answers(user_id, attempt_id, finished, correct_question_ids))


def iso_week_start(moment: datetime) -> date:
    """Monday of the ISO week (UTC) that `moment` falls in."""
    day = moment.astimezone(ZoneInfo("UTC")).date()
    return day - timedelta(days=day.weekday())


def insert_if_absent(table, values: dict) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when the row was new.

    RETURNING tells the two cases apart on both backends (rowcount is -1 on PostgreSQL once
    SQLAlchemy adds RETURNING for the primary key).
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(**values).on_conflict_do_nothing()
    return db.session.execute(statement.returning(*table.primary_key.columns)).first() is not None


def _upsert_weekly(user_id: int, week: date, amount: int, when: datetime) -> None:
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(WeeklyXp).values(week_start=week, user_id=user_id, xp=amount, reached_at=when)
    statement = statement.on_conflict_do_update(
        index_elements=[WeeklyXp.week_start, WeeklyXp.user_id],
        set_={"xp": WeeklyXp.xp + statement.excluded.xp, "reached_at": statement.excluded.reached_at})
    db.session.execute(statement)


def award_xp(user_id: int, reason: str, source: str, amount: int, when: datetime) -> int:
    """Add one ledger row; returns the XP actually added (0 if this award already exists)."""
    if not insert_if_absent(XpEvent.__table__, {"user_id": user_id, "amount": amount, "reason": reason,
                                                "source": source, "created_at": when}):
        return 0
    db.session.execute(sa.update(User).where(User.id == user_id)
                       .values(xp=User.xp + amount, xp_reached_at=when)
                       .execution_options(synchronize_session=False))
    _upsert_weekly(user_id, iso_week_start(when), amount, when)
    return amount


def local_day(moment: datetime, timezone_name: str) -> date:
    """The calendar day `moment` falls on in the user's time zone."""
    return moment.astimezone(ZoneInfo(timezone_name)).date()


def advance_streak(streak: Streak, day: date) -> None:
    """Count an active `day`: extend, keep, freeze over a gap, or restart the streak."""
    last = streak.last_active_day
    if last is not None and day <= last:
        return  # the same day again (or an older one replayed): nothing changes
    if last is None:
        streak.current = 1
    else:
        missed = (day - last).days - 1
        if missed == 0:
            streak.current += 1
        elif missed <= streak.freezes:
            streak.freezes -= missed  # a freeze covers each missed day automatically
            streak.freezes_used += missed
            streak.current += 1
        else:
            streak.current = 1
    if streak.current % FREEZE_EVERY_DAYS == 0:
        streak.freezes = min(MAX_FREEZES, streak.freezes + 1)
    streak.longest = max(streak.longest, streak.current)
    streak.last_active_day = day


@dataclass(frozen=True)
class StreakView:
    current: int
    longest: int
    freezes: int
    active_today: bool
    at_risk: bool  # nothing yet today; tomorrow it would need a freeze or reset


def streak_view(streak: Streak | None, today: date) -> StreakView:
    """The streak as of `today`: a gap the freezes cannot cover means the current streak is 0."""
    if streak is None or streak.last_active_day is None:
        return StreakView(0, streak.longest if streak else 0, streak.freezes if streak else 0, False, False)
    missed = (today - streak.last_active_day).days - 1
    alive = missed <= streak.freezes
    current = streak.current if alive else 0
    return StreakView(current, streak.longest, streak.freezes, missed < 0, alive and missed >= 0)


def _get_streak(user_id: int) -> Streak:
    streak = db.session.get(Streak, user_id)
    if streak is None:
        streak = Streak(user_id=user_id, current=0, longest=0, freezes=0, freezes_used=0)
        db.session.add(streak)
    return streak


def user_streak(user: User, now: datetime | None = None) -> StreakView:
    return streak_view(db.session.get(Streak, user.id), local_day(now or utcnow(), user.timezone))


def achievement_stats(user_id: int, latest: dict | None = None) -> AchievementStats:
    """The numbers every achievement rule reads, from a handful of indexed aggregates.

    Only quizzes that count (`counts_as_quiz`: enough answered, at a human pace) feed them, so
    blank or instant submits cannot farm quiz counts, perfect scores, mastery or streak-free wins.
    """
    counted = _counted()
    scored = (sa.select(sa.func.count(AttemptResult.attempt_id), sa.func.coalesce(sa.func.sum(AttemptResult.correct), 0),
                        sa.func.count(AttemptResult.attempt_id).filter(QuizAttempt.mode == QuizMode.EXAM),
                        sa.func.count(AttemptResult.attempt_id).filter(AttemptResult.passed.is_(True)),
                        sa.func.count(AttemptResult.attempt_id).filter(
                            AttemptResult.total >= 10, AttemptResult.correct == AttemptResult.total),
                        sa.func.count(sa.distinct(QuizAttempt.exam_id)))
              .join(QuizAttempt, QuizAttempt.id == AttemptResult.attempt_id)
              # both user filters: each side's index narrows the join to this user's rows
              .where(AttemptResult.user_id == user_id, QuizAttempt.user_id == user_id,
                     QuizAttempt.mode.in_(QuizMode.scored()), counted))
    quizzes, correct, simulations, passed, perfect, exams_tried = db.session.execute(scored).one()
    # All answers on the covering (user, objective, is_correct) index, minus those of the few
    # attempts that do not count (found by attempt id), instead of a join over every answer.
    tallies = sa.select(Answer.objective_id, sa.func.count(Answer.id),
                        sa.func.sum(sa.case((Answer.is_correct.is_(True), 1), else_=0))).group_by(Answer.objective_id)
    per_objective = {objective: [total, right] for objective, total, right in db.session.execute(
        tallies.where(Answer.user_id == user_id))}
    not_counted = sa.select(AttemptResult.attempt_id).where(AttemptResult.user_id == user_id, sa.not_(counted))
    # Study answers feed no achievement: found by session id on the (study_session_id, question_id) index.
    studied = sa.select(StudySession.id).where(StudySession.user_id == user_id)
    for excluded in (Answer.attempt_id.in_(not_counted), Answer.study_session_id.in_(studied)):
        for objective, total, right in db.session.execute(tallies.where(excluded)):
            per_objective[objective][0] -= total
            per_objective[objective][1] -= right
    mastery = max((total for total, right in per_objective.values() if total and right / total >= 0.9), default=0)
    streak = db.session.get(Streak, user_id)
    return AchievementStats(
        quizzes=quizzes, correct_answers=int(correct), simulations=simulations, passed_simulations=passed,
        perfect_scores=perfect, exams_tried=exams_tried,
        exams_available=db.session.scalar(sa.select(sa.func.count(Exam.id)).where(Exam.is_active.is_(True))) or 0,
        longest_streak=streak.longest if streak else 0, best_mastered_objective_answers=mastery,
        latest=latest or {})


def _previous_score(user_id: int, exam_id: int, attempt_id: int) -> float | None:
    """The score of the user's previous counting quiz on this exam (for "Comeback")."""
    return db.session.scalar(
        sa.select(AttemptResult.score_percent).join(QuizAttempt, QuizAttempt.id == AttemptResult.attempt_id)
        .where(AttemptResult.user_id == user_id, QuizAttempt.user_id == user_id, QuizAttempt.exam_id == exam_id,
               QuizAttempt.id != attempt_id, QuizAttempt.mode.in_(QuizMode.scored()), _counted(),
               QuizAttempt.finished_at <= sa.select(QuizAttempt.finished_at)
               .where(QuizAttempt.id == attempt_id).scalar_subquery())
        .order_by(QuizAttempt.finished_at.desc(), QuizAttempt.id.desc()).limit(1))


def _latest(attempt: QuizAttempt, facts: QuizFacts, score_percent: float) -> dict:
    """The just-completed attempt as the "Comeback" and "Beat the clock" rules read it."""
    return {"score_percent": score_percent, "total": facts.total, "timed": attempt.timed,
            "time_limit_seconds": attempt.time_limit_seconds, "time_used_seconds": facts.time_used_seconds,
            "previous_score_percent": _previous_score(attempt.user_id, attempt.exam_id, attempt.id),
            "counts": counts_as_quiz(facts)}


def award_new_achievements(user_id: int, stats: AchievementStats, source: str, when: datetime) -> list[dict]:
    """Insert every achievement whose rule now holds and that the user lacks; returns the new ones."""
    earned = set(db.session.scalars(sa.select(UserAchievement.code).where(UserAchievement.user_id == user_id)))
    new = []
    for achievement in ACHIEVEMENTS:
        if achievement.code in earned or not achievement.is_met(stats):
            continue
        if insert_if_absent(UserAchievement.__table__, {"user_id": user_id, "code": achievement.code,
                                                         "earned_at": when, "source": source}):
            new.append({"code": achievement.code, "name": achievement.name, "description": achievement.description,
                        "icon": achievement.icon})
    return new


def record_quiz_completion(attempt: QuizAttempt, result: dict, answered: int,
                           correct_question_ids: list[int]) -> CompletionOutcome:
    """Award XP, count the streak day and grant achievements for a completed attempt.

    Runs after the attempt's `answers` rows are inserted; `settle_attempt` marks those that earn XP.
    """
    if attempt.mode not in QuizMode.scored():
        return CompletionOutcome()
    when = attempt.finished_at or utcnow()
    source = f"attempt:{attempt.id}"
    user = db.session.get(User, attempt.user_id)
    facts = QuizFacts(attempt.mode, result["total"], answered, result["correct"], result["passed"],
                      result["time_used_seconds"])
    decision = settle_attempt(user.id, attempt.id, when, facts, correct_question_ids)
    xp = sum(award_xp(user.id, reason, source, amount, when) for reason, amount in decision.awards)
    if counts_as_quiz(facts):
        advance_streak(_get_streak(user.id), local_day(when, user.timezone))
    db.session.flush()
    latest = _latest(attempt, facts, result["score_percent"])
    new = award_new_achievements(user.id, achievement_stats(user.id, latest), source, when)
    if xp or new or decision.notes:
        logger.info("gamification awarded", extra={"attempt_id": attempt.id, "xp": xp,
                                                   "achievements": [a["code"] for a in new],
                                                   "xp_notes": [n["code"] for n in decision.notes]})
    return CompletionOutcome(xp_earned=xp, new_achievements=new, xp_notes=decision.notes)


def local_day_bounds(day: date, timezone_name: str) -> tuple[datetime, datetime]:
    """The UTC instants where `day` starts and ends in the time zone (a DST day is 23 or 25 hours)."""
    zone = ZoneInfo(timezone_name)
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def record_study_answer(user_id: int, when: datetime, source: str | None = None) -> bool:
    """Study mode's hook, run in the answer's transaction once its `answers` row is written.

    The learner's local day of `when` becomes an active streak day when it holds at least
    STUDY_STREAK_MIN_ANSWERS study answers (one range count on the (user, answered_at) index).
    No XP. When the streak moves on, the streak achievements are checked (with the same stats
    as after a quiz, so `recompute` grants the same), recorded with `source` (by default the
    day). True when the streak advanced."""
    user = db.session.get(User, user_id)
    day = local_day(when, user.timezone)
    counted = db.session.get(Streak, user_id)
    if counted is not None and counted.last_active_day is not None and counted.last_active_day >= day:
        return False  # the day already counts (a quiz or the tenth study answer): nothing to add
    start, end = local_day_bounds(day, user.timezone)
    answers = db.session.scalar(sa.select(sa.func.count(Answer.id)).where(
        Answer.user_id == user_id, Answer.answered_at >= start, Answer.answered_at < end,
        Answer.mode == QuizMode.STUDY))
    if answers < current_app.config["STUDY_STREAK_MIN_ANSWERS"]:
        return False
    streak = _get_streak(user_id)
    before = streak.last_active_day
    advance_streak(streak, day)
    if streak.last_active_day == before:
        return False
    db.session.flush()
    new = award_new_achievements(user_id, achievement_stats(user_id), source or f"study-day:{day.isoformat()}", when)
    logger.info("study day counted", extra={"user_id": user_id, "streak": streak.current,
                                            "achievements": [a["code"] for a in new]})
    return True


def study_streak_days(user: User) -> list[date]:
    """The learner's local days with at least STUDY_STREAK_MIN_ANSWERS study answers, in order
    (what `record_study_answer` counted live; for `recompute`)."""
    per_day = Counter(local_day(when, user.timezone) for when in db.session.scalars(
        sa.select(Answer.answered_at).where(Answer.user_id == user.id, Answer.mode == QuizMode.STUDY)))
    threshold = current_app.config["STUDY_STREAK_MIN_ANSWERS"]
    return sorted(day for day, count in per_day.items() if count >= threshold)


@dataclass(frozen=True)
class AchievementStatus:
    code: str
    name: str
    description: str
    icon: str
    earned_at: datetime | None
    current: int
    target: int


def achievement_statuses(user: User) -> list[AchievementStatus]:
    """Every achievement: earned ones with their date, locked ones with progress."""
    earned = {row.code: row.earned_at for row in db.session.scalars(
        sa.select(UserAchievement).where(UserAchievement.user_id == user.id))}
    stats = achievement_stats(user.id)
    statuses = []
    for achievement in ACHIEVEMENTS:
        current, target = achievement.progress(stats)
        when = earned.get(achievement.code)
        statuses.append(AchievementStatus(achievement.code, achievement.name, achievement.description,
                                          achievement.icon, when, target if when else min(current, target), target))
    return statuses


def recent_achievements(user: User, limit: int = 5) -> list[tuple[UserAchievement, object]]:
    rows = db.session.scalars(sa.select(UserAchievement).where(UserAchievement.user_id == user.id)
                              .order_by(UserAchievement.earned_at.desc()).limit(limit))
    return [(row, achievement_by_code(row.code)) for row in rows]


@dataclass(frozen=True)
class LeaderboardEntry:
    rank: int
    username: str
    xp: int
    level: int
    is_me: bool = False


@dataclass(frozen=True)
class Leaderboard:
    period: str
    entries: list[LeaderboardEntry]
    me: LeaderboardEntry | None


def _visible():
    # Written as "= true" (not IS TRUE) so both databases match the partial index's predicate.
    return sa.and_(User.show_on_leaderboard == sa.true(), User.is_active == sa.true())


def leaderboard(period: str, viewer: User | None, now: datetime | None = None, size: int = LEADERBOARD_SIZE) -> Leaderboard:
    """Top `size` by XP (all time) or by this ISO week's XP, plus the viewer's own rank.

    Ties go to whoever reached the score first. Opted-out users are neither shown nor ranked.
    The top list is cached (webapp.cache, group LEADERBOARD: any XP award or change of a ranked
    name or visibility bumps it); the viewer's rank is read live, a COUNT of users ahead on the
    leaderboard index, not a window function over everyone.
    """
    if period not in PERIODS:
        from webapp.exceptions import ValidationError

        raise ValidationError("period must be all or week.", field="period")
    now = now or utcnow()
    week = iso_week_start(now)
    rows = cached(LEADERBOARD, f"{period}:{week.isoformat()}:{size}", "CACHE_LEADERBOARD_TIMEOUT",
                  lambda: _top_rows(period, week, size))
    viewer_id = viewer.id if viewer is not None else None
    entries = [LeaderboardEntry(rank, username, score, level_for_xp(total), uid == viewer_id)
               for rank, (uid, username, score, total) in enumerate(rows, start=1)]
    me = None
    if viewer is not None and viewer.show_on_leaderboard and viewer.is_active:
        # Read live, never from the shared list: a learner sees their own XP, level and rank
        # change at once, even from a worker whose copy of the list is older (no Redis).
        me = _rank_of(viewer, period, now)
        entries = [LeaderboardEntry(e.rank, e.username, me.xp, me.level, True) if e.is_me else e for e in entries]
    return Leaderboard(period, entries, me)


def _top_rows(period: str, week: date, size: int) -> list[tuple[int, str, int, int]]:
    """The top `size` as plain (user id, username, score, total XP) rows: what the cache keeps."""
    if period == "all":
        query = (sa.select(User.id, User.username, User.xp, User.xp)
                 .where(_visible()).order_by(User.xp.desc(), User.xp_reached_at, User.id).limit(size))
    else:
        query = (sa.select(User.id, User.username, WeeklyXp.xp, User.xp).join(User, User.id == WeeklyXp.user_id)
                 .where(WeeklyXp.week_start == week, _visible())
                 .order_by(WeeklyXp.xp.desc(), WeeklyXp.reached_at, User.id).limit(size))
    return [tuple(row) for row in db.session.execute(query)]


def _rank_of(viewer: User, period: str, now: datetime) -> LeaderboardEntry:
    if period == "all":
        # Two range counts on the leaderboard index (an OR across them would scan the table):
        # everyone with more XP, plus those with equal XP who reached it earlier.
        more = sa.select(sa.func.count(User.id)).where(_visible(), User.xp > viewer.xp).scalar_subquery()
        earlier = sa.select(sa.func.count(User.id)).where(
            _visible(), User.xp == viewer.xp,
            sa.or_(User.xp_reached_at < viewer.xp_reached_at,
                   sa.and_(User.xp_reached_at == viewer.xp_reached_at, User.id < viewer.id))).scalar_subquery()
        ahead = db.session.scalar(sa.select(more + earlier))
        return LeaderboardEntry(ahead + 1, viewer.username, viewer.xp, level_for_xp(viewer.xp), True)
    week = iso_week_start(now)
    mine = db.session.get(WeeklyXp, (week, viewer.id))
    score = mine.xp if mine else 0
    ahead_filter = [WeeklyXp.xp > score]
    if mine is not None:
        ahead_filter.append(sa.and_(WeeklyXp.xp == score, WeeklyXp.reached_at < mine.reached_at))
        ahead_filter.append(sa.and_(WeeklyXp.xp == score, WeeklyXp.reached_at == mine.reached_at,
                                    WeeklyXp.user_id < viewer.id))
    ahead = db.session.scalar(sa.select(sa.func.count()).select_from(WeeklyXp).join(User, User.id == WeeklyXp.user_id)
                              .where(WeeklyXp.week_start == week, _visible(), sa.or_(*ahead_filter)))
    return LeaderboardEntry(ahead + 1, viewer.username, score, level_for_xp(viewer.xp), True)


@dataclass(frozen=True)
class Dashboard:
    progress: object
    streak: StreakView
    recent_attempts: list
    recent_achievements: list
    exams: list


def dashboard(user: User, now: datetime | None = None) -> Dashboard:
    """Everything the learner's home page shows, in a few indexed queries."""
    now = now or utcnow()
    attempts = list(db.session.execute(
        sa.select(QuizAttempt, AttemptResult).outerjoin(AttemptResult, AttemptResult.attempt_id == QuizAttempt.id)
        .where(QuizAttempt.user_id == user.id, QuizAttempt.status == AttemptStatus.COMPLETED)
        .order_by(QuizAttempt.started_at.desc()).limit(5)))
    exams = [exam for exam in all_exams() if exam.is_active]
    return Dashboard(level_progress(user.xp), user_streak(user, now), attempts, recent_achievements(user), exams)


@dataclass
class Drift:
    users: int = 0
    xp_events_added: int = 0
    xp_events_fixed: int = 0  # attempt awards removed or re-valued under the current rules
    credits_fixed: int = 0  # answers whose "earned XP" mark changed
    xp_total_fixed: int = 0
    weekly_rows_fixed: int = 0
    streaks_fixed: int = 0
    achievements_added: int = 0

    @property
    def any(self) -> bool:
        return any((self.xp_events_added, self.xp_events_fixed, self.credits_fixed, self.xp_total_fixed,
                    self.weekly_rows_fixed, self.streaks_fixed, self.achievements_added))

    def summary(self) -> str:
        return (f"{self.users} users checked: {self.xp_events_added} missing XP events added, "
                f"{self.xp_events_fixed} XP events corrected, {self.credits_fixed} answer credits corrected, "
                f"{self.xp_total_fixed} XP totals fixed, {self.weekly_rows_fixed} weekly totals fixed, "
                f"{self.streaks_fixed} streaks fixed, {self.achievements_added} achievements added.")


def _facts(attempt: QuizAttempt, result: AttemptResult) -> QuizFacts:
    return QuizFacts(attempt.mode, result.total, result.answered, result.correct, result.passed,
                     result.time_used_seconds)


def _replay_attempt_awards(user: User, completed, drift: Drift) -> None:
    """Re-decide every attempt's awards in finish order with `settle_attempt` (the live rule),
    from cleared answer credits, and make the attempt rows of the ledger match."""
    credited_before = set(db.session.scalars(sa.select(Answer.id).where(Answer.user_id == user.id,
                                                                        Answer.xp_awarded.is_(True))))
    db.session.execute(sa.update(Answer).where(Answer.user_id == user.id, Answer.xp_awarded.is_(True))
                       .values(xp_awarded=False).execution_options(synchronize_session=False))
    # The verdicts as scored (`attempt_questions`), not `answers.is_correct`: an admin's key fix
    # re-grades the answers for analytics, and XP stays what the attempt earned when scored.
    correct_by_attempt: dict[int, list[int]] = {}
    for attempt_id, question_id in db.session.execute(
            sa.select(AttemptQuestion.attempt_id, AttemptQuestion.question_id)
            .join(QuizAttempt, QuizAttempt.id == AttemptQuestion.attempt_id)
            .where(QuizAttempt.user_id == user.id, AttemptQuestion.is_correct.is_(True))
            .order_by(AttemptQuestion.attempt_id, AttemptQuestion.position)):
        correct_by_attempt.setdefault(attempt_id, []).append(question_id)
    wanted: dict[tuple[str, str], tuple[int, datetime]] = {}
    for attempt, result in completed:
        decision = settle_attempt(user.id, attempt.id, attempt.finished_at, _facts(attempt, result),
                                  correct_by_attempt.get(attempt.id, []))
        for reason, amount in decision.awards:
            wanted[(reason, f"attempt:{attempt.id}")] = (amount, attempt.finished_at)
    credited_after = set(db.session.scalars(sa.select(Answer.id).where(Answer.user_id == user.id,
                                                                       Answer.xp_awarded.is_(True))))
    drift.credits_fixed += len(credited_before ^ credited_after)

    stored = {(row.reason, row.source): row for row in db.session.scalars(
        sa.select(XpEvent).where(XpEvent.user_id == user.id, XpEvent.source.like("attempt:%")))}
    for key, (amount, when) in wanted.items():
        row = stored.pop(key, None)
        if row is None:
            drift.xp_events_added += insert_if_absent(XpEvent.__table__, {
                "user_id": user.id, "amount": amount, "reason": key[0], "source": key[1], "created_at": when})
        elif row.amount != amount:
            row.amount = amount
            drift.xp_events_fixed += 1
    for row in stored.values():  # awards the rules no longer grant (a farmed bonus, say)
        db.session.delete(row)
        drift.xp_events_fixed += 1
    db.session.flush()


def recompute_user(user: User, drift: Drift) -> None:
    """Rebuild one user's answer credits, ledger, totals, weekly XP, streak and achievements from
    their attempts (and, for the streak, their study days), with the same rules as live scoring."""
    completed = list(db.session.execute(
        sa.select(QuizAttempt, AttemptResult).join(AttemptResult, AttemptResult.attempt_id == QuizAttempt.id)
        .where(QuizAttempt.user_id == user.id, QuizAttempt.mode.in_(QuizMode.scored()))
        .order_by(QuizAttempt.finished_at, QuizAttempt.id)))
    _replay_attempt_awards(user, completed, drift)
    counting = [(attempt, result) for attempt, result in completed if counts_as_quiz(_facts(attempt, result))]
    ledger = db.session.execute(sa.select(sa.func.coalesce(sa.func.sum(XpEvent.amount), 0),
                                          sa.func.max(XpEvent.created_at)).where(XpEvent.user_id == user.id)).one()
    if user.xp != ledger[0]:
        drift.xp_total_fixed += 1
        user.xp = int(ledger[0])
        user.xp_reached_at = ledger[1] or user.created_at

    weekly: dict[date, list] = {}
    for amount, created in db.session.execute(sa.select(XpEvent.amount, XpEvent.created_at)
                                              .where(XpEvent.user_id == user.id).order_by(XpEvent.created_at)):
        slot = weekly.setdefault(iso_week_start(created), [0, created])
        slot[0] += amount
        slot[1] = created
    stored = {row.week_start: row for row in db.session.scalars(sa.select(WeeklyXp).where(WeeklyXp.user_id == user.id))}
    for week, (amount, reached) in weekly.items():
        row = stored.pop(week, None)
        if row is None:
            db.session.add(WeeklyXp(week_start=week, user_id=user.id, xp=amount, reached_at=reached))
            drift.weekly_rows_fixed += 1
        elif row.xp != amount:
            row.xp, row.reached_at = amount, reached
            drift.weekly_rows_fixed += 1
    for row in stored.values():
        db.session.delete(row)
        drift.weekly_rows_fixed += 1

    rebuilt = Streak(user_id=user.id, current=0, longest=0, freezes=0, freezes_used=0)
    # Quiz days and study days together, in date order, as live scoring met them.
    active_days = [local_day(attempt.finished_at, user.timezone) for attempt, _result in counting]
    for day in sorted(active_days + study_streak_days(user)):
        advance_streak(rebuilt, day)
    streak = _get_streak(user.id)
    fields = ("current", "longest", "freezes", "freezes_used", "last_active_day")
    if any(getattr(streak, f) != getattr(rebuilt, f) for f in fields):
        drift.streaks_fixed += 1
        for f in fields:
            setattr(streak, f, getattr(rebuilt, f))
    db.session.flush()

    last = completed[-1] if completed else None
    latest = {}
    if last is not None:
        attempt, result = last
        latest = _latest(attempt, _facts(attempt, result), result.score_percent)
    stats = achievement_stats(user.id, latest)
    if _had_comeback(counting):
        stats = stats.with_comeback()
    when = last[0].finished_at if last else utcnow()
    drift.achievements_added += len(award_new_achievements(user.id, stats, "recompute", when))


def _had_comeback(completed) -> bool:
    last_by_exam: dict[int, float] = {}
    for attempt, result in completed:
        previous = last_by_exam.get(attempt.exam_id)
        if previous is not None and result.score_percent >= previous + COMEBACK_POINTS:
            return True
        last_by_exam[attempt.exam_id] = result.score_percent
    return False


def recompute_all() -> Drift:
    """`flask gamification recompute`: rebuild everyone, report what had drifted. Idempotent."""
    drift = Drift()
    user_ids = list(db.session.scalars(sa.select(User.id).order_by(User.id)))
    for user_id in user_ids:
        user = db.session.get(User, user_id)
        recompute_user(user, drift)
        drift.users += 1
        db.session.commit()
    return drift

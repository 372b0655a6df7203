"""Analytics: performance over time, accuracy per objective with its trend, and weak areas.

One source of truth for the JSON API and the `/progress` page: these functions return
dataclasses; the API renders them as JSON and the page as charts and tables.

What counts (README, "Progress and weak areas"; docs/API.md, "Analytics"):
- Quizzes are completed practice quizzes and simulations (`QuizMode.scored()`,
  `AttemptStatus.COMPLETED`), placed on the learner's local day (User.timezone) of their
  submission (`quiz_attempts.finished_at`). Abandoned quizzes count for nothing; study sessions
  are not quizzes. A day's `average_score` is the mean of its quizzes' percentage scores; a
  period's is the mean over all its quizzes (not the mean of the daily means).
- Answers (objective accuracy, trends, weak areas) are every `answers` row: practice, simulation
  and study, with their live `is_correct`, which the re-grade of a corrected key updates.
- A period of N days is the learner's last N local days, today included, from local midnight;
  the previous period is the N local days before it. `all` compares the last 30 days with
  everything before.

Every figure is a raw aggregate over the learner's own rows on indexes that cover it (no roll-up
table): bench/analytics_bench.py measures them for a learner with 11,000 answers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from webapp.analytics.stats import ProportionTest, two_proportion_test, wilson_interval
from webapp.exceptions import ValidationError
from webapp.extensions import db
from webapp.gamification.services import local_day, local_day_bounds
from webapp.models import (AnalyticsPeriod, Answer, AttemptResult, AttemptStatus, Domain, Exam, Objective, Question,
                           QuizAttempt, QuizMode, Trend, User)
from webapp.models.base import utcnow
from webapp.questions.services import all_exams, exam_visible_to, objective_rows, visible_exam
from webapp.quiz.services import UnknownExam

# `all` reports its improvement as the last this-many local days against everything before.
ALL_TIME_RECENT_DAYS = 30
# improvement_suggestions names at most this many weak objectives (the worst first); every weak
# exam type follows them.
SUGGESTED_WEAK_DOMAINS = 3


class UnknownPeriod(ValidationError):
    message = "period must be one of 7d, 30d, 90d and all."

    def __init__(self) -> None:
        super().__init__(field="period")


def parse_period(value: str | AnalyticsPeriod) -> AnalyticsPeriod:
    """The period named by `value` (7d, 30d, 90d or all); UnknownPeriod (400 on `period`) otherwise."""
    try:
        return AnalyticsPeriod(value)
    except ValueError:
        raise UnknownPeriod() from None


def _exam(user: User, slug: str) -> Exam:
    """An exam the learner may see (a retired exam's figures stay with the admins who can see it)."""
    exam = visible_exam(user, slug)
    if exam is None:
        raise UnknownExam()
    return exam


def _percent(part: float, whole: float) -> float:
    return round(100.0 * part / whole, 1)


def window_start(user: User, days: int, now: datetime) -> datetime:
    """The UTC instant the learner's last `days` local days (today included) begin: local midnight
    of the first, however many DST changes lie between."""
    first_day = local_day(now, user.timezone) - timedelta(days=days - 1)
    return local_day_bounds(first_day, user.timezone)[0]


# -- the learner's answers per objective --------------------------------------------------------


@dataclass(frozen=True)
class ObjectiveTally:
    """One objective's answers by the learner: all of them, and those of each recent window."""

    exam_id: int
    attempts: int
    correct: int
    last_answered: datetime | None  # None unless the tallies were asked `with_last`
    windows: dict[int, tuple[int, int]]  # days -> (attempts, correct) from that window's start


@dataclass(frozen=True)
class ObjectiveTallies:
    """The learner's answers per objective answered (objective id -> ObjectiveTally), counted in
    one grouped scan of their rows on the covering (user, exam, objective, answered_at,
    is_correct) index. A page that shows weak areas, trends and recommendations reads it once
    and hands it to each service (they take it as `tallies`), instead of one scan each."""

    user_id: int
    starts: dict[int, datetime]  # days -> the UTC instant that window of local days begins
    with_last: bool
    exam_ids: frozenset[int] | None  # the exams counted; None: every exam
    by_objective: dict[int, ObjectiveTally]

    def covers(self, user: User, days: tuple[int, ...] = (), with_last: bool = False,
               exam_ids: list[int] | None = None) -> bool:
        """Whether these tallies answer for `user` on `exam_ids` (None: every exam) with the
        windows of `days` (and the last answer)."""
        exams_counted = self.exam_ids is None or (exam_ids is not None and self.exam_ids.issuperset(exam_ids))
        return (self.user_id == user.id and exams_counted and all(d in self.starts for d in days)
                and (self.with_last or not with_last))


def objective_tallies(user: User, days: tuple[int, ...] = (), with_last: bool = False,
                      exam_ids: list[int] | None = None, now: datetime | None = None) -> ObjectiveTallies:
    """Attempts and correct answers per objective the learner has answered (on `exam_ids`, else on
    every exam), also counted over each window of the last `days` local days, and (`with_last`)
    the latest answer's time: one query. Every answer counts (practice, simulation and study),
    with its live `is_correct`."""
    now = now or utcnow()
    starts = {d: window_start(user, d, now) for d in dict.fromkeys(days)}
    right = Answer.is_correct.is_(True)
    # count(*) FILTER (WHERE ...) (SQLite 3.30+, PostgreSQL): cheaper than sum(CASE ...) on both
    columns = [Answer.objective_id, Answer.exam_id, sa.func.count(), sa.func.count().filter(right)]
    for since in starts.values():
        recent = Answer.answered_at >= since
        columns += [sa.func.count().filter(recent), sa.func.count().filter(sa.and_(recent, right))]
    if with_last:
        columns.append(sa.func.max(Answer.answered_at))
    where = [Answer.user_id == user.id]
    if exam_ids is not None:
        where.append(Answer.exam_id == exam_ids[0] if len(exam_ids) == 1 else Answer.exam_id.in_(exam_ids))
    # exam first: groups in the order of the (user, exam, objective, ...) index, no sort
    query = sa.select(*columns).where(*where).group_by(Answer.exam_id, Answer.objective_id)
    found = {}
    for row in db.session.execute(query):
        counts = [int(n or 0) for n in row[2:4 + 2 * len(starts)]]
        windows = {d: (counts[2 + 2 * i], counts[3 + 2 * i]) for i, d in enumerate(starts)}
        found[row[0]] = ObjectiveTally(row[1], counts[0], counts[1], row[-1] if with_last else None, windows)
    return ObjectiveTallies(user.id, starts, with_last, None if exam_ids is None else frozenset(exam_ids), found)


def tallies_for(user: User, given: ObjectiveTallies | None, days: tuple[int, ...] = (), with_last: bool = False,
                exam_ids: list[int] | None = None, now: datetime | None = None) -> ObjectiveTallies:
    """`given` when it covers what the caller needs (its page read them once), else a fresh read."""
    if given is not None and given.covers(user, days, with_last, exam_ids):
        return given
    return objective_tallies(user, days, with_last, exam_ids, now)


# -- performance over time ---------------------------------------------------------------------


@dataclass(frozen=True)
class DataPoint:
    """One local day with at least one quiz."""

    date: date
    quizzes_taken: int
    average_score: float  # the mean of the day's quiz scores, in percent
    total_questions: int
    correct_answers: int


@dataclass(frozen=True)
class PerformanceSummary:
    total_quizzes: int
    average_score: float | None  # the mean over the period's quizzes; None without any
    improvement: float | None  # percentage points against the previous period; None if it had no quiz
    best_day: date | None  # the day with the highest average score (the earliest of equals)
    best_score: float | None  # that day's average score


@dataclass(frozen=True)
class Performance:
    period: AnalyticsPeriod
    exam: Exam | None  # None: every exam
    first_day: date | None  # the window's first local day (None for all); the charts' x-axis
    last_day: date  # today, in the learner's zone
    data_points: list[DataPoint]
    summary: PerformanceSummary


@dataclass(frozen=True)
class _Quiz:
    finished_at: datetime
    score_percent: float
    total: int
    correct: int


def _completed_quizzes(user: User, exam: Exam | None, since: datetime | None) -> list[_Quiz]:
    """The learner's quizzes that count, submitted from `since` on (one query on the user's attempts)."""
    query = (sa.select(QuizAttempt.finished_at, AttemptResult.score_percent, AttemptResult.total,
                       AttemptResult.correct)
             .join(AttemptResult, AttemptResult.attempt_id == QuizAttempt.id)
             .where(QuizAttempt.user_id == user.id, QuizAttempt.mode.in_(QuizMode.scored()),
                    QuizAttempt.status == AttemptStatus.COMPLETED, QuizAttempt.finished_at.is_not(None)))
    if exam is not None:
        query = query.where(QuizAttempt.exam_id == exam.id)
    if since is not None:
        query = query.where(QuizAttempt.finished_at >= since)
    return [_Quiz(*row) for row in db.session.execute(query)]


def _mean_score(quizzes: list[_Quiz]) -> float | None:
    return sum(q.score_percent for q in quizzes) / len(quizzes) if quizzes else None


def _improvement(current: list[_Quiz], previous: list[_Quiz]) -> float | None:
    now_mean, before_mean = _mean_score(current), _mean_score(previous)
    if now_mean is None or before_mean is None:
        return None
    return round(now_mean - before_mean, 1)


def _data_points(quizzes: list[_Quiz], timezone_name: str) -> list[DataPoint]:
    by_day: dict[date, list[_Quiz]] = defaultdict(list)
    for quiz in quizzes:
        by_day[local_day(quiz.finished_at, timezone_name)].append(quiz)
    return [DataPoint(day, len(day_quizzes), round(_mean_score(day_quizzes), 1),
                      sum(q.total for q in day_quizzes), sum(q.correct for q in day_quizzes))
            for day, day_quizzes in sorted(by_day.items())]


def performance(user: User, period: str | AnalyticsPeriod, exam_slug: str | None = None,
                now: datetime | None = None) -> Performance:
    """Quizzes per local day of the period, and the period's summary, on one exam or all of them."""
    period = parse_period(period)
    exam = _exam(user, exam_slug) if exam_slug else None
    now = now or utcnow()
    today = local_day(now, user.timezone)
    if period.days is None:
        current = _completed_quizzes(user, exam, None)
        split = window_start(user, ALL_TIME_RECENT_DAYS, now)
        recent = [q for q in current if q.finished_at >= split]
        improvement = _improvement(recent, [q for q in current if q.finished_at < split])
        first_day = None
    else:
        start = window_start(user, period.days, now)
        previous_start = window_start(user, 2 * period.days, now)
        loaded = _completed_quizzes(user, exam, previous_start)
        current = [q for q in loaded if q.finished_at >= start]
        improvement = _improvement(current, [q for q in loaded if q.finished_at < start])
        first_day = today - timedelta(days=period.days - 1)
    points = _data_points(current, user.timezone)
    best = max(points, key=lambda p: (p.average_score, -p.date.toordinal()), default=None)
    mean = _mean_score(current)
    summary = PerformanceSummary(total_quizzes=len(current), average_score=None if mean is None else round(mean, 1),
                                 improvement=improvement, best_day=best.date if best else None,
                                 best_score=best.average_score if best else None)
    return Performance(period, exam, first_day, today, points, summary)


# -- accuracy per objective --------------------------------------------------------------------


@dataclass(frozen=True)
class DomainStat:
    """The learner's answers on one objective (a "domain" in the API's words)."""

    domain: str  # the objective code, "2.3"
    domain_name: str  # the objective's title
    exam_domain: str  # the 1.0-level domain code, "2.0"
    exam_domain_name: str
    attempts: int
    correct: int
    accuracy: float  # percent
    accuracy_interval: tuple[float, float]  # the 95% Wilson interval, in percent
    trend: Trend
    recent_attempts: int  # in the trend window
    recent_correct: int


@dataclass(frozen=True)
class DomainPerformance:
    exam: Exam
    domains: list[DomainStat]


def _interval_percent(correct: int, attempts: int) -> tuple[float, float]:
    low, high = wilson_interval(correct, attempts)
    return round(100 * low, 1), round(100 * high, 1)


def trend_of(recent_correct: int, recent_attempts: int, earlier_correct: int, earlier_attempts: int) -> Trend:
    """Improving or declining when the recent window's accuracy differs from everything before at
    ANALYTICS_TREND_SIGNIFICANCE (pooled two-proportion z-test, two-sided), with at least
    ANALYTICS_TREND_MIN_ATTEMPTS answers on each side; stable otherwise."""
    config = current_app.config
    minimum = config["ANALYTICS_TREND_MIN_ATTEMPTS"]
    if recent_attempts < minimum or earlier_attempts < minimum:
        return Trend.STABLE
    test: ProportionTest = two_proportion_test(recent_correct, recent_attempts, earlier_correct, earlier_attempts)
    if test.p_value >= config["ANALYTICS_TREND_SIGNIFICANCE"]:
        return Trend.STABLE
    return Trend.IMPROVING if test.z > 0 else Trend.DECLINING


def _code_key(code: str) -> tuple:
    """"1.10" after "1.9": objective codes compare by their numbers."""
    return tuple(int(part) if part.isdigit() else part for part in code.split("."))


def domain_performance(user: User, exam_slug: str, now: datetime | None = None) -> DomainPerformance:
    """Attempts, accuracy and trend per objective the learner has answered on the exam, in code order."""
    return domain_performances(user, [_exam(user, exam_slug)], now)[0]


def domain_performances(user: User, exams: list[Exam], now: datetime | None = None,
                        tallies: ObjectiveTallies | None = None) -> list[DomainPerformance]:
    """`domain_performance` for several exams the learner may see (already loaded), in the order
    given: one tally query for all of them (the /progress page draws every exam's chart), or
    none with the page's `tallies` (objective_tallies with the ANALYTICS_TREND_DAYS window)."""
    if not exams:
        return []
    trend_days = current_app.config["ANALYTICS_TREND_DAYS"]
    exam_ids = [exam.id for exam in exams]
    found = tallies_for(user, tallies, (trend_days,), exam_ids=exam_ids, now=now)
    counts = {objective_id: tally for objective_id, tally in found.by_objective.items() if tally.exam_id in exam_ids}
    stats: dict[int, list[DomainStat]] = {exam_id: [] for exam_id in exam_ids}
    if counts:
        names = db.session.execute(
            sa.select(Objective.id, Objective.exam_id, Objective.code, Objective.title, Domain.number, Domain.name)
            .join(Domain, Domain.id == Objective.domain_id).where(Objective.id.in_(counts)))
        for objective_id, exam_id, code, title, domain_number, domain_name in names:
            tally = counts[objective_id]
            attempts, correct = tally.attempts, tally.correct
            recent_attempts, recent_correct = tally.windows[trend_days]
            trend = trend_of(recent_correct, recent_attempts, correct - recent_correct, attempts - recent_attempts)
            stats[exam_id].append(DomainStat(code, title, domain_number, domain_name, attempts, correct,
                                             _percent(correct, attempts), _interval_percent(correct, attempts), trend,
                                             recent_attempts, recent_correct))
    for found_stats in stats.values():
        found_stats.sort(key=lambda s: _code_key(s.domain))
    return [DomainPerformance(exam, stats[exam.id]) for exam in exams]


# -- weak areas --------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeakDomain:
    exam_type: str  # the exam slug
    exam_name: str
    domain: str  # the objective code
    domain_name: str
    total_attempts: int
    correct_answers: int
    accuracy: float  # percent
    accuracy_interval: tuple[float, float]  # the 95% Wilson interval, in percent
    recommendation: str


@dataclass(frozen=True)
class WeakExamType:
    exam_type: str
    exam_name: str
    total_attempts: int  # answers on the exam: quizzes and study
    quizzes: int  # completed practice quizzes and simulations
    average_score: float | None  # the mean quiz score, percent; None without a quiz
    recommendation: str


@dataclass(frozen=True)
class WeakAreas:
    weak_domains: list[WeakDomain]
    weak_exam_types: list[WeakExamType]
    improvement_suggestions: list[str]


def _weak_exam_type(exam: Exam, answers: int, quizzes: int, average: float | None) -> WeakExamType | None:
    """Weak when too little practised (fewer than WEAK_EXAM_MIN_ATTEMPTS answers) or when the
    average quiz score is below WEAK_EXAM_SCORE_BELOW; None when neither."""
    config = current_app.config
    rounded = None if average is None else round(average, 1)
    if answers < config["WEAK_EXAM_MIN_ATTEMPTS"]:
        advice = f"Practice more {exam.name} quizzes (only {answers} attempts)"
    elif average is not None and average < config["WEAK_EXAM_SCORE_BELOW"]:
        advice = f"Raise your {exam.name} average ({average:.0f}% over {quizzes} quizzes): review its weak domains"
    else:
        return None
    return WeakExamType(exam.slug, exam.name, answers, quizzes, rounded, advice)


def weak_areas(user: User, tallies: ObjectiveTallies | None = None) -> WeakAreas:
    """The learner's weak objectives (worst first by the Wilson upper bound), weak exam types and
    the suggestions that follow, over the exams the learner may see (`tallies`: the page's
    objective_tallies, read once for several services)."""
    config = current_app.config
    counts = {objective_id: (tally.attempts, tally.correct)
              for objective_id, tally in tallies_for(user, tallies).by_objective.items()}
    if not counts:
        return WeakAreas([], [], [])
    # The whole blueprint (a few hundred objectives), rather than an IN list of the learner's.
    objectives = objective_rows()
    exams = {exam.id: exam for exam in all_exams()}
    quiz_rows = db.session.execute(
        sa.select(QuizAttempt.exam_id, sa.func.count(), sa.func.avg(AttemptResult.score_percent))
        .join(AttemptResult, AttemptResult.attempt_id == QuizAttempt.id)
        .where(QuizAttempt.user_id == user.id, QuizAttempt.mode.in_(QuizMode.scored()),
               QuizAttempt.status == AttemptStatus.COMPLETED).group_by(QuizAttempt.exam_id))
    quizzes = {exam_id: (count, None if mean is None else float(mean)) for exam_id, count, mean in quiz_rows}

    below, minimum = config["WEAK_AREA_ACCURACY_BELOW"], config["WEAK_AREA_MIN_ATTEMPTS"]
    answers_per_exam: dict[int, int] = defaultdict(int)
    weak: list[tuple[float, float, str, tuple, WeakDomain]] = []
    for objective_id, code, title, exam_id in objectives:
        exam = exams[exam_id]
        if objective_id not in counts or not exam_visible_to(user, exam):
            continue
        total, right = counts[objective_id]
        answers_per_exam[exam_id] += total
        accuracy = 100.0 * right / total
        if total < minimum or accuracy >= below:
            continue
        interval = _interval_percent(right, total)
        advice = f"Review {exam.name} domain {code} ({accuracy:.0f}% accuracy)"
        item = WeakDomain(exam.slug, exam.name, code, title, total, right, round(accuracy, 1), interval, advice)
        # Worst first by the unrounded upper bound; ties by accuracy, then exam and code order.
        weak.append((wilson_interval(right, total)[1], accuracy, exam.code, _code_key(code), item))
    weak.sort(key=lambda entry: entry[:4])
    weak_domains = [entry[-1] for entry in weak]

    exam_types = []
    for exam_id, answers in answers_per_exam.items():
        count, mean = quizzes.get(exam_id, (0, None))
        found = _weak_exam_type(exams[exam_id], answers, count, mean)
        if found is not None:
            exam_types.append(found)
    # The least practised first, then the lowest average.
    exam_types.sort(key=lambda e: (e.total_attempts >= config["WEAK_EXAM_MIN_ATTEMPTS"],
                                   e.average_score if e.average_score is not None else 0.0, e.exam_type))
    suggestions = [d.recommendation for d in weak_domains[:SUGGESTED_WEAK_DOMAINS]]
    suggestions += [e.recommendation for e in exam_types]
    return WeakAreas(weak_domains, exam_types, suggestions)


def objective_quiz_sizes(weak_domains: list[WeakDomain]) -> dict[tuple[str, str], int]:
    """How many questions a quiz or study session on each weak objective asks for: its active
    questions, at most QUIZ_DEFAULT_COUNT (the `all` source refuses a count above what it holds).
    Keyed by (exam slug, objective code); one query."""
    if not weak_domains:
        return {}
    wanted = {(w.exam_type, w.domain) for w in weak_domains}
    rows = db.session.execute(
        sa.select(Exam.slug, Objective.code, sa.func.count(Question.id))
        .join(Objective, Objective.exam_id == Exam.id).join(Question, Question.objective_id == Objective.id)
        .where(Question.is_active.is_(True), Exam.slug.in_({slug for slug, _code in wanted}),
               Objective.code.in_({code for _slug, code in wanted}))
        .group_by(Exam.slug, Objective.code))
    default = current_app.config["QUIZ_DEFAULT_COUNT"]
    return {(slug, code): min(default, count) for slug, code, count in rows if (slug, code) in wanted}

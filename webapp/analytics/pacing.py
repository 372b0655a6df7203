"""Pacing: time per question against the exam's pace, per 1.0-level domain and per item type, and
the answers that took more than PACING_SLOW_RATIO x the pace (docs/LEARNING.md, "Pacing").

- The pace is the exam's time budget per question, `webapp.learning.ratings.pace_seconds`:
  QUIZ_SECONDS_PER_QUESTION (72 s: 90 minutes for a typical 75 questions).
- Times are `answers.time_spent_seconds`: the seconds the learner spent on the question, counted
  from their actions (each capped at QUIZ_MAX_SECONDS_PER_ACTION). Every mode counts: practice
  quizzes, simulations and study sessions (a study session has no clock, but records time the
  same way). An answer with no time recorded (0 s, such as a quiz question never opened before
  the quiz closed) says nothing about pace and is left out.
- "Over budget" is slower than the pace; "slow" is slower than PACING_SLOW_RATIO x the pace, the
  same rule (and the same config value) that rates a right answer Hard.
- A period is the learner's last 7, 30 or 90 local days, or all, as in the other analytics.

One source for the JSON API, /progress, the quiz result page and its review. A simulation's
result adds `FinishEstimate`: where its own per-question times would have ended against its limit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from webapp.analytics.services import parse_period, window_start
from webapp.extensions import db
from webapp.learning.ratings import pace_seconds
from webapp.models import (AnalyticsPeriod, Answer, AttemptQuestion, AttemptResult, Domain, Exam, Objective, Question,
                           QuizAttempt, QuizMode, User)
from webapp.models.base import utcnow
from webapp.models.question import QUESTION_TYPES
from webapp.questions.services import visible_exam
from webapp.quiz.services import UnknownExam

# How an item type is named on the pages (the API gives the stored type).
ITEM_TYPE_LABELS = {"single": "Single answer", "multiple": "Multiple answer", "ordering": "Ordering",
                    "matching": "Matching"}
# A slow question's stem is shown cut to this many characters.
STEM_EXCERPT_LENGTH = 120


@dataclass(frozen=True)
class PaceStats:
    """Timed answers and how they sit against the pace. Means and medians in seconds (one decimal);
    None without a timed answer."""

    answers: int
    mean_seconds: float | None
    median_seconds: float | None
    over_budget: int  # answers slower than the pace
    over_budget_percent: float | None  # their share, 0 to 100
    slow_answers: int  # answers slower than PACING_SLOW_RATIO x the pace


@dataclass(frozen=True)
class DomainPace(PaceStats):
    domain: str  # the 1.0-level domain number
    domain_name: str


@dataclass(frozen=True)
class ItemTypePace(PaceStats):
    item_type: str  # single, multiple, ordering or matching

    @property
    def label(self) -> str:
        return ITEM_TYPE_LABELS.get(self.item_type, self.item_type)


@dataclass(frozen=True)
class SlowAnswer:
    """One answer slower than PACING_SLOW_RATIO x the pace."""

    question_id: int
    stem: str  # cut to STEM_EXCERPT_LENGTH characters
    seconds: int
    answered_at: datetime
    position: int | None  # 0-based place in the attempt (an attempt's pacing); None otherwise


@dataclass(frozen=True)
class Pacing:
    exam: Exam
    period: AnalyticsPeriod | None  # None: one attempt
    pace_seconds: float  # unrounded: the API and the pages round it for show
    slow_seconds: float  # PACING_SLOW_RATIO x pace_seconds
    overall: PaceStats
    by_domain: list[DomainPace]  # domains with a timed answer, in blueprint order
    by_item_type: list[ItemTypePace]  # item types with a timed answer, single, multiple, ordering, matching
    slow_questions: list[SlowAnswer]  # slowest first (then the latest), at most PACING_SLOW_LISTED
    question_seconds: dict[int, int]  # an attempt's pacing: seconds per question id (untimed ones too)

    def is_slow(self, seconds: int) -> bool:
        """The rule every list and flag uses: more than PACING_SLOW_RATIO x the pace."""
        return seconds > self.slow_seconds

    @property
    def slow_more(self) -> int:
        """Slow answers beyond the listed ones."""
        return self.overall.slow_answers - len(self.slow_questions)


@dataclass(frozen=True)
class FinishEstimate:
    """Where a simulation would have ended at the learner's own pace in it.

    The pace is the time spent on all the simulation's questions (answered or not) over the
    questions answered. At that pace all `questions` take pace x questions: the learner finishes
    when that is at most the time limit (exactly the limit still finishes), with the whole minutes
    left over (rounded down); otherwise the clock runs out during question floor(limit / pace) + 1.
    Integer arithmetic: no rounding decides the boundary."""

    questions: int
    time_limit_seconds: int
    answered: int
    seconds_spent: int

    @property
    def finishes(self) -> bool:
        return self.seconds_spent * self.questions <= self.time_limit_seconds * self.answered

    @property
    def spare_minutes(self) -> int | None:
        """Whole minutes left at the end when the learner finishes; None when they run out."""
        if not self.finishes:
            return None
        return (self.time_limit_seconds * self.answered - self.seconds_spent * self.questions) // (60 * self.answered)

    @property
    def runs_out_at(self) -> int | None:
        """The 1-based question in progress when time runs out; None when the learner finishes."""
        if self.finishes:
            return None
        return self.time_limit_seconds * self.answered // self.seconds_spent + 1

    @property
    def message(self) -> str:
        if not self.finishes:
            return f"At this pace you would have run out at question {self.runs_out_at}."
        minutes = self.spare_minutes
        if minutes == 0:
            return "At this pace you would have finished with less than a minute to spare."
        return f"At this pace you would have finished with {minutes} minute{'' if minutes == 1 else 's'} to spare."


def _stats(times: dict[int, int], pace: float, slow: float) -> dict:
    """The PaceStats fields over a histogram of timed answers (seconds -> how many answers took
    that long): the median walks the sorted seconds, so no list of every answer is built."""
    answers = sum(times.values())
    if not answers:
        return {"answers": 0, "mean_seconds": None, "median_seconds": None, "over_budget": 0,
                "over_budget_percent": None, "slow_answers": 0}
    over = sum(n for s, n in times.items() if s > pace)
    return {"answers": answers, "mean_seconds": round(sum(s * n for s, n in times.items()) / answers, 1),
            "median_seconds": round(_median(times, answers), 1), "over_budget": over,
            "over_budget_percent": round(100.0 * over / answers, 1),
            "slow_answers": sum(n for s, n in times.items() if s > slow)}


def _median(times: dict[int, int], answers: int) -> float:
    """statistics.median of the histogram's answers: the middle one, or the mean of the middle two."""
    low_rank, high_rank = (answers - 1) // 2, answers // 2  # 0-based ranks of the middle answer(s)
    low = None
    seen = 0
    for seconds in sorted(times):
        seen += times[seconds]
        if low is None and seen > low_rank:
            low = seconds
        if seen > high_rank:
            return (low + seconds) / 2
    raise AssertionError("unreachable: the ranks lie below the total")


def slow_ratio() -> float:
    """PACING_SLOW_RATIO (config.py: the rating map's REVIEW_HARD_PACE_RATIO)."""
    return float(current_app.config["PACING_SLOW_RATIO"])


def _histogram(where: list) -> list[tuple[int, str, int, int]]:
    """(domain id, item type, seconds, answers) over the timed answers matching `where`: the
    database counts, so a learner with 10,000 answers sends back a few hundred rows (the median
    needs every time, and integer seconds repeat)."""
    return list(db.session.execute(
        sa.select(Objective.domain_id, Question.type, Answer.time_spent_seconds, sa.func.count())
        .join(Question, Question.id == Answer.question_id)
        .join(Objective, Objective.id == Answer.objective_id)
        .where(*where, Answer.time_spent_seconds > 0)
        .group_by(Objective.domain_id, Question.type, Answer.time_spent_seconds)))


def _slowest(where: list, slow: float, with_position: bool) -> list[SlowAnswer]:
    """The PACING_SLOW_LISTED slowest answers over `slow` seconds (then the latest), with their stems."""
    position = AttemptQuestion.position if with_position else sa.null()
    query = (sa.select(Answer.question_id, Question.stem, Answer.time_spent_seconds, Answer.answered_at, position)
             .join(Question, Question.id == Answer.question_id)
             .where(*where, Answer.time_spent_seconds > slow)
             .order_by(Answer.time_spent_seconds.desc(), Answer.answered_at.desc(), Answer.question_id)
             .limit(current_app.config["PACING_SLOW_LISTED"]))
    if with_position:
        query = query.join(AttemptQuestion, sa.and_(AttemptQuestion.attempt_id == Answer.attempt_id,
                                                     AttemptQuestion.question_id == Answer.question_id))
    return [SlowAnswer(qid, stem_excerpt(stem), seconds, when, pos) for qid, stem, seconds, when, pos
            in db.session.execute(query)]


def _summarise(exam: Exam, period: AnalyticsPeriod | None, where: list,
               question_seconds: dict[int, int] | None = None) -> Pacing:
    """The figures over the answers matching `where` (three queries: the histogram, the exam's
    domains, the slow list)."""
    pace = pace_seconds(exam)
    slow = slow_ratio() * pace
    everything: dict[int, int] = defaultdict(int)
    by_domain: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    by_type: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for domain_id, kind, seconds, count in _histogram(where):
        everything[seconds] += count
        by_domain[domain_id][seconds] += count
        by_type[kind][seconds] += count
    domains = db.session.execute(sa.select(Domain.id, Domain.number, Domain.name)
                                 .where(Domain.exam_id == exam.id).order_by(Domain.position)).all()
    type_order = {kind: index for index, kind in enumerate(QUESTION_TYPES)}
    overall = PaceStats(**_stats(everything, pace, slow))
    return Pacing(
        exam=exam, period=period, pace_seconds=pace, slow_seconds=slow, overall=overall,
        by_domain=[DomainPace(domain=number, domain_name=name, **_stats(by_domain[domain_id], pace, slow))
                   for domain_id, number, name in domains if by_domain.get(domain_id)],
        by_item_type=[ItemTypePace(item_type=kind, **_stats(by_type[kind], pace, slow))
                      for kind in sorted(by_type, key=lambda kind: type_order.get(kind, len(type_order)))],
        slow_questions=_slowest(where, slow, question_seconds is not None) if overall.slow_answers else [],
        question_seconds=question_seconds or {})


def stem_excerpt(text: str) -> str:
    """A stem on one line, cut to STEM_EXCERPT_LENGTH characters."""
    text = " ".join(text.split())
    return text if len(text) <= STEM_EXCERPT_LENGTH else text[:STEM_EXCERPT_LENGTH - 1].rstrip() + "…"


def pacing(user: User, exam_slug: str, period: str | AnalyticsPeriod = AnalyticsPeriod.MONTH,
           now: datetime | None = None) -> Pacing:
    """The learner's pacing on one exam they may see over the period (every mode; UnknownPeriod and
    UnknownExam are 400s on `period` and `exam_type`)."""
    period = parse_period(period)
    exam = visible_exam(user, exam_slug) if exam_slug else None
    if exam is None:
        raise UnknownExam()
    where = [Answer.user_id == user.id, Answer.exam_id == exam.id]
    if period.days is not None:
        where.append(Answer.answered_at >= window_start(user, period.days, now or utcnow()))
    return _summarise(exam, period, where)


def attempt_pacing(attempt: QuizAttempt) -> Pacing:
    """The pacing of one completed quiz or simulation, from its `answers` rows, with each
    question's seconds (`question_seconds`) and the slow ones' places in the attempt."""
    exam = attempt.exam or db.session.get(Exam, attempt.exam_id)
    where = [Answer.attempt_id == attempt.id]
    seconds = dict(db.session.execute(sa.select(Answer.question_id, Answer.time_spent_seconds).where(*where)).all())
    return _summarise(exam, None, where, seconds)


def finish_estimate(attempt: QuizAttempt, pacing_of_attempt: Pacing) -> FinishEstimate | None:
    """A completed simulation's FinishEstimate; None for a practice quiz, an untimed attempt, or
    one with no answered or no timed question (nothing to extrapolate from)."""
    if attempt.mode != QuizMode.EXAM or not attempt.time_limit_seconds:
        return None
    result = db.session.get(AttemptResult, attempt.id)
    spent = sum(pacing_of_attempt.question_seconds.values())
    if result is None or not result.answered or spent <= 0:
        return None
    return FinishEstimate(questions=attempt.question_count, time_limit_seconds=attempt.time_limit_seconds,
                          answered=result.answered, seconds_spent=spent)

"""The quiz engine: draw, take, time, score and review practice quizzes and exam simulations.

Rules written once here serve the HTML views and the JSON API alike:

- Draws use active questions only, unseen first, then those answered longest ago; exam
  simulations follow the official domain weights with largest-remainder rounding.
- Choice order is shuffled once per attempt and stored.
- The server owns the time: an attempt stores its deadline, answers after it are refused, and
  an expired attempt is scored on its next access with unanswered questions counted wrong.
- Submitting is idempotent: a conditional UPDATE (in_progress -> completed) decides the one
  winner inside the transaction, and `attempt_results` has the attempt as its primary key, so a
  second result cannot be stored. Every later submit returns the stored body.
"""

from __future__ import annotations

import logging
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from webapp.exceptions import Conflict, NotFound, ValidationError
from webapp.extensions import db
from webapp.goals.services import record_goal_progress
from webapp.learning.services import record_attempt
from webapp.pagination import MAX_PER_PAGE, bounded_page
from webapp.models import (Answer, AttemptQuestion, AttemptResult, AttemptStatus, Choice, Confidence, Domain, Exam,
                           Objective, Question, QuestionSource, QuestionVersion, QuizAttempt, QuizMode, ReviewFilter, User)
from webapp.models.base import utcnow
from webapp.models.question import PBQ_TYPES
from webapp.questions.services import visible_exam
from webapp.quiz.sources import Draw, SourceChoice, draw_ids, freshness_order, last_answered, scope_query
from webapp.rate_limits import KeyedLimit

logger = logging.getLogger(__name__)


class QuizInProgress(Conflict):
    code = "QUIZ_IN_PROGRESS"
    message = "You already have a quiz in progress. Resume it or abandon it first."

    def __init__(self, quiz_id: int) -> None:
        super().__init__(extra={"quiz_id": quiz_id})
        self.quiz_id = quiz_id


class AttemptClosed(Conflict):
    code = "ATTEMPT_CLOSED"
    message = "This quiz is closed: it was submitted, abandoned or its time ran out."


class UnknownExam(ValidationError):
    code = "UNKNOWN_EXAM"
    message = "There is no such exam."

    def __init__(self) -> None:
        super().__init__(field="exam_type")


def _cfg(key: str) -> int:
    return int(current_app.config[key])


def largest_remainder(weights: list[int], total: int) -> list[int]:
    """Split `total` in proportion to `weights`; leftover units go to the largest remainders.

    Ties go to the earlier domain, so the split is deterministic: 90 Security+ questions with
    weights 12/22/18/28/20 become 11/20/16/25/18.
    """
    weight_sum = sum(weights)
    quotas = [total * w / weight_sum for w in weights]
    counts = [math.floor(q) for q in quotas]
    leftover = total - sum(counts)
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - counts[i]), i))
    for i in order[:leftover]:
        counts[i] += 1
    return counts


@dataclass(frozen=True)
class QuizRequest:
    """What a learner asked for. `count`, `objective_codes`, `timed`, `source` and `tag` apply to
    practice only (a simulation always draws from the whole bank)."""

    exam_slug: str
    mode: str = QuizMode.PRACTICE
    count: int | None = None
    objective_codes: list[str] | None = None
    timed: bool = True
    source: str | None = None
    tag: str | None = None


def get_exam(slug: str, viewer: User | None = None) -> Exam:
    """The exam a quiz may be started on: one the viewer may see, and active (a retired exam
    takes no new quizzes, even from an admin who can still see it)."""
    exam = visible_exam(viewer, slug)
    if exam is None or not exam.is_active:
        raise UnknownExam()
    return exam


def resolve_objectives(exam: Exam, codes: list[str] | None) -> list[Objective]:
    if not codes:
        return []
    found = list(db.session.scalars(sa.select(Objective).where(Objective.exam_id == exam.id,
                                                                Objective.code.in_(codes))))
    unknown = sorted(set(codes) - {o.code for o in found})
    if unknown:
        raise ValidationError(f"Unknown objective for {exam.code}: {', '.join(unknown)}.", field="domains",
                              code="UNKNOWN_OBJECTIVE")
    return found


@dataclass(frozen=True)
class QuizPlan:
    """A request checked and resolved, before anything is drawn or written: what `start_quiz`
    would draw from, and what `GET /api/v1/questions/quiz` shows without starting anything.

    `count` is the number asked for (a simulation: the exam's length); a non-`all` source may
    draw fewer (`Draw.notice` says so)."""

    exam: Exam
    mode: QuizMode
    count: int
    objectives: list[Objective]
    choice: SourceChoice
    timed: bool

    @property
    def objective_codes(self) -> list[str]:
        return sorted(o.code for o in self.objectives)

    def time_limit(self, drawn: int) -> int | None:
        """Seconds allowed: the real exam's time for a simulation; for a timed practice quiz the
        time of the questions actually drawn (a shrunk draw gets less); none for study."""
        if self.mode == QuizMode.EXAM:
            return self.exam.duration_minutes * 60
        return drawn * _cfg("QUIZ_SECONDS_PER_QUESTION") if self.timed else None


def plan_quiz(user: User, request: QuizRequest, modes: tuple[QuizMode, ...] = QuizMode.scored()) -> QuizPlan:
    """Check a request and resolve its exam, objectives and source: no draw and no writes.

    `modes` are the modes the caller serves (starting a quiz: practice and simulation; the draw
    preview also study). ValidationError on `mode`, `exam_type`, `count`, `domains`, `source` or `tag`."""
    if request.mode not in modes:
        raise ValidationError(f"Mode must be {', '.join(modes[:-1])} or {modes[-1]}.", field="mode")
    mode = QuizMode(request.mode)
    exam = get_exam(request.exam_slug, user)
    choice = SourceChoice.parse(request.source, request.tag)
    if mode == QuizMode.EXAM:
        if choice.source != QuestionSource.ALL:
            raise ValidationError("An exam simulation always draws from all questions; the other sources are "
                                  "for practice quizzes and study.", field="source", code="SOURCE_NOT_ALLOWED")
        return QuizPlan(exam, mode, exam.question_count, [], choice, True)
    count = request.count if request.count is not None else _cfg("QUIZ_DEFAULT_COUNT")
    low, high = _cfg("QUIZ_MIN_COUNT"), _cfg("QUIZ_MAX_COUNT")
    if not low <= count <= high:
        raise ValidationError(f"Choose between {low} and {high} questions.", field="count")
    objectives = resolve_objectives(exam, request.objective_codes)
    return QuizPlan(exam, mode, count, objectives, choice, request.timed and mode == QuizMode.PRACTICE)


def draw_questions(user: User, plan: QuizPlan, rng: random.Random | None = None) -> Draw:
    """The questions a plan gives this learner, in order (reads only). The one draw behind
    starting a quiz, a study session and the draw preview. Study never draws a question of the
    learner's quiz in progress: its explanation would answer the quiz."""
    rng = rng or random.SystemRandom()
    exam = plan.exam
    if plan.mode == QuizMode.EXAM:
        candidates = [tuple(row) for row in db.session.execute(scope_query(exam, None))]
        return Draw(_draw_simulation(exam, plan.count, candidates, last_answered(user.id, exam.id), rng), plan.count)
    exclude = open_quiz_question_ids(user) if plan.mode == QuizMode.STUDY else frozenset()
    return draw_ids(user, exam, [o.id for o in plan.objectives] or None, plan.choice, plan.count, rng, exclude)


def open_quiz_question_ids(user: User) -> frozenset[int]:
    """The questions of the learner's quiz in progress (none when no quiz is open or its time ran out)."""
    attempt = in_progress_attempt(user)
    if attempt is None:
        return frozenset()
    return frozenset(db.session.scalars(sa.select(AttemptQuestion.question_id)
                                        .where(AttemptQuestion.attempt_id == attempt.id)))


def drawn_questions(question_ids: list[int]) -> list[Question]:
    """The questions of a draw in its order, with choices, objective and exam loaded (four queries)."""
    if not question_ids:
        return []
    found = {q.id: q for q in db.session.scalars(
        sa.select(Question).where(Question.id.in_(question_ids))
        .options(selectinload(Question.choices), selectinload(Question.objective), selectinload(Question.exam)))}
    return [found[qid] for qid in question_ids if qid in found]


def _draw_simulation(exam: Exam, count: int, candidates: list[tuple[int, int, int, bool]],
                     last_seen: dict[int, datetime], rng: random.Random) -> list[int]:
    """A simulation: every domain gets its share of `count` (largest remainder of the official
    weights), and 3 to 5 ordering or matching questions (SIMULATION_PBQ_MIN/MAX, fewer only if
    the bank has fewer) come first, as on the real exam. They count towards their own domain's
    share, spread over the domains in proportion to the shares."""
    domains = list(db.session.scalars(sa.select(Domain).where(Domain.exam_id == exam.id).order_by(Domain.position)))
    per_domain = largest_remainder([d.weight_percent for d in domains], count)
    pbqs = {d.id: freshness_order([qid for qid, _o, dom, pbq in candidates if dom == d.id and pbq], last_seen, rng)
            for d in domains}
    others = {d.id: freshness_order([qid for qid, _o, dom, pbq in candidates if dom == d.id and not pbq],
                                     last_seen, rng) for d in domains}
    for domain, wanted in zip(domains, per_domain):
        available = len(pbqs[domain.id]) + len(others[domain.id])
        if available < wanted:
            raise ValidationError(
                f"The bank has {available} active questions for domain {domain.number}, "
                f"but a full simulation needs {wanted}.", field="count", code="NOT_ENOUGH_QUESTIONS")
    low, high = _cfg("SIMULATION_PBQ_MIN"), _cfg("SIMULATION_PBQ_MAX")
    capacity = [min(len(pbqs[d.id]), wanted) for d, wanted in zip(domains, per_domain)]
    target = min(rng.randint(low, high), sum(capacity))
    pbq_counts = _spread(per_domain, capacity, target)
    first: list[int] = []
    rest: list[int] = []
    for domain, wanted, taken in zip(domains, per_domain, pbq_counts):
        first.extend(pbqs[domain.id][:taken])
        fill = others[domain.id][:wanted - taken]
        # A domain short of choice questions tops up with its further ordering/matching ones.
        fill += pbqs[domain.id][taken:taken + wanted - taken - len(fill)]
        rest.extend(fill)
    rng.shuffle(first)
    rng.shuffle(rest)  # the real exam does not group questions by domain
    return first + rest


def _spread(shares: list[int], capacity: list[int], total: int) -> list[int]:
    """`total` split in proportion to `shares`, no part above its `capacity` (the rest goes to
    the parts with room left, largest share first)."""
    counts = [min(c, cap) for c, cap in zip(largest_remainder(shares, total) if total else [0] * len(shares),
                                            capacity)]
    for index in sorted(range(len(shares)), key=lambda i: -shares[i]):
        while sum(counts) < total and counts[index] < capacity[index]:
            counts[index] += 1
    return counts


def in_progress_attempt(user: User, now: datetime | None = None) -> QuizAttempt | None:
    """The user's open quiz, after scoring it if its time has run out."""
    attempt = db.session.scalar(sa.select(QuizAttempt).where(QuizAttempt.user_id == user.id,
                                                             QuizAttempt.status == AttemptStatus.IN_PROGRESS))
    if attempt is not None and _is_expired(attempt, now or utcnow()):
        finalize_attempt(attempt, now or utcnow())
        return None
    return attempt


def start_quiz(user: User, request: QuizRequest, now: datetime | None = None,
               rng: random.Random | None = None) -> QuizAttempt:
    """Draw questions and open an attempt. Raises QuizInProgress, ValidationError, RateLimited
    (more than QUIZ_START_RATE_LIMIT starts per learner, browser and API together)."""
    now = now or utcnow()
    rng = rng or random.SystemRandom()
    plan = plan_quiz(user, request)
    current = in_progress_attempt(user, now)
    if current is not None:
        raise QuizInProgress(current.id)
    # Counted once the request is valid, before the draw: the browser and the API share it.
    KeyedLimit("quiz-start", current_app.config["QUIZ_START_RATE_LIMIT"]).check(
        str(user.id), message="You have started too many quizzes in the last hour. Wait a while and try again.")
    draw = draw_questions(user, plan, rng)
    attempt = _open_quiz(user, plan, draw.question_ids, now, rng)
    # Not stored: the learner is told once, when the quiz starts, that the source held fewer.
    attempt.notice = draw.notice
    return attempt


def _open_quiz(user: User, plan: QuizPlan, question_ids: list[int], now: datetime,
               rng: random.Random) -> QuizAttempt:
    """Write the attempt and its questions (choice order shuffled once) in one transaction."""
    count = len(question_ids)
    limit = plan.time_limit(count)
    choice_ids = defaultdict(list)
    for qid, cid in db.session.execute(sa.select(Choice.question_id, Choice.id)
                                       .where(Choice.question_id.in_(question_ids))):
        choice_ids[qid].append(cid)

    attempt = QuizAttempt(
        user_id=user.id, exam_id=plan.exam.id, mode=plan.mode.value, status=AttemptStatus.IN_PROGRESS,
        question_count=count, objective_codes=plan.objective_codes or None, source=plan.choice.source.value,
        source_tag=plan.choice.tag, timed=plan.timed, time_limit_seconds=limit,
        started_at=now, last_activity_at=now, expires_at=now + timedelta(seconds=limit) if limit else None)
    rows = []
    for position, qid in enumerate(question_ids):
        order = list(choice_ids[qid])
        rng.shuffle(order)
        rows.append({"question_id": qid, "position": position, "choice_order": order, "selected_choice_ids": [],
                     "marked": False, "time_spent_ms": 0})
    db.session.add(attempt)
    try:
        db.session.flush()
        # One executemany instead of 90 ORM inserts (each would fetch its id back one by one).
        db.session.execute(sa.insert(AttemptQuestion), [{**row, "attempt_id": attempt.id} for row in rows])
        db.session.commit()
    except sa.exc.IntegrityError as exc:  # a concurrent start won the one-in-progress index
        db.session.rollback()
        current = in_progress_attempt(user, now)
        if current is not None:
            raise QuizInProgress(current.id) from exc
        raise
    logger.info("quiz started", extra={"attempt_id": attempt.id, "exam_type": plan.exam.slug, "mode": attempt.mode,
                                       "question_count": count, "source": attempt.source})
    return attempt


def _is_expired(attempt: QuizAttempt, now: datetime) -> bool:
    return attempt.status == AttemptStatus.IN_PROGRESS and attempt.expires_at is not None and now >= attempt.expires_at


def get_attempt(user: User, attempt_id: int, now: datetime | None = None) -> QuizAttempt:
    """The user's attempt (404 for anyone else's), scored first if its time ran out."""
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.user_id != user.id:
        raise NotFound("No such quiz.")
    now = now or utcnow()
    if _is_expired(attempt, now):
        finalize_attempt(attempt, now)
        db.session.refresh(attempt)
    return attempt


def with_questions(attempt: QuizAttempt) -> QuizAttempt:
    """The attempt with its questions, their choices, objectives and exam loaded in four queries
    (instead of two per question when a page or the API walks all of them)."""
    question = selectinload(QuizAttempt.questions).selectinload(AttemptQuestion.question)
    return db.session.scalars(
        sa.select(QuizAttempt).where(QuizAttempt.id == attempt.id)
        .options(question.selectinload(Question.choices), question.selectinload(Question.objective),
                 question.selectinload(Question.exam))
        .execution_options(populate_existing=True)).one()


def _open_attempt(user: User, attempt_id: int, now: datetime) -> QuizAttempt:
    attempt = get_attempt(user, attempt_id, now)
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise AttemptClosed()
    return attempt


def attempt_question_at(attempt: QuizAttempt, position: int) -> AttemptQuestion:
    if not 0 <= position < len(attempt.questions):
        raise NotFound("That question is not part of this quiz.")
    return attempt.questions[position]


def _attempt_question_for(attempt: QuizAttempt, question_id: int) -> AttemptQuestion:
    """One question of the attempt, without loading the other 89."""
    aq = db.session.scalar(sa.select(AttemptQuestion)
                           .where(AttemptQuestion.attempt_id == attempt.id, AttemptQuestion.question_id == question_id)
                           .options(selectinload(AttemptQuestion.question)))
    if aq is None:
        raise NotFound("That question is not part of this quiz.")
    return aq


def _credit_time(attempt: QuizAttempt, aq: AttemptQuestion, now: datetime) -> None:
    """Add the time since the learner's last action to this question (capped per action)."""
    elapsed = (now - attempt.last_activity_at).total_seconds()
    cap = _cfg("QUIZ_MAX_SECONDS_PER_ACTION")
    aq.time_spent_ms += int(max(0.0, min(elapsed, cap)) * 1000)
    attempt.last_activity_at = now


class _Unchanged(Enum):
    UNCHANGED = "unchanged"


# `save_answer(confidence=UNCHANGED)` keeps the saved rating; None clears it.
UNCHANGED = _Unchanged.UNCHANGED


class ConfidenceNotAllowed(ValidationError):
    code = "CONFIDENCE_NOT_ALLOWED"
    message = "Exam simulations take no confidence rating, as the real exam asks for none."

    def __init__(self) -> None:
        super().__init__(field="confidence")


def _checked_confidence(attempt: QuizAttempt, confidence: str | None | _Unchanged) -> str | None | _Unchanged:
    """The rating to store: a Confidence value, None (cleared) or UNCHANGED. Practice only."""
    if confidence is UNCHANGED or confidence is None:
        return confidence
    if attempt.mode != QuizMode.PRACTICE:
        raise ConfidenceNotAllowed()
    if confidence not in set(Confidence):
        raise ValidationError(f"Confidence must be one of {', '.join(Confidence)}.", field="confidence",
                              code="UNKNOWN_CONFIDENCE")
    return Confidence(confidence).value


def save_answer(user: User, attempt_id: int, question_id: int, choice_ids: list[int] | None = None,
                marked: bool | None = None, require_complete: bool = False,
                now: datetime | None = None, order: list[int] | None = None,
                matches: dict | None = None,
                confidence: str | None | _Unchanged = UNCHANGED) -> AttemptQuestion:
    """Store the learner's answer to one question at once: `choice_ids` for single and multiple
    questions, `order` (every item id once) for ordering, `matches` (every item id to a target id
    or None) for matching; with it, or alone, the optional `confidence` rating (practice only:
    a simulation refuses one; None clears it, UNCHANGED keeps it).

    `require_complete` (the API) insists on exactly `select_count` choices; the browser may
    save a partial multiple-answer selection while the learner is still ticking boxes.
    """
    now = now or utcnow()
    attempt = _open_attempt(user, attempt_id, now)
    aq = _attempt_question_for(attempt, question_id)
    rating = _checked_confidence(attempt, confidence)
    question = aq.question
    if rating is not UNCHANGED and choice_ids is None and order is None and matches is None:
        _credit_time(attempt, aq, now)  # the rating alone: the answer stays as it is
    else:
        answer = checked_answer(question, aq.choice_order, choice_ids, order, matches,
                                require_complete=require_complete)
        _credit_time(attempt, aq, now)
        if question.is_pbq:
            if answer != aq.response:
                aq.response = answer
                aq.answered_at = now if _entry_answered({"choice_ids": [], **answer}) else None
        else:
            unique_ids = answer["choice_ids"]
            if unique_ids != list(aq.selected_choice_ids or []):
                # Leaving a question re-posts its selection; only a change moves `answered_at`.
                aq.selected_choice_ids = unique_ids
                aq.answered_at = now if unique_ids else None
    if rating is not UNCHANGED:
        aq.confidence = rating
    if marked is not None:
        aq.marked = bool(marked)
    attempt.current_position = aq.position
    if aq.answered_at == now:  # a new answer: the open quiz's answers count towards today's goals
        db.session.flush()
        record_goal_progress(user.id, now)
    db.session.commit()
    return aq


class WrongAnswerShape(ValidationError):
    """An answer in the form of another question type (`choice_ids` for an ordering item...)."""

    code = "WRONG_ANSWER_SHAPE"

    def __init__(self, field: str, kind: str) -> None:
        expected = ANSWER_FIELD[kind]
        article = "an" if kind[0] in "aeiou" else "a"
        super().__init__(f"This is {article} {kind} question: answer it with `{expected}` only.", field=field)


# The one answer field of each question type.
ANSWER_FIELD = {"single": "choice_ids", "multiple": "choice_ids", "ordering": "order", "matching": "matches"}


def checked_answer(question: Question, shown: list[int], choice_ids: list | None = None, order: list | None = None,
                   matches: dict | None = None, *, require_complete: bool = False, final: bool = False) -> dict:
    """An answer to `question` (whose choices or items were shown in the order `shown`) after the
    checks every answer passes, in quizzes and study sessions alike, in its stored form:
    `{"choice_ids": [...]}`, `{"order": [...]}` or `{"matches": {"item id": target id or None}}`.

    Exactly the answer field of the question's type is accepted (WRONG_ANSWER_SHAPE otherwise).
    `require_complete` (the quiz API) insists on exactly `select_count` choices or none (a clear);
    `final` (a study answer, checked at once) also refuses no choice and an unmatched item."""
    if question.is_pbq:
        return _pbq_response(question, shown, choice_ids, order, matches, final)
    for name, value in (("order", order), ("matches", matches), ("choice_ids", choice_ids)):
        if (value is None) == (name == "choice_ids"):
            raise WrongAnswerShape(name, question.type)
    return {"choice_ids": _valid_choices(question, shown, choice_ids, require_complete or final, final)}


def _valid_choices(question: Question, shown: list[int], choice_ids: list[int], require_complete: bool,
                   final: bool) -> list[int]:
    wanted = question.select_count
    unique_ids = list(dict.fromkeys(int(c) for c in choice_ids))
    foreign = [c for c in unique_ids if c not in shown]
    if foreign:
        raise ValidationError("A choice does not belong to this question.", field="choice_ids",
                              code="INVALID_CHOICE")
    if question.type == "single" and (len(unique_ids) > 1 or (final and not unique_ids)):
        raise ValidationError("Choose one answer.", field="choice_ids", code="WRONG_CHOICE_COUNT")
    if len(unique_ids) > wanted or (require_complete and (unique_ids or final) and len(unique_ids) != wanted):
        raise ValidationError(f"Choose exactly {wanted}.", field="choice_ids", code="WRONG_CHOICE_COUNT")
    return unique_ids


def _pbq_response(question: Question, shown: list[int], choice_ids: list | None, order: list | None,
                  matches: dict | None, final: bool = False) -> dict:
    """The stored form of an ordering or matching answer, after checking it item by item."""
    kind = question.type
    wanted = ANSWER_FIELD[kind]
    given = {"choice_ids": choice_ids, "order": order, "matches": matches}
    for name, value in given.items():
        if value is not None and name != wanted:
            raise WrongAnswerShape(name, kind)
    if given[wanted] is None:
        raise WrongAnswerShape(wanted, kind)
    items = list(shown)
    if kind == "ordering":
        if not isinstance(order, list) or not all(_is_id(item) for item in order):
            raise WrongAnswerShape("order", kind)
        order = [int(item) for item in order]
        _check_items(order, items, "order")
        return {"order": order}
    if not isinstance(matches, dict) or not all(_is_id(key) for key in matches):
        raise WrongAnswerShape("matches", kind)
    keys = [int(key) for key in matches]
    _check_items(keys, items, "matches")
    target_ids = range(len(question.targets or []))
    stored = {}
    for key, target in matches.items():
        if target is not None and (not _is_id(target) or int(target) not in target_ids):
            raise ValidationError("That target does not belong to this question.", field=f"matches.{int(key)}",
                                  code="INVALID_TARGET")
        if target is None and final:
            raise ValidationError("Match every item before checking the answer.", field=f"matches.{int(key)}",
                                  code="MISSING_ITEM")
        stored[str(int(key))] = None if target is None else int(target)
    # Stored in the order the items are shown, so an unchanged answer compares equal.
    return {"matches": {str(item): stored[str(item)] for item in items}}


def _is_id(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    # ASCII only: "²".isdigit() is true but int("²") fails.
    return isinstance(value, str) and value.isascii() and value.isdigit()


def _check_items(given: list[int], items: list[int], field: str) -> None:
    """Every item of the question exactly once, and nothing else."""
    if any(item not in items for item in given):
        raise ValidationError("An item does not belong to this question.", field=field, code="INVALID_ITEM")
    if len(set(given)) != len(given):
        raise ValidationError("An item is listed twice.", field=field, code="DUPLICATE_ITEM")
    if len(given) != len(items):
        raise ValidationError("Every item of the question must be listed.", field=field, code="MISSING_ITEM")


def order_from_positions(current: list[int], positions: dict[int, int]) -> list[int]:
    """The order a set of position menus asks for (the no-JavaScript ordering form).

    `positions` maps item ids to 0-based positions. Items whose menu still shows their current
    place stay put; the others move to the place chosen, and the rest close up around them, so
    changing one menu moves one item. Two moved items on one place are a ValidationError."""
    moved = {item: place for item, place in positions.items()
             if item in current and place != current.index(item) and 0 <= place < len(current)}
    if len(set(moved.values())) != len(moved):
        raise ValidationError("Two items were moved to the same place; choose a different place for one.",
                              field="order", code="DUPLICATE_ITEM")
    rest = iter(item for item in current if item not in moved)
    by_place = {place: item for item, place in moved.items()}
    return [by_place[place] if place in by_place else next(rest) for place in range(len(current))]


def is_right(kind: str, answer: dict | None, correct_ids: set[int], key: dict | None) -> bool:
    """The one scoring rule of a question, for quizzes and study sessions: a choice question is
    right only with exactly its correct set; an ordering or matching one only when entirely right
    (every position, every match). `key` is the ordering or matching key (`Question.pbq_key`)."""
    if kind in PBQ_TYPES:
        items = _pbq_verdicts(kind, answer, key)
        return bool(items) and all(items.values())
    chosen = list((answer or {}).get("choice_ids") or [])
    return bool(chosen) and set(chosen) == set(correct_ids) and len(chosen) == len(correct_ids)


def _pbq_verdicts(kind: str, response: dict | None, key: dict) -> dict[str, bool]:
    """Per item id: whether the learner placed or matched it right."""
    if kind == "ordering":
        order = (response or {}).get("order") or []
        return {str(item): index < len(order) and order[index] == item for index, item in enumerate(key["order"])}
    matches = (response or {}).get("matches") or {}
    return {item: matches.get(item) is not None and matches.get(item) == target
            for item, target in key["matches"].items()}


def set_marked(user: User, attempt_id: int, position: int, marked: bool, now: datetime | None = None) -> AttemptQuestion:
    """Mark or unmark a question for review."""
    now = now or utcnow()
    attempt = _open_attempt(user, attempt_id, now)
    aq = attempt_question_at(attempt, position)
    aq.marked = bool(marked)
    db.session.commit()
    return aq


def visit_question(user: User, attempt_id: int, position: int, now: datetime | None = None) -> AttemptQuestion:
    """Record that the learner is looking at `position` (for resume and time per question)."""
    now = now or utcnow()
    attempt = get_attempt(user, attempt_id, now)
    aq = attempt_question_at(attempt, position)
    if attempt.status == AttemptStatus.IN_PROGRESS and attempt.current_position != position:
        previous = attempt_question_at(attempt, attempt.current_position)
        _credit_time(attempt, previous, now)
        attempt.current_position = position
        db.session.commit()
    return aq


@dataclass(frozen=True)
class SubmitSummary:
    total: int
    answered: int
    unanswered: int
    marked: int


def submit_summary(attempt: QuizAttempt) -> SubmitSummary:
    answered = sum(1 for aq in attempt.questions if aq.is_answered)
    marked = sum(1 for aq in attempt.questions if aq.marked)
    return SubmitSummary(len(attempt.questions), answered, len(attempt.questions) - answered, marked)


def abandon_attempt(user: User, attempt_id: int, now: datetime | None = None) -> QuizAttempt:
    """Close an open attempt without scoring: no XP, and its answers never reach the history."""
    now = now or utcnow()
    attempt = _open_attempt(user, attempt_id, now)
    result = db.session.execute(sa.update(QuizAttempt)
                                .where(QuizAttempt.id == attempt.id, QuizAttempt.status == AttemptStatus.IN_PROGRESS)
                                .values(status=AttemptStatus.ABANDONED, finished_at=now))
    if result.rowcount != 1:
        db.session.rollback()
        raise AttemptClosed()
    db.session.commit()
    db.session.refresh(attempt)
    logger.info("quiz abandoned", extra={"attempt_id": attempt.id})
    return attempt


def scaled_score(percent: float) -> int:
    """Map raw percent to CompTIA's 100–900 scale: linear, 0% → 100 and 100% → 900.

    CompTIA does not publish its mapping; a linear one is transparent and makes the pass mark
    for each exam easy to state (Security+ 750 needs 81.25%, Network+ 720 needs 77.5%).
    """
    low, high = Exam.SCORE_SCALE
    return int(round(low + (high - low) * max(0.0, min(percent, 100.0)) / 100))


def _accuracy(correct: int, total: int) -> float:
    return round(100.0 * correct / total, 1) if total else 0.0


@dataclass
class _Tally:
    correct: int = 0
    total: int = 0


def submit_attempt(user: User, attempt_id: int, now: datetime | None = None) -> dict:
    """Score the attempt once and return its result; repeats return the identical stored body."""
    now = now or utcnow()
    attempt = get_attempt(user, attempt_id, now)
    if attempt.status == AttemptStatus.ABANDONED:
        raise AttemptClosed()
    if attempt.status == AttemptStatus.IN_PROGRESS:
        return finalize_attempt(attempt, now)
    return stored_result(attempt.id)


def stored_result(attempt_id: int) -> dict:
    result = db.session.get(AttemptResult, attempt_id)
    if result is None:
        raise AttemptClosed()
    return result.body


def finalize_attempt(attempt: QuizAttempt, now: datetime) -> dict:
    """Close and score `attempt` in one transaction; exactly one caller ever does the work."""
    finished = min(now, attempt.expires_at) if attempt.expires_at else now
    attempt_id, user_id = attempt.id, attempt.user_id
    db.session.commit()  # end any read transaction: the UPDATE below must start the write
    won = db.session.execute(
        sa.update(QuizAttempt)
        .where(QuizAttempt.id == attempt_id, QuizAttempt.status == AttemptStatus.IN_PROGRESS)
        .values(status=AttemptStatus.COMPLETED, finished_at=finished)
        .execution_options(synchronize_session=False)).rowcount == 1
    if not won:
        db.session.rollback()
        db.session.expire_all()
        return stored_result(attempt_id)
    try:
        body = _score(attempt_id, user_id, finished)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    logger.info("quiz submitted", extra={"attempt_id": attempt_id, "score_percent": body["score_percent"],
                                         "xp_earned": body["xp_earned"]})
    return body


def _score(attempt_id: int, user_id: int, finished: datetime) -> dict:
    """Score from plain rows (no ORM graph of 90 questions and 400 choices), write the history,
    the result and the gamification awards, all in the caller's transaction."""
    from webapp.gamification.services import record_quiz_completion

    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt_id)
    exam = db.session.get(Exam, attempt.exam_id)
    rows = db.session.execute(
        sa.select(AttemptQuestion.id, AttemptQuestion.question_id, AttemptQuestion.choice_order,
                  AttemptQuestion.selected_choice_ids, AttemptQuestion.response, AttemptQuestion.answered_at,
                  AttemptQuestion.time_spent_ms, AttemptQuestion.confidence, Question.objective_id,
                  Question.explanation, Question.type)
        .join(Question, Question.id == AttemptQuestion.question_id)
        .where(AttemptQuestion.attempt_id == attempt_id).order_by(AttemptQuestion.position)).all()
    question_ids = [row.question_id for row in rows]
    correct_by_question: dict[int, set[int]] = defaultdict(set)
    for qid, cid in db.session.execute(sa.select(Choice.question_id, Choice.id)
                                       .where(Choice.question_id.in_(question_ids), Choice.is_correct.is_(True))):
        correct_by_question[qid].add(cid)
    pbq_keys = _pbq_keys([row.question_id for row in rows if row.type in PBQ_TYPES])
    objectives = {o.id: o for o in db.session.scalars(
        sa.select(Objective).where(Objective.id.in_({row.objective_id for row in rows})))}
    domains = {d.id: d for d in db.session.scalars(
        sa.select(Domain).where(Domain.id.in_({o.domain_id for o in objectives.values()})))}

    by_objective: dict[int, _Tally] = defaultdict(_Tally)
    by_domain: dict[int, _Tally] = defaultdict(_Tally)
    review, answers, verdicts = [], [], []
    for row in rows:
        correct_ids = correct_by_question[row.question_id]
        chosen = list(row.selected_choice_ids or [])
        extra: dict = {}
        if row.type in PBQ_TYPES:
            key = pbq_keys[row.question_id]
            items = _pbq_verdicts(row.type, row.response, key)
            is_correct = is_right(row.type, row.response, correct_ids, key)
            extra = {**(row.response or {ANSWER_FIELD[row.type]: None}),
                     f"correct_{ANSWER_FIELD[row.type]}": key[ANSWER_FIELD[row.type]],
                     "items": [{"id": int(item), "is_correct": verdict} for item, verdict in items.items()]}
        else:
            is_correct = is_right(row.type, {"choice_ids": chosen}, correct_ids, None)
        verdicts.append({"row_id": row.id, "verdict": is_correct})
        for tally in (by_objective[row.objective_id], by_domain[objectives[row.objective_id].domain_id]):
            tally.total += 1
            tally.correct += is_correct
        review.append({"question_id": row.question_id, "choice_ids": chosen,
                       # correct ids in the order the learner saw the choices
                       "correct_choice_ids": [cid for cid in row.choice_order if cid in correct_ids],
                       "is_correct": is_correct, "explanation": row.explanation, **extra})
        answers.append({"user_id": user_id, "attempt_id": attempt_id, "question_id": row.question_id,
                        "exam_id": attempt.exam_id, "objective_id": row.objective_id, "mode": attempt.mode,
                        "is_correct": is_correct, "time_spent_seconds": row.time_spent_ms // 1000,
                        "confidence": row.confidence, "answered_at": row.answered_at or finished})
    correct_total = sum(1 for item in review if item["is_correct"])
    answered = sum(1 for item in review if _entry_answered(item))
    total = len(rows)
    percent = _accuracy(correct_total, total)
    is_exam = attempt.mode == QuizMode.EXAM
    scaled = scaled_score(percent) if is_exam else None
    time_used = int((finished - attempt.started_at).total_seconds())
    if attempt.time_limit_seconds:
        time_used = min(time_used, attempt.time_limit_seconds)

    db.session.execute(sa.update(AttemptQuestion.__table__)
                       .where(AttemptQuestion.__table__.c.id == sa.bindparam("row_id"))
                       .values(is_correct=sa.bindparam("verdict")), verdicts)
    if attempt.mode in QuizMode.scored():
        db.session.execute(sa.insert(Answer), answers)
        record_attempt(user_id, attempt.exam_id, attempt_id)
        record_goal_progress(user_id, finished)
    body = {
        "id": attempt_id,
        "status": AttemptStatus.COMPLETED.value,
        "exam_type": exam.slug,
        "mode": attempt.mode,
        "score_percent": percent,
        "correct": correct_total,
        "total": total,
        "scaled_score": scaled,
        "passed": (scaled >= exam.passing_score) if is_exam else None,
        "passing_score": exam.passing_score if is_exam else None,
        "time_used_seconds": max(0, time_used),
        "domains": [{"domain": o.code, "domain_name": o.title, "correct": by_objective[oid].correct,
                     "total": by_objective[oid].total,
                     "accuracy": _accuracy(by_objective[oid].correct, by_objective[oid].total)}
                    for oid, o in sorted(objectives.items(), key=lambda kv: _code_key(kv[1].code))],
        "exam_domains": [{"number": d.number, "name": d.name, "correct": by_domain[did].correct,
                          "total": by_domain[did].total,
                          "accuracy": _accuracy(by_domain[did].correct, by_domain[did].total)}
                         for did, d in sorted(domains.items(), key=lambda kv: kv[1].position)],
        "review": review,
    }
    # The result row goes in first (its body is completed below): it is what the gamification
    # rules count as a completed quiz.
    stored = AttemptResult(attempt_id=attempt_id, user_id=user_id, correct=correct_total, total=total,
                           score_percent=percent, scaled_score=scaled, passed=body["passed"],
                           time_used_seconds=body["time_used_seconds"], answered=answered, body={})
    db.session.add(stored)
    db.session.flush()
    outcome = record_quiz_completion(attempt, body, answered,
                                     [item["question_id"] for item in review if item["is_correct"]])
    body = {**body, "xp_earned": outcome.xp_earned, "new_achievements": outcome.new_achievements,
            "xp_notes": outcome.xp_notes}
    stored.xp_earned = outcome.xp_earned
    stored.body = body
    db.session.flush()
    return body


def _pbq_keys(question_ids: list[int]) -> dict[int, dict]:
    """The key of each ordering or matching question, from plain rows."""
    keys: dict[int, dict] = {}
    if not question_ids:
        return keys
    rows = db.session.execute(sa.select(Choice.question_id, Choice.id, Choice.target, Question.type)
                              .join(Question, Question.id == Choice.question_id)
                              .where(Choice.question_id.in_(question_ids)).order_by(Choice.question_id, Choice.position))
    for qid, cid, target, kind in rows:
        if kind == "ordering":
            keys.setdefault(qid, {"order": []})["order"].append(cid)
        else:
            keys.setdefault(qid, {"matches": {}})["matches"][str(cid)] = target
    return keys


def _entry_answered(entry: dict) -> bool:
    """Whether a review entry had an answer: choices, an order, or at least one match."""
    return bool(entry["choice_ids"]) or bool(entry.get("order")) or any(
        target is not None for target in (entry.get("matches") or {}).values())


def _code_key(code: str) -> tuple[int, ...]:
    return tuple(int(part) for part in code.split(".") if part.isdigit())


def list_attempts(user: User, status: str | None, page: int, per_page: int):
    """The user's attempts, newest first."""
    query = sa.select(QuizAttempt).where(QuizAttempt.user_id == user.id)
    if status:
        if status not in set(AttemptStatus):
            raise ValidationError(f"Status must be one of {', '.join(AttemptStatus)}.", field="status")
        query = query.where(QuizAttempt.status == status)
    query = query.order_by(QuizAttempt.started_at.desc(), QuizAttempt.id.desc())
    return db.paginate(query, page=bounded_page(page), per_page=per_page, max_per_page=MAX_PER_PAGE,
                       error_out=False)


def results_for(attempt_ids: list[int]) -> dict[int, AttemptResult]:
    if not attempt_ids:
        return {}
    rows = db.session.scalars(sa.select(AttemptResult).where(AttemptResult.attempt_id.in_(attempt_ids)))
    return {r.attempt_id: r for r in rows}


@dataclass
class ReviewItem:
    """One question of a completed attempt as it was scored.

    The selection, the key (`correct_ids`) and the verdict come from the stored result; the
    wording (stem, choice texts, rationales) is the live question's. `current_ids` is the live
    key, so a key corrected since the attempt was scored can be pointed out."""

    position: int
    question: Question
    choices: list[Choice]
    selected: list[int]
    correct_ids: list[int]
    is_correct: bool
    marked: bool
    explanation: str
    current_ids: list[int]
    # Ordering and matching only: the answer and key as scored ({"order": ...} / {"matches": ...}),
    # the live key, and one ReviewPart per item.
    response: dict | None = None
    scored_key: dict | None = None
    current_key: dict | None = None
    parts: list["ReviewPart"] = field(default_factory=list)
    # When an admin first changed the key after the attempt was submitted (`key_corrections`).
    corrected_at: datetime | None = None

    @property
    def answered(self) -> bool:
        if self.question.is_pbq:
            return any(part.given is not None for part in self.parts)
        return bool(self.selected)

    @property
    def key_changed(self) -> bool:
        if self.question.is_pbq:
            return self.scored_key != self.current_key
        return set(self.correct_ids) != set(self.current_ids)

    @property
    def key_corrected_at(self) -> datetime | None:
        """The date the review gives for a corrected key (None while the key is as scored)."""
        return self.corrected_at if self.key_changed else None


@dataclass(frozen=True)
class ReviewPart:
    """One item of an ordering or matching question in the review: what the learner gave (a 1-based
    position or a target's text, None if nothing), what was right, and the item's rationale."""

    item: Choice
    given: str | None
    expected: str
    is_correct: bool


def _review_parts(question: Question, response: dict | None, key: dict, verdicts: dict[str, bool]) -> list[ReviewPart]:
    """Items in the learner's order (ordering) or as shown (matching), each with its verdict."""
    by_id = {item.id: item for item in question.choices}
    if question.type == "ordering":
        order = (response or {}).get("order") or []
        correct = key["order"]
        listed = [item for item in order if item in by_id] or [item for item in correct if item in by_id]
        return [ReviewPart(item=by_id[item], given=str(order.index(item) + 1) if item in order else None,
                           expected=str(correct.index(item) + 1) if item in correct else "?",
                           is_correct=bool(verdicts.get(str(item)))) for item in listed]
    targets = question.targets or []
    matches = (response or {}).get("matches") or {}

    def text(target):
        return targets[target] if isinstance(target, int) and 0 <= target < len(targets) else None

    return [ReviewPart(item=by_id[int(item)], given=text(matches.get(item)), expected=text(target) or "?",
                       is_correct=bool(verdicts.get(item))) for item, target in key["matches"].items()
            if int(item) in by_id]


def live_review_item(position: int, question: Question, choices: list[Choice], response: dict | None,
                     is_correct: bool) -> ReviewItem:
    """A question reviewed against its live key: `choices` in the order the learner saw them,
    `response` the answer given (None when there is none). Study mode's feedback."""
    key_ids = [c.id for c in choices if c.is_correct]
    pbq: dict = {}
    if question.is_pbq:
        key = question.pbq_key
        pbq = {"response": response, "scored_key": key, "current_key": key,
               "parts": _review_parts(question, response, key, _pbq_verdicts(question.type, response, key))}
    return ReviewItem(position=position, question=question, choices=choices,
                      selected=list((response or {}).get("choice_ids") or []), correct_ids=key_ids,
                      is_correct=is_correct, marked=False, explanation=question.explanation, current_ids=key_ids,
                      **pbq)


def scored_review(attempt: QuizAttempt) -> list[ReviewItem]:
    """Every question of a completed attempt, in order, with the key it was scored against.

    The one source of the review for the page and the API (`scored_result`)."""
    scored = {entry["question_id"]: entry for entry in stored_result(attempt.id).get("review", [])}
    attempt = with_questions(attempt)
    corrected = key_corrections([aq.question_id for aq in attempt.questions], attempt.finished_at)
    items = []
    for aq in attempt.questions:
        entry = scored.get(aq.question_id, {})
        live_key = {c.id for c in aq.question.choices if c.is_correct}
        pbq: dict = {}
        if aq.question.is_pbq:
            answer_field = ANSWER_FIELD[aq.question.type]
            current = aq.question.pbq_key
            if entry:
                response = {answer_field: entry.get(answer_field)} if entry.get(answer_field) is not None else None
                scored = {answer_field: entry[f"correct_{answer_field}"]}
                verdicts = {str(part["id"]): part["is_correct"] for part in entry.get("items", [])}
            else:
                response, scored = aq.response, current
                verdicts = _pbq_verdicts(aq.question.type, response, current)
            pbq = {"response": response, "scored_key": scored, "current_key": current,
                   "parts": _review_parts(aq.question, response, scored, verdicts)}
        items.append(ReviewItem(
            position=aq.position, question=aq.question, choices=shown_choices(aq),
            selected=list(entry.get("choice_ids", aq.selected_choice_ids or [])),
            correct_ids=list(entry.get("correct_choice_ids", [c for c in aq.choice_order if c in live_key])),
            is_correct=bool(entry.get("is_correct", aq.is_correct)), marked=aq.marked,
            explanation=entry.get("explanation", aq.question.explanation),
            current_ids=[c for c in aq.choice_order if c in live_key], corrected_at=corrected.get(aq.question_id),
            **pbq))
    return items


def key_corrections(question_ids: list[int], since: datetime | None) -> dict[int, datetime]:
    """Per question, when an admin first changed its key after `since` (an attempt's submission):
    the first key-changing QuestionVersion created after it."""
    if not question_ids or since is None:
        return {}
    return dict(db.session.execute(
        sa.select(QuestionVersion.question_id, sa.func.min(QuestionVersion.created_at))
        .where(QuestionVersion.question_id.in_(question_ids), QuestionVersion.key_changed.is_(True),
               QuestionVersion.created_at > since)
        .group_by(QuestionVersion.question_id)).all())


def review_entry(item: ReviewItem) -> dict:
    """One `review` entry of the result body, plus whether the key has changed since. Ordering and
    matching entries add the answer, the key and each item's verdict with its rationale."""
    entry = {"question_id": item.question.id, "choice_ids": item.selected, "correct_choice_ids": item.correct_ids,
             "is_correct": item.is_correct, "explanation": item.explanation, "key_changed": item.key_changed,
             # ISO 8601, like every API time (the result body is a plain dict, not a schema)
             "key_corrected_at": item.key_corrected_at.isoformat() if item.key_corrected_at else None}
    if item.question.is_pbq:
        answer_field = ANSWER_FIELD[item.question.type]
        entry |= {answer_field: (item.response or {}).get(answer_field),
                  f"correct_{answer_field}": (item.scored_key or {}).get(answer_field),
                  "items": [{"id": part.item.id, "is_correct": part.is_correct, "rationale": part.item.rationale}
                            for part in item.parts]}
    return entry


def scored_result(attempt: QuizAttempt) -> dict:
    """The stored result of a completed attempt with its review read through `scored_review`."""
    return {**stored_result(attempt.id), "review": [review_entry(item) for item in scored_review(attempt)]}


def review_items(user: User, attempt_id: int, which: str = ReviewFilter.ALL) -> tuple[QuizAttempt, list[ReviewItem]]:
    """The scored review of the user's finished attempt, filtered (an unknown filter shows all)."""
    attempt = get_attempt(user, attempt_id)
    if attempt.status != AttemptStatus.COMPLETED:
        raise AttemptClosed("Review opens once the quiz is submitted.")
    items = scored_review(attempt)
    if which == ReviewFilter.WRONG:
        items = [item for item in items if not item.is_correct]
    elif which == ReviewFilter.MARKED:
        items = [item for item in items if item.marked]
    return attempt, items


def review_filter(raw: str | None) -> ReviewFilter:
    """The review filter asked for, or all."""
    return ReviewFilter(raw) if raw in set(ReviewFilter) else ReviewFilter.ALL


def order_after_move(current: list[int], item: int, step: int) -> list[int]:
    """`current` with `item` moved `step` places (-1 up, +1 down), kept within the list."""
    if item not in current:
        raise ValidationError("An item does not belong to this question.", field="order", code="INVALID_ITEM")
    order = list(current)
    index = order.index(item)
    target = max(0, min(len(order) - 1, index + step))
    order.insert(target, order.pop(index))
    return order


def shown_choices(aq: AttemptQuestion) -> list[Choice]:
    """The question's choices in this attempt's stored order."""
    by_id = {c.id: c for c in aq.question.choices}
    return [by_id[c] for c in aq.choice_order if c in by_id]



@dataclass(frozen=True)
class RetryOffers:
    """Which "retry what I got wrong" actions a finished attempt's result and review offer: the
    `missed` ones when it had a wrong (or unanswered) question, the `marked` one when the learner
    marked a question for review in it. The actions start from the exam's `missed` and `marked`
    sources, so they also take in earlier quizzes."""

    exam_slug: str
    missed: bool
    marked: bool


def retry_offers(attempt: QuizAttempt) -> RetryOffers:
    """The retry actions for a completed attempt (none for any other)."""
    if attempt.status != AttemptStatus.COMPLETED:
        return RetryOffers(attempt.exam.slug, False, False)
    result = db.session.get(AttemptResult, attempt.id)
    marked = db.session.scalar(sa.select(sa.exists().where(AttemptQuestion.attempt_id == attempt.id,
                                                           AttemptQuestion.marked.is_(True))))
    return RetryOffers(attempt.exam.slug, result is not None and result.correct < result.total, bool(marked))


@dataclass(frozen=True)
class DrawPreview:
    """What a start would draw: the checked plan, the draw (with its notice) and its questions."""

    plan: QuizPlan
    draw: Draw
    questions: list[Question]


def preview_draw(user: User, request: QuizRequest, rng: random.Random | None = None) -> DrawPreview:
    """The draw that starting a practice quiz, a simulation or a study session with `request`
    would give now, through the same plan and draw as `start_quiz`, without writing anything:
    no attempt opens, the start rate limit counts nothing, and an open quiz is neither
    looked at nor scored. The start itself draws afresh (the order among equals is random)."""
    plan = plan_quiz(user, request, modes=tuple(QuizMode))
    draw = draw_questions(user, plan, rng)
    return DrawPreview(plan, draw, drawn_questions(draw.question_ids))

"""Where a practice quiz or a study session draws its questions from, written once for both.

- `all`: every active question in scope (the classic draw; too small a scope is a 400 on `count`).
- `unseen`: questions the learner has never answered, in any mode.
- `missed`: questions whose most recent answer (in any mode) was wrong.
- `bookmarked`: the learner's bookmarks, optionally only those with one tag.
- `marked`: questions the learner marked for review in a completed quiz.
- `due`: questions whose spaced-review card (webapp/learning) is due now; most overdue first.
- `sure_wrong`: questions whose most recent answer was wrong although marked "sure".
- `lucky_guess`: questions whose most recent answer was right although marked "guessed".

Every source is narrowed to active questions of the exam and, when given, to the chosen
objectives. For every source but `all`, a scope smaller than the count asked for shrinks the
count to fit (even below the usual minimum) and says so; an empty scope is a 400 on `source`.
Within the scope the order is the same for every source but `due`: never-answered questions
first, then those answered longest ago. `due` draws the most overdue first.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from webapp.bookmarks.tags import clean_tag, tag_key
from webapp.exceptions import ValidationError
from webapp.extensions import db
from webapp.models import (Answer, AttemptQuestion, AttemptStatus, BookmarkTag, Confidence, Exam, Objective, Question,
                           QuestionBookmark, QuestionSource, QuizAttempt, ReviewCard, User)
from webapp.models.base import utcnow
from webapp.models.question import PBQ_TYPES


class EmptySource(ValidationError):
    code = "EMPTY_SOURCE"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="source")


@dataclass(frozen=True)
class SourceChoice:
    """A source as asked for: the source, and for `bookmarked` an optional tag."""

    source: QuestionSource = QuestionSource.ALL
    tag: str | None = None

    @classmethod
    def parse(cls, source: str | None, tag: str | None = None) -> "SourceChoice":
        """Validate a source (default `all`) and its tag: a 400 on `source` or `tag`."""
        raw = source or QuestionSource.ALL.value
        if raw not in set(QuestionSource):
            raise ValidationError(f"Source must be one of {', '.join(QuestionSource)}.", field="source",
                                  code="UNKNOWN_SOURCE")
        chosen = QuestionSource(raw)
        if tag is not None and str(tag).strip():
            if chosen != QuestionSource.BOOKMARKED:
                raise ValidationError("A tag narrows the bookmarked source only.", field="tag", code="INVALID_TAG")
            return cls(chosen, clean_tag(tag, field="tag"))
        return cls(chosen, None)


@dataclass(frozen=True)
class Draw:
    """Questions drawn for a quiz or session: their ids in order, the count asked for, and
    `notice` when a source held fewer questions than asked (the learner is told)."""

    question_ids: list[int]
    requested: int
    notice: str | None = None

    @property
    def shrunk(self) -> bool:
        return len(self.question_ids) < self.requested


def last_answered(user_id: int, exam_id: int) -> dict[int, datetime]:
    """When the user last answered each question of this exam (served by an index on answers)."""
    rows = db.session.execute(
        sa.select(Answer.question_id, sa.func.max(Answer.answered_at))
        .where(Answer.user_id == user_id, Answer.exam_id == exam_id)
        .group_by(Answer.question_id))
    return {qid: when for qid, when in rows}


def freshness_order(question_ids: list[int], last_seen: dict[int, datetime], rng: random.Random) -> list[int]:
    """Never-seen questions first (in random order), then the ones answered longest ago."""
    shuffled = list(question_ids)
    rng.shuffle(shuffled)  # random among equals: sorted() is stable
    epoch = datetime.min
    return sorted(shuffled, key=lambda q: (q in last_seen, last_seen.get(q, epoch).replace(tzinfo=None)))


def scope_query(exam: Exam, objective_ids: list[int] | None) -> sa.Select:
    """Active questions of the exam, narrowed to objectives when given: (id, objective, domain, is_pbq).
    A question withdrawn by learners' reports of a wrong key is left out of every new draw."""
    query = (sa.select(Question.id, Question.objective_id, Objective.domain_id, Question.type.in_(PBQ_TYPES))
             .join(Objective, Objective.id == Question.objective_id)
             .where(Question.exam_id == exam.id, Question.is_active.is_(True), Question.withdrawn_at.is_(None)))
    if objective_ids:
        query = query.where(Question.objective_id.in_(objective_ids))
    return query


def latest_verdict(user_id: int, exam_id=Question.exam_id, column=Answer.is_correct):
    """Whether the learner's latest answer to the enclosing query's question was right (ties on
    answered_at: the later row); NULL when they never answered it. With `column`, that answer's
    other column (its confidence). `exam_id` is the exam's id, or (the default) the enclosing
    question's exam column, for a query over several exams (the recommendations' counts).

    A correlated probe per question in scope, reading one entry of the answers index
    (user, exam, question, answered_at, id, is_correct, confidence) backwards from the question's
    latest answer, without touching the table (migration 0016). Ranking the learner's whole
    history by (answered_at, id) instead sorted every answer: 12 ms for 10,000 answers."""
    return (sa.select(column)
            .where(Answer.user_id == user_id, Answer.exam_id == exam_id, Answer.question_id == Question.id)
            .order_by(Answer.answered_at.desc(), Answer.id.desc()).limit(1)
            .scalar_subquery())


def restrict_to_source(query: sa.Select, user: User, exam: Exam, choice: SourceChoice) -> sa.Select:
    """`query` (over Question) narrowed to the questions of `choice` for this learner."""
    source = choice.source
    if source == QuestionSource.UNSEEN:
        seen = sa.select(Answer.question_id).where(Answer.user_id == user.id, Answer.exam_id == exam.id)
        return query.where(Question.id.not_in(seen))
    if source == QuestionSource.MISSED:
        return query.where(latest_verdict(user.id, exam.id).is_(False))
    if source == QuestionSource.BOOKMARKED:
        if choice.tag:
            tagged = sa.select(BookmarkTag.question_id).where(BookmarkTag.user_id == user.id,
                                                              BookmarkTag.tag_key == tag_key(choice.tag))
            return query.where(Question.id.in_(tagged))
        marked = sa.select(QuestionBookmark.question_id).where(QuestionBookmark.user_id == user.id)
        return query.where(Question.id.in_(marked))
    if source == QuestionSource.MARKED:
        flagged = (sa.select(AttemptQuestion.question_id)
                   .join(QuizAttempt, QuizAttempt.id == AttemptQuestion.attempt_id)
                   .where(QuizAttempt.user_id == user.id, QuizAttempt.exam_id == exam.id,
                          QuizAttempt.status == AttemptStatus.COMPLETED, AttemptQuestion.marked.is_(True)))
        return query.where(Question.id.in_(flagged))
    if source == QuestionSource.DUE:
        return query.where(Question.id.in_(_due_cards(user, exam).with_only_columns(ReviewCard.question_id)))
    if source in (QuestionSource.SURE_WRONG, QuestionSource.LUCKY_GUESS):
        wrong = source == QuestionSource.SURE_WRONG
        rated = Confidence.SURE if wrong else Confidence.GUESSED
        return query.where(latest_verdict(user.id, exam.id).is_(not wrong),
                           latest_verdict(user.id, exam.id, Answer.confidence) == rated.value)
    return query


def _due_cards(user: User, exam: Exam) -> sa.Select:
    """The learner's cards of this exam due now, most overdue first (the card index's order)."""
    return (sa.select(ReviewCard.question_id, ReviewCard.due)
            .where(ReviewCard.user_id == user.id, ReviewCard.exam_id == exam.id, ReviewCard.due <= utcnow())
            .order_by(ReviewCard.due, ReviewCard.question_id))


EMPTY_MESSAGES = {
    QuestionSource.UNSEEN: "You have answered every question in this selection: there are no unseen ones left.",
    QuestionSource.MISSED: "Nothing to retry: no question in this selection was wrong the last time you answered it.",
    QuestionSource.BOOKMARKED: "You have no bookmarked questions in this selection.",
    QuestionSource.MARKED: "You have not marked any question for review in a finished quiz in this selection.",
    QuestionSource.DUE: "No review is due in this selection: come back when your schedule says so.",
    QuestionSource.SURE_WRONG: "No question in this selection was wrong the last time you answered it “sure”.",
    QuestionSource.LUCKY_GUESS: "No question in this selection was right the last time you answered it “guessed”.",
}


def source_candidates(user: User, exam: Exam, objective_ids: list[int] | None,
                      choice: SourceChoice) -> list[tuple[int, int, int, bool]]:
    """(question_id, objective_id, domain_id, is_pbq) of every question the source holds in scope."""
    query = restrict_to_source(scope_query(exam, objective_ids), user, exam, choice)
    return [tuple(row) for row in db.session.execute(query)]


def fit_count(choice: SourceChoice, available: int, count: int) -> tuple[int, str | None]:
    """The count a non-`all` source can serve, and the notice when it had to shrink.
    An empty source is an EmptySource error (a 400 on `source`)."""
    if available == 0:
        message = EMPTY_MESSAGES[choice.source]
        if choice.tag:
            message = f"You have no bookmarked questions tagged “{choice.tag}” in this selection."
        raise EmptySource(message)
    if available < count:
        matches = "question matches" if available == 1 else "questions match"
        tagged = f" with the tag “{choice.tag}”" if choice.tag else ""
        return available, (f"Only {available} {matches} “{choice.source.label}”{tagged} in this selection, "
                           f"so you get {available} instead of {count}.")
    return count, None


def bookmark_tag_names(user_id: int, exam_id: int) -> list[str]:
    """The tags on the learner's bookmarks of this exam's questions, as shown, in name order
    (the start form offers them for the `bookmarked` source)."""
    rows = db.session.execute(
        sa.select(BookmarkTag.tag_key, sa.func.min(BookmarkTag.name))
        .join(Question, Question.id == BookmarkTag.question_id)
        .where(BookmarkTag.user_id == user_id, Question.exam_id == exam_id)
        .group_by(BookmarkTag.tag_key).order_by(BookmarkTag.tag_key))
    return [name for _key, name in rows]


def draw_ids(user: User, exam: Exam, objective_ids: list[int] | None, choice: SourceChoice, count: int,
             rng: random.Random, exclude: frozenset[int] = frozenset()) -> Draw:
    """Practice and study draws: `count` questions from the source, unseen first then longest ago,
    never one of `exclude` (study leaves out the questions of the learner's quiz in progress).

    `all` keeps the classic rule (a 400 on `count` when the scope is too small); every other
    source shrinks the count to fit and says so."""
    pool = [qid for qid, _obj, _dom, _pbq in source_candidates(user, exam, objective_ids, choice)
            if qid not in exclude]
    notice = None
    wanted = count
    if choice.source == QuestionSource.ALL:
        if len(pool) < count:
            raise ValidationError(f"Only {len(pool)} active questions match; {_fewer_advice(len(pool), objective_ids)}.",
                                  field="count", code="NOT_ENOUGH_QUESTIONS")
    else:
        wanted, notice = fit_count(choice, len(pool), count)
    if choice.source == QuestionSource.DUE:
        in_pool = set(pool)
        ordered = [qid for qid, _due in db.session.execute(_due_cards(user, exam)) if qid in in_pool]
    else:
        ordered = freshness_order(pool, last_answered(user.id, exam.id), rng)
    return Draw(ordered[:wanted], count, notice)


def _fewer_advice(available: int, objective_ids: list[int] | None) -> str:
    """What to do when `all` holds too few: ask for fewer, unless that would go below the minimum."""
    minimum = int(current_app.config["QUIZ_MIN_COUNT"])
    if available >= minimum:
        return f"choose {available} or fewer"
    if objective_ids:
        return f"choose more objectives (a quiz has at least {minimum} questions)"
    return f"a quiz needs at least {minimum}, or choose another source"

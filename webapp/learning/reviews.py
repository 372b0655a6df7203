"""Spaced review with FSRS-6: one card per (learner, question), reviewed by every answer.

- `record_reviews` runs in the transaction that writes the answers (a submitted quiz, a study
  answer), so a card moves exactly when its answer is stored: the quiz's unique result and the
  study answer's unique row already make a repeated or concurrent submission write nothing, and
  `review_logs.answer_id` is unique besides. The learner's cards are read `FOR UPDATE` on
  PostgreSQL; SQLite holds its one write lock from the answers' insert on.
- Answers are applied in time order. An answer older than its card's last review (a quiz
  answered earlier and submitted after a study answer to the same question) replays that card
  from its whole history instead, so the card is always what `rebuild` would give.
- `rebuild` replays every answer (or one learner's, or one question's) from `answers`: it is
  idempotent, and the re-grade of a corrected key runs it for the answers it flipped.
- Due counts and the due draw read `ix_review_cards_user_id_exam_id_due`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from fsrs import Card, Rating, Scheduler, State

from webapp.database import upsert_known
from webapp.extensions import db
from webapp.learning.ratings import pace_seconds, rating_for
from webapp.models import Answer, Exam, Question, ReviewCard, ReviewLog
from webapp.models.base import utcnow

REBUILD_BATCH = 5000


@dataclass(frozen=True)
class AnswerFact:
    """One stored answer, as the learning engine reads it."""

    answer_id: int
    question_id: int
    exam_id: int
    objective_id: int
    is_correct: bool
    confidence: str | None
    seconds: int
    answered_at: datetime


def scheduler() -> Scheduler:
    """The FSRS scheduler from config: default FSRS-6 parameters, no fuzzing (deterministic)."""
    config = current_app.config
    return Scheduler(desired_retention=config["REVIEW_DESIRED_RETENTION"],
                     learning_steps=[timedelta(minutes=m) for m in config["REVIEW_LEARNING_STEPS_MINUTES"]],
                     relearning_steps=[timedelta(minutes=m) for m in config["REVIEW_RELEARNING_STEPS_MINUTES"]],
                     maximum_interval=config["REVIEW_MAXIMUM_INTERVAL_DAYS"], enable_fuzzing=False)


class _Rater:
    """The rating of an answer, with each exam's pace looked up once, when an answer of it comes
    (a study answer's exam is already in the session: no statement)."""

    def __init__(self) -> None:
        config = current_app.config
        self.hard, self.easy = config["REVIEW_HARD_PACE_RATIO"], config["REVIEW_EASY_PACE_RATIO"]
        self.paces: dict[int, float] = {}

    def pace(self, exam_id: int) -> float:
        if exam_id not in self.paces:
            self.paces[exam_id] = pace_seconds(db.session.get(Exam, exam_id))
        return self.paces[exam_id]

    def __call__(self, fact: AnswerFact) -> Rating:
        return rating_for(fact.is_correct, fact.confidence, fact.seconds, self.pace(fact.exam_id), self.hard,
                          self.easy)


def _card_of(row) -> Card:
    return Card(card_id=row.question_id, state=State(row.state), step=row.step, stability=row.stability,
                difficulty=row.difficulty, due=row.due, last_review=row.last_review)


def _card_values(card: Card) -> dict:
    return {"state": int(card.state), "step": card.step, "stability": card.stability,
            "difficulty": card.difficulty, "due": card.due, "last_review": card.last_review}


class _Replay:
    """Cards and log rows built by applying answers in order (one learner, any questions)."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.scheduler = scheduler()
        self.rate = _Rater()
        self.cards: dict[int, dict] = {}
        self.logs: list[dict] = []

    def start(self, row) -> None:
        self.cards[row.question_id] = {"card": _card_of(row), "exam_id": row.exam_id, "reviews": row.reviews,
                                       "lapses": row.lapses}

    def apply(self, fact: AnswerFact) -> None:
        entry = self.cards.get(fact.question_id)
        if entry is None:
            entry = self.cards[fact.question_id] = {
                "card": Card(card_id=fact.question_id, due=fact.answered_at), "exam_id": fact.exam_id,
                "reviews": 0, "lapses": 0}
        rating = self.rate(fact)
        was_review = entry["card"].state == State.Review
        entry["card"], _log = self.scheduler.review_card(entry["card"], rating, fact.answered_at,
                                                         fact.seconds * 1000)
        entry["reviews"] += 1
        entry["lapses"] += was_review and rating == Rating.Again
        self.logs.append({"user_id": self.user_id, "question_id": fact.question_id, "answer_id": fact.answer_id,
                          "rating": int(rating), "reviewed_at": fact.answered_at, "duration_ms": fact.seconds * 1000})

    def rows(self, question_ids) -> list[dict]:
        return [{"user_id": self.user_id, "question_id": qid, "exam_id": self.cards[qid]["exam_id"],
                 "reviews": self.cards[qid]["reviews"], "lapses": self.cards[qid]["lapses"],
                 **_card_values(self.cards[qid]["card"])} for qid in question_ids]


def _order(fact: AnswerFact) -> tuple:
    return fact.answered_at, fact.answer_id


def record_reviews(user_id: int, facts: list[AnswerFact]) -> None:
    """Review the learner's cards with these newly stored answers (the caller commits)."""
    if not facts:
        return
    question_ids = sorted({f.question_id for f in facts})
    # Plain rows, not ReviewCard objects: the replay only reads their columns.
    existing = db.session.execute(
        sa.select(*ReviewCard.__table__.c).where(ReviewCard.user_id == user_id, ReviewCard.question_id.in_(question_ids))
        .with_for_update()).all()
    replay = _Replay(user_id)
    for card in existing:
        replay.start(card)
    late: set[int] = set()
    for fact in sorted(facts, key=_order):
        entry = replay.cards.get(fact.question_id)
        if fact.question_id in late or (entry is not None and entry["card"].last_review is not None
                                        and fact.answered_at < entry["card"].last_review):
            late.add(fact.question_id)
            continue
        replay.apply(fact)
    known = {card.question_id for card in existing}
    upsert_known(ReviewCard, ("user_id", "question_id"),
                 [row for row in replay.rows(replay.cards) if row["question_id"] not in late],
                 {(user_id, qid) for qid in known})
    logs = [log for log in replay.logs if log["question_id"] not in late]
    if logs:
        db.session.execute(sa.insert(ReviewLog), logs)
    if late:
        rebuild(user_ids=[user_id], question_ids=sorted(late))


def _facts(query: sa.Select):
    """AnswerFacts of `query`'s answers, streamed in (user, question, time) order."""
    columns = (Answer.user_id, Answer.id, Answer.question_id, Answer.exam_id, Answer.objective_id, Answer.is_correct,
               Answer.confidence, Answer.time_spent_seconds, Answer.answered_at)
    rows = db.session.execute(query.with_only_columns(*columns)
                              .order_by(Answer.user_id, Answer.question_id, Answer.answered_at, Answer.id)
                              .execution_options(yield_per=REBUILD_BATCH))
    for user_id, *fields in rows:
        yield user_id, AnswerFact(*fields)


def _scope(table_user, table_question, user_ids, question_ids) -> list:
    where = []
    if user_ids is not None:
        where.append(table_user.in_(user_ids))
    if question_ids is not None:
        where.append(table_question.in_(question_ids))
    return where


def rebuild(user_ids: list[int] | None = None, question_ids: list[int] | None = None) -> int:
    """Replace the cards and review log in scope (everyone, some learners, some questions) by a
    replay of their answers in time order. Idempotent; returns the number of cards written.
    The caller commits."""
    db.session.execute(sa.delete(ReviewLog).where(*_scope(ReviewLog.user_id, ReviewLog.question_id, user_ids,
                                                          question_ids)))
    db.session.execute(sa.delete(ReviewCard).where(*_scope(ReviewCard.user_id, ReviewCard.question_id, user_ids,
                                                           question_ids)))
    query = sa.select(Answer).where(*_scope(Answer.user_id, Answer.question_id, user_ids, question_ids))
    replay: _Replay | None = None
    cards: list[dict] = []
    logs: list[dict] = []

    def flush() -> None:
        if cards:
            db.session.execute(sa.insert(ReviewCard), cards)
        if logs:
            db.session.execute(sa.insert(ReviewLog), logs)
        cards.clear()
        logs.clear()

    def finish(done: _Replay | None) -> None:
        if done is not None:
            cards.extend(done.rows(done.cards))
            logs.extend(done.logs)
            if len(logs) >= REBUILD_BATCH:
                flush()

    for user_id, fact in _facts(query):
        if replay is None or replay.user_id != user_id:
            finish(replay)
            replay = _Replay(user_id)
        replay.apply(fact)
    finish(replay)
    flush()
    return db.session.scalar(sa.select(sa.func.count()).select_from(ReviewCard)
                             .where(*_scope(ReviewCard.user_id, ReviewCard.question_id, user_ids, question_ids)))


# -- what is due -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueCount:
    exam_id: int
    due: int  # cards due now
    next_due: datetime | None  # the earliest due time among cards not yet due
    cards: int  # every card of the exam


def due_counts(user_id: int, now: datetime | None = None, exam_id: int | None = None) -> dict[int, DueCount]:
    """Per exam the learner has cards in: how many are due now, and when the next one falls due.
    Cards of retired or withdrawn questions are left out, as the `due` draw leaves them out."""
    now = now or utcnow()
    is_due = ReviewCard.due <= now
    # Only cards the `due` draw can serve: active questions not withdrawn by reports.
    query = (sa.select(ReviewCard.exam_id, sa.func.count(), sa.func.sum(sa.case((is_due, 1), else_=0)),
                       sa.func.min(sa.case((is_due, None), else_=ReviewCard.due)))
             .join(Question, Question.id == ReviewCard.question_id)
             .where(ReviewCard.user_id == user_id, Question.is_active.is_(True), Question.withdrawn_at.is_(None))
             .group_by(ReviewCard.exam_id))
    if exam_id is not None:
        query = query.where(ReviewCard.exam_id == exam_id)
    found = {}
    for exam, cards, due, next_due in db.session.execute(query):
        if isinstance(next_due, str):  # SQLite returns the CASE's timestamp as stored text
            next_due = ReviewCard.__table__.c.due.type.process_result_value(
                datetime.fromisoformat(next_due), db.engine.dialect)
        found[exam] = DueCount(exam, int(due or 0), next_due, int(cards))
    return found


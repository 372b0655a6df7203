"""The one entry point that stores answers call: every answer reviews its card and updates its
objective's mastery, in the transaction that writes the answer (docs/LEARNING.md)."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db
from webapp.learning import mastery, reviews
from webapp.learning.reviews import AnswerFact
from webapp.models import Answer


def record_answers(user_id: int, exam_id: int, facts: list[AnswerFact]) -> None:
    """Apply newly stored answers of one exam to the learner's cards and mastery (the caller commits)."""
    reviews.record_reviews(user_id, facts)
    mastery.record_mastery(user_id, exam_id, facts)


def facts_of(query: sa.Select) -> list[AnswerFact]:
    """The AnswerFacts of the `answers` rows `query` (over Answer) selects."""
    rows = db.session.execute(query.with_only_columns(
        Answer.id, Answer.question_id, Answer.exam_id, Answer.objective_id, Answer.is_correct, Answer.confidence,
        Answer.time_spent_seconds, Answer.answered_at))
    return [AnswerFact(*row) for row in rows]


def record_attempt(user_id: int, exam_id: int, attempt_id: int) -> None:
    """A submitted quiz's answers (just inserted) reviewed and counted."""
    record_answers(user_id, exam_id, facts_of(sa.select(Answer).where(Answer.attempt_id == attempt_id)))


def fact_of(answer: Answer) -> AnswerFact:
    """One flushed Answer as a fact (a study answer)."""
    return AnswerFact(answer.id, answer.question_id, answer.exam_id, answer.objective_id, answer.is_correct,
                      answer.confidence, answer.time_spent_seconds, answer.answered_at)


def rebuild(user_ids: list[int] | None = None, question_ids: list[int] | None = None,
            objective_ids: list[int] | None = None) -> tuple[int, int]:
    """Rebuild cards (in the user and question scope) and mastery (in the user and objective
    scope) from `answers`; returns (cards, mastery rows). The caller commits."""
    cards = reviews.rebuild(user_ids, question_ids)
    rows = mastery.rebuild(user_ids, objective_ids)
    return cards, rows

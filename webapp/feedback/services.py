"""Question reports: the rules shared by the learner's form, the API and the admin queue.

A question's `flag_count`, `is_flagged` and `withdrawn_at` are derived from its open reports
and change in the same transaction as the report that moves them. Every writer first takes the
question's row lock (`lock_question`), so concurrent reports on one question are counted one
after the other on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from webapp.extensions import db
from webapp.models import FeedbackStatus, FeedbackType, Question, QuestionFeedback, User
from webapp.models.base import utcnow


def lock_question(question_id: int) -> bool:
    """Take the question's row lock for the rest of the transaction (a no-op UPDATE: on
    PostgreSQL a row lock, on SQLite the write lock, since it is the transaction's first write).
    False when there is no such question."""
    result = db.session.execute(sa.update(Question).where(Question.id == question_id)
                                .values(flag_count=Question.flag_count)
                                .execution_options(synchronize_session=False))
    return result.rowcount == 1


def refresh_flags(question_id: int, now: datetime | None = None) -> None:
    """Recount the question's open reports into `flag_count` (distinct learners), `is_flagged`
    (FEEDBACK_FLAG_AT) and `withdrawn_at` (FEEDBACK_WITHDRAW_AT distinct open "incorrect"
    reports; kept from when it was first reached, cleared below it). Call it after
    `lock_question`, in the transaction that changed the reports; the caller commits."""
    config = current_app.config
    open_reports = sa.and_(QuestionFeedback.question_id == question_id,
                           QuestionFeedback.status == FeedbackStatus.PENDING)
    reporters, incorrect = db.session.execute(
        sa.select(sa.func.count(sa.distinct(QuestionFeedback.user_id)),
                  sa.func.count(sa.distinct(QuestionFeedback.user_id))
                  .filter(QuestionFeedback.feedback_type == FeedbackType.INCORRECT))
        .where(open_reports)).one()
    withdraw = incorrect >= config["FEEDBACK_WITHDRAW_AT"]
    db.session.execute(
        sa.update(Question).where(Question.id == question_id)
        .values(flag_count=reporters, is_flagged=reporters >= config["FEEDBACK_FLAG_AT"],
                withdrawn_at=(sa.func.coalesce(Question.withdrawn_at, now or utcnow()) if withdraw else None))
        .execution_options(synchronize_session=False))


def close_reports(question_id: int, admin: User, status: FeedbackStatus, note: str | None,
                  report_ids: Iterable[int] | None = None, now: datetime | None = None) -> list[QuestionFeedback]:
    """Resolve or dismiss the question's open reports (all, or those of `report_ids`), recording
    the admin, the time and the note, and recount its flags. Returns the reports closed; the
    caller audits and commits."""
    if status == FeedbackStatus.PENDING:
        raise ValueError("close_reports resolves or dismisses; it never reopens")
    now = now or utcnow()
    lock_question(question_id)
    query = sa.select(QuestionFeedback).where(QuestionFeedback.question_id == question_id,
                                              QuestionFeedback.status == FeedbackStatus.PENDING)
    if report_ids is not None:
        query = query.where(QuestionFeedback.id.in_(list(report_ids)))
    closed = list(db.session.scalars(query.order_by(QuestionFeedback.id)))
    for report in closed:
        report.status = status.value
        report.resolved_by = admin.id
        report.resolved_at = now
        report.resolution_note = note or None
    db.session.flush()
    refresh_flags(question_id, now)
    return closed

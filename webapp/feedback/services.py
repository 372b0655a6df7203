"""Question reports: the rules shared by the learner's form, the API and the admin queue.

- A learner reports a question they can see (`browse.get_question`, the rule bookmarks use):
  a type (`FeedbackType`) and a comment, required for the types that `needs_comment`, at most
  FEEDBACK_COMMENT_MAX_LENGTH characters counted as notes are (trimmed, a line break is one).
- One open report per learner per question: filing again updates the open one. Once it is
  resolved or dismissed, the next report is a new one.
- FEEDBACK_RATE_LIMIT counts accepted reports per learner (browser and API together): a
  request refused for its content is refused before the limit is counted, so a typo never
  burns the day's quota.
- When an admin closes a report, the reporter's dashboard says so once (`unseen_resolutions`,
  then `mark_resolutions_seen` by a POST from the dashboard).

A question's `flag_count`, `is_flagged` and `withdrawn_at` are derived from its open reports
and change in the same transaction as the report that moves them. Every writer first takes the
question's row lock (`lock_question`), so concurrent reports on one question are counted one
after the other on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from webapp.exceptions import ValidationError
from webapp.extensions import db
from webapp.models import FeedbackStatus, FeedbackType, Question, QuestionFeedback, User
from webapp.models.base import utcnow
from webapp.pagination import MAX_PER_PAGE, bounded_page
from webapp.questions import browse
from webapp.rate_limits import KeyedLimit

logger = logging.getLogger(__name__)

# The dashboard shows at most this many new resolutions at a time; "My reports" lists them all.
RESOLUTION_NOTICES_SHOWN = 5
# "My reports" and the API show this much of each question's stem.
STEM_EXCERPT_LENGTH = 160


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


class UnknownFeedbackType(ValidationError):
    code = "FEEDBACK_TYPE_UNKNOWN"

    def __init__(self) -> None:
        super().__init__("Choose what is wrong: " + ", ".join(t.label.lower() for t in FeedbackType) + ".",
                         field="feedback_type")


class CommentRequired(ValidationError):
    code = "COMMENT_REQUIRED"

    def __init__(self, feedback_type: FeedbackType) -> None:
        super().__init__(f"Say what is wrong: a comment is required for “{feedback_type.label}”.", field="comment")


class CommentTooLong(ValidationError):
    code = "COMMENT_TOO_LONG"

    def __init__(self, limit: int) -> None:
        super().__init__(f"A comment has at most {limit:,} characters.", field="comment")


def parse_feedback_type(value: object) -> FeedbackType:
    """The report's type; UnknownFeedbackType (400 on `feedback_type`) for anything else."""
    try:
        return FeedbackType(value)
    except (ValueError, TypeError):
        raise UnknownFeedbackType() from None


def clean_comment(comment: object, feedback_type: FeedbackType) -> str | None:
    """The comment as stored: trimmed, line breaks as "\\n" (counted as the note service counts),
    None when blank; CommentRequired or CommentTooLong (400 on `comment`)."""
    if comment is not None and not isinstance(comment, str):
        raise ValidationError("A comment is text.", field="comment")
    text = (comment or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    limit = int(current_app.config["FEEDBACK_COMMENT_MAX_LENGTH"])
    if len(text) > limit:
        raise CommentTooLong(limit)
    if not text and feedback_type.needs_comment:
        raise CommentRequired(feedback_type)
    return text or None


def _report_limit() -> KeyedLimit:
    return KeyedLimit("question-report", current_app.config["FEEDBACK_RATE_LIMIT"])


def open_report(user: User, question_id: int) -> QuestionFeedback | None:
    """The learner's open report on a question, if any (the control's "Reported" state)."""
    return db.session.scalar(sa.select(QuestionFeedback).where(
        QuestionFeedback.user_id == user.id, QuestionFeedback.question_id == question_id,
        QuestionFeedback.status == FeedbackStatus.PENDING))


def open_reported_ids(user: User) -> set[int]:
    """The questions the learner has an open report on (every report control of a page reads it)."""
    return set(db.session.scalars(sa.select(QuestionFeedback.question_id).where(
        QuestionFeedback.user_id == user.id, QuestionFeedback.status == FeedbackStatus.PENDING)))


def _write_report(user: User, question_id: int, feedback_type: FeedbackType, comment: str | None,
                  now: datetime) -> tuple[QuestionFeedback, bool]:
    """Lock the question, insert or update the open report, recount the flags (not committed)."""
    lock_question(question_id)
    report = open_report(user, question_id)
    created = report is None
    if created:
        report = QuestionFeedback(user_id=user.id, question_id=question_id, feedback_type=feedback_type.value,
                                  comment=comment, status=FeedbackStatus.PENDING.value, created_at=now, updated_at=now)
        db.session.add(report)
    else:
        report.feedback_type, report.comment, report.updated_at = feedback_type.value, comment, now
    db.session.flush()
    refresh_flags(question_id, now)
    return report, created


def file_report(user: User, question_id: int, feedback_type: object, comment: object,
                now: datetime | None = None) -> tuple[QuestionFeedback, bool]:
    """Report a problem with a question the learner can see: (the report, True when new).

    A second report while one is open updates it (False). Refused before anything is counted:
    NotFound (404) for a question the learner cannot see, UnknownFeedbackType, CommentRequired,
    CommentTooLong (400); then RateLimited (429) past FEEDBACK_RATE_LIMIT. The report and the
    question's flags change in one transaction that starts with the question's row lock."""
    now = now or utcnow()
    question = browse.get_question(user, question_id)
    kind = parse_feedback_type(feedback_type)
    text = clean_comment(comment, kind)
    _report_limit().check(str(user.id), code="RATE_LIMITED",
                          message="You have sent many reports today. Thank you! Wait a while and try again.")
    try:
        report, created = _write_report(user, question.id, kind, text, now)
        db.session.commit()
    except IntegrityError:  # a concurrent first report of this learner won the open-report index
        db.session.rollback()
        report, created = _write_report(user, question.id, kind, text, now)
        db.session.commit()
    logger.info("question reported", extra={"question_id": question.id, "feedback_type": kind.value,
                                            "new_report": created})
    return report, created


def stem_excerpt(stem: str) -> str:
    """The start of a stem, cut at a word near STEM_EXCERPT_LENGTH characters."""
    if len(stem) <= STEM_EXCERPT_LENGTH:
        return stem
    cut = stem[:STEM_EXCERPT_LENGTH].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:") + "…"


def my_reports(user: User, page: int, per_page: int) -> Pagination:
    """A page of the learner's reports, newest first, each with its question and exam."""
    query = (sa.select(QuestionFeedback).where(QuestionFeedback.user_id == user.id)
             .options(joinedload(QuestionFeedback.question, innerjoin=True).joinedload(Question.exam, innerjoin=True))
             .order_by(QuestionFeedback.created_at.desc(), QuestionFeedback.id.desc()))
    return db.paginate(query, page=bounded_page(page), per_page=per_page, max_per_page=MAX_PER_PAGE,
                       error_out=False)


def _unseen(user: User) -> sa.Select:
    return sa.select(QuestionFeedback).where(QuestionFeedback.user_id == user.id,
                                             QuestionFeedback.status != FeedbackStatus.PENDING,
                                             QuestionFeedback.resolution_seen_at.is_(None))


def unseen_resolutions(user: User) -> list[QuestionFeedback]:
    """The learner's reports an admin resolved or dismissed that the dashboard has not yet shown
    (RESOLUTION_NOTICES_SHOWN at most, latest first), with their questions."""
    query = (_unseen(user).options(joinedload(QuestionFeedback.question, innerjoin=True)
                                   .joinedload(Question.exam, innerjoin=True))
             .order_by(QuestionFeedback.resolved_at.desc(), QuestionFeedback.id.desc())
             .limit(RESOLUTION_NOTICES_SHOWN))
    return list(db.session.scalars(query))


def mark_resolutions_seen(user: User, report_ids: Iterable[int], now: datetime | None = None) -> int:
    """Record that the dashboard showed these resolutions (the learner's own, closed, not yet
    seen; any other id is ignored), so it says so once. Returns how many were marked."""
    ids = [int(i) for i in report_ids]
    if not ids:
        return 0
    result = db.session.execute(
        sa.update(QuestionFeedback)
        .where(QuestionFeedback.id.in_(ids), QuestionFeedback.user_id == user.id,
               QuestionFeedback.status != FeedbackStatus.PENDING, QuestionFeedback.resolution_seen_at.is_(None))
        .values(resolution_seen_at=now or utcnow()).execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount


def lock_reported_questions(user_id: int) -> list[int]:
    """Lock (in id order, so two deletions never deadlock) the questions the user has open
    reports on, and return their ids: account deletion recounts them with `refresh_flags` once
    the reports no longer name the user."""
    ids = sorted(db.session.scalars(sa.select(QuestionFeedback.question_id).where(
        QuestionFeedback.user_id == user_id, QuestionFeedback.status == FeedbackStatus.PENDING).distinct()))
    for question_id in ids:
        lock_question(question_id)
    return ids

"""The admin triage queue: learner reports and item statistics, side by side.

One source of truth for `/admin/flags` and `/api/v1/admin/flagged-questions`:

- **The queue** (`list_queue`) holds every question with at least one report matching the
  filters (feedback type, status), plus every statistically suspect question
  (`QuestionStats.is_suspect`), which joins with its reasons even without a report, as long as
  the filters ask about open work: no feedback type chosen and status pending (the default) or
  any. "Suspect only" keeps only suspect questions (and, with a feedback type, only those that
  also have such a report). A page costs four queries however many items it holds: the count,
  the page of questions (with exam and objective joined), the open-report counts by type with
  the latest matching report, and the item statistics of the page's questions.
- **The detail** (`question_detail`): the question with its key, every report, the statistics
  with each choice's pick rates, and the edit history.
- **Decisions** (`decide_report`, `bulk_dismiss`) close reports through the feedback service's
  `close_reports`, which recounts the question's flags, then audit the question's state before
  and after and commit. Deciding a report that is already closed is a 409 `REPORT_CLOSED`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import joinedload, selectinload

from webapp.audit.services import RequestMeta, record_event
from webapp.exceptions import Conflict, NotFound, ValidationError
from webapp.extensions import db
from webapp.feedback.services import close_reports, lock_question
from webapp.models import (Exam, FeedbackStatus, FeedbackType, Question, QuestionFeedback, QuestionStats,
                           QuestionVersion, User)
from webapp.models.base import utcnow
from webapp.pagination import MAX_PER_PAGE, bounded_page

QUEUE_PAGE_SIZE = 20
SEARCH_MAX_LENGTH = 200
RESOLUTION_NOTE_MAX_LENGTH = 2000
# The status filter's value for "reports in any status" (the others are FeedbackStatus values).
ANY_STATUS = "any"
# Ids are 32-bit integers in every table; larger numbers name nothing (and overflow SQLite's INTEGER binding).
MAX_ID = 2**31 - 1
CLOSING = (FeedbackStatus.RESOLVED, FeedbackStatus.DISMISSED)
AUDIT_EVENTS = {FeedbackStatus.RESOLVED: "feedback_resolve", FeedbackStatus.DISMISSED: "feedback_dismiss"}


class QueueSort(StrEnum):
    """How the queue is ordered."""

    OPEN_REPORTS = "open_reports"
    NEWEST = "newest"
    SUSPICION = "suspicion"

    @property
    def label(self) -> str:
        return {"open_reports": "Most open reports", "newest": "Newest report",
                "suspicion": "Suspicion score"}[self.value]


class ReportNotFound(NotFound):
    message = "There is no such report."


class ReportClosed(Conflict):
    code = "REPORT_CLOSED"
    message = "This report has already been resolved or dismissed."


class NoteTooLong(ValidationError):
    code = "RESOLUTION_NOTE_TOO_LONG"

    def __init__(self) -> None:
        super().__init__(f"A resolution note has at most {RESOLUTION_NOTE_MAX_LENGTH:,} characters.",
                         field="resolution_note")


class NoQuestionsChosen(ValidationError):
    code = "NO_QUESTIONS_CHOSEN"
    message = "Choose at least one question to dismiss its reports."

    def __init__(self) -> None:
        super().__init__(field="question_ids")


@dataclass(frozen=True)
class QueueFilter:
    """The queue's filters, as plain values (the views and the API parse them)."""

    exam_slug: str | None = None
    feedback_type: FeedbackType | None = None
    status: FeedbackStatus | None = FeedbackStatus.PENDING  # None: any status
    suspect_only: bool = False
    search: str | None = None
    sort: QueueSort = QueueSort.OPEN_REPORTS

    @property
    def active(self) -> bool:
        """Something other than the default view was asked for."""
        return bool(self.exam_slug or self.feedback_type or self.status != FeedbackStatus.PENDING
                    or self.suspect_only or self.search)

    @property
    def suspects_join(self) -> bool:
        """Suspect questions without a matching report belong in this view."""
        return self.feedback_type is None and self.status in (FeedbackStatus.PENDING, None)


def parse_status(value: str | None) -> FeedbackStatus | None:
    """The status filter from its spelling: a FeedbackStatus, None for "any"; pending when blank."""
    if not value:
        return FeedbackStatus.PENDING
    if value == ANY_STATUS:
        return None
    try:
        return FeedbackStatus(value)
    except ValueError:
        raise ValidationError(f"Unknown status {value!r}.", field="status") from None


@dataclass(frozen=True)
class QueueItem:
    question: Question
    counts: dict[FeedbackType, int]  # open reports by type
    latest_report_at: datetime | None  # the newest report matching the filters
    stats: QuestionStats | None

    @property
    def open_reports(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Queue:
    page: Pagination
    items: list[QueueItem]
    filters: QueueFilter


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _report_conditions(filters: QueueFilter) -> list:
    conditions = []
    if filters.feedback_type is not None:
        conditions.append(QuestionFeedback.feedback_type == filters.feedback_type)
    if filters.status is not None:
        conditions.append(QuestionFeedback.status == filters.status)
    return conditions


def _exam_id(slug: str) -> int:
    exam_id = db.session.scalar(sa.select(Exam.id).where(Exam.slug == slug))
    if exam_id is None:
        raise ValidationError(f"Unknown exam {slug!r}.", field="exam", code="UNKNOWN_EXAM")
    return exam_id


def list_queue(filters: QueueFilter, page: int = 1, per_page: int = QUEUE_PAGE_SIZE) -> Queue:
    """One page of the queue (see the module docstring for who is in it and what it costs)."""
    matching = (sa.select(QuestionFeedback.question_id.label("question_id"),
                          sa.func.max(QuestionFeedback.created_at).label("latest"))
                .where(*_report_conditions(filters)).group_by(QuestionFeedback.question_id).subquery())
    suspect = QuestionStats.is_suspect.is_(True)
    has_report = matching.c.question_id.is_not(None)
    if filters.suspect_only:
        membership = sa.and_(suspect, has_report) if not filters.suspects_join else suspect
    else:
        membership = sa.or_(has_report, suspect) if filters.suspects_join else has_report
    query = (sa.select(Question)
             .outerjoin(matching, matching.c.question_id == Question.id)
             .outerjoin(QuestionStats, QuestionStats.question_id == Question.id)
             .where(membership)
             .options(joinedload(Question.exam), joinedload(Question.objective)))
    if filters.exam_slug:
        query = query.where(Question.exam_id == _exam_id(filters.exam_slug))
    if filters.search:
        query = query.where(Question.stem.ilike(f"%{_escape_like(filters.search)}%", escape="\\"))
    latest_last = [matching.c.latest.is_(None), matching.c.latest.desc()]
    order = {
        QueueSort.OPEN_REPORTS: [Question.flag_count.desc(), *latest_last],
        QueueSort.NEWEST: latest_last,
        QueueSort.SUSPICION: [sa.func.coalesce(QuestionStats.suspicion_score, 0).desc(), Question.flag_count.desc()],
    }[filters.sort]
    query = query.order_by(*order, Question.id.desc())
    found = db.paginate(query, page=bounded_page(page), per_page=min(max(per_page, 1), MAX_PER_PAGE),
                        max_per_page=MAX_PER_PAGE, error_out=False)
    return Queue(found, _queue_items(list(found.items), filters), filters)


def _queue_items(questions: list[Question], filters: QueueFilter) -> list[QueueItem]:
    """The page's questions with their counts and statistics: two queries for the whole page."""
    if not questions:
        return []
    ids = [question.id for question in questions]
    pending = QuestionFeedback.status == FeedbackStatus.PENDING
    matching = sa.and_(sa.true(), *_report_conditions(filters))
    columns = [sa.func.count(QuestionFeedback.id).filter(pending, QuestionFeedback.feedback_type == kind)
               for kind in FeedbackType]
    rows = db.session.execute(
        sa.select(QuestionFeedback.question_id, sa.func.max(QuestionFeedback.created_at).filter(matching), *columns)
        .where(QuestionFeedback.question_id.in_(ids)).group_by(QuestionFeedback.question_id)).all()
    counts = {row[0]: (row[1], dict(zip(FeedbackType, row[2:]))) for row in rows}
    stats = {row.question_id: row for row in db.session.scalars(
        sa.select(QuestionStats).where(QuestionStats.question_id.in_(ids)))}
    empty = {kind: 0 for kind in FeedbackType}
    return [QueueItem(question, counts.get(question.id, (None, empty))[1], counts.get(question.id, (None,))[0],
                      stats.get(question.id)) for question in questions]


def queue_item(question_id: int, filters: QueueFilter | None = None) -> QueueItem:
    """One question as a queue row (what a decision re-renders in place)."""
    question = db.session.scalar(sa.select(Question).where(Question.id == question_id)
                                 .options(joinedload(Question.exam), joinedload(Question.objective)))
    if question is None:
        raise NotFound("There is no such question.")
    return _queue_items([question], filters or QueueFilter())[0]


@dataclass(frozen=True)
class ChoiceRates:
    """How often a choice was picked, in percent of each group (None when the group is empty)."""

    overall: float | None
    top: float | None
    bottom: float | None


@dataclass(frozen=True)
class QuestionDetail:
    question: Question
    reports: list[QuestionFeedback]  # newest first, reporter and resolver loaded
    stats: QuestionStats | None
    rates: dict[int, ChoiceRates]  # by choice id; empty without statistics
    versions: list[QuestionVersion]  # newest first, editor loaded

    @property
    def open_reports(self) -> list[QuestionFeedback]:
        return [report for report in self.reports if report.status == FeedbackStatus.PENDING]


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def choice_rates(stats: QuestionStats | None) -> dict[int, ChoiceRates]:
    """Each choice's pick rate overall and in the top and bottom groups, from `choice_counts`."""
    if stats is None or not stats.choice_counts:
        return {}
    rates = {}
    for choice_id, picked in stats.choice_counts.items():
        rates[int(choice_id)] = ChoiceRates(_percent(picked.get("all", 0), stats.responses),
                                            _percent(picked.get("top", 0), stats.top_group),
                                            _percent(picked.get("bottom", 0), stats.bottom_group))
    return rates


def question_detail(question_id: int) -> QuestionDetail:
    """Everything the detail pane shows about one question (404 when there is no such question)."""
    question = db.session.scalar(
        sa.select(Question).where(Question.id == question_id)
        .options(joinedload(Question.exam), joinedload(Question.objective), selectinload(Question.choices)))
    if question is None:
        raise NotFound("There is no such question.")
    reports = list(db.session.scalars(
        sa.select(QuestionFeedback).where(QuestionFeedback.question_id == question_id)
        .options(joinedload(QuestionFeedback.reporter), joinedload(QuestionFeedback.resolver))
        .order_by(QuestionFeedback.created_at.desc(), QuestionFeedback.id.desc())))
    stats = db.session.get(QuestionStats, question_id)
    versions = list(db.session.scalars(
        sa.select(QuestionVersion).where(QuestionVersion.question_id == question_id)
        .options(joinedload(QuestionVersion.editor)).order_by(QuestionVersion.version.desc())))
    return QuestionDetail(question, reports, stats, choice_rates(stats), versions)


def age_in_words(moment: datetime, now: datetime | None = None) -> str:
    """How long ago a report was filed: "today", "1 day ago", "12 days ago"."""
    days = ((now or utcnow()) - moment).days
    if days < 1:
        return "today"
    return f"{days} day{'' if days == 1 else 's'} ago"


def _flag_state(question_id: int) -> dict:
    """The question's flag columns as stored now (they are written by UPDATE, past the ORM)."""
    row = db.session.execute(sa.select(Question.flag_count, Question.is_flagged, Question.withdrawn_at)
                             .where(Question.id == question_id)).one()
    return {"flag_count": row.flag_count, "is_flagged": row.is_flagged, "withdrawn": row.withdrawn_at is not None}


def _clean_note(note: str | None) -> str | None:
    note = (note or "").strip()
    if len(note) > RESOLUTION_NOTE_MAX_LENGTH:
        raise NoteTooLong()
    return note or None


def _closing_status(status: str | FeedbackStatus) -> FeedbackStatus:
    try:
        wanted = FeedbackStatus(status)
    except ValueError:
        wanted = None
    if wanted not in CLOSING:
        raise ValidationError("A report is resolved or dismissed.", field="status")
    return wanted


def decide_report(admin: User, report_id: int, status: str | FeedbackStatus, note: str | None,
                  meta: RequestMeta) -> QuestionFeedback:
    """Resolve or dismiss one open report with the admin's note; audited with the report's and the
    question's state before and after. A report already closed (perhaps a moment ago by another
    admin) is a 409 REPORT_CLOSED."""
    wanted, note = _closing_status(status), _clean_note(note)
    question_id = db.session.scalar(sa.select(QuestionFeedback.question_id).where(QuestionFeedback.id == report_id))
    if question_id is None:
        raise ReportNotFound()
    lock_question(question_id)  # read the report's status under the lock: another admin may decide it too
    report = db.session.get(QuestionFeedback, report_id, populate_existing=True)
    if report.status != FeedbackStatus.PENDING:
        db.session.rollback()
        raise ReportClosed()
    before = {"status": report.status, **_flag_state(question_id)}
    closed = close_reports(question_id, admin, wanted, note, report_ids=[report_id])
    record_event(AUDIT_EVENTS[wanted], meta, user_id=admin.id, details={
        "question_id": question_id, "report_ids": [report_id], "resolution_note": note,
        "before": before, "after": {"status": wanted.value, **_flag_state(question_id)}})
    db.session.commit()
    return closed[0]


@dataclass(frozen=True)
class BulkResult:
    question_ids: list[int]  # the questions that had open reports
    dismissed: int  # reports dismissed in all


def bulk_dismiss(admin: User, question_ids: list[int], note: str | None, meta: RequestMeta) -> BulkResult:
    """Dismiss every open report of the chosen questions with one note, in one transaction,
    audited per question. Questions in ascending id order, so two admins lock them alike."""
    note = _clean_note(note)
    if not question_ids:
        raise NoQuestionsChosen()
    wanted = sorted({question_id for question_id in question_ids if 0 < question_id <= MAX_ID})
    touched, dismissed = [], 0
    for question_id in wanted:
        if not lock_question(question_id):
            continue  # no such question (deleted meanwhile): nothing to dismiss
        before = _flag_state(question_id)
        closed = close_reports(question_id, admin, FeedbackStatus.DISMISSED, note)
        if not closed:
            continue
        touched.append(question_id)
        dismissed += len(closed)
        record_event(AUDIT_EVENTS[FeedbackStatus.DISMISSED], meta, user_id=admin.id, details={
            "question_id": question_id, "report_ids": [report.id for report in closed], "resolution_note": note,
            "before": {"status": FeedbackStatus.PENDING.value, **before},
            "after": {"status": FeedbackStatus.DISMISSED.value, **_flag_state(question_id)}})
    db.session.commit()
    return BulkResult(touched, dismissed)

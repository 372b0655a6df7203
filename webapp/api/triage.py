"""`/api/v1/admin/flagged-questions` and `/api/v1/admin/feedback/...`: the triage queue (admin
tokens only). Thin views over `webapp.triage.services`, the same rules as `/admin/flags`.

The token is checked before the body is parsed (`admin_token_required` sits right under the
route), so a caller without rights gets 401 or 403, never a validation error about the body.
"""

from __future__ import annotations

import marshmallow as ma

from webapp.api import Blueprint
from webapp.api.auth import admin_token_required, api_user
from webapp.api.feedback import ReportOut
from webapp.api.schemas import BEARER, PageArgsSchema, exam_type_field, page_body, page_schema
from webapp.audit.meta import current_request_meta
from webapp.models import FeedbackStatus, FeedbackType
from webapp.pagination import MAX_PER_PAGE
from webapp.triage import services

triage_bp = Blueprint("api_triage", __name__, description="Triage of reported questions (admin tokens only)")

FEEDBACK_TYPES = [kind.value for kind in FeedbackType]
CLOSING = [status.value for status in services.CLOSING]
NOTE = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=services.RESOLUTION_NOTE_MAX_LENGTH),
                        metadata={"description": "shown to the reporter; trimmed, blank means none"})


class FlaggedArgs(PageArgsSchema):
    exam = exam_type_field("all_exam_types", metadata={
        "description": "an exam slug (retired exams too); unknown is UNKNOWN_EXAM"})
    feedback_type = ma.fields.String(validate=ma.validate.OneOf(FEEDBACK_TYPES), metadata={
        "description": "only questions with a report of this type (in the chosen status)"})
    status = ma.fields.String(load_default=FeedbackStatus.PENDING.value,
                              validate=ma.validate.OneOf([s.value for s in FeedbackStatus] + [services.ANY_STATUS]),
                              metadata={"description": "the reports' status; pending (open) by default, or any"})
    suspect = ma.fields.Boolean(load_default=False, metadata={
        "description": "only statistically suspect questions (question_stats.is_suspect)"})
    q = ma.fields.String(validate=ma.validate.Length(max=services.SEARCH_MAX_LENGTH), metadata={
        "description": "case-insensitive substring of the stem; % and _ match themselves"})
    sort = ma.fields.String(load_default=services.QueueSort.OPEN_REPORTS.value,
                            validate=ma.validate.OneOf([sort.value for sort in services.QueueSort]))


class FlaggedQuestionOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    external_id = ma.fields.String(required=True)
    exam = ma.fields.String(required=True, metadata={"description": "the exam slug"})
    objective = ma.fields.String(required=True, metadata={"description": "the objective code"})
    objective_title = ma.fields.String(required=True)
    stem = ma.fields.String(required=True)
    is_active = ma.fields.Boolean(required=True)
    is_flagged = ma.fields.Boolean(required=True)
    flag_count = ma.fields.Integer(required=True, metadata={"description": "distinct learners with an open report"})
    withdrawn = ma.fields.Boolean(required=True, metadata={
        "description": "left out of new draws (FEEDBACK_WITHDRAW_AT open incorrect reports)"})
    withdrawn_at = ma.fields.DateTime(allow_none=True)


class ItemStatsOut(ma.Schema):
    responses = ma.fields.Integer(required=True)
    facility = ma.fields.Float(allow_none=True, metadata={"description": "percent correct, 0-100"})
    discrimination = ma.fields.Float(allow_none=True, metadata={"description": "point-biserial, -1..1"})
    median_seconds = ma.fields.Float(allow_none=True)
    choice_counts = ma.fields.Dict(allow_none=True, metadata={
        "description": '{"<choice id>": {"all": n, "top": n, "bottom": n}}'})
    top_group = ma.fields.Integer(required=True)
    bottom_group = ma.fields.Integer(required=True)
    is_suspect = ma.fields.Boolean(required=True)
    suspect_reasons = ma.fields.List(ma.fields.String(), required=True)
    suspicion_score = ma.fields.Float(required=True)
    computed_at = ma.fields.DateTime(required=True)


class FlaggedItemOut(ma.Schema):
    question = ma.fields.Nested(FlaggedQuestionOut, required=True)
    counts = ma.fields.Dict(keys=ma.fields.String(validate=ma.validate.OneOf(FEEDBACK_TYPES)),
                            values=ma.fields.Integer(), required=True,
                            metadata={"description": "open reports by feedback type (every type, 0 included)"})
    open_reports = ma.fields.Integer(required=True)
    latest_report_at = ma.fields.DateTime(allow_none=True, metadata={
        "description": "the newest report matching the filters; null for a suspect question without one"})
    stats = ma.fields.Nested(ItemStatsOut, allow_none=True, metadata={"description": "null until computed"})


FlaggedPage = page_schema(FlaggedItemOut, "FlaggedQuestionPage")


class DecisionIn(ma.Schema):
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(CLOSING))
    resolution_note = NOTE


class AdminReportOut(ReportOut):
    """A report as the admins see it: the learner's view plus who filed and who decided it."""

    user_id = ma.fields.Integer(allow_none=True, metadata={"description": "null once the reporter deleted the account"})
    resolved_by = ma.fields.Integer(allow_none=True)


class BulkDismissIn(ma.Schema):
    question_ids = ma.fields.List(ma.fields.Integer(validate=ma.validate.Range(min=1, max=services.MAX_ID)),
                                  required=True,
                                  validate=ma.validate.Length(min=1, max=MAX_PER_PAGE))
    resolution_note = NOTE


class BulkDismissOut(ma.Schema):
    question_ids = ma.fields.List(ma.fields.Integer(), required=True, metadata={
        "description": "the questions that had open reports, ascending"})
    dismissed = ma.fields.Integer(required=True, metadata={"description": "reports dismissed in all"})


def _stats_body(stats) -> dict | None:
    if stats is None:
        return None
    return {name: getattr(stats, name) for name in ItemStatsOut._declared_fields} | {
        "suspect_reasons": stats.suspect_reasons or []}


def item_body(item: services.QueueItem) -> dict:
    """One queue item as JSON."""
    question = item.question
    return {"question": {"id": question.id, "external_id": question.external_id, "exam": question.exam.slug,
                         "objective": question.objective.code, "objective_title": question.objective.title,
                         "stem": question.stem, "is_active": question.is_active, "is_flagged": question.is_flagged,
                         "flag_count": question.flag_count, "withdrawn": question.withdrawn_at is not None,
                         "withdrawn_at": question.withdrawn_at},
            "counts": {kind.value: count for kind, count in item.counts.items()},
            "open_reports": item.open_reports, "latest_report_at": item.latest_report_at,
            "stats": _stats_body(item.stats)}


@triage_bp.route("/flagged-questions", methods=["GET"])
@admin_token_required
@triage_bp.doc(security=BEARER)
@triage_bp.arguments(FlaggedArgs, location="query")
@triage_bp.response(200, FlaggedPage)
def flagged_questions(args):
    """The triage queue: reported questions and statistically suspect ones, filtered and sorted."""
    filters = services.QueueFilter(
        exam_slug=args.get("exam") or None,
        feedback_type=FeedbackType(args["feedback_type"]) if args.get("feedback_type") else None,
        status=services.parse_status(args["status"]), suspect_only=args["suspect"],
        search=args.get("q") or None, sort=services.QueueSort(args["sort"]))
    queue = services.list_queue(filters, args["page"], per_page=args["per_page"])
    return page_body(queue.page, [item_body(item) for item in queue.items])


@triage_bp.route("/feedback/<int:report_id>", methods=["PATCH"])
@admin_token_required
@triage_bp.doc(security=BEARER)
@triage_bp.arguments(DecisionIn)
@triage_bp.response(200, AdminReportOut)
def decide_report(body, report_id: int):
    """Resolve or dismiss one open report (409 REPORT_CLOSED if it is already closed)."""
    return services.decide_report(api_user(), report_id, body["status"], body.get("resolution_note"),
                                  current_request_meta())


@triage_bp.route("/feedback/dismiss", methods=["POST"])
@admin_token_required
@triage_bp.doc(security=BEARER)
@triage_bp.arguments(BulkDismissIn)
@triage_bp.response(200, BulkDismissOut)
def bulk_dismiss(body):
    """Dismiss every open report of the chosen questions with one note, in one transaction."""
    result = services.bulk_dismiss(api_user(), body["question_ids"], body.get("resolution_note"),
                                   current_request_meta())
    return {"question_ids": result.question_ids, "dismissed": result.dismissed}

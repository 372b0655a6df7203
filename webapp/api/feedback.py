"""`POST /api/v1/questions/{id}/feedback` and `GET /api/v1/users/me/feedback`: learner reports.

Thin views over `webapp.feedback.services`, the same rules as the "Report a problem" form. A
report says nothing about correctness: its body carries the question's id, exam and stem, never
the key.
"""

from __future__ import annotations

import marshmallow as ma

from webapp.api import Blueprint, error_response, link, links
from webapp.api.auth import api_user, token_required
from webapp.api.schemas import BEARER, PageArgsSchema, page_body, page_schema
from webapp.feedback import services
from webapp.models import FeedbackStatus, FeedbackType

feedback_bp = Blueprint("api_feedback", __name__, description="Question reports")

TYPE_FIELD = ("what is wrong; `incorrect` and `other` need a comment. An unknown type is 400 "
              "FEEDBACK_TYPE_UNKNOWN")
COMMENT_FIELD = ("up to FEEDBACK_COMMENT_MAX_LENGTH characters after trimming (a line break counts as one); "
                 "required for incorrect and other (400 COMMENT_REQUIRED), longer is 400 COMMENT_TOO_LONG")


def comment_rule() -> dict:
    """`FeedbackType.needs_comment` as JSON Schema: those types need a comment with some text."""
    needing = [kind.value for kind in FeedbackType if kind.needs_comment]
    others = [kind.value for kind in FeedbackType if not kind.needs_comment]
    return {"anyOf": [{"properties": {"feedback_type": {"enum": others}}},
                      {"properties": {"feedback_type": {"enum": needing}, "comment": {"type": "string", "pattern": "\\S"}},
                       "required": ["comment"]}]}


class ReportIn(ma.Schema):
    class Meta:
        openapi = comment_rule

    # Checked by the service (one rule for the form and the API); the document lists the values.
    feedback_type = ma.fields.String(required=True, metadata={"enum": [t.value for t in FeedbackType],
                                                              "description": TYPE_FIELD})
    comment = ma.fields.String(allow_none=True, metadata={"description": COMMENT_FIELD})


class ReportOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    question_id = ma.fields.Integer(required=True)
    feedback_type = ma.fields.String(required=True, metadata={"enum": [t.value for t in FeedbackType]})
    comment = ma.fields.String(required=True, allow_none=True)
    status = ma.fields.String(required=True, metadata={"enum": [s.value for s in FeedbackStatus]})
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True, metadata={"description": "the last time you changed it"})
    resolution_note = ma.fields.String(required=True, allow_none=True,
                                       metadata={"description": "the admin's note once resolved or dismissed"})
    resolved_at = ma.fields.DateTime(required=True, allow_none=True)


class ReportQuestionOut(ma.Schema):
    id = ma.fields.Integer()
    exam_type = ma.fields.String(metadata={"description": "the exam's slug"})
    exam_name = ma.fields.String()
    stem = ma.fields.String(metadata={"description": "the start of the stem"})


class ReportItemOut(ReportOut):
    question = ma.fields.Nested(ReportQuestionOut, required=True)


ReportPage = page_schema(ReportItemOut, "ReportPage")


def report_body(report, with_question: bool = False) -> dict:
    body = {"id": report.id, "question_id": report.question_id, "feedback_type": report.feedback_type,
            "comment": report.comment, "status": report.status, "created_at": report.created_at,
            "updated_at": report.updated_at, "resolution_note": report.resolution_note,
            "resolved_at": report.resolved_at}
    if with_question:
        question = report.question
        body["question"] = {"id": question.id, "exam_type": question.exam.slug, "exam_name": question.exam.name,
                            "stem": services.stem_excerpt(question.stem)}
    return body


@feedback_bp.route("/questions/<int:question_id>/feedback", methods=["POST"])
@feedback_bp.doc(security=BEARER, **links(201, TriageReport=link(
    "patch", "/admin/feedback/{report_id}", "An admin resolves or dismisses it", {"report_id": "$response.body#/id"})))
@feedback_bp.arguments(ReportIn)
@feedback_bp.response(201, ReportOut)
@feedback_bp.alt_response(200, schema=ReportOut, description="Your open report on the question was updated")
@feedback_bp.alt_response(429, response=error_response(429))
@token_required
def file_report(body, question_id: int):
    """Report a problem with a question you can see (201). While your report is open, another one
    updates it (200); once it is resolved or dismissed, a new one is filed (201). At most
    FEEDBACK_RATE_LIMIT reports (429 RATE_LIMITED with Retry-After)."""
    report, created = services.file_report(api_user(), question_id, body["feedback_type"], body.get("comment"))
    return report_body(report), 201 if created else 200


@feedback_bp.route("/users/me/feedback", methods=["GET"])
@feedback_bp.doc(security=BEARER)
@feedback_bp.arguments(PageArgsSchema, location="query")
@feedback_bp.response(200, ReportPage)
@token_required
def my_reports(args):
    """Your reports, newest first, with their status and the admin's note."""
    page = services.my_reports(api_user(), args["page"], args["per_page"])
    return page_body(page, [report_body(report, with_question=True) for report in page.items])

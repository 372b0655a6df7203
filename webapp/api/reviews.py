"""`/api/v1/reviews`: the learner's spaced reviews due per exam. A thin view over
webapp/learning/due.py, which the dashboard and the exam page render too.

Responses are personal: the bearer token makes them `Cache-Control: no-store` (webapp/security.py).
"""

from __future__ import annotations

import marshmallow as ma

from webapp.api import Blueprint
from webapp.api.auth import api_user, token_required
from webapp.api.schemas import BEARER, exam_type_field
from webapp.learning import due

reviews_bp = Blueprint("api_reviews", __name__, description="Spaced review: the questions due for review (FSRS)")


class DueArgs(ma.Schema):
    exam_type = exam_type_field(metadata={"description": "an exam slug; omitted, every exam you have cards in"})


class ExamDueOut(ma.Schema):
    exam_type = ma.fields.String(required=True)
    exam_name = ma.fields.String(required=True)
    due = ma.fields.Integer(required=True, metadata={"description": "cards due now"})
    cards = ma.fields.Integer(required=True, metadata={
        "description": "your cards in the exam: one per question you have answered"})
    next_due_at = ma.fields.DateTime(required=True, allow_none=True, metadata={
        "description": "UTC: the earliest due time among the cards not due yet; null when none"})


class DueOut(ma.Schema):
    exams = ma.fields.List(ma.fields.Nested(ExamDueOut), required=True, metadata={
        "description": "every visible exam you have cards in, in exam code order"})
    total_due = ma.fields.Integer(required=True, metadata={"description": "the sum of `due`"})


def due_body(items: list[due.ExamDue]) -> dict:
    return {"exams": [{"exam_type": item.exam.slug, "exam_name": item.exam.name, "due": item.due, "cards": item.cards,
                       "next_due_at": item.next_due_at} for item in items],
            "total_due": sum(item.due for item in items)}


@reviews_bp.route("/due", methods=["GET"])
@reviews_bp.doc(security=BEARER)
@reviews_bp.arguments(DueArgs, location="query")
@reviews_bp.response(200, DueOut)
@token_required
def due_reviews(args):
    """Your reviews due now and the next due time, per exam (docs/API.md, "Spaced review")."""
    return due_body(due.due_for_slug(api_user(), args.get("exam_type")))

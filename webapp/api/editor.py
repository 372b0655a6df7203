"""`/api/v1/admin/questions/{id}`: the admin question editor over JSON (admin tokens only).

Thin over `webapp.editor.services`, the same edit rule as the page `/admin/questions/<id>/edit`.
"""

from __future__ import annotations

import marshmallow as ma

from webapp.api import Blueprint, error_response
from webapp.api.auth import admin_token_required, api_user
from webapp.api.schemas import BEARER
from webapp.audit.meta import current_request_meta
from webapp.editor import services
from webapp.models.enums import VersionOrigin
from webapp.questions import bank

editor_bp = Blueprint("api_editor", __name__, description="Question editing (admin tokens only)")

ORIGINS = ma.validate.OneOf([origin.value for origin in VersionOrigin])


class EditorChoiceIn(ma.Schema):
    """One choice (or ordering/matching item). With `id` it is that stored choice, moved to this
    place and changed only in the keys given; without, a new choice (or, when no entry has an id,
    the choice at this position, rewritten as the bank import does)."""

    class Meta:
        unknown = ma.RAISE

    id = ma.fields.Integer()
    text = ma.fields.String()
    rationale = ma.fields.String()
    correct = ma.fields.Boolean(metadata={"description": "single and multiple questions"})
    target = ma.fields.String(metadata={"description": "matching questions: the text of one of `targets`"})


class QuestionPatchIn(ma.Schema):
    """The fields to change (any of them); the result is checked with the bank importer's rules."""

    class Meta:
        unknown = ma.RAISE

    stem = ma.fields.String()
    exhibit = ma.fields.Dict(allow_none=True, metadata={"description": "a text or table exhibit; null removes it"})
    choices = ma.fields.List(ma.fields.Nested(EditorChoiceIn), metadata={
        "description": "the whole list, in order (for an ordering question, the correct order)"})
    targets = ma.fields.List(ma.fields.String(), metadata={"description": "matching questions only"})
    explanation = ma.fields.String()
    reference = ma.fields.String(allow_none=True, metadata={"description": "null removes it"})
    objective = ma.fields.String(metadata={"description": "an objective code of the question's exam"})
    is_active = ma.fields.Boolean()
    difficulty = ma.fields.Integer()
    select_count = ma.fields.Integer(metadata={"description": "multiple-answer questions only"})
    expected_version = ma.fields.Integer(metadata={
        "description": "the version the edit was made on; another one is a 409 VERSION_CONFLICT"})
    resolve_reports = ma.fields.Boolean(load_default=False, metadata={
        "description": "resolve every open report of the question in the same transaction"})
    resolution_note = ma.fields.String(allow_none=True, metadata={"description": "the note the reporters see"})


class EditorChoiceOut(ma.Schema):
    id = ma.fields.Integer()
    position = ma.fields.Integer()
    text = ma.fields.String()
    rationale = ma.fields.String()
    correct = ma.fields.Boolean(metadata={"description": "single and multiple questions"})
    target = ma.fields.Integer(allow_none=True, metadata={"description": "matching: the index in `targets`"})


class QuestionVersionOut(ma.Schema):
    version = ma.fields.Integer()
    origin = ma.fields.String(validate=ORIGINS)
    edited_by = ma.fields.Integer(allow_none=True)
    key_changed = ma.fields.Boolean()
    created_at = ma.fields.DateTime()


class QuestionAdminOut(ma.Schema):
    id = ma.fields.Integer()
    external_id = ma.fields.String()
    exam_type = ma.fields.String()
    type = ma.fields.String()
    objective = ma.fields.String()
    select_count = ma.fields.Integer()
    difficulty = ma.fields.Integer()
    stem = ma.fields.String()
    exhibit = ma.fields.Dict(allow_none=True)
    choices = ma.fields.List(ma.fields.Nested(EditorChoiceOut))
    targets = ma.fields.List(ma.fields.String(), allow_none=True)
    reuse_targets = ma.fields.Boolean()
    explanation = ma.fields.String()
    reference = ma.fields.String(allow_none=True)
    key = ma.fields.Dict(metadata={"description": "{\"correct\": [choice id, ...]}, or the ordering or matching "
                                                  "key {\"order\": [...]} / {\"matches\": {...}}"})
    version = ma.fields.Integer()
    is_active = ma.fields.Boolean()
    withdrawn = ma.fields.Boolean(metadata={"description": "left out of new draws by open \"incorrect\" reports"})
    withdrawn_at = ma.fields.DateTime(allow_none=True)
    flag_count = ma.fields.Integer()
    is_flagged = ma.fields.Boolean()
    updated_at = ma.fields.DateTime()
    versions = ma.fields.List(ma.fields.Nested(QuestionVersionOut), metadata={"description": "GET only, newest first"})


class EditOut(QuestionAdminOut):
    changed = ma.fields.Boolean(metadata={"description": "false when the edit changed nothing (no new version)"})
    key_changed = ma.fields.Boolean()
    answers_regraded = ma.fields.Integer(metadata={"description": "answers whose verdict the new key flipped"})
    reports_resolved = ma.fields.Integer()


def question_admin_body(question) -> dict:
    """A question as an admin sees it: its key, version, flags and withdrawal."""
    return {"id": question.id, "external_id": question.external_id, "exam_type": question.exam.slug,
            "type": question.type, "objective": question.objective.code, "select_count": question.select_count,
            "difficulty": question.difficulty, "stem": question.stem, "exhibit": question.exhibit,
            "choices": [{"id": c.id, "position": c.position, "text": c.text, "rationale": c.rationale,
                         "correct": c.is_correct, "target": c.target} for c in question.choices],
            "targets": question.targets, "reuse_targets": question.reuse_targets,
            "explanation": question.explanation, "reference": question.reference,
            "key": bank.answer_key(question), "version": question.version, "is_active": question.is_active,
            "withdrawn": question.withdrawn_at is not None, "withdrawn_at": question.withdrawn_at,
            "flag_count": question.flag_count, "is_flagged": question.is_flagged, "updated_at": question.updated_at}


@editor_bp.route("/questions/<int:question_id>", methods=["GET"])
@editor_bp.doc(security=BEARER)
@editor_bp.response(200, QuestionAdminOut)
@admin_token_required
def get_question(question_id: int):
    """One question as an admin sees it, with its version history."""
    question = services.get_question(question_id)
    return {**question_admin_body(question), "versions": services.list_versions(question_id)}


@editor_bp.route("/questions/<int:question_id>", methods=["PATCH"])
@editor_bp.doc(security=BEARER)
@editor_bp.arguments(QuestionPatchIn)
@editor_bp.response(200, EditOut)
@editor_bp.alt_response(409, response=error_response(409))
@admin_token_required
def edit_question(body, question_id: int):
    """Edit a question with the bank importer's validation (400 VALIDATION_ERROR, field by field);
    409 VERSION_CONFLICT when `expected_version` is stale. A key change re-grades past answers."""
    options = {name: body.pop(name, None) for name in ("expected_version", "resolve_reports", "resolution_note")}
    result = services.edit_question(api_user(), question_id, body, current_request_meta(), **options)
    return {**question_admin_body(result.question), "changed": result.changed, "key_changed": result.key_changed,
            "answers_regraded": result.regraded, "reports_resolved": result.reports_resolved}

"""`GET /api/v1/questions/quiz`: the roadmap's "give me a quiz" call, as a read-only preview.

A GET changes nothing, so this returns the draw that starting would give for the same
parameters (the questions without their keys) and the POST that starts a tracked quiz or study
session, with its body. Thin over `webapp.quiz.services.preview_draw`, the same plan and draw
that starting uses."""

from __future__ import annotations

import marshmallow as ma
from flask import url_for

from webapp.api import Blueprint
from webapp.api.auth import api_user, token_required
from webapp.api.catalogue import QuestionOut, question_body
from webapp.api.schemas import BEARER, ConfigRange, exam_type_field, objective_code_field
from webapp.bookmarks.tags import MAX_TAG_LENGTH
from webapp.models import QuestionSource, QuizMode
from webapp.quiz import services


MODES = ma.validate.OneOf([mode.value for mode in QuizMode])
SOURCES = ma.validate.OneOf([source.value for source in QuestionSource])

previews_bp = Blueprint("api_previews", __name__, description="What a quiz or study start would draw (read-only)")


class DrawPreviewArgs(ma.Schema):
    exam_type = exam_type_field(required=True)
    mode = ma.fields.String(load_default=QuizMode.PRACTICE.value, validate=MODES, metadata={
        "description": "practice (default), study, or exam (a simulation: the exam's length, source all)"})
    count = ma.fields.Integer(validate=ConfigRange(min_key="QUIZ_MIN_COUNT", max_key="QUIZ_MAX_COUNT"),
                              metadata={"description": "practice and study (default QUIZ_DEFAULT_COUNT)"})
    domains = ma.fields.List(objective_code_field(), metadata={
        "description": "objective codes, repeated (`domains=1.1&domains=2.3`) or comma-separated (`domains=1.1,2.3`)"})
    source = ma.fields.String(load_default=QuestionSource.ALL.value, validate=SOURCES, metadata={
        "description": "as in POST /api/v1/quizzes: any but all shrinks `count` to fit"})
    tag = ma.fields.String(validate=ma.validate.Length(min=1, max=MAX_TAG_LENGTH), metadata={
        "description": "with source bookmarked: only bookmarks with this tag (case-insensitive)"})
    timed = ma.fields.Boolean(load_default=True, metadata={"description": "practice only, as in POST /api/v1/quizzes"})

    @ma.post_load
    def split_domains(self, data: dict, **kwargs) -> dict:
        if "domains" in data:
            data["domains"] = [code.strip() for raw in data["domains"] for code in raw.split(",") if code.strip()]
        return data


class StartCallOut(ma.Schema):
    method = ma.fields.String(validate=ma.validate.OneOf(["POST"]))
    url = ma.fields.String(metadata={"description": "/api/v1/quizzes, or /api/v1/study-sessions for study"})
    body = ma.fields.Dict(metadata={"description": "the start body giving the same plan"})


class DrawPreviewOut(ma.Schema):
    exam_type = ma.fields.String()
    mode = ma.fields.String(validate=MODES)
    count = ma.fields.Integer(metadata={"description": "questions drawn (fewer than asked when a source shrank)"})
    source = ma.fields.String(validate=SOURCES)
    tag = ma.fields.String(allow_none=True)
    notice = ma.fields.String(allow_none=True, metadata={
        "description": "set when the source held fewer questions than `count` asked for"})
    time_limit_seconds = ma.fields.Integer(allow_none=True, metadata={"description": "null when untimed"})
    questions = ma.fields.List(ma.fields.Nested(QuestionOut))
    start = ma.fields.Nested(StartCallOut)


def start_call(plan: services.QuizPlan) -> dict:
    """The POST that starts this plan for real."""
    body: dict = {"exam_type": plan.exam.slug}
    if plan.mode != QuizMode.STUDY:
        body["mode"] = plan.mode.value
    if plan.mode != QuizMode.EXAM:
        body |= {"count": plan.count, "source": plan.choice.source.value}
        if plan.objective_codes:
            body["domains"] = plan.objective_codes
        if plan.choice.tag:
            body["tag"] = plan.choice.tag
    if plan.mode == QuizMode.PRACTICE:
        body["timed"] = plan.timed
    url = url_for("api_study.start" if plan.mode == QuizMode.STUDY else "api_quizzes.start")
    return {"method": "POST", "url": url, "body": body}


@previews_bp.route("/quiz", methods=["GET"])
@previews_bp.doc(security=BEARER)
@previews_bp.arguments(DrawPreviewArgs, location="query")
@previews_bp.response(200, DrawPreviewOut)
@token_required
def preview_quiz(args):
    """The questions a practice quiz, study session or simulation with these parameters would draw now, and
    the POST that starts it. Changes nothing: no quiz opens and no start is counted."""
    request = services.QuizRequest(exam_slug=args["exam_type"], mode=args["mode"], count=args.get("count"),
                                   objective_codes=args.get("domains") or None, timed=args["timed"],
                                   source=args["source"], tag=args.get("tag"))
    preview = services.preview_draw(api_user(), request)
    plan, drawn = preview.plan, len(preview.questions)
    return {"exam_type": plan.exam.slug, "mode": plan.mode.value, "count": drawn,
            "source": plan.choice.source.value, "tag": plan.choice.tag, "notice": preview.draw.notice,
            "time_limit_seconds": plan.time_limit(drawn),
            "questions": [question_body(question, False) for question in preview.questions],
            "start": start_call(plan)}

"""`/api/v1/quizzes`: start, take, submit and review quizzes. Thin views over quiz services."""

from __future__ import annotations

import marshmallow as ma

from webapp.api import Blueprint, error_response, link, links
from webapp.api.auth import api_user, token_required
from webapp.api.catalogue import QuestionOut, question_body
from webapp.api.schemas import (BEARER, ConfigRange, PageArgsSchema, exam_type_field, objective_code_field, page_body,
                                page_schema)
from webapp.bookmarks.tags import MAX_TAG_LENGTH
from webapp.models import AttemptStatus, Confidence, QuestionSource, QuizMode
from webapp.quiz import services

MODES = ma.validate.OneOf([mode.value for mode in QuizMode])
SOURCES = ma.validate.OneOf([source.value for source in QuestionSource])
CONFIDENCES = ma.validate.OneOf([confidence.value for confidence in Confidence])
STATUSES = ma.validate.OneOf([status.value for status in AttemptStatus])

quizzes_bp = Blueprint("api_quizzes", __name__, description="Practice quizzes and exam simulations")


class StartQuizIn(ma.Schema):
    exam_type = exam_type_field(required=True)
    mode = ma.fields.String(load_default=QuizMode.PRACTICE.value,
                            validate=ma.validate.OneOf([mode.value for mode in QuizMode.scored()]))
    count = ma.fields.Integer(validate=ConfigRange(min_key="QUIZ_MIN_COUNT", max_key="QUIZ_MAX_COUNT"),
                              metadata={"description": "practice only (default QUIZ_DEFAULT_COUNT)"})
    domains = ma.fields.List(objective_code_field(), metadata={"description": "objective codes, practice only"})
    timed = ma.fields.Boolean(load_default=True)
    source = ma.fields.String(load_default=QuestionSource.ALL.value, validate=SOURCES, metadata={
        "description": "practice only: all (default), unseen, missed (latest answer wrong), bookmarked or marked "
                       "(marked for review in a finished quiz). Any but all shrinks `count` to fit; an empty "
                       "source is a 400 EMPTY_SOURCE on `source`"})
    tag = ma.fields.String(validate=ma.validate.Length(min=1, max=MAX_TAG_LENGTH), metadata={
        "description": "with source bookmarked: only bookmarks with this tag (case-insensitive)"})


class AnswerIn(ma.Schema):
    """Exactly one answer field, the one of the question's type (else 400 WRONG_ANSWER_SHAPE)."""

    choice_ids = ma.fields.List(ma.fields.Integer(), metadata={"description": "single and multiple questions"})
    order = ma.fields.List(ma.fields.Integer(), metadata={
        "description": "ordering questions: every item id once, first to last"})
    matches = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(allow_none=True), metadata={
        "description": "matching questions: every item id (as a string) to a target id, or null for not matched yet"})
    marked = ma.fields.Boolean()
    confidence = ma.fields.String(allow_none=True, validate=CONFIDENCES, metadata={
        "description": "practice only, optional: sure, unsure or guessed; null clears it (a simulation refuses "
                       "a rating: 400 CONFIDENCE_NOT_ALLOWED). Alone, it rates without changing the answer"})


class QuizOut(ma.Schema):
    id = ma.fields.Integer()
    exam_type = ma.fields.String()
    mode = ma.fields.String(validate=MODES)
    status = ma.fields.String(validate=STATUSES)
    started_at = ma.fields.DateTime()
    expires_at = ma.fields.DateTime(allow_none=True)
    time_limit_seconds = ma.fields.Integer(allow_none=True)
    question_count = ma.fields.Integer()
    source = ma.fields.String(validate=SOURCES)
    tag = ma.fields.String(allow_none=True)
    notice = ma.fields.String(allow_none=True, metadata={
        "description": "on start only: set when the source held fewer questions than `count` asked for"})
    questions = ma.fields.List(ma.fields.Nested(QuestionOut))
    answers = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Dict())
    result = ma.fields.Dict(allow_none=True)


class SavedOut(ma.Schema):
    saved = ma.fields.Boolean()


class QuizSummaryOut(ma.Schema):
    id = ma.fields.Integer()
    exam_type = ma.fields.String()
    mode = ma.fields.String(validate=MODES)
    status = ma.fields.String(validate=STATUSES)
    question_count = ma.fields.Integer()
    started_at = ma.fields.DateTime()
    finished_at = ma.fields.DateTime(allow_none=True)
    score_percent = ma.fields.Float(allow_none=True)
    scaled_score = ma.fields.Integer(allow_none=True)
    passed = ma.fields.Boolean(allow_none=True)


QuizPageOut = page_schema(QuizSummaryOut, "QuizPage")


class HistoryArgs(PageArgsSchema):
    status = ma.fields.String(validate=STATUSES)


def quiz_body(attempt, with_answers: bool = False) -> dict:
    """The quiz as the learner sees it: no field reveals correctness before submission."""
    notice = attempt.notice
    attempt = services.with_questions(attempt)
    body = {"id": attempt.id, "exam_type": attempt.exam.slug, "mode": attempt.mode, "status": attempt.status,
            "started_at": attempt.started_at, "expires_at": attempt.expires_at,
            "time_limit_seconds": attempt.time_limit_seconds, "question_count": attempt.question_count,
            "source": attempt.source, "tag": attempt.source_tag, "notice": notice,
            "questions": [question_body(aq.question, False, services.shown_choices(aq)) for aq in attempt.questions]}
    if with_answers:
        body["answers"] = {str(aq.question_id): answer_body(aq) for aq in attempt.questions}
        body["result"] = services.scored_result(attempt) if attempt.status == AttemptStatus.COMPLETED else None
    return body


def answer_body(aq) -> dict:
    """A saved answer: `choice_ids`, or for ordering and matching questions `order` / `matches` (null until
    answered), with `marked` and the `confidence` rating (null when none)."""
    if not aq.question.is_pbq:
        return {"choice_ids": list(aq.selected_choice_ids or []), "marked": aq.marked, "confidence": aq.confidence}
    answer_field = services.ANSWER_FIELD[aq.question.type]
    return {answer_field: (aq.response or {}).get(answer_field), "marked": aq.marked, "confidence": aq.confidence}


def summary_body(attempt, result) -> dict:
    """One line of quiz history; the score fields are null until the quiz is completed."""
    return {"id": attempt.id, "exam_type": attempt.exam.slug, "mode": attempt.mode, "status": attempt.status,
            "question_count": attempt.question_count, "started_at": attempt.started_at,
            "finished_at": attempt.finished_at,
            "score_percent": result.score_percent if result else None,
            "scaled_score": result.scaled_score if result else None,
            "passed": result.passed if result else None}


QUIZ_ID = {"quiz_id": "$response.body#/id"}


@quizzes_bp.route("", methods=["POST"])
@quizzes_bp.doc(security=BEARER, **links(
    201,
    GetQuiz=link("get", "/quizzes/{quiz_id}", "Read the quiz just started", QUIZ_ID),
    SaveAnswer=link("put", "/quizzes/{quiz_id}/answers/{question_id}", "Answer its first question",
                    {**QUIZ_ID, "question_id": "$response.body#/questions/0/id"}),
    SubmitQuiz=link("post", "/quizzes/{quiz_id}/submit", "Score it", QUIZ_ID),
    AbandonQuiz=link("post", "/quizzes/{quiz_id}/abandon", "Abandon it", QUIZ_ID)))
@quizzes_bp.arguments(StartQuizIn)
@quizzes_bp.response(201, QuizOut)
@quizzes_bp.alt_response(409, response=error_response(409))
@quizzes_bp.alt_response(429, response=error_response(429))
@token_required
def start(body):
    """Start a practice quiz or an exam simulation (409 QUIZ_IN_PROGRESS if one is open)."""
    request = services.QuizRequest(exam_slug=body["exam_type"], mode=body["mode"], count=body.get("count"),
                                   objective_codes=body.get("domains"), timed=body["timed"],
                                   source=body["source"], tag=body.get("tag"))
    return quiz_body(services.start_quiz(api_user(), request))


@quizzes_bp.route("", methods=["GET"])
@quizzes_bp.doc(security=BEARER)
@quizzes_bp.arguments(HistoryArgs, location="query")
@quizzes_bp.response(200, QuizPageOut)
@token_required
def history(args):
    """Your quizzes, newest first."""
    page = services.list_attempts(api_user(), args.get("status"), args["page"], args["per_page"])
    results = services.results_for([a.id for a in page.items])
    return page_body(page, [summary_body(a, results.get(a.id)) for a in page.items])


@quizzes_bp.route("/<int:quiz_id>", methods=["GET"])
@quizzes_bp.doc(security=BEARER)
@quizzes_bp.response(200, QuizOut)
@token_required
def get(quiz_id: int):
    """One of your quizzes with your saved answers (another user's quiz is a 404)."""
    return quiz_body(services.get_attempt(api_user(), quiz_id), with_answers=True)


@quizzes_bp.route("/<int:quiz_id>/answers/<int:question_id>", methods=["PUT"])
@quizzes_bp.doc(security=BEARER)
@quizzes_bp.alt_response(409, response=error_response(409))
@quizzes_bp.arguments(AnswerIn)
@quizzes_bp.response(200, SavedOut)
@token_required
def save_answer(body, quiz_id: int, question_id: int):
    """Save the answer to one question: `choice_ids`, `order` (ordering) or `matches` (matching), and
    optionally its `confidence` (practice only). 409 ATTEMPT_CLOSED after submission or the deadline."""
    services.save_answer(api_user(), quiz_id, question_id, body.get("choice_ids"), body.get("marked"),
                         require_complete=True, order=body.get("order"), matches=body.get("matches"),
                         confidence=body.get("confidence", services.UNCHANGED))
    return {"saved": True}


@quizzes_bp.route("/<int:quiz_id>/submit", methods=["POST"])
@quizzes_bp.doc(security=BEARER)
@quizzes_bp.alt_response(409, response=error_response(409))
@quizzes_bp.response(200)
@token_required
def submit(quiz_id: int):
    """Score the quiz. Repeating the call returns the identical result."""
    return services.submit_attempt(api_user(), quiz_id)


@quizzes_bp.route("/<int:quiz_id>/abandon", methods=["POST"])
@quizzes_bp.doc(security=BEARER)
@quizzes_bp.alt_response(409, response=error_response(409))
@quizzes_bp.response(200, QuizSummaryOut)
@token_required
def abandon(quiz_id: int):
    """Abandon an open quiz: no XP, and its answers never count in analytics."""
    return summary_body(services.abandon_attempt(api_user(), quiz_id), None)

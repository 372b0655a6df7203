"""`/api/v1/study-sessions`: start, answer, skip, reveal and finish study sessions. Thin views
over the study services; no response carries a key or an explanation before the learner has
answered the question or asked for its answer."""

from __future__ import annotations

import marshmallow as ma

from webapp.api import Blueprint, error_response, link, links
from webapp.api.auth import api_user, token_required
from webapp.api.catalogue import QuestionOut, question_body
from webapp.api.quizzes import SOURCES, AnswerIn
from webapp.api.schemas import (BEARER, ConfigRange, PageArgsSchema, exam_type_field, objective_code_field, page_body,
                                page_schema)
from webapp.bookmarks.tags import MAX_TAG_LENGTH
from webapp.models import Confidence, QuestionSource
from webapp.quiz.services import review_entry, shown_choices
from webapp.study import services

CONFIDENCES = ma.validate.OneOf([confidence.value for confidence in Confidence])

study_bp = Blueprint("api_study", __name__, description="Study sessions: untimed, each answer explained at once, no XP")


class StartStudyIn(ma.Schema):
    exam_type = exam_type_field(required=True)
    count = ma.fields.Integer(validate=ConfigRange(min_key="QUIZ_MIN_COUNT", max_key="QUIZ_MAX_COUNT"),
                              metadata={"description": "default QUIZ_DEFAULT_COUNT"})
    domains = ma.fields.List(objective_code_field(), metadata={"description": "objective codes"})
    source = ma.fields.String(load_default=QuestionSource.ALL.value, validate=SOURCES, metadata={
        "description": "all (default), unseen, missed, bookmarked or marked, as for practice quizzes: any but all "
                       "shrinks `count` to fit (see `notice`); an empty source is a 400 EMPTY_SOURCE on `source`"})
    tag = ma.fields.String(validate=ma.validate.Length(min=1, max=MAX_TAG_LENGTH), metadata={
        "description": "with source bookmarked: only bookmarks with this tag (case-insensitive)"})


class QuestionIdIn(ma.Schema):
    question_id = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=2**31 - 1))


class StudyAnswerIn(AnswerIn):
    """A complete answer: exactly `select_count` choices, every item ordered, every item matched."""

    class Meta:
        exclude = ("marked",)

    question_id = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=2**31 - 1))
    confidence = ma.fields.String(validate=CONFIDENCES, allow_none=True,
                                  metadata={"description": "optional: sure, unsure or guessed"})


class ItemVerdictOut(ma.Schema):
    id = ma.fields.Integer()
    is_correct = ma.fields.Boolean()
    rationale = ma.fields.String()


class FeedbackOut(ma.Schema):
    question_id = ma.fields.Integer()
    is_correct = ma.fields.Boolean(allow_none=True, metadata={"description": "null when the answer was only shown"})
    choice_ids = ma.fields.List(ma.fields.Integer(), metadata={"description": "your choices (empty when only shown)"})
    correct_choice_ids = ma.fields.List(ma.fields.Integer(), metadata={
        "description": "single and multiple questions: the key, in the order the choices are shown"})
    order = ma.fields.List(ma.fields.Integer(), allow_none=True, metadata={"description": "ordering: your order"})
    correct_order = ma.fields.List(ma.fields.Integer(), metadata={"description": "ordering: the correct order"})
    matches = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(allow_none=True), allow_none=True,
                             metadata={"description": "matching: your matches"})
    correct_matches = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                                     metadata={"description": "matching: each item id's correct target id"})
    item_list = ma.fields.List(ma.fields.Nested(ItemVerdictOut), data_key="items", metadata={
        "description": "ordering and matching: each item's verdict and rationale"})
    explanation = ma.fields.String()
    rationales = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(),
                                metadata={"description": "choice (or item) id to its rationale"})
    reference = ma.fields.String(allow_none=True)
    confidence = ma.fields.String(allow_none=True, validate=CONFIDENCES)


class QuestionStateOut(ma.Schema):
    question_id = ma.fields.Integer()
    position = ma.fields.Integer(metadata={"description": "0-based place in the session"})
    viewed = ma.fields.Boolean()
    answered = ma.fields.Boolean()
    skipped = ma.fields.Boolean(metadata={"description": "skipped and not answered since"})
    revealed = ma.fields.Boolean(metadata={"description": "the answer was shown without an answer"})
    confidence = ma.fields.String(allow_none=True, validate=CONFIDENCES)
    time_spent_seconds = ma.fields.Integer()
    feedback = ma.fields.Nested(FeedbackOut, allow_none=True,
                                metadata={"description": "only once answered or revealed; null before"})


class StudySessionOut(ma.Schema):
    id = ma.fields.Integer()
    exam_type = ma.fields.String()
    source = ma.fields.String(validate=SOURCES)
    tag = ma.fields.String(allow_none=True)
    domains = ma.fields.List(ma.fields.String(), allow_none=True, metadata={"description": "objective codes chosen"})
    question_count = ma.fields.Integer()
    questions_viewed = ma.fields.Integer()
    time_spent_seconds = ma.fields.Integer()
    created_at = ma.fields.DateTime()
    finished_at = ma.fields.DateTime(allow_none=True)
    notice = ma.fields.String(allow_none=True, metadata={
        "description": "on start only: set when the source held fewer questions than `count` asked for"})
    questions = ma.fields.List(ma.fields.Nested(QuestionOut))
    answers = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(QuestionStateOut),
                             metadata={"description": "question id to its state in this session"})


class StudySummaryOut(ma.Schema):
    id = ma.fields.Integer()
    exam_type = ma.fields.String()
    source = ma.fields.String(validate=SOURCES)
    question_count = ma.fields.Integer()
    viewed = ma.fields.Integer()
    answered = ma.fields.Integer()
    correct = ma.fields.Integer()
    skipped = ma.fields.Integer()
    time_spent_seconds = ma.fields.Integer()
    created_at = ma.fields.DateTime()
    finished_at = ma.fields.DateTime(allow_none=True)


StudyPageOut = page_schema(StudySummaryOut, "StudySessionPage")


def feedback_body(feedback: services.Feedback) -> dict:
    """The feedback of one question: the quiz review's entry of it, plus every rationale, the
    reference and the confidence; `is_correct` is null when the answer was only shown."""
    item = feedback.item
    entry = review_entry(item)
    entry.pop("key_changed")
    entry.pop("key_corrected_at")
    if "items" in entry:
        entry["item_list"] = entry.pop("items")
    return {**entry, "is_correct": feedback.is_correct, "rationales": {str(c.id): c.rationale for c in item.choices},
            "reference": feedback.reference, "confidence": feedback.sq.confidence}


def state_body(sq) -> dict:
    """One question's state; its feedback only when the question may show it."""
    feedback = services.feedback_for(sq)
    return {"question_id": sq.question_id, "position": sq.position, "viewed": sq.viewed_at is not None,
            "answered": sq.is_answered, "skipped": sq.skipped_at is not None and not sq.is_answered,
            "revealed": sq.revealed_at is not None, "confidence": sq.confidence,
            "time_spent_seconds": sq.time_spent_ms // 1000,
            "feedback": feedback_body(feedback) if feedback else None}


def session_body(session) -> dict:
    """The session with its questions (no key) and each question's state."""
    notice = getattr(session, "notice", None)
    session = services.with_questions(session)
    return {"id": session.id, "exam_type": session.exam.slug, "source": session.source, "tag": session.source_tag,
            "domains": session.objective_codes, "question_count": session.question_count,
            "questions_viewed": session.questions_viewed, "time_spent_seconds": session.time_spent_seconds,
            "created_at": session.created_at, "finished_at": session.finished_at, "notice": notice,
            "questions": [question_body(sq.question, False, shown_choices(sq)) for sq in session.questions],
            "answers": {str(sq.question_id): state_body(sq) for sq in session.questions}}


def summary_body(session, figures: services.Progress) -> dict:
    return {"id": session.id, "exam_type": session.exam.slug, "source": session.source,
            "question_count": session.question_count, "viewed": figures.viewed, "answered": figures.answered,
            "correct": figures.correct, "skipped": figures.skipped, "time_spent_seconds": figures.time_spent_seconds,
            "created_at": session.created_at, "finished_at": session.finished_at}


SESSION_ID = {"session_id": "$response.body#/id"}
FIRST_QUESTION = {"question_id": "$response.body#/questions/0/id"}


@study_bp.route("", methods=["POST"])
@study_bp.doc(security=BEARER, **links(
    201,
    GetStudySession=link("get", "/study-sessions/{session_id}", "Read the session just started", SESSION_ID),
    AnswerStudyQuestion=link("post", "/study-sessions/{session_id}/answers", "Answer its first question",
                             SESSION_ID, FIRST_QUESTION),
    SkipStudyQuestion=link("post", "/study-sessions/{session_id}/skip", "Skip its first question",
                           SESSION_ID, FIRST_QUESTION),
    RevealStudyAnswer=link("post", "/study-sessions/{session_id}/reveal", "Show its first answer",
                           SESSION_ID, FIRST_QUESTION),
    FinishStudySession=link("post", "/study-sessions/{session_id}/finish", "End it", SESSION_ID)))
@study_bp.arguments(StartStudyIn)
@study_bp.response(201, StudySessionOut)
@study_bp.alt_response(409, response=error_response(409))
@study_bp.alt_response(429, response=error_response(429))
@token_required
def start(body):
    """Start a study session (409 STUDY_IN_PROGRESS if one is open; a quiz in progress is no obstacle)."""
    request = services.StudyRequest(exam_slug=body["exam_type"], count=body.get("count"),
                                    objective_codes=body.get("domains"), source=body["source"], tag=body.get("tag"))
    return session_body(services.start_session(api_user(), request))


@study_bp.route("", methods=["GET"])
@study_bp.doc(security=BEARER)
@study_bp.arguments(PageArgsSchema, location="query")
@study_bp.response(200, StudyPageOut)
@token_required
def history(args):
    """Your study sessions, newest first."""
    page = services.list_sessions(api_user(), args["page"], args["per_page"])
    figures = services.progress_for(page.items)
    return page_body(page, [summary_body(s, figures[s.id]) for s in page.items])


@study_bp.route("/<int:session_id>", methods=["GET"])
@study_bp.doc(security=BEARER)
@study_bp.response(200, StudySessionOut)
@token_required
def get(session_id: int):
    """One of your study sessions with each question's state (another user's session is a 404)."""
    return session_body(services.get_session(api_user(), session_id))


@study_bp.route("/<int:session_id>/answers", methods=["POST"])
@study_bp.doc(security=BEARER)
@study_bp.alt_response(409, response=error_response(409))
@study_bp.arguments(StudyAnswerIn)
@study_bp.response(200, FeedbackOut)
@token_required
def answer(body, session_id: int):
    """Answer one question and get its feedback at once. Answering again returns the first result."""
    feedback = services.answer_question(api_user(), session_id, body["question_id"], body.get("choice_ids"),
                                        body.get("order"), body.get("matches"), body.get("confidence"))
    return feedback_body(feedback)


@study_bp.route("/<int:session_id>/skip", methods=["POST"])
@study_bp.doc(security=BEARER)
@study_bp.alt_response(409, response=error_response(409))
@study_bp.arguments(QuestionIdIn)
@study_bp.response(200, QuestionStateOut)
@token_required
def skip(body, session_id: int):
    """Skip one question: it stays unanswered (no key in the response)."""
    return state_body(services.skip_question(api_user(), session_id, body["question_id"]))


@study_bp.route("/<int:session_id>/reveal", methods=["POST"])
@study_bp.doc(security=BEARER)
@study_bp.alt_response(409, response=error_response(409))
@study_bp.arguments(QuestionIdIn)
@study_bp.response(200, FeedbackOut)
@token_required
def reveal(body, session_id: int):
    """Show one question's answer without answering it: it counts as skipped and can no longer be answered."""
    return feedback_body(services.reveal_answer(api_user(), session_id, body["question_id"]))


@study_bp.route("/<int:session_id>/finish", methods=["POST"])
@study_bp.doc(security=BEARER)
@study_bp.response(200, StudySummaryOut)
@token_required
def finish(session_id: int):
    """End the session and get its summary; repeating the call returns the same summary."""
    session = services.with_questions(services.finish_session(api_user(), session_id))
    return summary_body(session, services.progress(session))

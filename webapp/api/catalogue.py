"""`/api/v1/exams` and `/api/v1/questions`: the bank, read-only, for token holders."""

from __future__ import annotations

import marshmallow as ma

from webapp.api import Blueprint, link, links
from webapp.api.auth import api_user, token_required
from webapp.api.schemas import BEARER, PageArgsSchema, exam_type_field, objective_code_field, page_body, page_schema
from webapp.cache import BANK, cached
from webapp.questions import browse
from webapp.questions.services import list_exam_catalogue

catalogue_bp = Blueprint("api_catalogue", __name__, description="Exams and questions (read-only)")


class ObjectiveOut(ma.Schema):
    code = ma.fields.String()
    title = ma.fields.String()
    question_count = ma.fields.Integer()


class DomainOut(ma.Schema):
    number = ma.fields.String()
    name = ma.fields.String()
    weight_percent = ma.fields.Integer()
    objectives = ma.fields.List(ma.fields.Nested(ObjectiveOut))


class ExamOut(ma.Schema):
    slug = ma.fields.String()
    code = ma.fields.String()
    name = ma.fields.String()
    question_count = ma.fields.Integer(metadata={"description": "questions on the real exam (and a simulation)"})
    duration_minutes = ma.fields.Integer()
    passing_score = ma.fields.Integer()
    domains = ma.fields.List(ma.fields.Nested(DomainOut))


class ChoiceOut(ma.Schema):
    id = ma.fields.Integer()
    text = ma.fields.String()


class AnswerOut(ma.Schema):
    correct_choice_ids = ma.fields.List(ma.fields.Integer())
    order = ma.fields.List(ma.fields.Integer(), metadata={"description": "ordering only: the correct order"})
    matches = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                             metadata={"description": "matching only: each item id's correct target id"})
    explanation = ma.fields.String()
    rationales = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())


class ExhibitOut(ma.Schema):
    """A question's exhibit: a monospace text block (`text`) or a small table (`columns`, `rows`)."""

    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(["text", "table"]))
    title = ma.fields.String(required=True, metadata={"description": "the caption, also the accessible name"})
    text = ma.fields.String(metadata={"description": "kind text: up to 20 lines of up to 72 characters"})
    columns = ma.fields.List(ma.fields.String(), metadata={"description": "kind table: 2 to 6 column names"})
    rows = ma.fields.List(ma.fields.List(ma.fields.String()),
                          metadata={"description": "kind table: 1 to 12 rows, one cell per column"})


class QuestionOut(ma.Schema):
    id = ma.fields.Integer()
    exam_type = ma.fields.String()
    domain = ma.fields.String(metadata={"description": "the objective code, e.g. 2.3"})
    domain_name = ma.fields.String(metadata={"description": "the objective title"})
    type = ma.fields.String()
    select_count = ma.fields.Integer()
    stem = ma.fields.String()
    exhibit = ma.fields.Nested(ExhibitOut, allow_none=True,
                               metadata={"description": "shown above the stem; null when the question has none"})
    choices = ma.fields.List(ma.fields.Nested(ChoiceOut), metadata={"description": "empty for ordering and matching"})
    # Read from `item_list`: a missing `items` key of a dict would fall back to `dict.items`.
    item_list = ma.fields.List(ma.fields.Nested(ChoiceOut), data_key="items", metadata={
        "description": "ordering and matching only: the items, shuffled (never in the correct order)"})
    targets = ma.fields.List(ma.fields.Nested(ChoiceOut), metadata={
        "description": "matching only: the targets (ids are the target ids of `matches`)"})
    reuse_targets = ma.fields.Boolean(metadata={"description": "matching only: a target may match several items"})
    answer = ma.fields.Nested(AnswerOut, metadata={"description": "only for admins and questions you have answered"})


QuestionPage = page_schema(QuestionOut, "QuestionPage")


class QuestionArgs(PageArgsSchema):
    exam_type = exam_type_field(blank_is_none=True, metadata={
        "description": "an exam slug (admins may also name a retired exam)"})
    domain = objective_code_field(blank_is_none=True, metadata={"description": "objective code, e.g. 2.3 (needs exam_type)"})


def question_body(question, show_answer: bool, choices=None) -> dict:
    """The public form of a question; `choices` lets a quiz pass its shuffled order."""
    shown = choices if choices is not None else question.choices
    body = {"id": question.id, "exam_type": question.exam.slug, "domain": question.objective.code,
            "domain_name": question.objective.title, "type": question.type,
            "select_count": question.select_count, "stem": question.stem, "exhibit": question.exhibit,
            "choices": [{"id": c.id, "text": c.text} for c in shown]}
    if question.is_pbq:
        # Items in the given (a quiz's shuffled) order, or alphabetically: the author lists them in the key's order.
        items = shown if choices is not None else sorted(shown, key=lambda c: (c.text.casefold(), c.id))
        body |= {"choices": [], "item_list": [{"id": c.id, "text": c.text} for c in items]}
        if question.type == "matching":
            body |= {"targets": [{"id": target, "text": text} for target, text in question.shown_targets],
                     "reuse_targets": question.reuse_targets}
        if show_answer:
            body["answer"] = {"correct_choice_ids": [], **question.pbq_key, "explanation": question.explanation,
                              "rationales": {str(c.id): c.rationale for c in shown}}
        return body
    if show_answer:
        body["answer"] = {"correct_choice_ids": [c.id for c in shown if c.is_correct],
                          "explanation": question.explanation,
                          "rationales": {str(c.id): c.rationale for c in shown}}
    return body


@catalogue_bp.route("/exams", methods=["GET"])
@catalogue_bp.doc(security=BEARER)
@catalogue_bp.response(200, ExamOut(many=True))
@token_required
def list_exams():
    """Every exam you may see (admins: retired ones too) with its format, domains, objectives and
    active-question counts."""
    return [{
        "slug": s.exam.slug, "code": s.exam.code, "name": s.exam.name, "question_count": s.exam.question_count,
        "duration_minutes": s.exam.duration_minutes, "passing_score": s.exam.passing_score,
        "domains": [{"number": d.domain.number, "name": d.domain.name, "weight_percent": d.domain.weight_percent,
                     "objectives": [{"code": o.objective.code, "title": o.objective.title,
                                     "question_count": o.active} for o in d.objectives]}
                    for d in s.domains],
    } for s in list_exam_catalogue(api_user())]


LISTED = {"question_id": "$response.body#/items/0/id"}


@catalogue_bp.route("/questions", methods=["GET"])
@catalogue_bp.doc(security=BEARER, **links(
    200,
    GetQuestion=link("get", "/questions/{question_id}", "Read the first question listed", LISTED),
    BookmarkQuestion=link("post", "/questions/{question_id}/bookmark", "Bookmark it", LISTED),
    PutNote=link("put", "/questions/{question_id}/note", "Write a note on it", LISTED),
    ReportQuestion=link("post", "/questions/{question_id}/feedback", "Report a problem with it", LISTED)))
@catalogue_bp.arguments(QuestionArgs, location="query")
@catalogue_bp.response(200, QuestionPage)
@token_required
def list_questions(args):
    """Questions filtered by exam and objective (per_page at most 100)."""
    viewer = api_user()
    exam_type, domain, page, per_page = args.get("exam_type"), args.get("domain"), args["page"], args["per_page"]

    def listed() -> dict:  # with every answer: the bank's content, the same for each viewer of this kind
        found = browse.list_questions(viewer, exam_type, domain, page, per_page)
        return page_body(found, [question_body(q, True) for q in found.items])

    audience = "admin" if viewer.is_admin else "learner"  # what browse.list_questions lets each see
    body = cached(BANK, f"questions:{audience}:{exam_type or ''}:{domain or ''}:{page}:{per_page}",
                  "CACHE_QUESTION_LIST_TIMEOUT", listed)
    visible = browse.answer_visible_for(viewer, [item["id"] for item in body["items"]])
    return body | {"items": [item if item["id"] in visible else {k: v for k, v in item.items() if k != "answer"}
                             for item in body["items"]]}


@catalogue_bp.route("/questions/<int:question_id>", methods=["GET"])
@catalogue_bp.doc(security=BEARER)
@catalogue_bp.response(200, QuestionOut)
@token_required
def get_question(question_id: int):
    """One question; the answer only for admins or once you have answered it."""
    viewer = api_user()
    question = browse.get_question(viewer, question_id)
    return question_body(question, question.id in browse.answer_visible_for(viewer, [question.id]))

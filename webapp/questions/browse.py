"""Reading the bank through the API: filtered pages of questions and the answer-visibility rule.

The answer (correct choices, explanation, rationales) is shown only to admins and for
questions the caller has already answered in a completed quiz, so the API cannot be used to
farm quiz scores or the leaderboard. Questions of an exam the viewer may not see (a retired
exam, for a learner) are neither listed nor found, by the catalogue's one visibility rule.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from webapp.exceptions import NotFound, ValidationError
from webapp.extensions import db
from webapp.pagination import MAX_PER_PAGE, bounded_page
from webapp.models import Answer, Exam, Objective, Question, User
from webapp.questions.services import exam_visible_to, visible_exam, visible_exams_query


def _exam_by_slug(viewer: User, slug: str) -> Exam:
    exam = visible_exam(viewer, slug)
    if exam is None:
        raise ValidationError(f"Unknown exam_type {slug!r}.", field="exam_type", code="UNKNOWN_EXAM")
    return exam


def narrow_to_exam(query: sa.Select, viewer: User, exam_slug: str | None, objective_code: str | None) -> sa.Select:
    """`query` (over Question) narrowed to an exam the viewer may see and one of its objectives.

    The `exam_type` and `domain` filters of every list (questions, bookmarks, notes): 400
    UNKNOWN_EXAM, EXAM_TYPE_REQUIRED (a domain without its exam) or UNKNOWN_OBJECTIVE."""
    if objective_code and not exam_slug:
        raise ValidationError("Filtering by domain needs exam_type too (objective codes repeat across exams).",
                              field="domain", code="EXAM_TYPE_REQUIRED")
    if not exam_slug:
        return query
    exam = _exam_by_slug(viewer, exam_slug)
    query = query.where(Question.exam_id == exam.id)
    if objective_code:
        objective_id = db.session.scalar(sa.select(Objective.id).where(Objective.exam_id == exam.id,
                                                                     Objective.code == objective_code))
        if objective_id is None:
            raise ValidationError(f"{exam.code} has no objective {objective_code!r}.", field="domain",
                                  code="UNKNOWN_OBJECTIVE")
        query = query.where(Question.objective_id == objective_id)
    return query


def list_questions(viewer: User, exam_slug: str | None, objective_code: str | None, page: int, per_page: int):
    """A page of questions, filtered by exam and objective; inactive ones only for admins."""
    query = (sa.select(Question).options(selectinload(Question.choices), selectinload(Question.objective),
                                         selectinload(Question.exam))
             .order_by(Question.exam_id, Question.objective_id, Question.id))
    query = narrow_to_exam(query, viewer, exam_slug, objective_code)
    if not exam_slug:
        query = query.where(Question.exam_id.in_(visible_exams_query(viewer).with_only_columns(Exam.id)))
    if not viewer.is_admin:
        query = query.where(Question.is_active.is_(True))
    return db.paginate(query, page=bounded_page(page), per_page=per_page, max_per_page=MAX_PER_PAGE,
                       error_out=False)


def get_question(viewer: User, question_id: int) -> Question:
    """A question `viewer` may see (with its exam), else NotFound."""
    question = db.session.get(Question, question_id, options=[joinedload(Question.exam)])
    if (question is None or (not question.is_active and not viewer.is_admin)
            or not exam_visible_to(viewer, question.exam)):
        raise NotFound("No such question.")
    return question


def answer_visible_for(viewer: User, question_ids: list[int]) -> set[int]:
    """Which of `question_ids` may show their answer to `viewer`."""
    if viewer.is_admin:
        return set(question_ids)
    if not question_ids:
        return set()
    rows = db.session.scalars(sa.select(Answer.question_id).where(Answer.user_id == viewer.id,
                                                                  Answer.question_id.in_(question_ids))
                              .distinct())
    return set(rows)

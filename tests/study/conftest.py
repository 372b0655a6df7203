"""Fixtures and helpers shared by the study-mode tests."""

from __future__ import annotations

import sqlalchemy as sa

from tests.factories import choice_ids, pbq_key
from webapp.extensions import db
from webapp.models import Choice, Question, StudyQuestion

# Distinctive texts: a page or a response carrying one of them has leaked the answer.
SECRET_EXPLANATION = "Zebra-fingerprint explanation 7731"
SECRET_RATIONALE = "Okapi-rationale 4410"
SECRET_REFERENCE = "RFC 9999 section 42"


def answer_for(question_id: int, right: bool = True) -> dict:
    """Keyword arguments (choice_ids, order or matches) answering a question right or wrong; call
    inside an app context."""
    question = db.session.get(Question, question_id)
    if question.type == "ordering":
        order = pbq_key(question_id)["order"]
        return {"order": order if right else list(reversed(order))}
    if question.type == "matching":
        matches = pbq_key(question_id)["matches"]
        return {"matches": matches if right else {item: 2 for item in matches}}
    chosen = choice_ids(question_id, correct=right)
    return {"choice_ids": chosen[:question.select_count]}


def make_secret(question_id: int) -> None:
    """Give a question distinctive explanation, rationale and reference texts; call inside an app context."""
    db.session.execute(sa.update(Question).where(Question.id == question_id)
                       .values(explanation=SECRET_EXPLANATION, reference=SECRET_REFERENCE))
    db.session.execute(sa.update(Choice).where(Choice.question_id == question_id).values(rationale=SECRET_RATIONALE))
    db.session.commit()


def session_questions(session_id: int) -> list[StudyQuestion]:
    """A session's questions in order (call inside an app context)."""
    return list(db.session.scalars(sa.select(StudyQuestion).where(StudyQuestion.session_id == session_id)
                                   .order_by(StudyQuestion.position)))

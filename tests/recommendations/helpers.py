"""Fixtures' building blocks for the recommendation tests: an exam of 18 questions (three
objectives of six; domain 1.0 weighs 60%, 2.0 40%) and answers placed in time."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tests.factories import gen_bank, gen_study_answers
from webapp.extensions import db
from webapp.models import Exam, Question
from webapp.models.base import utcnow


def bank(app, slug: str = "demo"):
    """The exam and its questions by objective code."""
    exam = gen_bank(app, per_objective=6, slug=slug)
    with app.app_context():
        rows = list(db.session.scalars(sa.select(Question).where(Question.exam_id == exam.id).order_by(Question.id)))
        by_code: dict[str, list[Question]] = {}
        for row in rows:
            by_code.setdefault(row.objective.code, []).append(row)
            db.session.expunge(row)
    return exam, by_code


def weak_history(app, user, questions, days_ago: int = 0, right: int = 4, total: int = 10) -> None:
    """`total` study answers on one question of 1.1, the first `right` right, the latest wrong."""
    outcomes = [True] * right + [False] * (total - right)
    gen_study_answers(app, user, questions["1.1"][0], outcomes, answered_at=utcnow() - timedelta(days=days_ago))


def set_simulation_length(app, exam, count: int) -> None:
    with app.app_context():
        db.session.get(Exam, exam.id).question_count = count
        db.session.commit()

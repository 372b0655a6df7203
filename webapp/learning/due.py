"""Reviews due per exam, with the exam loaded: what the dashboard, the exam page and
`GET /api/v1/reviews/due` show (docs/LEARNING.md, "Spaced review").

One rule for the three: the exams listed are the visible exams the learner has cards in (an
exam retired since stays with the admins who may still see it), in code order; the counts come
from `reviews.due_counts` (one grouped read of the learner's cards). Two statements at most.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from webapp.learning.reviews import DueCount, due_counts
from webapp.models import Exam, User
from webapp.models.base import utcnow
from webapp.questions.services import exam_visible_to, visible_exam, visible_exams
from webapp.quiz.services import UnknownExam


@dataclass(frozen=True)
class ExamDue:
    """One exam's reviews: `due` now out of `cards`, and when the next card not yet due falls due."""

    exam: Exam
    due: int
    cards: int
    next_due_at: datetime | None


def due_by_exam(user: User, now: datetime | None = None, counts: dict[int, DueCount] | None = None) -> list[ExamDue]:
    """Every visible exam the learner has cards in, in code order (`counts`: `due_counts` when
    the caller has read them)."""
    if counts is None:
        counts = due_counts(user.id, now or utcnow())
    if not counts:
        return []
    exams = [exam for exam in visible_exams(user) if exam.id in counts]
    return [ExamDue(exam, counts[exam.id].due, counts[exam.id].cards, counts[exam.id].next_due) for exam in exams]


def due_for_exam(user: User, exam: Exam, now: datetime | None = None) -> ExamDue:
    """The exam's reviews (0 of 0 when the learner has no card in it), for an exam already loaded
    and visible to the learner (the exam page)."""
    found = due_counts(user.id, now or utcnow(), exam_id=exam.id).get(exam.id)
    if found is None or not exam_visible_to(user, exam):
        return ExamDue(exam, 0, 0, None)
    return ExamDue(exam, found.due, found.cards, found.next_due)


def due_for_slug(user: User, slug: str | None, now: datetime | None = None) -> list[ExamDue]:
    """`due_by_exam`, or only the exam `slug` names (UnknownExam, 400 on `exam_type`, for an exam
    the learner cannot see); an exam without cards gives an empty list."""
    if slug is None:
        return due_by_exam(user, now)
    exam = visible_exam(user, slug)
    if exam is None:
        raise UnknownExam()
    found = due_for_exam(user, exam, now)
    return [found] if found.cards else []


def review_count(due: int) -> int:
    """The questions a "Review now" session asks for: every card due, within the quiz size bounds
    (the `due` source gives fewer when fewer are due, and says so)."""
    config = current_app.config
    return max(config["QUIZ_MIN_COUNT"], min(config["QUIZ_MAX_COUNT"], due))

"""What a page needs to show "N reviews due" (templates/learning/_reviews_due.html): the dashboard
lists every exam the learner has cards in, the exam page its own exam."""

from __future__ import annotations

from webapp.learning.due import ExamDue, due_by_exam, due_for_exam, review_count
from webapp.models import Exam, QuestionSource, QuizMode, User
from webapp.quiz.forms import StartShortcutForm, start_shortcut_forms


def review_form(item: ExamDue) -> StartShortcutForm:
    """"Review now": a study session from the `due` source, posted to quiz.start."""
    forms = start_shortcut_forms(item.exam.slug, QuestionSource.DUE, review_count(item.due),
                                 id_prefix=f"review-{item.exam.slug}")
    return next(form for form in forms if form.mode.data == QuizMode.STUDY)


def reviews_due_context(user: User, exam: Exam | None = None) -> dict:
    """`reviews_due` (ExamDue per exam: every exam with cards, or just `exam`), `review_forms`
    (exam slug -> the "Review now" form of each exam with reviews due) and `reviews_scope`
    ("dashboard" or "exam", for the wording)."""
    items = due_by_exam(user) if exam is None else [due_for_exam(user, exam)]
    items = [item for item in items if item.cards]
    return {"reviews_due": items, "review_forms": {item.exam.slug: review_form(item) for item in items if item.due},
            "reviews_scope": "dashboard" if exam is None else "exam"}

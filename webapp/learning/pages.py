"""What the pages need to show the learning engine: "N reviews due" (templates/learning/_reviews_due.html:
the dashboard lists every exam the learner has cards in, the exam page its own exam), mastery
(templates/learning/_mastery.html) and readiness (templates/learning/_readiness.html): the exam
page, `/progress` and the dashboard include them."""

from __future__ import annotations

from webapp.learning import display
from webapp.learning.display import ReadinessPanel
from webapp.learning.due import ExamDue, due_by_exam, due_for_exam, review_count
from webapp.learning.reviews import DueCount
from webapp.models import Exam, QuestionSource, QuizMode, User
from webapp.quiz.forms import StartShortcutForm, start_shortcut_forms

# The dashboard shows readiness for this many exams, the most recently practised first.
DASHBOARD_READINESS_EXAMS = 2


# -- reviews due -------------------------------------------------------------------------------


def review_form(item: ExamDue) -> StartShortcutForm:
    """"Review now": a study session from the `due` source, posted to quiz.start."""
    forms = start_shortcut_forms(item.exam.slug, QuestionSource.DUE, review_count(item.due),
                                 id_prefix=f"review-{item.exam.slug}")
    return next(form for form in forms if form.mode.data == QuizMode.STUDY)


def reviews_due_context(user: User, exam: Exam | None = None, counts: dict[int, DueCount] | None = None) -> dict:
    """`reviews_due` (ExamDue per exam: every exam with cards, or just `exam`), `review_forms`
    (exam slug -> the "Review now" form of each exam with reviews due) and `reviews_scope`
    ("dashboard" or "exam", for the wording). `counts`: the dashboard's `due_counts`, read once."""
    items = due_by_exam(user, counts=counts) if exam is None else [due_for_exam(user, exam)]
    items = [item for item in items if item.cards]
    return {"reviews_due": items, "review_forms": {item.exam.slug: review_form(item) for item in items if item.due},
            "reviews_scope": "dashboard" if exam is None else "exam"}


# -- mastery and readiness ---------------------------------------------------------------------


def raise_forms(panel: ReadinessPanel) -> list[StartShortcutForm]:
    """"What would raise it": a study session and a practice quiz on the focus objectives (the
    first objective is the form's field; the template adds the others as more `objectives`)."""
    if not panel.focus_codes:
        return []
    exam = panel.readiness.exam
    return start_shortcut_forms(exam.slug, QuestionSource.ALL, panel.focus_count, objective_code=panel.focus_codes[0],
                                id_prefix=f"raise-{exam.slug}")


def readiness_entry(panel: ReadinessPanel) -> dict:
    """One readiness fragment's context: the panel and its start forms."""
    return {"panel": panel, "forms": raise_forms(panel)}


def exam_learning_context(user: User | None, exam: Exam) -> dict:
    """The exam page's mastery bars and readiness (nothing for a visitor); one fingerprint read for both."""
    if user is None:
        return {}
    fingerprint = display.fingerprints(user.id).get(exam.id)
    return {"mastery": display.mastery_for(user, exam, fingerprint=fingerprint),
            "readiness_entry": readiness_entry(display.readiness_for(user, exam, fingerprint=fingerprint))}


def dashboard_readiness_context(user: User, exams: list[Exam]) -> dict:
    """The dashboard's readiness entries (the exams practised most recently; none for a new learner)."""
    panels = display.readiness_panels(user, exams, DASHBOARD_READINESS_EXAMS)
    return {"readiness_entries": [readiness_entry(panel) for panel in panels]}


def progress_mastery_context(user: User, exams: list[Exam]) -> dict:
    """`/progress`: mastery of each of `exams` the learner has answered, as (exam, ExamMastery)."""
    found = display.fingerprints(user.id)
    return {"mastery_exams": [(exam, display.mastery_for(user, exam, fingerprint=found[exam.id]))
                              for exam in exams if exam.id in found]}

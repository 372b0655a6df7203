"""The `/exams/<slug>` page's context, built in one place for the page itself and for the quiz
start POST that shows it again with the form's errors."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from webapp.learning.pages import exam_learning_context, reviews_due_context
from webapp.models import User
from webapp.questions.services import get_exam_overview
from webapp.quiz.forms import start_form_for
from webapp.quiz.services import in_progress_attempt
from webapp.quiz.sources import bookmark_tag_names
from webapp.study.services import open_session

EXAM_PAGE = "questions/exam.html"


def exam_page_context(slug: str, viewer: User | None, formdata: MultiDict | None = None) -> dict:
    """Overview, start form (filled from `formdata` when given), the viewer's bookmark tags in
    this exam (offered for the bookmarked source), the viewer's open quiz and open study session, the
    viewer's reviews due in the exam (an active exam only: a retired one starts nothing), and the
    viewer's readiness and mastery bars (webapp/learning/pages.py).

    NotFound when `viewer` may not see the exam."""
    overview = get_exam_overview(slug, viewer)
    tags = bookmark_tag_names(viewer.id, overview.exam.id) if viewer is not None else []
    return {"overview": overview, "start_form": start_form_for(overview, formdata, tag_options=tags),
            "bookmark_tags": tags, "current_quiz": in_progress_attempt(viewer) if viewer is not None else None,
            "current_study": open_session(viewer) if viewer is not None else None,
            **(reviews_due_context(viewer, overview.exam) if viewer is not None and overview.exam.is_active else {}),
            **exam_learning_context(viewer, overview.exam)}

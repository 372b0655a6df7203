"""Forms of the study pages. Every state change (answer, skip, show answer, finish, end and
restart) is a CSRF-protected POST; a session is started with the exam page's StartQuizForm."""

from __future__ import annotations

from flask_wtf import FlaskForm

from webapp.quiz.forms import StartQuizForm


class StudyActionForm(FlaskForm):
    """An empty form: the CSRF token for the answer, skip, show-answer, finish and restart POSTs.

    The answer's fields (choices, item menus, confidence) are read by the view and checked by the
    service with the quiz's rules, so a refused answer is explained next to the choices."""


def start_fields(exam_slug: str) -> StartQuizForm:
    """The exam page's start form with only its exam set: its `hidden_tag()` (CSRF token and exam)
    begins the pages' own start forms ("End it and start the new one", "Study the ones I missed")."""
    form = StartQuizForm(formdata=None)
    form.exam.data = exam_slug
    return form

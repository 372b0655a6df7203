"""Catalogue pages: the exams we cover and each exam's objectives with their question counts."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from webapp.questions import services
from webapp.quiz.forms import start_form_for
from webapp.quiz.services import in_progress_attempt

bp = Blueprint("questions", __name__)


@bp.get("/exams")
def list_exams():
    """Every active exam with its format and domains."""
    return render_template("questions/exams.html", exams=services.list_exam_catalogue())


@bp.get("/exams/<slug>")
def show_exam(slug: str):
    """One exam's objectives grouped by domain (404 for an unknown or inactive exam)."""
    overview = services.get_exam_overview(slug)
    current_quiz = in_progress_attempt(current_user) if current_user.is_authenticated else None
    return render_template("questions/exam.html", overview=overview, start_form=start_form_for(overview),
                           current_quiz=current_quiz)

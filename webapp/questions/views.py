"""Catalogue pages: the exams we cover and each exam's objectives with their question counts."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from webapp.questions import services
from webapp.questions.pages import EXAM_PAGE, exam_page_context

bp = Blueprint("questions", __name__)


def _viewer():
    """The signed-in user, or None for a visitor (the catalogue's visibility rule takes either)."""
    return current_user._get_current_object() if current_user.is_authenticated else None


@bp.get("/exams")
def list_exams():
    """Every exam the viewer may see with its format and domains."""
    return render_template("questions/exams.html", exams=services.list_exam_catalogue(_viewer()))


@bp.get("/exams/<slug>")
def show_exam(slug: str):
    """One exam's objectives grouped by domain (404 for an unknown exam or one the viewer may not see)."""
    return render_template(EXAM_PAGE, **exam_page_context(slug, _viewer()))

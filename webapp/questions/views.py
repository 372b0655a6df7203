"""Catalogue pages: the exams we cover and each exam's objectives with their question counts."""

from __future__ import annotations

from flask import Blueprint, render_template

from webapp.questions import services

bp = Blueprint("questions", __name__)


@bp.get("/exams")
def list_exams():
    """Every active exam with its format and domains."""
    return render_template("questions/exams.html", exams=services.list_exam_catalogue())


@bp.get("/exams/<slug>")
def show_exam(slug: str):
    """One exam's objectives grouped by domain (404 for an unknown or inactive exam)."""
    return render_template("questions/exam.html", overview=services.get_exam_overview(slug))

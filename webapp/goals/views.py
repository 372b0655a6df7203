"""Daily goals in the browser: the goals page (set, replace and delete both goals; exam dates with
their suggested targets), the goal meter in the navigation and the dashboard widget.

The meter is on every page, so it is fresh after each page load without JavaScript; with htmx the
study answer and the quiz answer save re-send it out of band (`goals/_meter.html`). Every change
is a plain POST form that redirects back to the goals page; "goal reached" is marked as told by a
POST (`mark_announced`), sent by htmx as soon as the message is on screen or by its Dismiss button.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from webapp.exceptions import ValidationError
from webapp.extensions import db
from webapp.goals import services
from webapp.goals.forms import AnnouncedForm, CsrfOnlyForm, ExamDateForm, GoalForm
from webapp.htmx import is_htmx
from webapp.models import Exam
from webapp.questions.services import visible_exams

bp = Blueprint("goals", __name__, url_prefix="/goals")


@bp.before_request
@login_required
def require_login() -> None:
    """Goals belong to signed-in learners."""


@bp.app_context_processor
def meter_globals() -> dict:
    """The meter's state on any page, read once per request (None for visitors, or when the database fails)."""
    return {"goal_meter": _meter}


def share_meter(progress: services.Progress) -> None:
    """A page that has read today's progress (the dashboard, with its history) shows it in the
    meter too, rather than reading it again."""
    g.goal_meter = progress


def _meter() -> services.Progress | None:
    if "goal_meter" not in g:
        g.goal_meter = None
        if current_user.is_authenticated:
            try:
                g.goal_meter = services.today_progress(_user())
            except SQLAlchemyError:
                db.session.rollback()
    return g.goal_meter


def _user():
    return current_user._get_current_object()


def _page(status: int = 200, goal_error: ValidationError | None = None, date_error: ValidationError | None = None):
    user = _user()
    form = ExamDateForm(formdata=None)
    form.exam.choices = [(exam.slug, f"{exam.code} {exam.name}")
                         for exam in visible_exams(user)]
    progress = services.today_progress(user, with_history=True)
    return render_template("goals/page.html", goals=services.goals_of(user), plans=services.exam_plans(user),
                           progress=progress, date_form=form, latest_date=services.latest_exam_date(progress.day),
                           goal_form=GoalForm(formdata=None), delete_form=CsrfOnlyForm(formdata=None),
                           bounds={kind: services.goal_bounds(kind) for kind in services.GoalType},
                           goal_error=goal_error, date_error=date_error), status


@bp.get("")
def page():
    """The goals page: both goals, exam dates with the suggested daily target, the streak and history."""
    return _page()


@bp.post("")
def set_goal():
    """Set or replace one goal; a refused target shows the page again with the reason (400)."""
    form = GoalForm()
    if not form.validate_on_submit():
        return redirect(url_for("goals.page"))
    try:
        services.set_goal(_user(), form.goal_type.data, form.target.data)
    except ValidationError as exc:
        exc.extra["goal_type"] = form.goal_type.data
        return _page(400, goal_error=exc)
    flash("Goal saved.", "success")
    return redirect(url_for("goals.page"))


@bp.post("/<goal_type>/delete")
def delete_goal(goal_type: str):
    """Remove one goal (an unknown or missing goal is the 404 page)."""
    if CsrfOnlyForm().validate_on_submit():
        services.delete_goal(_user(), goal_type)
        flash("Goal removed.", "success")
    return redirect(url_for("goals.page"))


@bp.post("/exam-dates")
def set_exam_date():
    """Set or move an exam date; a past or missing date shows the page again with the reason (400)."""
    form = ExamDateForm()
    if not form.validate_on_submit() or form.exam_on.data is None:
        return _page(400, date_error=ValidationError("Enter the exam date.", field="date"))
    try:
        services.set_exam_date(_user(), form.exam.data, form.exam_on.data)
    except ValidationError as exc:
        return _page(400, date_error=exc)
    flash("Exam date saved.", "success")
    return redirect(url_for("goals.page"))


@bp.post("/exam-dates/<slug>/delete")
def clear_exam_date(slug: str):
    """Remove an exam date."""
    if CsrfOnlyForm().validate_on_submit():
        services.clear_exam_date(_user(), slug)
        flash("Exam date removed.", "success")
    return redirect(url_for("goals.page"))


@bp.post("/announced")
def mark_announced():
    """Record that "goal reached" was shown for the day posted, so it is said once."""
    form = AnnouncedForm()
    if form.validate_on_submit():
        try:
            services.mark_goal_announced(_user(), date.fromisoformat(form.day.data or ""))
        except ValueError:
            raise ValidationError("That is not a day.", field="day") from None
    if is_htmx():
        return "", 204
    return redirect(url_for("main.index"))

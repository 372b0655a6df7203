"""The learner's "Report a problem" component, its plain form page, "My reports" and the
dashboard's resolution notices.

The component (`feedback/_report.html`) replaces itself: the control opens the form in place
for htmx, and without JavaScript it is a link to the plain form page, whose POST redirects to
`next` (a local path only), anchored at the component. Notices of resolved reports are marked
seen by a POST, never by the GET that shows them (see `mark_seen`).
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from webapp.auth.session import safe_next
from webapp.exceptions import ValidationError
from webapp.extensions import db
from webapp.feedback import services
from webapp.feedback.forms import ReportForm, SeenForm
from webapp.htmx import is_htmx, render_page_or_fragment
from webapp.questions import browse

bp = Blueprint("feedback", __name__)


@bp.before_request
@login_required
def require_login() -> None:
    """Reports belong to signed-in learners."""


@bp.app_context_processor
def component_globals() -> dict:
    """What the report control needs on any page: whether the learner has an open report on a question."""
    return {"has_open_report": _has_open_report, "stem_excerpt": services.stem_excerpt}


def _has_open_report(question_id: int) -> bool:
    """One query a request for all the learner's open reports (a page may hold twenty controls);
    False for visitors and when the database fails, so an error page still renders."""
    if not current_user.is_authenticated:
        return False
    if "open_report_ids" not in g:
        try:
            g.open_report_ids = services.open_reported_ids(_user())
        except SQLAlchemyError:
            db.session.rollback()
            g.open_report_ids = set()
    return question_id in g.open_report_ids


def _user():
    return current_user._get_current_object()


def _next(target: str | None) -> str:
    """`next` made safe: a local path, else the home page."""
    return safe_next(target)


def _component(question_id: int, status: int = 200, **context):
    """The component for htmx, or the plain report page around it (a question the learner can see)."""
    question = browse.get_question(_user(), question_id)
    context.setdefault("report", services.open_report(_user(), question.id))
    context.setdefault("next", _next(request.args.get("next")))
    return render_page_or_fragment("feedback/report.html", "feedback/_report.html", status=status,
                                   question=question, question_id=question.id, **context)


@bp.get("/questions/<int:question_id>/report")
def report_form(question_id: int):
    """The report form: in place for htmx, the plain form page otherwise."""
    return _component(question_id, editing=True)


@bp.get("/questions/<int:question_id>/report/control")
def report_control(question_id: int):
    """The closed control (what Cancel returns to); focus goes back to its button."""
    return _component(question_id, editing=False, focus=True)


@bp.post("/questions/<int:question_id>/report")
def file_report(question_id: int):
    """File or update the report; a refused one is shown on the form (400), too many is a 429."""
    form = ReportForm()
    target = _next(form.next.data)
    try:
        services.file_report(_user(), question_id, form.feedback_type.data, form.comment.data)
    except ValidationError as exc:
        return _component(question_id, status=400, editing=True, typed_type=form.feedback_type.data,
                          typed=form.comment.data, error=exc.message, error_field=exc.field, next=target)
    if is_htmx():
        return _component(question_id, editing=False, focus=True, status_message="Report sent. Thank you.",
                          next=target)
    flash("Report sent. Thank you.", "success")
    return redirect(target if "#" in target else f"{target}#report-{question_id}")


@bp.get("/reports")
def my_reports():
    """Your reports, newest first, with their status and the admin's note."""
    page = services.my_reports(_user(), request.args.get("page", 1, type=int),
                               current_app.config["FEEDBACK_REPORTS_PER_PAGE"])
    return render_template("feedback/reports.html", page=page)


@bp.post("/reports/seen")
def mark_seen():
    """Record that the dashboard showed these resolutions. htmx posts it as soon as the notice
    is on screen (so the next dashboard no longer shows it), and its Dismiss button posts it too;
    without JavaScript the notice stays until Dismiss is pressed."""
    form = SeenForm()
    if form.validate_on_submit():
        services.mark_resolutions_seen(_user(), [entry.data for entry in form.report_ids if entry.data])
    if is_htmx():
        return render_template("feedback/_resolutions_dismissed.html")
    return redirect(url_for("main.index"))

"""/admin/flags: the triage queue of reported and statistically suspect questions.

The queue (`_queue.html`) and the detail pane (`_detail.html`) are fragments the full page
includes; htmx swaps them in place and pushes the URL, and a plain GET of any pushed URL renders
the full page. Every decision is a plain POST that redirects back to `next` with a flash; for
htmx it answers with the new detail pane, the question's queue row out of band and a line for
the live status region. A refused decision without JavaScript is flashed; with htmx the error
policy shows it in the alert region.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from webapp.audit.meta import current_request_meta
from webapp.admin.access import admin_blueprint
from webapp.auth.session import safe_next
from webapp.exceptions import AppError, ValidationError
from webapp.htmx import is_htmx, render_page_or_fragment
from webapp.models import Exam, FeedbackStatus
from webapp.questions.services import visible_exams_query
from webapp.extensions import db
from webapp.triage import services
from webapp.triage.forms import DecisionForm, DismissForm, filter_form_for

bp = admin_blueprint("triage", __name__)


@bp.context_processor
def limits() -> dict:
    return {"RESOLUTION_NOTE_MAX_LENGTH": services.RESOLUTION_NOTE_MAX_LENGTH, "age": services.age_in_words}


def _queue_context(args) -> dict:
    """The filter form and the queue page it asks for (or the filter's error, 400)."""
    form = filter_form_for(args, db.session.scalars(visible_exams_query(current_user).order_by(Exam.name)))
    context = {"form": form, "queue": None, "status": 200, "query": form.query_args}
    try:
        context["queue"] = services.list_queue(form.filters(), args.get("page", 1, type=int))
    except ValidationError as exc:
        getattr(form, exc.field if exc.field in form else "exam").errors = [exc.message]
        context["status"] = 400
    return context


def _back_args() -> MultiDict:
    """The queue's filters as the page the form was posted from had them (from `next`)."""
    return MultiDict(parse_qsl(urlsplit(_next()).query))


def _next() -> str:
    target = request.form.get("next")
    return safe_next(target) if target else url_for("triage.queue")


@bp.get("/flags")
def queue():
    """The queue, filtered, sorted and paginated (the queue alone for htmx)."""
    context = _queue_context(request.args)
    return render_page_or_fragment("triage/page.html", "triage/_queue_swap.html", **context)


@bp.get("/flags/<int:question_id>")
def detail(question_id: int):
    """One question's detail pane (alone for htmx; beside the queue on a full page)."""
    detail = services.question_detail(question_id)
    context = _queue_context(request.args) if not is_htmx() else {"query": filter_form_for(request.args, []).query_args}
    return render_page_or_fragment("triage/page.html", "triage/_detail.html", detail=detail,
                                   **{"status": 200, **context})


def _decided(question_id: int, message: str):
    """After a decision: for htmx the new pane, its queue row and the status line; else back to `next`."""
    if not is_htmx():
        flash(message, "success")
        return redirect(f"{_next()}#triage-detail")
    query = filter_form_for(_back_args(), []).query_args
    return render_template("triage/_decided.html", detail=services.question_detail(question_id),
                           item=services.queue_item(question_id), query=query, message=message, next=_next())


def _refused(exc: AppError, anchor: str = "triage-detail"):
    """A decision refused: for htmx the error policy answers; without JavaScript a flash."""
    if is_htmx():
        raise exc
    flash(exc.message, "error")
    return redirect(f"{_next()}#{anchor}")


@bp.post("/flags/reports/<int:report_id>")
def decide_report(report_id: int):
    """Resolve or dismiss one report with an optional note."""
    form = DecisionForm()
    try:
        report = services.decide_report(current_user._get_current_object(), report_id, form.status.data or "",
                                        form.resolution_note.data, current_request_meta())
    except (ValidationError, services.ReportClosed) as exc:
        return _refused(exc)
    verb = "resolved" if report.status == FeedbackStatus.RESOLVED else "dismissed"
    return _decided(report.question_id, f"Report {verb}.")


def _dismiss(form: DismissForm, question_ids: list[int]):
    try:
        return services.bulk_dismiss(current_user._get_current_object(), question_ids, form.resolution_note.data,
                                     current_request_meta())
    except ValidationError as exc:
        return exc


@bp.post("/flags/<int:question_id>/dismiss")
def dismiss_question(question_id: int):
    """Dismiss every open report of one question."""
    form = DismissForm()
    result = _dismiss(form, [question_id])
    if isinstance(result, AppError):
        return _refused(result)
    return _decided(question_id, f"{_reports(result.dismissed)} dismissed.")


@bp.post("/flags/dismiss")
def bulk_dismiss():
    """Dismiss every open report of the questions ticked in the queue."""
    form = DismissForm()
    result = _dismiss(form, form.chosen)
    if isinstance(result, AppError):
        return _refused(result, "triage-queue")
    message = f"{_reports(result.dismissed)} dismissed on {len(result.question_ids)} question(s)."
    if not is_htmx():
        flash(message, "success")
        return redirect(_next())
    return render_template("triage/_queue_swap.html", message=message, **_queue_context(_back_args()))


def _reports(count: int) -> str:
    return f"{count} report{'' if count == 1 else 's'}"

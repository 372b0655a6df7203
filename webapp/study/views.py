"""Study mode in the browser: one question per screen, each answer explained at once.

A session starts from the exam page's start form (`POST /quizzes` with mode study hands it to
`begin`). The answer form is a real form: without JavaScript "Check answer", "Skip" and "Show
answer" post it and the whole page comes back with the feedback in place; with htmx the same
POST answers with the feedback fragment (or the skipped form), which replaces the form, and
the progress line and the status region update out of band.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from webapp.bookmarks import services as bookmarks
from webapp.exceptions import AppError, ValidationError
from webapp.htmx import render_page_or_fragment, wants_fragment
from webapp.models import QuizMode
from webapp.questions.pages import EXAM_PAGE, exam_page_context
from webapp.quiz.services import order_from_positions, shown_choices
from webapp.study import services
from webapp.study.forms import StudyActionForm, start_fields

# The blueprint is named after the mode it serves.
bp = Blueprint(QuizMode.STUDY.value, __name__, url_prefix="/study")


@bp.before_request
@login_required
def require_login() -> None:
    """Study sessions belong to signed-in learners."""


def _user():
    return current_user._get_current_object()


def _request_from(form) -> services.StudyRequest:
    return services.StudyRequest(exam_slug=form.exam.data, count=form.count.data,
                                 objective_codes=form.objectives.data or None, source=form.source.data,
                                 tag=form.tag.data or None)


def begin(form, end_open: bool = False):
    """Start the session the exam page's start form asks for and go to its first question; the
    "already open" page (409) when one is open. Validation errors and RateLimited go to the caller."""
    wanted = _request_from(form)
    try:
        session = services.start_session(_user(), wanted, end_open=end_open)
    except services.StudyInProgress as exc:
        current = services.with_questions(services.get_session(_user(), exc.session_id))
        return render_template("study/in_progress.html", session=current, progress=services.progress(current),
                               wanted=wanted, start_form=start_fields(wanted.exam_slug)), 409
    if session.notice:
        flash(session.notice, "info")
    return redirect(url_for("study.question", session_id=session.id, number=1))


@bp.post("/restart")
def restart():
    """"End it and start the new one": the open session ends and the one asked for starts."""
    page = exam_page_context(request.form.get("exam", ""), _user(), formdata=request.form)
    form = page["start_form"]
    if form.validate_on_submit():
        try:
            return begin(form, end_open=True)
        except AppError as exc:  # rare here: the request was checked once already
            flash(exc.message, "error")
            return render_template(EXAM_PAGE, **page), exc.status, exc.headers
    return render_template(EXAM_PAGE, **page), 400


@bp.get("")
def history():
    """The learner's study sessions, newest first."""
    page = services.list_sessions(_user(), request.args.get("page", 1, type=int), 20)
    return render_template("study/history.html", page=page, figures=services.progress_for(page.items))


@bp.get("/<int:session_id>")
def resume(session_id: int):
    """Back to the question last on screen, or to the summary of a finished session."""
    session = services.get_session(_user(), session_id)
    if not session.is_open:
        return redirect(url_for("study.end", session_id=session.id))
    return redirect(url_for("study.question", session_id=session.id, number=session.current_position + 1))


def _screen(session, sq, status: int = 200, refused: ValidationError | None = None, draft=None, fresh: bool = False):
    """The question page, or for htmx the answer form or the feedback that replaces it. The
    question is read again unless `fresh` (an answer's feedback was read after its commit)."""
    if not fresh:
        sq = services.session_question(session, sq.position)
    # The card's bookmark toggle and private note: only the full page draws them (a swap keeps them).
    tools = {} if wants_fragment() else {"bookmarked": bookmarks.is_bookmarked(_user(), sq.question_id),
                                         "note": bookmarks.find_note(_user(), sq.question_id)}
    return render_page_or_fragment(
        "study/question.html", "study/_swap.html", status=status, session=session, sq=sq, shown=shown_choices(sq),
        feedback=services.feedback_for(sq), progress=services.counted_progress(session), refused=refused,
        draft=draft or services.draft_of(sq), form=StudyActionForm(), **tools)


@bp.get("/<int:session_id>/q/<int:number>")
def question(session_id: int, number: int):
    """One question: its answer form, or its feedback once answered or shown."""
    session = services.get_session(_user(), session_id)
    if not session.is_open:
        flash("This study session has ended.", "info")
        return redirect(url_for("study.end", session_id=session.id))
    return _screen(session, services.visit_question(_user(), session.id, number - 1))


def _posted_to(session_id: int, number: int):
    """(session, question, None) for an answer-form POST, or (None, None, a redirect) when the
    session has ended or the CSRF token is missing."""
    session, sq = services.session_and_question(_user(), session_id, number - 1)
    if not session.is_open:
        flash("This study session has ended.", "info")
        return None, None, redirect(url_for("study.end", session_id=session.id))
    if not StudyActionForm().validate_on_submit():
        return None, None, redirect(url_for("study.question", session_id=session.id, number=number))
    return session, sq or services.session_question(session, number - 1), None  # the latter: its 404


@bp.post("/<int:session_id>/q/<int:number>/answer")
def answer(session_id: int, number: int):
    """Check answer: the feedback, or the form again with the reason next to the choices (400)."""
    session, sq, away = _posted_to(session_id, number)
    if away:
        return away
    posted, confidence = None, request.form.get("confidence")
    try:
        posted = _posted_answer(sq)
        feedback = services.answer_question(_user(), session.id, sq.question_id, confidence=confidence, loaded=sq,
                                            **posted)
    except ValidationError as exc:
        return _screen(session, sq, status=400, refused=exc, draft=services.draft_of(sq, posted, confidence))
    return _screen(session, feedback.sq, fresh=True)


@bp.post("/<int:session_id>/q/<int:number>/skip")
def skip(session_id: int, number: int):
    """Skip: the form again, now offering Show answer and Next question."""
    session, sq, away = _posted_to(session_id, number)
    if away:
        return away
    services.skip_question(_user(), session.id, sq.question_id)
    return _screen(session, sq)


@bp.post("/<int:session_id>/q/<int:number>/reveal")
def reveal(session_id: int, number: int):
    """Show answer: the feedback without an answer; the question stays unanswered."""
    session, sq, away = _posted_to(session_id, number)
    if away:
        return away
    services.reveal_answer(_user(), session.id, sq.question_id)
    return _screen(session, sq)


def _posted_answer(sq) -> dict:
    """The answer the form holds: ticked choices; each ordering item's place menu (1-based); each
    matching item's target menu ("" is not matched)."""
    form = request.form
    if sq.question.type == "ordering":
        positions = {item: int(form[f"position-{item}"]) - 1 for item in sq.choice_order
                     if _is_number(form.get(f"position-{item}", ""))}
        return {"order": order_from_positions(list(sq.choice_order), positions)}
    if sq.question.type == "matching":
        return {"matches": {str(item): int(form[f"match-{item}"]) if _is_number(form.get(f"match-{item}", "")) else None
                            for item in sq.choice_order}}
    return {"choice_ids": [int(c) for c in form.getlist("choice") if _is_number(c)]}


def _is_number(text: str) -> bool:
    """Plain ASCII digits ("²".isdigit() is true, but int() refuses it)."""
    return text.isascii() and text.isdigit()


@bp.get("/<int:session_id>/end")
def end(session_id: int):
    """The summary: a Finish button while the session is open, "Study the ones I missed" after."""
    session = services.with_questions(services.get_session(_user(), session_id))
    return render_template("study/end.html", session=session, progress=services.progress(session),
                           form=StudyActionForm(), start_form=start_fields(session.exam.slug))


@bp.post("/<int:session_id>/finish")
def finish(session_id: int):
    """End the session (again: nothing changes) and show its summary."""
    if StudyActionForm().validate_on_submit():
        services.finish_session(_user(), session_id)
    return redirect(url_for("study.end", session_id=session_id))

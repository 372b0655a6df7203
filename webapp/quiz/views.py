"""Taking quizzes in the browser: start, one question per screen, mark, submit, result, review.

Every interaction is a real form or link; htmx only swaps fragments in (the navigator cell
after an answer, the question panel on navigation, the review list on filtering).
"""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from webapp.exceptions import AppError, ValidationError
from webapp.htmx import is_htmx, render_page_or_fragment
from webapp.questions.services import get_exam_overview
from webapp.quiz import services
from webapp.quiz.forms import ActionForm, start_form_for
from webapp.rate_limits import RateLimited

bp = Blueprint("quiz", __name__, url_prefix="/quizzes")


@bp.before_request
@login_required
def require_login() -> None:
    """Quizzes belong to signed-in learners."""


def _user():
    return current_user._get_current_object()


def _attempt_or_result(attempt_id: int):
    """The open attempt, or a redirect to its result when it has closed (time up, submitted)."""
    attempt = services.get_attempt(_user(), attempt_id)
    if attempt.status == "completed":
        flash("Time is up: your quiz was scored." if attempt.expires_at and attempt.finished_at
              and attempt.finished_at >= attempt.expires_at else "This quiz is already submitted.", "info")
        return None, redirect(url_for("quiz.result", attempt_id=attempt.id))
    if attempt.status == "abandoned":
        flash("That quiz was abandoned.", "info")
        return None, redirect(url_for("questions.show_exam", slug=attempt.exam.slug))
    return attempt, None


@bp.post("")
def start():
    slug = request.form.get("exam", "")
    overview = get_exam_overview(slug)
    form = start_form_for(overview, formdata=request.form)
    if form.validate_on_submit():
        wanted = services.QuizRequest(exam_slug=slug, mode=form.mode.data, count=form.count.data,
                                      objective_codes=form.objectives.data or None, timed=form.timed.data)
        try:
            attempt = services.start_quiz(_user(), wanted)
        except services.QuizInProgress as exc:
            current = services.get_attempt(_user(), exc.quiz_id)
            return render_template("quiz/in_progress.html", attempt=current, form=ActionForm()), 409
        except RateLimited as exc:  # the exam page again, with the reason on top
            flash(exc.message, "error")
            page = render_template("questions/exam.html", overview=overview, start_form=form,
                                   current_quiz=services.in_progress_attempt(_user()))
            return page, exc.status, exc.headers
        except AppError as exc:
            field = getattr(form, exc.field if exc.field in ("count", "mode") else "objectives")
            field.errors = list(field.errors) + [exc.message]
        else:
            return redirect(url_for("quiz.question", attempt_id=attempt.id, number=1))
    return render_template("questions/exam.html", overview=overview, start_form=form,
                           current_quiz=services.in_progress_attempt(_user())), 400


@bp.get("/<int:attempt_id>")
def resume(attempt_id: int):
    attempt, closed = _attempt_or_result(attempt_id)
    if closed:
        return closed
    return redirect(url_for("quiz.question", attempt_id=attempt.id, number=attempt.current_position + 1))


@bp.get("/<int:attempt_id>/q/<int:number>")
def question(attempt_id: int, number: int):
    attempt, closed = _attempt_or_result(attempt_id)
    if closed:
        return closed
    aq = services.visit_question(_user(), attempt.id, number - 1)
    return render_page_or_fragment("quiz/take.html", "quiz/_panel.html", attempt=attempt, aq=aq,
                                   choices=services.shown_choices(aq), form=ActionForm())


@bp.post("/<int:attempt_id>/q/<int:number>/answer")
def answer(attempt_id: int, number: int):
    attempt, closed = _attempt_or_result(attempt_id)
    if closed:
        return closed
    if not ActionForm().validate_on_submit():
        return redirect(url_for("quiz.question", attempt_id=attempt_id, number=number))
    aq = services.attempt_question_at(attempt, number - 1)
    choice_ids = [int(c) for c in request.form.getlist("choice") if c.isdigit()]
    try:
        aq = services.save_answer(_user(), attempt.id, aq.question_id, choice_ids)
    except ValidationError as exc:
        if is_htmx():
            raise  # the error policy swaps a message into the page's alert region
        flash(exc.message, "error")
        return redirect(url_for("quiz.question", attempt_id=attempt.id, number=number))
    if is_htmx():
        return render_template("quiz/_answer_saved.html", attempt=attempt, aq=aq)
    go = request.form.get("go")
    target = number + 1 if go == "next" and number < len(attempt.questions) else number
    if go == "review":
        return redirect(url_for("quiz.confirm_submit", attempt_id=attempt.id))
    return redirect(url_for("quiz.question", attempt_id=attempt.id, number=target))


@bp.post("/<int:attempt_id>/q/<int:number>/mark")
def mark(attempt_id: int, number: int):
    attempt, closed = _attempt_or_result(attempt_id)
    if closed:
        return closed
    if ActionForm().validate_on_submit():
        aq = services.set_marked(_user(), attempt.id, number - 1, request.form.get("marked") == "1")
        if is_htmx():
            return render_template("quiz/_mark_saved.html", attempt=attempt, aq=aq, form=ActionForm())
    return redirect(url_for("quiz.question", attempt_id=attempt.id, number=number))


@bp.get("/<int:attempt_id>/submit")
def confirm_submit(attempt_id: int):
    attempt, closed = _attempt_or_result(attempt_id)
    if closed:
        return closed
    return render_template("quiz/submit.html", attempt=attempt, summary=services.submit_summary(attempt),
                           form=ActionForm())


@bp.post("/<int:attempt_id>/submit")
def submit(attempt_id: int):
    if not ActionForm().validate_on_submit():
        return redirect(url_for("quiz.confirm_submit", attempt_id=attempt_id))
    result = services.submit_attempt(_user(), attempt_id)
    result_url = url_for("quiz.result", attempt_id=attempt_id)
    if is_htmx():
        attempt = services.get_attempt(_user(), attempt_id)
        response = make_response(render_template("quiz/_submitted.html", attempt=attempt, result=result))
        response.headers["HX-Push-Url"] = result_url
        return response
    return redirect(result_url)


@bp.post("/<int:attempt_id>/abandon")
def abandon(attempt_id: int):
    if ActionForm().validate_on_submit():
        attempt = services.abandon_attempt(_user(), attempt_id)
        flash("Quiz abandoned. It does not count towards your scores or XP.", "info")
        return redirect(url_for("questions.show_exam", slug=attempt.exam.slug))
    return redirect(url_for("quiz.resume", attempt_id=attempt_id))


@bp.get("/<int:attempt_id>/result")
def result(attempt_id: int):
    attempt = services.get_attempt(_user(), attempt_id)
    if attempt.status != "completed":
        return redirect(url_for("quiz.resume", attempt_id=attempt.id))
    return render_template("quiz/result.html", attempt=attempt, result=services.stored_result(attempt.id))


@bp.get("/<int:attempt_id>/review")
def review(attempt_id: int):
    which = request.args.get("show", "all")
    attempt, items = services.review_items(_user(), attempt_id, which)
    return render_page_or_fragment("quiz/review.html", "quiz/_review_list.html", attempt=attempt, items=items,
                                   which=which if which in services.REVIEW_FILTERS else "all")


@bp.get("")
def history():
    page = services.list_attempts(_user(), None, request.args.get("page", 1, type=int), 20)
    return render_template("quiz/history.html", page=page,
                           results=services.results_for([a.id for a in page.items]))

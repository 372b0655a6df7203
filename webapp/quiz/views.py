"""Taking quizzes in the browser: start, one question per screen, mark, submit, result, review.

Every interaction is a real form or link; htmx only swaps fragments in (the choices as saved
after an answer, the question panel on navigation, the review list on filtering). Every way of
leaving a question (Next, Previous, the navigator, Review and submit, End quiz) is a submit
button of the answer form, so the current selection is saved first, with or without JavaScript.
"""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from webapp.analytics import pages as learning_pages
from webapp.bookmarks import services as bookmarks
from webapp.exceptions import AppError, ValidationError
from webapp.htmx import hx_redirect, is_htmx, render_page_or_fragment
from webapp.models import AttemptStatus, QuizMode
from webapp.questions.pages import EXAM_PAGE, exam_page_context
from webapp.quiz import services
from webapp.quiz.forms import ActionForm, retry_forms
from webapp.rate_limits import RateLimited
from webapp.study import views as study_views

bp = Blueprint("quiz", __name__, url_prefix="/quizzes")


@bp.before_request
@login_required
def require_login() -> None:
    """Quizzes belong to signed-in learners."""


def _user():
    return current_user._get_current_object()


def _go_to(location: str):
    """A redirect; for htmx a full-page navigation (a fragment target cannot hold another page)."""
    return hx_redirect(make_response("", 200), location) if is_htmx() else redirect(location)


def _attempt_or_result(attempt_id: int):
    """The open attempt, or a redirect to its result when it has closed (time up, submitted)."""
    attempt = services.get_attempt(_user(), attempt_id)
    if attempt.status == AttemptStatus.COMPLETED:
        flash("Time is up: your quiz was scored." if attempt.expires_at and attempt.finished_at
              and attempt.finished_at >= attempt.expires_at else "This quiz is already submitted.", "info")
        return None, _go_to(url_for("quiz.result", attempt_id=attempt.id))
    if attempt.status == AttemptStatus.ABANDONED:
        flash("That quiz was abandoned.", "info")
        return None, _go_to(url_for("questions.show_exam", slug=attempt.exam.slug))
    return attempt, None


def _screen(attempt, aq, status: int = 200, refused: ValidationError | None = None):
    """The question screen for `aq`: the full page, or the panel for htmx. Simulations hide each
    question's objective code, as the real exam does (review shows it)."""
    return render_page_or_fragment("quiz/take.html", "quiz/_panel.html", status=status, attempt=attempt, aq=aq,
                                   choices=services.shown_choices(aq), form=ActionForm(), refused=refused,
                                   show_objective=attempt.mode != QuizMode.EXAM,
                                   bookmarked=bookmarks.is_bookmarked(_user(), aq.question_id))


def _destination(go: str | None, number: int, total: int) -> int | str | None:
    """Where a `go` button leads: a question number, "review", "end", "report" (the plain
    "Report a problem" page, from which the learner comes back here), or None to stay."""
    if go == "next":
        return min(number + 1, total)
    if go == "prev":
        return max(number - 1, 1)
    if go in ("review", "end", "report"):
        return go
    if go and go.isdigit() and 1 <= int(go) <= total:
        return int(go)
    return None


@bp.post("")
def start():
    """The exam page's start form: a practice quiz, a simulation or (mode study) a study session."""
    page = exam_page_context(request.form.get("exam", ""), _user(), formdata=request.form)
    form = page["start_form"]
    if form.validate_on_submit():
        try:
            return study_views.begin(form) if form.mode.data == QuizMode.STUDY else _begin_quiz(form)
        except RateLimited as exc:  # the exam page again, with the reason on top
            flash(exc.message, "error")
            return render_template(EXAM_PAGE, **page), exc.status, exc.headers
        except AppError as exc:
            field = getattr(form, exc.field if exc.field in ("count", "mode", "source", "tag") else "objectives")
            field.errors = list(field.errors) + [exc.message]
    return render_template(EXAM_PAGE, **page), 400


def _begin_quiz(form):
    """Start the quiz the form asks for and go to its first question; the "already in progress"
    page (409) when one is open."""
    wanted = services.QuizRequest(exam_slug=form.exam.data, mode=form.mode.data, count=form.count.data,
                                  objective_codes=form.objectives.data or None, timed=form.timed.data,
                                  source=form.source.data, tag=form.tag.data or None)
    try:
        attempt = services.start_quiz(_user(), wanted)
    except services.QuizInProgress as exc:
        current = services.get_attempt(_user(), exc.quiz_id)
        return render_template("quiz/in_progress.html", attempt=current, form=ActionForm()), 409
    if attempt.notice:
        flash(attempt.notice, "info")
    return redirect(url_for("quiz.question", attempt_id=attempt.id, number=1))


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
    return _screen(attempt, services.visit_question(_user(), attempt.id, number - 1))


def _save_selection(attempt, number: int):
    """Save the choices the answer form posted: (the saved question, None), or (None, a response
    showing the saved selection again with the reason next to the choices) when refused."""
    aq = services.attempt_question_at(attempt, number - 1)
    try:
        answer = _posted_answer(aq)
        rating = _posted_confidence(attempt)
        if answer is None:  # an ordering item left as shuffled: still unanswered, though it may be rated
            if rating is services.UNCHANGED or rating == aq.confidence:
                return aq, None
            answer = {}
        return services.save_answer(_user(), attempt.id, aq.question_id, **answer, confidence=rating), None
    except ValidationError as exc:
        if exc.field not in ("choice_ids", "confidence") and not (exc.field or "").startswith(("order", "matches")):
            raise
        if not is_htmx():
            return None, _screen(attempt, aq, status=400, refused=exc)
        response = make_response(render_template("quiz/_answer_saved.html", attempt=attempt, aq=aq,
                                                 choices=services.shown_choices(aq), refused=exc), 400)
        response.headers["HX-Retarget"] = f"#choices-{number}"
        response.headers["HX-Reswap"] = "outerHTML"
        return None, response


def _posted_confidence(attempt):
    """The rating the answer form holds (practice only: a simulation's form has none, and keeps
    what is saved). No radio ticked is no rating."""
    if attempt.mode != QuizMode.PRACTICE:
        return services.UNCHANGED
    return request.form.get("confidence") or None


def _posted_answer(aq) -> dict | None:
    """The answer the form holds: ticked choices; an ordering item's position menus (1-based) or
    its Move up / Move down button; a matching item's target menus ("" is not matched yet).

    An ordering item nobody has touched (no saved order, menus as shuffled, no move, not Save)
    is None: leaving it must not turn the shuffle into an answer."""
    form = request.form
    if aq.question.type == "ordering":
        current = aq.current_order
        move = form.get("move", "")
        item, _, direction = move.partition(":")
        if _is_number(item) and direction in ("up", "down"):
            return {"order": services.order_after_move(current, int(item), -1 if direction == "up" else 1)}
        positions = {item: int(form[f"position-{item}"]) - 1 for item in current
                     if _is_number(form.get(f"position-{item}", ""))}
        order = services.order_from_positions(current, positions)
        if aq.response is None and order == current and form.get("go") != "stay":
            return None
        return {"order": order}
    if aq.question.type == "matching":
        return {"matches": {str(item): int(form[f"match-{item}"]) if _is_number(form.get(f"match-{item}", "")) else None
                            for item in aq.choice_order}}
    return {"choice_ids": [int(c) for c in form.getlist("choice") if c.isdigit()]}


def _is_number(text: str) -> bool:
    """Plain ASCII digits ("²".isdigit() is true, but int() refuses it)."""
    return text.isascii() and text.isdigit()


@bp.post("/<int:attempt_id>/q/<int:number>/answer")
def answer(attempt_id: int, number: int):
    attempt, closed = _attempt_or_result(attempt_id)
    if closed:
        return closed
    if not ActionForm().validate_on_submit():
        return redirect(url_for("quiz.question", attempt_id=attempt_id, number=number))
    aq, refused = _save_selection(attempt, number)
    if refused:
        return refused
    destination = _destination(request.form.get("go"), number, len(attempt.questions))
    if destination == "review":
        return _go_to(url_for("quiz.confirm_submit", attempt_id=attempt.id))
    if destination == "end":
        return _go_to(url_for("quiz.end", attempt_id=attempt.id))
    if destination == "report":
        return _go_to(url_for("feedback.report_form", question_id=aq.question_id,
                              next=url_for("quiz.question", attempt_id=attempt.id, number=number)))
    if destination is None:
        if is_htmx():
            return render_template("quiz/_answer_saved.html", attempt=attempt, aq=aq,
                                   choices=services.shown_choices(aq))
        destination = number
    url = url_for("quiz.question", attempt_id=attempt.id, number=destination)
    if not is_htmx():
        return redirect(url)
    response = _screen(attempt, services.visit_question(_user(), attempt.id, destination - 1))
    response.headers["HX-Push-Url"] = url
    return response


@bp.post("/<int:attempt_id>/q/<int:number>/mark")
def mark(attempt_id: int, number: int):
    attempt, closed = _attempt_or_result(attempt_id)
    if closed:
        return closed
    if ActionForm().validate_on_submit():
        if request.form.get("with_selection"):  # sent from the answer form: keep what is ticked too
            _aq, refused = _save_selection(attempt, number)
            if refused:
                return refused
        aq = services.set_marked(_user(), attempt.id, number - 1, request.form.get("marked") == "1")
        if is_htmx():
            return render_template("quiz/_mark_saved.html", attempt=attempt, aq=aq, form=ActionForm())
    return redirect(url_for("quiz.question", attempt_id=attempt.id, number=number))


@bp.post("/<int:attempt_id>/q/<int:number>/bookmark")
def bookmark(attempt_id: int, number: int):
    """The bookmark toggle on the question screen. Like Mark, it submits the answer form, so the
    ticked choices are saved first; the answer says nothing about correctness."""
    attempt, closed = _attempt_or_result(attempt_id)
    if closed:
        return closed
    if ActionForm().validate_on_submit():
        aq = services.attempt_question_at(attempt, number - 1)
        if request.form.get("with_selection"):  # sent from the answer form: keep what is ticked too
            _saved, refused = _save_selection(attempt, number)
            if refused:
                return refused
        state = bookmarks.set_bookmarked(_user(), aq.question_id, request.form.get("bookmarked") == "1")
        if is_htmx():
            return render_template("bookmarks/_toggle_saved.html", question_id=aq.question_id,
                                   bookmarked=state.bookmarked, retired=state.retired, bookmark_total=state.count,
                                   form_id="answer-form",
                                   action=url_for("quiz.bookmark", attempt_id=attempt.id, number=number))
    return redirect(url_for("quiz.question", attempt_id=attempt.id, number=number))


def _summary_page(attempt_id: int, template: str):
    """A page about the open attempt as a whole (answered, unanswered, marked) with its forms."""
    attempt, closed = _attempt_or_result(attempt_id)
    if closed:
        return closed
    return render_template(template, attempt=attempt, summary=services.submit_summary(attempt), form=ActionForm())


@bp.get("/<int:attempt_id>/submit")
def confirm_submit(attempt_id: int):
    """Review and submit: what is answered and marked, before scoring."""
    return _summary_page(attempt_id, "quiz/submit.html")


@bp.get("/<int:attempt_id>/end")
def end(attempt_id: int):
    """Leaving a quiz from the quiz screen: submit it now, or abandon it."""
    return _summary_page(attempt_id, "quiz/end.html")


@bp.post("/<int:attempt_id>/submit")
def submit(attempt_id: int):
    if not ActionForm().validate_on_submit():
        return redirect(url_for("quiz.confirm_submit", attempt_id=attempt_id))
    result = services.submit_attempt(_user(), attempt_id)
    result_url = url_for("quiz.result", attempt_id=attempt_id)
    if is_htmx():
        attempt = services.with_questions(services.get_attempt(_user(), attempt_id))
        response = make_response(render_template("quiz/_submitted.html", attempt=attempt, result=result,
                                                 retry=retry_forms(services.retry_offers(attempt)),
                                                 notes=_notes_of(attempt), **learning_pages.attempt_context(attempt)))
        response.headers["HX-Push-Url"] = result_url
        return response
    return redirect(result_url)


@bp.post("/<int:attempt_id>/abandon")
def abandon(attempt_id: int):
    if ActionForm().validate_on_submit():
        attempt = services.abandon_attempt(_user(), attempt_id)
        flash("Quiz abandoned: no score, no XP, and its answers do not count.", "info")
        return redirect(url_for("questions.show_exam", slug=attempt.exam.slug))
    return redirect(url_for("quiz.resume", attempt_id=attempt_id))


@bp.get("/<int:attempt_id>/result")
def result(attempt_id: int):
    attempt = services.get_attempt(_user(), attempt_id)
    if attempt.status != AttemptStatus.COMPLETED:
        return redirect(url_for("quiz.resume", attempt_id=attempt.id))
    attempt = services.with_questions(attempt)
    return render_template("quiz/result.html", attempt=attempt, result=services.stored_result(attempt.id),
                           retry=retry_forms(services.retry_offers(attempt)), notes=_notes_of(attempt),
                           **learning_pages.attempt_context(attempt))


def _notes_of(attempt) -> dict:
    """The learner's private notes on the attempt's questions (shown with the result); `attempt`
    comes with its questions loaded (services.with_questions)."""
    return bookmarks.notes_for(_user(), [aq.question_id for aq in attempt.questions])


@bp.get("/<int:attempt_id>/review")
def review(attempt_id: int):
    which = services.review_filter(request.args.get("show"))
    attempt, items = services.review_items(_user(), attempt_id, which)
    question_ids = [item.question.id for item in items]
    return render_page_or_fragment("quiz/review.html", "quiz/_review_list.html", attempt=attempt, items=items,
                                   which=which, retry=retry_forms(services.retry_offers(attempt)),
                                   bookmarked=bookmarks.bookmarked_ids(_user(), question_ids),
                                   notes=bookmarks.notes_for(_user(), question_ids),
                                   **learning_pages.attempt_context(attempt, confidence=False))


@bp.get("")
def history():
    page = services.list_attempts(_user(), None, request.args.get("page", 1, type=int), 20)
    return render_template("quiz/history.html", page=page,
                           results=services.results_for([a.id for a in page.items]))

"""/progress: the learner's scores over time, accuracy per objective and weak areas, over the
analytics services (the same ones the JSON API answers from).

The period and exam filter is a GET form: with htmx a change swaps `#progress-body` and pushes
the URL; the swapped body loads each chart as its own fragment (`hx-trigger="load"`). A direct
load renders the charts' fragments in place, so with JavaScript off the data tables are the page
and a pushed URL reloads to the same view. Every response is personal: webapp/security.py makes
it `Cache-Control: no-store`.
"""

from __future__ import annotations

from flask import Blueprint, current_app, request
from flask_login import current_user, login_required

from webapp.analytics import charts, services
from webapp.analytics.pages import progress_context as learning_context
from webapp.analytics.pages import page_tallies
from webapp.analytics.forms import filter_form_for, weak_start_forms
from webapp.exceptions import ValidationError
from webapp.htmx import render_page_or_fragment, wants_fragment
from webapp.learning.pages import progress_mastery_context
from webapp.questions.services import visible_exams
from webapp.recommendations.pages import recommendation_list_context
from webapp.quiz.services import UnknownExam

bp = Blueprint("analytics", __name__)


@bp.before_request
@login_required
def require_login() -> None:
    """Progress belongs to signed-in learners."""


def _user():
    return current_user._get_current_object()


def _exams(user, slug: str | None) -> list:
    """The exams whose objective charts to draw: the chosen one, else every exam the learner may see."""
    exams = visible_exams(user)
    return [exam for exam in exams if exam.slug == slug] if slug else exams


def _weak_entries(user, slug: str | None, tallies=None) -> tuple[list[tuple], int]:
    """The worst PROGRESS_WEAK_AREAS_SHOWN weak objectives (on the chosen exam, if any), each with
    its study and quiz start forms, and how many more there are."""
    weak = [w for w in services.weak_areas(user, tallies).weak_domains if not slug or w.exam_type == slug]
    shown = weak[:current_app.config["PROGRESS_WEAK_AREAS_SHOWN"]]
    sizes = services.objective_quiz_sizes(shown)
    return [(w, *weak_start_forms(w, sizes.get((w.exam_type, w.domain), 0))) for w in shown], len(weak) - len(shown)


@bp.get("/progress")
def progress():
    """The whole page, or (htmx) its body with lazily loaded charts."""
    user = _user()
    exams = _exams(user, None)
    form = filter_form_for(request.args, exams)
    context, status = {"form": form, "lazy": wants_fragment()}, 200
    try:
        score = charts.score_chart(user, form.period.data, form.exam.data or None)
        # the recommendations do not depend on the filter: the swapped (lazy) body leaves them
        tallies = page_tallies(user, charts=not context["lazy"], recommendations=not context["lazy"])
        weak_entries, weak_more = _weak_entries(user, form.exam.data or None, tallies)
        chosen = [exam for exam in exams if exam.slug == form.exam.data] if form.exam.data else exams
        context.update(summary=score.performance.summary, weak_entries=weak_entries, weak_more=weak_more,
                       **progress_mastery_context(user, chosen))
        if form.exam.data:  # pacing and the confidence lists are per exam
            context.update(learning_context(user, form.exam.data, form.period.data))
        if not context["lazy"]:
            context.update(score=score, objective_charts=charts.objective_charts(user, chosen, tallies),
                           **recommendation_list_context(user, tallies=tallies))
    except ValidationError as exc:
        (form.exam if exc.field == "exam_type" else form.period).errors = [exc.message]
        status = 400
    return render_page_or_fragment("analytics/progress.html", "analytics/_body.html", status, **context)


@bp.get("/progress/charts/scores")
def score_chart():
    """The daily score chart and its table (a full page without htmx)."""
    chart = charts.score_chart(_user(), request.args.get("period", ""), request.args.get("exam") or None)
    return render_page_or_fragment("analytics/chart_page.html", "analytics/_scores.html", score=chart,
                                   chart_fragment="analytics/_scores.html")


@bp.get("/progress/charts/objectives")
def objective_chart():
    """Accuracy per objective of the chosen exam (every visible exam when none), and its tables."""
    user = _user()
    slug = request.args.get("exam") or None
    exams = _exams(user, slug)
    if slug and not exams:
        raise UnknownExam()  # unknown and hidden exams alike: a 400 naming `exam_type`
    return render_page_or_fragment("analytics/chart_page.html", "analytics/_objectives.html",
                                   objective_charts=charts.objective_charts(user, exams),
                                   chart_fragment="analytics/_objectives.html")

"""The landing page for visitors and the dashboard for signed-in learners."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from webapp.analytics.pages import page_tallies
from webapp.analytics.services import performance, weak_areas
from webapp.feedback.services import unseen_resolutions
from webapp.models import AnalyticsPeriod
from webapp.gamification.services import dashboard
from webapp.goals.services import exam_plans, today_progress
from webapp.learning.pages import dashboard_readiness_context, reviews_due_context
from webapp.quiz.services import in_progress_attempt
from webapp.recommendations.pages import recommendation_list_context
from webapp.study.services import open_session

bp = Blueprint("main", __name__)

# The dashboard names this many weak areas, the worst first; /progress lists them all.
DASHBOARD_WEAK_AREAS = 3


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return render_template("main/index.html")
    user = current_user._get_current_object()
    board = dashboard(user)
    tallies = page_tallies(user, charts=False, recommendations=True)  # one read for both lists
    # A learner who has signed in before is returning; one who has just registered is not.
    return render_template("main/dashboard.html", board=board, current_quiz=in_progress_attempt(user),
                           current_study=open_session(user), returning=user.last_login_at is not None,
                           resolutions=unseen_resolutions(user), goal_progress=today_progress(user, with_history=True),
                           exam_plans=exam_plans(user), **recommendation_list_context(user, tallies),
                           **reviews_due_context(user),
                           week=performance(user, AnalyticsPeriod.WEEK).summary,
                           top_weak=weak_areas(user, tallies).weak_domains[:DASHBOARD_WEAK_AREAS],
                           **dashboard_readiness_context(user, board.exams))

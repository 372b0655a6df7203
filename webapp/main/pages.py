"""What the dashboard shows (templates/main/dashboard.html), read with each learner's fact once:
the due counts serve both "N reviews due" and the recommendations, and one objective_tallies
read (webapp/analytics/pages.py, `page_tallies`) serves the recommendations and the weak areas,
so the heaviest reads (a grouped scan of the learner's answers, one of their cards) run once per
page; today's goal progress serves the goal widget, the "goal at risk" rule and the header's meter."""

from __future__ import annotations

from webapp.analytics.pages import page_tallies
from webapp.analytics.services import performance, weak_areas
from webapp.feedback.services import unseen_resolutions
from webapp.gamification.services import dashboard
from webapp.goals.services import exam_plans, today_progress
from webapp.learning.pages import dashboard_readiness_context, reviews_due_context
from webapp.learning.reviews import due_counts
from webapp.models import AnalyticsPeriod, User
from webapp.models.base import utcnow
from webapp.quiz.services import in_progress_attempt
from webapp.recommendations.pages import recommendation_list_context
from webapp.recommendations.services import recommendations
from webapp.study.services import open_session

# The dashboard names this many weak areas, the worst first; /progress lists them all.
DASHBOARD_WEAK_AREAS = 3


def dashboard_context(user: User) -> dict:
    """The signed-in learner's dashboard: every figure the template reads."""
    now = utcnow()
    board = dashboard(user, now)
    due = due_counts(user.id, now)
    progress = today_progress(user, now, with_history=True)
    tallies = page_tallies(user, charts=False, recommendations=True)
    # A learner who has signed in before is returning; one who has just registered is not.
    return {"board": board, "current_quiz": in_progress_attempt(user), "current_study": open_session(user),
            "returning": user.last_login_at is not None, "resolutions": unseen_resolutions(user),
            "goal_progress": progress, "exam_plans": exam_plans(user, now),
            **recommendation_list_context(user, recommendations(user, now, tallies, due, progress)),
            **reviews_due_context(user, counts=due),
            "week": performance(user, AnalyticsPeriod.WEEK, now=now).summary,
            "top_weak": weak_areas(user, tallies).weak_domains[:DASHBOARD_WEAK_AREAS],
            **dashboard_readiness_context(user, board.exams)}

"""The landing page for visitors and the dashboard for signed-in learners."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from webapp.goals.views import share_meter
from webapp.main.pages import dashboard_context

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return render_template("main/index.html")
    context = dashboard_context(current_user._get_current_object())
    share_meter(context["goal_progress"])
    return render_template("main/dashboard.html", **context)

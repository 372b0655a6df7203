"""/leaderboard (all-time and weekly tabs) and /achievements."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from webapp.gamification import services
from webapp.htmx import render_page_or_fragment

bp = Blueprint("gamification", __name__)


@bp.get("/leaderboard")
def leaderboard():
    period = request.args.get("period", "all")
    period = period if period in services.PERIODS else "all"
    viewer = current_user._get_current_object() if current_user.is_authenticated else None
    board = services.leaderboard(period, viewer)
    return render_page_or_fragment("gamification/leaderboard.html", "gamification/_leaderboard_table.html",
                                   board=board)


@bp.get("/achievements")
@login_required
def achievements():
    statuses = services.achievement_statuses(current_user._get_current_object())
    return render_template("gamification/achievements.html", statuses=statuses,
                           earned=sum(1 for s in statuses if s.earned_at))

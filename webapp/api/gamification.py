"""`/api/v1/leaderboard` and `/api/v1/users/me/achievements`."""

from __future__ import annotations

import marshmallow as ma

from webapp.api import Blueprint
from webapp.api.auth import api_user, token_required
from webapp.api.schemas import BEARER
from webapp.gamification import services

leaderboard_bp = Blueprint("api_leaderboard", __name__, description="Leaderboards")
achievements_bp = Blueprint("api_achievements", __name__, description="Achievements")


class LeaderboardArgs(ma.Schema):
    period = ma.fields.String(load_default="all", validate=ma.validate.OneOf(services.PERIODS))


class EntryOut(ma.Schema):
    rank = ma.fields.Integer()
    username = ma.fields.String()
    xp = ma.fields.Integer()
    level = ma.fields.Integer()


class MeOut(ma.Schema):
    rank = ma.fields.Integer()
    xp = ma.fields.Integer()
    level = ma.fields.Integer()


class LeaderboardOut(ma.Schema):
    period = ma.fields.String()
    entries = ma.fields.List(ma.fields.Nested(EntryOut))
    me = ma.fields.Nested(MeOut, allow_none=True)


class ProgressOut(ma.Schema):
    current = ma.fields.Integer()
    target = ma.fields.Integer()


class AchievementOut(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    description = ma.fields.String()
    earned_at = ma.fields.DateTime(allow_none=True)
    progress = ma.fields.Nested(ProgressOut)


@leaderboard_bp.route("", methods=["GET"])
@leaderboard_bp.doc(security=BEARER)
@leaderboard_bp.arguments(LeaderboardArgs, location="query")
@leaderboard_bp.response(200, LeaderboardOut)
@token_required
def leaderboard(args):
    """Top 50 by all-time XP or this ISO week's XP (UTC), plus your own rank (null if you opted out)."""
    board = services.leaderboard(args["period"], api_user())
    return {"period": board.period,
            "entries": [{"rank": e.rank, "username": e.username, "xp": e.xp, "level": e.level} for e in board.entries],
            "me": {"rank": board.me.rank, "xp": board.me.xp, "level": board.me.level} if board.me else None}


@achievements_bp.route("/me/achievements", methods=["GET"])
@achievements_bp.doc(security=BEARER)
@achievements_bp.response(200, AchievementOut(many=True))
@token_required
def my_achievements():
    """Every achievement, earned (with its date) or locked (with progress)."""
    return [{"code": s.code, "name": s.name, "description": s.description, "earned_at": s.earned_at,
             "progress": {"current": s.current, "target": s.target}}
            for s in services.achievement_statuses(api_user())]

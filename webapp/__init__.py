"""CertQuest: a study platform for CompTIA certification exams."""

from __future__ import annotations

import os

from flask import Flask
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from config import ROOT, Config, config_for_environment


def create_app(config_class: type[Config] | None = None) -> Flask:
    """Build the application: a short list of register_* steps."""
    config_class = config_class or config_for_environment()
    config_class.validate()

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(config_class)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config["SECRET_KEY"] = config_class.resolve_secret_key(app.instance_path)
    register_url_converters(app)

    from webapp.logs import configure_logging, register_request_logging

    configure_logging(app)
    register_extensions(app)
    register_request_logging(app)
    register_blueprints(app)

    from webapp.auth.session import register_login

    register_login(app)

    from webapp.errors import register_error_handlers
    from webapp.security import register_input_guards, register_security_headers
    from webapp.cli import register_cli

    register_error_handlers(app)
    register_security_headers(app)
    register_input_guards(app)
    register_template_globals(app)
    register_cli(app)
    return app


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` in routes, bounded to the 32-bit ids the database holds, so an id such as
    10**20 is a plain 404 instead of an integer overflow inside the database driver.

    The bound is checked here rather than by werkzeug: its out-of-range ValidationError makes
    the router answer 405 when another rule shares the path with other methods."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("min", 0)
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        number = int(value)
        if not self.min <= number <= self.max:
            raise NotFound()
        return number


def register_url_converters(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseIdConverter


def register_extensions(app: Flask) -> None:
    from webapp.database import configure_database
    from webapp.extensions import cache, csrf, db, limiter, migrate

    db.init_app(app)
    configure_database(app)
    from webapp.observability import register_query_observability

    register_query_observability(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    cache.init_app(app)
    import webapp.models  # noqa: F401  (registers every table on the metadata)


def register_blueprints(app: Flask) -> None:
    from webapp.account.views import bp as account_bp
    from webapp.extensions import limiter
    from webapp.admin.views import bp as admin_bp
    from webapp.api import register_api
    from webapp.api.accounts import auth_bp as api_auth_bp
    from webapp.api.accounts import users_bp as api_users_bp
    from webapp.api.admin import admin_bp as api_admin_bp
    from webapp.api.analytics import analytics_bp as api_analytics_bp
    from webapp.api.bookmarks import bookmarks_bp as api_bookmarks_bp
    from webapp.api.catalogue import catalogue_bp as api_catalogue_bp
    from webapp.api.editor import editor_bp as api_editor_bp
    from webapp.api.feedback import feedback_bp as api_feedback_bp
    from webapp.api.gamification import achievements_bp as api_achievements_bp
    from webapp.api.goals import exam_dates_bp as api_exam_dates_bp
    from webapp.api.goals import goals_bp as api_goals_bp
    from webapp.api.gamification import leaderboard_bp as api_leaderboard_bp
    from webapp.api.previews import previews_bp as api_previews_bp
    from webapp.api.quizzes import quizzes_bp as api_quizzes_bp
    from webapp.api.recommendations import recommendations_bp as api_recommendations_bp
    from webapp.api.reviews import reviews_bp as api_reviews_bp
    from webapp.api.study import study_bp as api_study_bp
    from webapp.api.triage import triage_bp as api_triage_bp
    from webapp.analytics.views import bp as analytics_bp
    from webapp.auth.views import bp as auth_bp
    from webapp.bookmarks.views import bp as bookmarks_bp
    from webapp.digest.views import bp as digest_bp
    from webapp.editor.views import bp as editor_bp
    from webapp.feedback.views import bp as feedback_bp
    from webapp.health.views import bp as health_bp
    from webapp.gamification.views import bp as gamification_bp
    from webapp.goals.views import bp as goals_bp
    from webapp.main.views import bp as main_bp
    from webapp.quiz.views import bp as quiz_bp
    from webapp.questions.views import bp as questions_bp
    from webapp.study.views import bp as study_bp
    from webapp.triage.views import bp as triage_bp

    for blueprint in (health_bp, main_bp, auth_bp, account_bp, admin_bp, quiz_bp, study_bp, gamification_bp,
                      bookmarks_bp, feedback_bp, triage_bp, editor_bp, goals_bp, digest_bp, analytics_bp):
        app.register_blueprint(blueprint)
    limiter.exempt(health_bp)  # probes must never be throttled, and skipping the check keeps them cheap
    app.register_blueprint(questions_bp)
    register_api(app, [
        (api_auth_bp, "/auth"),
        (api_users_bp, "/users"),
        (api_admin_bp, "/admin"),
        (api_triage_bp, "/admin"),
        (api_editor_bp, "/admin"),
        (api_catalogue_bp, ""),
        (api_previews_bp, "/questions"),
        (api_bookmarks_bp, ""),
        (api_feedback_bp, ""),
        (api_quizzes_bp, "/quizzes"),
        (api_study_bp, "/study-sessions"),
        (api_leaderboard_bp, "/leaderboard"),
        (api_achievements_bp, "/users"),
        (api_analytics_bp, "/analytics"),
        (api_goals_bp, "/goals"),
        (api_exam_dates_bp, "/exam-dates"),
        (api_recommendations_bp, "/recommendations"),
        (api_reviews_bp, "/reviews"),
    ])


def register_template_globals(app: Flask) -> None:
    from webapp.models.base import utcnow
    from webapp.models.enums import (AnalyticsPeriod, AttemptStatus, Confidence, FeedbackStatus, FeedbackType, GoalType,
                                     QuestionSource, QuizMode, ReviewFilter, Trend, label)

    app.jinja_env.globals["app_version"] = app.config["APP_VERSION"]
    # Closed sets: templates compare with the members and show them through `label`.
    app.jinja_env.globals.update(QuizMode=QuizMode, AttemptStatus=AttemptStatus, ReviewFilter=ReviewFilter,
                                 Confidence=Confidence, QuestionSource=QuestionSource, FeedbackType=FeedbackType,
                                 FeedbackStatus=FeedbackStatus, GoalType=GoalType, AnalyticsPeriod=AnalyticsPeriod,
                                 Trend=Trend)
    app.jinja_env.filters["label"] = label
    from webapp.gamification.levels import level_progress
    from webapp.gamification.services import FREEZE_EVERY_DAYS, MAX_FREEZES

    app.jinja_env.globals["now_utc"] = utcnow
    app.jinja_env.globals["xp_progress"] = level_progress
    app.jinja_env.globals["streak_rules"] = {"freeze_every_days": FREEZE_EVERY_DAYS, "max_freezes": MAX_FREEZES}
    from webapp.timefmt import register_time_filters

    register_time_filters(app)

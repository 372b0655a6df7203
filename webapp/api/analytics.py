"""`/api/v1/analytics`: performance over time, per-objective accuracy and weak areas. Thin views
over webapp/analytics/services.py, which the `/progress` page renders too.

Responses are personal: the bearer token makes them `Cache-Control: no-store` (webapp/security.py).
"""

from __future__ import annotations

import marshmallow as ma

from webapp.analytics import services
from webapp.api import Blueprint
from webapp.api.auth import api_user, token_required
from webapp.api.schemas import BEARER, exam_type_field
from webapp.models import AnalyticsPeriod, Trend

PERIODS = ma.validate.OneOf([period.value for period in AnalyticsPeriod])
TRENDS = ma.validate.OneOf([trend.value for trend in Trend])

analytics_bp = Blueprint("api_analytics", __name__, description="Analytics: progress over time and weak areas")


class PerformanceArgs(ma.Schema):
    period = ma.fields.String(load_default=AnalyticsPeriod.MONTH.value, validate=PERIODS, metadata={
        "description": "the learner's last 7, 30 or 90 local days (today included), or all (default 30d)"})
    exam_type = exam_type_field(blank_is_none=True, metadata={
        "description": "an exam slug; omitted (or empty), every exam counts"})


class DomainPerformanceArgs(ma.Schema):
    exam_type = exam_type_field(required=True)


class DataPointOut(ma.Schema):
    date = ma.fields.Date(required=True, metadata={"description": "a local day of the learner's time zone"})
    quizzes_taken = ma.fields.Integer(required=True)
    average_score = ma.fields.Float(required=True, metadata={"description": "the mean of the day's quiz scores, %"})
    total_questions = ma.fields.Integer(required=True)
    correct_answers = ma.fields.Integer(required=True)


class SummaryOut(ma.Schema):
    total_quizzes = ma.fields.Integer(required=True)
    average_score = ma.fields.Float(required=True, allow_none=True, metadata={
        "description": "the mean over the period's quizzes, %; null without one"})
    improvement = ma.fields.Float(required=True, allow_none=True, metadata={
        "description": "percentage points against the previous period of the same length (for all: the last 30 "
                       "days against everything before); null when that has no quiz"})
    best_day = ma.fields.Date(required=True, allow_none=True)
    best_score = ma.fields.Float(required=True, allow_none=True, metadata={"description": "best_day's average score"})


class PerformanceOut(ma.Schema):
    period = ma.fields.String(required=True, validate=PERIODS)
    data_points = ma.fields.List(ma.fields.Nested(DataPointOut), required=True)
    summary = ma.fields.Nested(SummaryOut, required=True)


class DomainStatOut(ma.Schema):
    domain = ma.fields.String(required=True, metadata={"description": "the objective code, e.g. 1.1"})
    domain_name = ma.fields.String(required=True, metadata={"description": "the objective's title"})
    exam_domain = ma.fields.String(required=True, metadata={"description": "the 1.0-level domain code"})
    attempts = ma.fields.Integer(required=True)
    correct = ma.fields.Integer(required=True)
    accuracy = ma.fields.Float(required=True, metadata={"description": "%"})
    trend = ma.fields.String(required=True, validate=TRENDS)


class DomainPerformanceOut(ma.Schema):
    domains = ma.fields.List(ma.fields.Nested(DomainStatOut), required=True)


class WeakDomainOut(ma.Schema):
    exam_type = ma.fields.String(required=True)
    domain = ma.fields.String(required=True, metadata={"description": "the objective code"})
    total_attempts = ma.fields.Integer(required=True)
    correct_answers = ma.fields.Integer(required=True)
    accuracy = ma.fields.Float(required=True, metadata={"description": "%"})
    accuracy_interval = ma.fields.List(ma.fields.Float(), required=True, metadata={
        "description": "[low, high]: the 95% Wilson score interval of the accuracy, %"})
    recommendation = ma.fields.String(required=True)


class WeakExamTypeOut(ma.Schema):
    exam_type = ma.fields.String(required=True)
    total_attempts = ma.fields.Integer(required=True, metadata={"description": "answers on the exam, study included"})
    average_score = ma.fields.Float(required=True, allow_none=True, metadata={
        "description": "the mean quiz score, %; null without a quiz"})
    recommendation = ma.fields.String(required=True)


class WeakAreasOut(ma.Schema):
    weak_domains = ma.fields.List(ma.fields.Nested(WeakDomainOut), required=True)
    weak_exam_types = ma.fields.List(ma.fields.Nested(WeakExamTypeOut), required=True)
    improvement_suggestions = ma.fields.List(ma.fields.String(), required=True)


@analytics_bp.route("/performance", methods=["GET"])
@analytics_bp.doc(security=BEARER)
@analytics_bp.arguments(PerformanceArgs, location="query")
@analytics_bp.response(200, PerformanceOut)
@token_required
def performance(args):
    """Your quizzes per local day of the period, and the period's summary."""
    result = services.performance(api_user(), args["period"], args.get("exam_type"))
    return {"period": result.period.value, "data_points": result.data_points, "summary": result.summary}


@analytics_bp.route("/domain-performance", methods=["GET"])
@analytics_bp.doc(security=BEARER)
@analytics_bp.arguments(DomainPerformanceArgs, location="query")
@analytics_bp.response(200, DomainPerformanceOut)
@token_required
def domain_performance(args):
    """Your attempts, accuracy and trend per objective of the exam, in code order."""
    return {"domains": services.domain_performance(api_user(), args["exam_type"]).domains}


@analytics_bp.route("/weak-areas", methods=["GET"])
@analytics_bp.doc(security=BEARER)
@analytics_bp.response(200, WeakAreasOut)
@token_required
def weak_areas():
    """Your weak objectives (worst first), weak exam types and what to do next."""
    return services.weak_areas(api_user())

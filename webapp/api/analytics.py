"""`/api/v1/analytics`: performance over time, per-objective accuracy, weak areas and pacing. Thin
views over webapp/analytics/services.py and pacing.py, which the `/progress` page renders too;
mastery per objective and readiness over webapp/learning/display.py, which the exam page,
`/progress` and the dashboard render.

Responses are personal: the bearer token makes them `Cache-Control: no-store` (webapp/security.py).
"""

from __future__ import annotations

import marshmallow as ma

from webapp.analytics import pacing as pacing_service
from webapp.analytics import services
from webapp.api import Blueprint
from webapp.api.auth import api_user, token_required
from webapp.api.schemas import BEARER, exam_type_field
from webapp.learning import display
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


# -- pacing (docs/LEARNING.md, "Pacing") -------------------------------------------------------


class PacingArgs(ma.Schema):
    exam_type = exam_type_field(required=True)
    period = ma.fields.String(load_default=AnalyticsPeriod.MONTH.value, validate=PERIODS, metadata={
        "description": "the learner's last 7, 30 or 90 local days (today included), or all (default 30d)"})


class PaceStatsOut(ma.Schema):
    answers = ma.fields.Integer(required=True, metadata={"description": "answers with a recorded time"})
    mean_seconds = ma.fields.Float(required=True, allow_none=True, metadata={"description": "null without an answer"})
    median_seconds = ma.fields.Float(required=True, allow_none=True)
    over_budget_percent = ma.fields.Float(required=True, allow_none=True, metadata={
        "description": "the share of answers slower than pace_seconds, %; null without an answer"})
    slow_answers = ma.fields.Integer(required=True, metadata={
        "description": "answers slower than slow_seconds (PACING_SLOW_RATIO x the pace)"})


class DomainPaceOut(PaceStatsOut):
    domain = ma.fields.String(required=True, metadata={"description": "the 1.0-level domain number"})
    domain_name = ma.fields.String(required=True)


class ItemTypePaceOut(PaceStatsOut):
    item_type = ma.fields.String(required=True, validate=ma.validate.OneOf(pacing_service.ITEM_TYPE_LABELS))


class SlowQuestionOut(ma.Schema):
    question_id = ma.fields.Integer(required=True)
    stem = ma.fields.String(required=True, metadata={
        "description": f"the stem, cut to {pacing_service.STEM_EXCERPT_LENGTH} characters"})
    seconds = ma.fields.Integer(required=True)
    answered_at = ma.fields.DateTime(required=True)


class PacingOut(ma.Schema):
    exam_type = ma.fields.String(required=True)
    period = ma.fields.String(required=True, validate=PERIODS)
    pace_seconds = ma.fields.Float(required=True, metadata={"description": "the exam's duration / question count"})
    slow_seconds = ma.fields.Float(required=True, metadata={"description": "PACING_SLOW_RATIO x pace_seconds"})
    overall = ma.fields.Nested(PaceStatsOut, required=True)
    by_domain = ma.fields.List(ma.fields.Nested(DomainPaceOut), required=True)
    by_item_type = ma.fields.List(ma.fields.Nested(ItemTypePaceOut), required=True)
    slow_questions = ma.fields.List(ma.fields.Nested(SlowQuestionOut), required=True, metadata={
        "description": "the slow answers, slowest first, at most PACING_SLOW_LISTED (overall.slow_answers counts all)"})


@analytics_bp.route("/pacing", methods=["GET"])
@analytics_bp.doc(security=BEARER)
@analytics_bp.arguments(PacingArgs, location="query")
@analytics_bp.response(200, PacingOut)
@token_required
def pacing(args):
    """Your time per question against the exam's pace, per domain and item type, and your slow answers."""
    found = pacing_service.pacing(api_user(), args["exam_type"], args["period"])
    return {"exam_type": found.exam.slug, "period": found.period.value, "pace_seconds": round(found.pace_seconds, 1),
            "slow_seconds": round(found.slow_seconds, 1), "overall": found.overall, "by_domain": found.by_domain,
            "by_item_type": found.by_item_type, "slow_questions": found.slow_questions}


# -- mastery per objective and readiness (issue 15; webapp/learning/display.py) ----------------

PROBABILITY = "a probability, 0-1"


class MasteryArgs(ma.Schema):
    exam_type = exam_type_field(required=True)


class MasteredDefinitionOut(ma.Schema):
    target = ma.fields.Float(required=True, metadata={"description": "the accuracy an objective must reach, 0-1"})
    confidence = ma.fields.Float(required=True, metadata={
        "description": "how sure: mastered means P(accuracy >= target) >= confidence, 0-1"})
    interval = ma.fields.Float(required=True, metadata={
        "description": "the mass of each objective's credible interval (0.8: its 10th to 90th percentile)"})


class ObjectiveMasteryOut(ma.Schema):
    domain = ma.fields.String(required=True, metadata={"description": "the objective code, e.g. 1.1"})
    domain_name = ma.fields.String(required=True, metadata={"description": "the objective's title"})
    exam_domain = ma.fields.String(required=True, metadata={"description": "the 1.0-level domain code"})
    answers = ma.fields.Integer(required=True, metadata={"description": "your answers on it, every mode"})
    mastery = ma.fields.Float(required=True, metadata={
        "description": "the posterior mean of your recent accuracy, 0-1 (the prior's mean when unanswered)"})
    interval = ma.fields.List(ma.fields.Float(), required=True, metadata={
        "description": "[low, high]: the credible interval of the accuracy, 0-1"})
    p_mastered = ma.fields.Float(required=True, metadata={"description": f"P(accuracy >= target), {PROBABILITY}"})
    mastered = ma.fields.Boolean(required=True)


class MasteryOut(ma.Schema):
    exam_type = ma.fields.String(required=True)
    mastered_definition = ma.fields.Nested(MasteredDefinitionOut, required=True)
    objectives = ma.fields.List(ma.fields.Nested(ObjectiveMasteryOut), required=True, metadata={
        "description": "every objective of the exam, in code order"})


class ReadinessBasisOut(ma.Schema):
    domain = ma.fields.String(required=True, metadata={"description": "the 1.0-level domain code"})
    domain_name = ma.fields.String(required=True)
    answers = ma.fields.Integer(required=True, metadata={"description": "your answers on its objectives"})
    correct = ma.fields.Integer(required=True)
    effective_answers = ma.fields.Float(required=True, metadata={
        "description": "the answers' total weight after the recency decay"})
    questions = ma.fields.Integer(required=True, metadata={"description": "its questions in a simulated exam"})


class ReadinessMissingOut(ma.Schema):
    domain = ma.fields.String(required=True)
    domain_name = ma.fields.String(required=True)
    needed = ma.fields.Integer(required=True, metadata={"description": "answers still needed in the domain"})


class ReadinessOut(ma.Schema):
    pass_probability = ma.fields.Float(required=True, allow_none=True, metadata={
        "description": f"the chance of passing today, {PROBABILITY}; null while `missing` is not empty"})
    interval = ma.fields.List(ma.fields.Float(), required=True, allow_none=True, metadata={
        "description": "[low, high]: the 80% interval of pass_probability, 0-1; null while missing"})
    expected_scaled_score = ma.fields.Integer(required=True, allow_none=True, metadata={
        "description": "the mean simulated score on the exam's scale (100-900); null while missing"})
    expected_scaled_score_interval = ma.fields.List(ma.fields.Integer(), required=True, allow_none=True, metadata={
        "description": "[low, high]: the 80% interval of the simulated scores; null while missing"})
    basis = ma.fields.List(ma.fields.Nested(ReadinessBasisOut), required=True, metadata={
        "description": "the answers used, per domain, in blueprint order"})
    missing = ma.fields.List(ma.fields.Nested(ReadinessMissingOut), required=True, metadata={
        "description": "the domains with fewer than min_answers_per_domain answers; empty once estimated"})
    passing_score = ma.fields.Integer(required=True, metadata={"description": "the exam's passing scaled score"})
    min_answers_per_domain = ma.fields.Integer(required=True)


def _probability(value: float) -> float:
    return round(value, 4)


def mastery_body(slug: str, result) -> dict:
    """The mastery response from webapp.learning.mastery.ExamMastery."""
    return {"exam_type": slug,
            "mastered_definition": {"target": result.target, "confidence": result.confidence,
                                    "interval": result.interval},
            "objectives": [{"domain": o.domain, "domain_name": o.domain_name, "exam_domain": o.exam_domain,
                            "answers": o.answers, "mastery": _probability(o.mastery),
                            "interval": [_probability(o.interval[0]), _probability(o.interval[1])],
                            "p_mastered": _probability(o.p_mastered), "mastered": o.mastered}
                           for o in result.objectives]}


def readiness_body(result) -> dict:
    """The readiness response from webapp.learning.readiness.Readiness."""
    estimated = result.pass_probability is not None
    return {
        "pass_probability": _probability(result.pass_probability) if estimated else None,
        "interval": [_probability(result.interval[0]), _probability(result.interval[1])] if estimated else None,
        "expected_scaled_score": result.expected_scaled_score,
        "expected_scaled_score_interval": list(result.scaled_interval) if estimated else None,
        "basis": [{"domain": b.domain, "domain_name": b.domain_name, "answers": b.answers, "correct": b.correct,
                   "effective_answers": b.effective_answers, "questions": b.questions} for b in result.basis],
        "missing": [{"domain": b.domain, "domain_name": b.domain_name, "needed": b.needed} for b in result.missing],
        "passing_score": result.passing_score, "min_answers_per_domain": result.min_answers}


@analytics_bp.route("/mastery", methods=["GET"])
@analytics_bp.doc(security=BEARER)
@analytics_bp.arguments(MasteryArgs, location="query")
@analytics_bp.response(200, MasteryOut)
@token_required
def mastery(args):
    """Your mastery of every objective of the exam: a recency-weighted Beta posterior (docs/LEARNING.md)."""
    user = api_user()
    exam = display.exam_for(user, args["exam_type"])
    return mastery_body(exam.slug, display.mastery_for(user, exam))


@analytics_bp.route("/readiness", methods=["GET"])
@analytics_bp.doc(security=BEARER)
@analytics_bp.arguments(MasteryArgs, location="query")
@analytics_bp.response(200, ReadinessOut)
@token_required
def readiness(args):
    """Your estimated chance of passing the exam today, with its interval and basis (docs/LEARNING.md)."""
    user = api_user()
    exam = display.exam_for(user, args["exam_type"])
    return readiness_body(display.readiness_for(user, exam).readiness)

"""`/api/v1/goals` and `/api/v1/exam-dates`: daily goals, today's progress and exam dates. Thin
views over webapp/goals/services.py, which the goals page, the meter and the widget render too.

Responses are personal: the bearer token makes them `Cache-Control: no-store` (webapp/security.py).
Posting a goal returns 201 whether it is new or replaces the goal of its type (the issue's
contract: "returns 201 with the goal"; the body is the goal as it now stands).
"""

from __future__ import annotations

import marshmallow as ma

from webapp.api import Blueprint, link, links
from webapp.api.auth import api_user, token_required
from webapp.api.schemas import BEARER
from webapp.goals import services
from webapp.models.enums import GoalType

GOAL_TYPES = ma.validate.OneOf([kind.value for kind in GoalType])

goals_bp = Blueprint("api_goals", __name__, description="Daily goals and today's progress")
exam_dates_bp = Blueprint("api_exam_dates", __name__, description="Exam dates: a countdown and a suggested daily target")


def goal_target_ranges() -> dict:
    """Each goal type's target range as JSON Schema, read from config by `goal_bounds` (the rule
    the service applies) when the document is built."""
    ranges = []
    for kind in GoalType:
        low, high = services.goal_bounds(kind)
        ranges.append({"properties": {"type": {"enum": [kind.value]},
                                      "target": {"minimum": low, "maximum": high}}})
    return {"oneOf": ranges}


class GoalIn(ma.Schema):
    class Meta:
        openapi = goal_target_ranges

    type = ma.fields.String(required=True, validate=GOAL_TYPES)
    target = ma.fields.Integer(required=True, strict=True, metadata={
        "description": "questions a day (GOAL_DAILY_QUESTIONS_MIN..MAX, 5-500 by default) or minutes a day "
                       "(GOAL_DAILY_MINUTES_MIN..MAX, 5-300); outside them 400 GOAL_OUT_OF_RANGE on `target`"})


class GoalOut(ma.Schema):
    type = ma.fields.String(required=True, validate=GOAL_TYPES)
    target = ma.fields.Integer(required=True)
    updated_at = ma.fields.DateTime(required=True)


class GoalListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(GoalOut), required=True)


class GoalTodayOut(ma.Schema):
    date = ma.fields.Date(required=True, metadata={"description": "today in the learner's time zone"})
    questions_answered = ma.fields.Integer(required=True)
    target = ma.fields.Integer(required=True, allow_none=True, metadata={
        "description": "the daily_questions target; null when that goal is not set"})
    percentage = ma.fields.Integer(required=True, allow_none=True, metadata={
        "description": "whole percent of the target reached, at most 100; null without the goal"})
    met = ma.fields.Boolean(required=True, metadata={"description": "every goal set is reached today"})


class GoalMinutesOut(ma.Schema):
    minutes_spent = ma.fields.Integer(required=True)
    target = ma.fields.Integer(required=True)
    percentage = ma.fields.Integer(required=True)


class GoalHistoryDayOut(ma.Schema):
    date = ma.fields.Date(required=True)
    met = ma.fields.Boolean(required=True)


class GoalProgressOut(ma.Schema):
    today = ma.fields.Nested(GoalTodayOut, required=True)
    minutes = ma.fields.Nested(GoalMinutesOut, metadata={"description": "present only when a daily_minutes goal is set"})
    streak = ma.fields.Integer(required=True, metadata={
        "description": "consecutive met days ending today, or yesterday while today is not met"})
    history = ma.fields.List(ma.fields.Nested(GoalHistoryDayOut), required=True, metadata={
        "description": "the last GOAL_HISTORY_DAYS (14) local days, oldest first, today last"})


class ExamDateIn(ma.Schema):
    date = ma.fields.Date(required=True, metadata={"description": "YYYY-MM-DD, today or later (else 400 EXAM_DATE_PAST), at most EXAM_DATE_MAX_DAYS_AHEAD (730) days ahead (else 400 EXAM_DATE_TOO_FAR)"})


class ExamDateOut(ma.Schema):
    exam_type = ma.fields.String(required=True)
    date = ma.fields.Date(required=True)
    days_left = ma.fields.Integer(required=True, metadata={"description": "0 on the exam day"})
    unseen_questions = ma.fields.Integer(required=True)
    due_reviews = ma.fields.Integer(required=True, metadata={
        "description": "your spaced-review cards of the exam due before the exam day ends (due now included)"})
    suggested_daily_target = ma.fields.Integer(required=True, metadata={
        "description": "(unseen_questions + due_reviews) / max(1, days_left), rounded up, clamped to the "
                       "daily_questions bounds"})


class ExamDateListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ExamDateOut), required=True)


def goal_body(goal) -> dict:
    return {"type": goal.goal_type, "target": goal.target, "updated_at": goal.updated_at}


def progress_body(progress: services.Progress) -> dict:
    """The roadmap's shape: `today` for the questions goal, `minutes` when that goal is set."""
    questions = progress.goal(GoalType.DAILY_QUESTIONS)
    body = {"today": {"date": progress.day, "questions_answered": progress.count.questions,
                      "target": questions.target if questions else None,
                      "percentage": questions.percentage if questions else None, "met": progress.met},
            "streak": progress.streak,
            "history": [{"date": day.day, "met": day.met} for day in progress.history]}
    minutes = progress.goal(GoalType.DAILY_MINUTES)
    if minutes:
        body["minutes"] = {"minutes_spent": minutes.done, "target": minutes.target, "percentage": minutes.percentage}
    return body


def plan_body(plan: services.ExamPlan) -> dict:
    return {"exam_type": plan.exam.slug, "date": plan.exam_on, "days_left": plan.days_left,
            "unseen_questions": plan.unseen, "due_reviews": plan.due_reviews,
            "suggested_daily_target": plan.suggested_target}


@goals_bp.route("", methods=["GET"])
@goals_bp.doc(security=BEARER)
@goals_bp.response(200, GoalListOut)
@token_required
def list_goals():
    """Your goals (at most one of each type)."""
    user = api_user()
    rows = services.goal_rows(user)
    return {"items": [goal_body(goal) for goal in rows]}


@goals_bp.route("", methods=["POST"])
@goals_bp.doc(security=BEARER, **links(201, DeleteGoal=link(
    "delete", "/goals/{type}", "Remove the goal just set", {"type": "$response.body#/type"})))
@goals_bp.arguments(GoalIn)
@goals_bp.response(201, GoalOut)
@token_required
def set_goal(body):
    """Set a daily goal; posting the same type again replaces its target (201 both times)."""
    goal, _created = services.set_goal(api_user(), body["type"], body["target"])
    return goal_body(goal)


@goals_bp.route("/<type>", methods=["DELETE"])
@goals_bp.doc(security=BEARER)
@goals_bp.response(204)
@token_required
def delete_goal(type: str):  # noqa: A002 (the contract names the path parameter `type`)
    """Remove your goal of this type (404 GOAL_NOT_FOUND when there is none)."""
    services.delete_goal(api_user(), type)
    return ""


@goals_bp.route("/progress", methods=["GET"])
@goals_bp.doc(security=BEARER)
@goals_bp.response(200, GoalProgressOut)
@token_required
def progress():
    """Today's progress in your time zone, the goal streak and the last 14 days."""
    return progress_body(services.today_progress(api_user(), with_history=True))


@exam_dates_bp.route("", methods=["GET"])
@exam_dates_bp.doc(security=BEARER)
@exam_dates_bp.response(200, ExamDateListOut)
@token_required
def list_exam_dates():
    """Your exam dates still to come, soonest first, each with its suggested daily target."""
    return {"items": [plan_body(plan) for plan in services.exam_plans(api_user())]}


@exam_dates_bp.route("/<exam_type>", methods=["PUT"])
@exam_dates_bp.doc(security=BEARER, **links(200, ClearExamDate=link(
    "delete", "/exam-dates/{exam_type}", "Remove the date just set", {"exam_type": "$request.path.exam_type"})))
@exam_dates_bp.arguments(ExamDateIn)
@exam_dates_bp.response(200, ExamDateOut)
@token_required
def set_exam_date(body, exam_type: str):
    """Set or move the day you sit this exam (404 NOT_FOUND for an exam you cannot see)."""
    user = api_user()
    services.set_exam_date(user, exam_type, body["date"])
    return plan_body(services.exam_plan(user, exam_type))


@exam_dates_bp.route("/<exam_type>", methods=["DELETE"])
@exam_dates_bp.doc(security=BEARER)
@exam_dates_bp.response(204)
@token_required
def clear_exam_date(exam_type: str):
    """Remove your date for this exam (404 EXAM_DATE_NOT_FOUND when none is set)."""
    services.clear_exam_date(api_user(), exam_type)
    return ""

"""The goals and exam-dates JSON API: the contract (exact field names), 201 on set and replace,
204/404 on delete, 400s with `field`, 401 without a token, no-store, another learner never seen,
and every route's permission row found by walking the URL map."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import bearer, gen_bank, gen_study_answer, gen_token, gen_user
from webapp.extensions import db
from webapp.gamification.services import local_day
from webapp.models import Question
from webapp.models.base import utcnow

# endpoint -> (method, path, JSON body). Every goals route must be listed: a new one needs a row.
MATRIX = {
    "api_goals.list_goals": ("GET", "/api/v1/goals", None),
    "api_goals.set_goal": ("POST", "/api/v1/goals", {"type": "daily_questions", "target": 10}),
    "api_goals.delete_goal": ("DELETE", "/api/v1/goals/daily_questions", None),
    "api_goals.progress": ("GET", "/api/v1/goals/progress", None),
    "api_exam_dates.list_exam_dates": ("GET", "/api/v1/exam-dates", None),
    "api_exam_dates.set_exam_date": ("PUT", "/api/v1/exam-dates/demo", {"date": "2999-01-01"}),
    "api_exam_dates.clear_exam_date": ("DELETE", "/api/v1/exam-dates/demo", None),
}


@pytest.fixture
def owner(app):
    """A learner (UTC) with a token, on a 12-question exam `demo`."""
    gen_bank(app, per_objective=4)
    user = gen_user(app, username="owner")
    return user, bearer(gen_token(app, user))


def _questions(app, count: int) -> list[Question]:
    with app.app_context():
        rows = list(db.session.query(Question).order_by(Question.id).limit(count))
        for row in rows:
            db.session.expunge(row)
        return rows


def test_post_goal_returns_201_with_the_goal_and_again_on_replace(client, owner):
    """POST /goals is 201 {type, target, updated_at}; posting the same type again is 201 with the new target, one goal."""
    _user, headers = owner
    first = client.post("/api/v1/goals", json={"type": "daily_questions", "target": 30}, headers=headers)
    assert first.status_code == 201 and first.headers["Cache-Control"] == "no-store"
    assert set(first.get_json()) == {"type", "target", "updated_at"}
    again = client.post("/api/v1/goals", json={"type": "daily_questions", "target": 40}, headers=headers)
    assert again.status_code == 201 and again.get_json()["target"] == 40
    items = client.get("/api/v1/goals", headers=headers).get_json()["items"]
    assert [(item["type"], item["target"]) for item in items] == [("daily_questions", 40)]


@pytest.mark.parametrize(("body", "field", "code"), [
    ({"type": "daily_questions", "target": 4}, "target", "GOAL_OUT_OF_RANGE"),
    ({"type": "daily_questions", "target": 501}, "target", "GOAL_OUT_OF_RANGE"),
    ({"type": "daily_minutes", "target": 301}, "target", "GOAL_OUT_OF_RANGE"),
    ({"type": "weekly", "target": 10}, "type", "VALIDATION_ERROR"),
    ({"type": "daily_minutes", "target": "10"}, "target", "VALIDATION_ERROR"),
    ({"type": "daily_minutes"}, "target", "VALIDATION_ERROR"),
])
def test_bad_goals_are_400_with_the_field(client, owner, body, field, code):
    """Out-of-range targets, unknown types, strings and missing fields are 400 naming the field."""
    response = client.post("/api/v1/goals", json=body, headers=owner[1])
    assert response.status_code == 400
    payload = response.get_json()
    assert payload["code"] == code
    assert payload["field"] == field or field in {error["field"] for error in payload.get("errors", [])}


def test_delete_goal_is_204_then_404(client, owner):
    """DELETE /goals/{type} is 204 once, then 404 GOAL_NOT_FOUND; an unknown type is 404 too."""
    headers = owner[1]
    client.post("/api/v1/goals", json={"type": "daily_minutes", "target": 20}, headers=headers)
    assert client.delete("/api/v1/goals/daily_minutes", headers=headers).status_code == 204
    for path in ("/api/v1/goals/daily_minutes", "/api/v1/goals/weekly"):
        response = client.delete(path, headers=headers)
        assert response.status_code == 404 and response.get_json()["code"] == "GOAL_NOT_FOUND"


def test_progress_has_the_roadmap_shape(client, app, owner):
    """GET /goals/progress: today {date, questions_answered, target, percentage, met}, streak, 14-day history;
    minutes only with a minutes goal."""
    user, headers = owner
    for question in _questions(app, 3):
        gen_study_answer(app, user, question, True)
    client.post("/api/v1/goals", json={"type": "daily_questions", "target": 10}, headers=headers)
    body = client.get("/api/v1/goals/progress", headers=headers).get_json()
    assert set(body) == {"today", "streak", "history"}
    today = local_day(utcnow(), "UTC").isoformat()
    assert body["today"] == {"date": today, "questions_answered": 3, "target": 10, "percentage": 30, "met": False}
    assert body["streak"] == 0 and len(body["history"]) == 14
    assert body["history"][-1] == {"date": today, "met": False}
    client.post("/api/v1/goals", json={"type": "daily_minutes", "target": 5}, headers=headers)
    body = client.get("/api/v1/goals/progress", headers=headers).get_json()
    assert body["minutes"] == {"minutes_spent": 0, "target": 5, "percentage": 0}


def test_progress_without_goals_counts_answers_with_a_null_target(client, app, owner):
    """With no goal, today's target and percentage are null and there is no minutes entry."""
    user, headers = owner
    gen_study_answer(app, user, _questions(app, 1)[0], False)
    body = client.get("/api/v1/goals/progress", headers=headers).get_json()
    assert body["today"]["questions_answered"] == 1
    assert (body["today"]["target"], body["today"]["percentage"], "minutes" in body) == (None, None, False)


def test_exam_dates_put_list_and_delete(client, app, owner):
    """PUT /exam-dates/demo is 200 with the countdown and the suggestion; it lists; DELETE is 204 then 404."""
    headers = owner[1]
    day = (local_day(utcnow(), "UTC") + timedelta(days=2)).isoformat()
    response = client.put("/api/v1/exam-dates/demo", json={"date": day}, headers=headers)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == {"exam_type": "demo", "date": day, "days_left": 2, "unseen_questions": 12,
                                   "due_reviews": 0, "suggested_daily_target": 6}
    assert client.get("/api/v1/exam-dates", headers=headers).get_json()["items"] == [response.get_json()]
    assert client.delete("/api/v1/exam-dates/demo", headers=headers).status_code == 204
    gone = client.delete("/api/v1/exam-dates/demo", headers=headers)
    assert gone.status_code == 404 and gone.get_json()["code"] == "EXAM_DATE_NOT_FOUND"


def test_exam_date_errors(client, owner):
    """A past date is 400 EXAM_DATE_PAST on date, 2999 is EXAM_DATE_TOO_FAR, a bad date 400, an unknown exam 404."""
    headers = owner[1]
    past = client.put("/api/v1/exam-dates/demo", json={"date": "2000-01-01"}, headers=headers)
    assert past.status_code == 400 and (past.get_json()["code"], past.get_json()["field"]) == ("EXAM_DATE_PAST", "date")
    bad = client.put("/api/v1/exam-dates/demo", json={"date": "soon"}, headers=headers)
    assert bad.status_code == 400 and bad.get_json()["code"] == "VALIDATION_ERROR"
    far = client.put("/api/v1/exam-dates/demo", json={"date": "2999-01-01"}, headers=headers)
    assert far.status_code == 400 and (far.get_json()["code"], far.get_json()["field"]) == ("EXAM_DATE_TOO_FAR", "date")
    unknown = client.put("/api/v1/exam-dates/nope", json={"date": "2999-01-01"}, headers=headers)
    assert unknown.status_code == 404 and unknown.get_json()["code"] == "NOT_FOUND"


def test_every_goals_route_is_in_the_matrix(app):
    """Every goals and exam-dates route has a row in MATRIX with its method."""
    found = {rule.endpoint: rule.methods - {"HEAD", "OPTIONS"} for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith(("api_goals.", "api_exam_dates."))}
    assert found == {endpoint: {method} for endpoint, (method, _path, _body) in MATRIX.items()}


def test_every_route_needs_a_token(client, owner):
    """Without a bearer token every goals route is 401 INVALID_TOKEN."""
    for endpoint, (method, path, body) in MATRIX.items():
        response = client.open(path, method=method, json=body)
        assert response.status_code == 401 and response.get_json()["code"] == "INVALID_TOKEN", endpoint


def test_another_learner_and_an_admin_never_see_the_owners_goals(client, app, owner):
    """The owner's goal, answers and exam date never show up for another learner or an admin, and
    their DELETEs are 404."""
    user, headers = owner
    client.post("/api/v1/goals", json={"type": "daily_questions", "target": 5}, headers=headers)
    client.put("/api/v1/exam-dates/demo", json={"date": "2999-01-01"}, headers=headers)
    for question in _questions(app, 5):
        gen_study_answer(app, user, question, True)
    for username, is_admin in (("other", False), ("chief", True)):
        theirs = bearer(gen_token(app, gen_user(app, username=username, is_admin=is_admin)))
        assert client.get("/api/v1/goals", headers=theirs).get_json() == {"items": []}
        assert client.get("/api/v1/exam-dates", headers=theirs).get_json() == {"items": []}
        assert client.get("/api/v1/goals/progress", headers=theirs).get_json()["today"]["questions_answered"] == 0
        assert client.delete("/api/v1/goals/daily_questions", headers=theirs).status_code == 404
        assert client.delete("/api/v1/exam-dates/demo", headers=theirs).status_code == 404
    assert client.get("/api/v1/goals", headers=headers).get_json()["items"][0]["target"] == 5


def test_the_openapi_document_describes_the_goal_routes(client):
    """The OpenAPI document lists the goal routes with the goal type enum and the progress fields."""
    document = client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/goals", "/api/v1/goals/progress", "/api/v1/goals/{type}",
            "/api/v1/exam-dates/{exam_type}"} <= set(document["paths"])
    schemas = document["components"]["schemas"]
    assert schemas["GoalIn"]["properties"]["type"]["enum"] == ["daily_questions", "daily_minutes"]
    assert set(schemas["GoalTodayOut"]["properties"]) == {"date", "questions_answered", "target", "percentage", "met"}

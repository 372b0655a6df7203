"""The analytics JSON API: its contracts (exact field names), 400s with `field`, 401s, no-store,
and every route's permission matrix found by walking the URL map."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import bearer, gen_bank, gen_scored_quiz, gen_study_answers, gen_token, gen_user
from webapp.analytics import services
from webapp.extensions import db
from webapp.models import Question, User
from webapp.models.base import utcnow

PREFIX = "/api/v1/analytics"
# endpoint -> the query a caller sends. Every analytics route must be listed: a new one needs a row.
MATRIX = {
    "api_analytics.performance": "?period=all",
    "api_analytics.domain_performance": "?exam_type=demo",
    "api_analytics.weak_areas": "",
    "api_analytics.pacing": "?exam_type=demo",
    "api_analytics.mastery": "?exam_type=demo",
    "api_analytics.readiness": "?exam_type=demo",
}


def _questions(app, exam) -> list[Question]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(Question).where(Question.exam_id == exam.id).order_by(Question.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


@pytest.fixture
def owner_data(app):
    """A learner with two quizzes (40% 40 days ago, 80% today) and twelve wrong study answers on 2.1
    (16 answers on 2.1, all wrong; 32 on the exam)."""
    exam = gen_bank(app, per_objective=4)
    owner = gen_user(app, username="owner")
    questions = _questions(app, exam)
    gen_scored_quiz(app, owner, questions[:10], 4, utcnow() - timedelta(days=40))
    gen_scored_quiz(app, owner, questions[:10], 8)
    gen_study_answers(app, owner, questions[-1], [False] * 12)
    return exam, owner


def test_performance_contract(client, app, owner_data):
    """GET /performance has exactly period, data_points (date, quizzes_taken, ...) and summary, and is no-store."""
    _exam, owner = owner_data
    response = client.get(f"{PREFIX}/performance?period=all", headers=bearer(gen_token(app, owner)))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body) == {"period", "data_points", "summary"} and body["period"] == "all"
    assert [set(point) for point in body["data_points"]] == [
        {"date", "quizzes_taken", "average_score", "total_questions", "correct_answers"}] * 2
    assert body["data_points"][-1]["average_score"] == 80.0
    assert body["summary"] == {"total_quizzes": 2, "average_score": 60.0, "improvement": 40.0,
                               "best_day": body["data_points"][-1]["date"], "best_score": 80.0}


def test_performance_defaults_to_thirty_days_and_filters_by_exam(client, app, owner_data):
    """Without `period` the last 30 days count; `exam_type` narrows to one exam (another exam: nothing)."""
    exam, owner = owner_data
    gen_bank(app, per_objective=1, slug="other")
    headers = bearer(gen_token(app, owner))
    default = client.get(f"{PREFIX}/performance", headers=headers).get_json()
    summary = default["summary"]
    assert (default["period"], summary["total_quizzes"], summary["improvement"]) == ("30d", 1, 40.0)
    assert client.get(f"{PREFIX}/performance?exam_type={exam.slug}", headers=headers).get_json() == default
    other = client.get(f"{PREFIX}/performance?exam_type=other&period=7d", headers=headers).get_json()
    assert other == {"period": "7d", "data_points": [], "summary": {
        "total_quizzes": 0, "average_score": None, "improvement": None, "best_day": None, "best_score": None}}


def test_domain_performance_contract(client, app, owner_data):
    """GET /domain-performance lists each answered objective with exactly its seven fields, in code order."""
    exam, owner = owner_data
    response = client.get(f"{PREFIX}/domain-performance?exam_type={exam.slug}", headers=bearer(gen_token(app, owner)))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    domains = response.get_json()["domains"]
    assert set(response.get_json()) == {"domains"}
    assert [d["domain"] for d in domains] == ["1.1", "1.2", "2.1"]
    assert domains[-1] == {"domain": "2.1", "domain_name": "Given a scenario, troubleshoot", "exam_domain": "2.0",
                           "attempts": 16, "correct": 0, "accuracy": 0.0, "trend": "stable"}


def test_weak_areas_contract(client, app, owner_data):
    """GET /weak-areas has weak_domains, weak_exam_types and improvement_suggestions with the contract's fields."""
    exam, owner = owner_data
    response = client.get(f"{PREFIX}/weak-areas", headers=bearer(gen_token(app, owner)))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body) == {"weak_domains", "weak_exam_types", "improvement_suggestions"}
    assert body["weak_domains"] == [{"exam_type": exam.slug, "domain": "2.1", "total_attempts": 16,
                                     "correct_answers": 0, "accuracy": 0.0, "accuracy_interval": [0.0, 19.4],
                                     "recommendation": f"Review {exam.name} domain 2.1 (0% accuracy)"}]
    assert body["weak_exam_types"] == [{"exam_type": exam.slug, "total_attempts": 32, "average_score": 60.0,
                                        "recommendation": f"Practice more {exam.name} quizzes (only 32 attempts)"}]
    assert body["improvement_suggestions"] == [f"Review {exam.name} domain 2.1 (0% accuracy)",
                                               f"Practice more {exam.name} quizzes (only 32 attempts)"]


def test_the_api_and_the_service_give_the_same_answer(client, app, owner_data):
    """One source of truth: the JSON equals the service's dataclasses field for field."""
    exam, owner = owner_data
    body = client.get(f"{PREFIX}/domain-performance?exam_type={exam.slug}", headers=bearer(gen_token(app, owner)))
    with app.app_context():
        stats = services.domain_performance(db.session.get(User, owner.id), exam.slug).domains
    assert [(d["domain"], d["attempts"], d["accuracy"], d["trend"]) for d in body.get_json()["domains"]] == [
        (s.domain, s.attempts, s.accuracy, s.trend.value) for s in stats]


@pytest.mark.parametrize(("url", "field", "code"), [
    (f"{PREFIX}/performance?period=1y", "period", "VALIDATION_ERROR"),
    (f"{PREFIX}/performance?exam_type=nope", "exam_type", "UNKNOWN_EXAM"),
    (f"{PREFIX}/domain-performance", "exam_type", "VALIDATION_ERROR"),
    (f"{PREFIX}/domain-performance?exam_type=nope", "exam_type", "UNKNOWN_EXAM"),
])
def test_bad_input_is_a_400_naming_the_field(client, app, owner_data, url, field, code):
    """An unknown period or exam, or a missing exam_type, is a 400 whose `field` names the parameter."""
    _exam, owner = owner_data
    response = client.get(url, headers=bearer(gen_token(app, owner)))
    assert response.status_code == 400
    assert (response.get_json()["field"], response.get_json()["code"]) == (field, code)


def test_the_walk_finds_exactly_the_routes_in_the_matrix(app):
    """Every analytics route has a row in MATRIX, and every row is a GET route."""
    found = {rule.endpoint: rule.methods - {"HEAD", "OPTIONS"} for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("api_analytics.")}
    assert found == {endpoint: {"GET"} for endpoint in MATRIX}


def _url(app, endpoint: str) -> str:
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    return rule.rule + MATRIX[endpoint]


def test_every_route_needs_a_token(client, app, owner_data):
    """Without a bearer token, or with a browser session only, every analytics route is 401 INVALID_TOKEN."""
    for endpoint in MATRIX:
        response = client.get(_url(app, endpoint))
        assert response.status_code == 401 and response.get_json()["code"] == "INVALID_TOKEN", endpoint
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_another_learner_and_an_admin_see_only_their_own_figures(client, app, owner_data):
    """Another learner and an admin get 200 on every route with empty figures: the owner's answers never count."""
    for username, is_admin in (("other", False), ("chief", True)):
        headers = bearer(gen_token(app, gen_user(app, username=username, is_admin=is_admin)))
        bodies = {endpoint: client.get(_url(app, endpoint), headers=headers) for endpoint in MATRIX}
        assert {endpoint: r.status_code for endpoint, r in bodies.items()} == dict.fromkeys(MATRIX, 200)
        assert bodies["api_analytics.performance"].get_json()["summary"]["total_quizzes"] == 0
        assert bodies["api_analytics.domain_performance"].get_json() == {"domains": []}
        assert bodies["api_analytics.weak_areas"].get_json() == {"weak_domains": [], "weak_exam_types": [],
                                                                 "improvement_suggestions": []}
        assert bodies["api_analytics.pacing"].get_json()["overall"]["answers"] == 0


def test_the_openapi_document_describes_the_analytics_responses(client):
    """The OpenAPI document has the three routes, the period enum and the response fields of the contract."""
    document = client.get("/api/v1/openapi.json").get_json()
    performance = document["paths"][f"{PREFIX}/performance"]["get"]
    period = next(p for p in performance["parameters"] if p["name"] == "period")
    assert period["schema"]["enum"] == ["7d", "30d", "90d", "all"]
    schemas = document["components"]["schemas"]
    assert set(schemas["DataPointOut"]["properties"]) == {"date", "quizzes_taken", "average_score",
                                                          "total_questions", "correct_answers"}
    assert set(schemas["WeakDomainOut"]["properties"]) == {"exam_type", "domain", "total_attempts", "correct_answers",
                                                           "accuracy", "accuracy_interval", "recommendation"}
    assert f"{PREFIX}/domain-performance" in document["paths"] and f"{PREFIX}/weak-areas" in document["paths"]

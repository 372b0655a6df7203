"""GET /api/v1/recommendations: the contract, 401 without a token, no-store, another learner's
data, the OpenAPI entry, and that every action starts its thing in one call (201)."""

from __future__ import annotations

import sqlalchemy as sa

from tests.factories import bearer, gen_token, gen_user
from tests.recommendations.helpers import bank, weak_history
from webapp.extensions import db
from webapp.models import AttemptStatus, QuizAttempt

URL = "/api/v1/recommendations"


def test_the_route_is_the_only_recommendations_route_and_a_get(app):
    """The URL-map walk finds exactly GET /api/v1/recommendations for this feature."""
    found = {(rule.rule, frozenset(rule.methods - {"HEAD", "OPTIONS"})) for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("api_recommendations.")}
    assert found == {(URL, frozenset({"GET"}))}


def test_without_a_token_it_is_401(client, app, signed_in):
    """No bearer token (a browser session only) is 401 INVALID_TOKEN."""
    response = client.get(URL)
    assert response.status_code == 401 and response.get_json()["code"] == "INVALID_TOKEN"


def test_the_contract_and_no_store(client, app):
    """The body is {"recommendations": [{kind, title, reason, action: {method, url, body}}]}, no-store."""
    _, questions = bank(app)
    user = gen_user(app)
    weak_history(app, user, questions)
    response = client.get(URL, headers=bearer(gen_token(app, user)))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    items = response.get_json()["recommendations"]
    assert [item["kind"] for item in items] == ["unseen", "weak_objective", "missed"]
    assert all(set(item) == {"kind", "title", "reason", "action"} for item in items)
    assert all(set(item["action"]) == {"method", "url", "body"} for item in items)
    assert items[1]["reason"].startswith("You're at 40% on")


def test_every_action_starts_its_quiz_in_one_call(client, app):
    """Posting each action's body to its url with its method is a 201 (the quiz is then abandoned)."""
    _, questions = bank(app)
    user = gen_user(app)
    weak_history(app, user, questions)
    headers = bearer(gen_token(app, user))
    actions = [item["action"] for item in client.get(URL, headers=headers).get_json()["recommendations"]]
    assert len(actions) == 3
    for action in actions:
        response = client.open(action["url"], method=action["method"], json=action["body"], headers=headers)
        assert response.status_code == 201, (action, response.get_json())
        with app.app_context():
            db.session.execute(sa.update(QuizAttempt).where(QuizAttempt.user_id == user.id)
                               .values(status=AttemptStatus.ABANDONED.value))
            db.session.commit()


def test_the_diagnostic_starts_a_ten_question_quiz(client, app):
    """A brand-new learner's diagnostic action opens a 10-question practice quiz."""
    bank(app)
    headers = bearer(gen_token(app, gen_user(app)))
    (item,) = client.get(URL, headers=headers).get_json()["recommendations"]
    assert item["kind"] == "diagnostic"
    response = client.post(item["action"]["url"], json=item["action"]["body"], headers=headers)
    assert response.status_code == 201 and response.get_json()["question_count"] == 10


def test_another_learner_sees_only_their_own(client, app):
    """The owner's weak answers never reach another learner or an admin: they get the diagnostic."""
    _, questions = bank(app)
    weak_history(app, gen_user(app, username="owner"), questions)
    for username, is_admin in (("other", False), ("chief", True)):
        headers = bearer(gen_token(app, gen_user(app, username=username, is_admin=is_admin)))
        kinds = [i["kind"] for i in client.get(URL, headers=headers).get_json()["recommendations"]]
        assert kinds == ["diagnostic"], username


def test_the_openapi_document_describes_the_route(client):
    """The OpenAPI document has GET /api/v1/recommendations with the kind enum."""
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "get" in spec["paths"][URL]
    kind = spec["components"]["schemas"]["RecommendationOut"]["properties"]["kind"]
    assert "weak_objective" in kind["enum"] and "ready_for_simulation" in kind["enum"]

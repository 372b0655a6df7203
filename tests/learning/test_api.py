"""GET /api/v1/reviews/due: the contract, the empty states, `exam_type` and its 400, 401 without a
token, no-store, another learner's cards, and the OpenAPI entry."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from tests.factories import bearer, gen_exam, gen_question, gen_token, gen_user
from tests.learning.helpers import give_cards
from webapp.extensions import db
from webapp.models import ReviewCard
from webapp.models.base import utcnow

URL = "/api/v1/reviews/due"


def _two_exams(app, user):
    """Exam "alpha" (AA0) with 2 due cards and 1 not due; "beta" (BB0) with 1 not due."""
    alpha = gen_exam(app, slug="alpha", code="AA0-001", name="Alpha")
    beta = gen_exam(app, slug="beta", code="BB0-001", name="Beta")
    qa, qb = [gen_question(app, alpha) for _ in range(3)], gen_question(app, beta)
    now = utcnow()
    give_cards(app, user, [(qa[0].id, False, now - timedelta(days=3)), (qa[1].id, False, now - timedelta(days=2)),
                           (qa[2].id, True, now - timedelta(hours=1)), (qb.id, True, now - timedelta(hours=2))])
    with app.app_context():
        due = dict(db.session.execute(sa.select(ReviewCard.question_id, ReviewCard.due)
                                      .where(ReviewCard.user_id == user.id)).all())
    return due[qa[2].id], due[qb.id]


def test_the_route_is_the_only_reviews_route_and_a_get(app):
    """The URL-map walk finds exactly GET /api/v1/reviews/due for this feature."""
    found = {(rule.rule, frozenset(rule.methods - {"HEAD", "OPTIONS"})) for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("api_reviews.")}
    assert found == {(URL, frozenset({"GET"}))}


def test_without_a_token_it_is_401(client, app, signed_in):
    """No bearer token (a browser session only) is 401 INVALID_TOKEN."""
    response = client.get(URL)
    assert response.status_code == 401 and response.get_json()["code"] == "INVALID_TOKEN"


def test_the_contract_per_exam_with_the_next_due_time_and_no_store(client, app):
    """Every exam with cards in code order: due, cards, next_due_at (ISO 8601 UTC) and the total."""
    user = gen_user(app)
    alpha_next, beta_next = _two_exams(app, user)
    response = client.get(URL, headers=bearer(gen_token(app, user)))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["total_due"] == 2
    assert [{key: item[key] for key in ("exam_type", "exam_name", "due", "cards")} for item in body["exams"]] == [
        {"exam_type": "alpha", "exam_name": "Alpha", "due": 2, "cards": 3},
        {"exam_type": "beta", "exam_name": "Beta", "due": 0, "cards": 1}]
    assert all(set(item) == {"exam_type", "exam_name", "due", "cards", "next_due_at"} for item in body["exams"])
    stamps = [item["next_due_at"] for item in body["exams"]]
    assert all(stamp.endswith("+00:00") for stamp in stamps)
    assert [datetime.fromisoformat(stamp) for stamp in stamps] == [alpha_next, beta_next]


def test_exam_type_narrows_to_one_exam(client, app):
    """?exam_type=beta gives beta alone, with its own total."""
    user = gen_user(app)
    _two_exams(app, user)
    body = client.get(f"{URL}?exam_type=beta", headers=bearer(gen_token(app, user))).get_json()
    assert [item["exam_type"] for item in body["exams"]] == ["beta"] and body["total_due"] == 0


def test_next_due_at_is_null_when_every_card_is_due(client, app):
    """All cards due: next_due_at is null."""
    exam = gen_exam(app, slug="gamma")
    user = gen_user(app)
    give_cards(app, user, [(gen_question(app, exam).id, False, utcnow() - timedelta(days=1))])
    body = client.get(URL, headers=bearer(gen_token(app, user))).get_json()
    assert body == {"exams": [{"exam_type": "gamma", "exam_name": exam.name, "due": 1, "cards": 1,
                               "next_due_at": None}], "total_due": 1}


def test_a_learner_without_cards_gets_the_empty_body(client, app):
    """No card anywhere: exams [] and total_due 0, with or without exam_type."""
    exam = gen_exam(app, slug="delta")
    headers = bearer(gen_token(app, gen_user(app)))
    for url in (URL, f"{URL}?exam_type={exam.slug}"):
        response = client.get(url, headers=headers)
        assert response.status_code == 200 and response.get_json() == {"exams": [], "total_due": 0}, url


def test_an_unknown_or_retired_exam_is_a_400_on_exam_type(client, app):
    """An exam nobody has, or a retired one, is 400 UNKNOWN_EXAM with field exam_type, as in analytics."""
    gen_exam(app, slug="retired", is_active=False)
    headers = bearer(gen_token(app, gen_user(app)))
    for slug in ("nope", "retired"):
        response = client.get(f"{URL}?exam_type={slug}", headers=headers)
        assert response.status_code == 400, slug
        assert (response.get_json()["code"], response.get_json()["field"]) == ("UNKNOWN_EXAM", "exam_type")


def test_another_learner_and_an_admin_see_only_their_own_cards(client, app):
    """The owner's cards never reach another learner or an admin: both get the empty body."""
    _two_exams(app, gen_user(app, username="owner"))
    for username, is_admin in (("other", False), ("chief", True)):
        headers = bearer(gen_token(app, gen_user(app, username=username, is_admin=is_admin)))
        assert client.get(URL, headers=headers).get_json() == {"exams": [], "total_due": 0}, username


def test_the_openapi_document_describes_the_route(client):
    """The OpenAPI document has GET /api/v1/reviews/due with exam_type and the fields of the contract."""
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"][URL]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["exam_type"]
    schemas = document["components"]["schemas"]
    assert set(schemas["DueOut"]["properties"]) == {"exams", "total_due"}
    assert set(schemas["ExamDueOut"]["properties"]) == {"exam_type", "exam_name", "due", "cards", "next_due_at"}
    assert schemas["ExamDueOut"]["properties"]["next_due_at"]["format"] == "date-time"

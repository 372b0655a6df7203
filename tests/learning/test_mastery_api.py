"""GET /api/v1/analytics/mastery and /readiness: the contracts (exact fields), the empty states,
400s naming `exam_type`, and one source of truth with the pages' service."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.factories import bearer, gen_bank, gen_learning_rows, gen_study_answers, gen_token, gen_user
from webapp.extensions import db
from webapp.learning import display
from webapp.models import Exam, Question, User
from tests.learning.helpers import questions_by_objective, with_learning

PREFIX = "/api/v1/analytics"



@pytest.fixture
def learner(app):
    """A learner with 20 answers on 1.1 (16 right) and 10 on 2.1 (5 right), none on 1.2: domain 1.0 has
    20 answers, 2.0 has 10 (short of the minimum of 15 by 5)."""
    exam = gen_bank(app, per_objective=4)
    user = gen_user(app, username="owner")
    questions = questions_by_objective(app, exam)
    gen_study_answers(app, user, questions["1.1"][0], [True] * 16 + [False] * 4)
    gen_study_answers(app, user, questions["2.1"][0], [True] * 5 + [False] * 5)
    gen_learning_rows(app, user)
    return exam, user


def test_mastery_contract(client, app, learner):
    """GET /mastery has the exam, the definition of mastered and every objective with exactly its eight fields."""
    exam, user = learner
    response = client.get(f"{PREFIX}/mastery?exam_type={exam.slug}", headers=bearer(gen_token(app, user)))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body) == {"exam_type", "mastered_definition", "objectives"}
    assert body["exam_type"] == exam.slug
    assert body["mastered_definition"] == {"target": 0.8, "confidence": 0.9, "interval": 0.8}
    assert [o["domain"] for o in body["objectives"]] == ["1.1", "1.2", "2.1"]
    first, unanswered, third = body["objectives"]
    assert set(first) == {"domain", "domain_name", "exam_domain", "answers", "mastery", "interval", "p_mastered",
                          "mastered"}
    # All answered now, 21 of 30 over the exam: the learner's prior is 2 answers at 22/32, so 1.1's
    # evidence is Beta(16 + 1.375, 4 + 0.625), mean 17.375 / 22, moved by the learning term of 20 answers.
    alpha, beta = with_learning(17.375, 4.625, 20)
    assert (first["answers"], first["exam_domain"]) == (20, "1.0")
    assert first["mastery"] == pytest.approx(alpha / (alpha + beta), abs=1e-4) and first["mastery"] > 17.375 / 22
    assert first["interval"][0] < first["mastery"] < first["interval"][1] and first["mastered"] is False
    # Unanswered: the learner's prior alone, Beta(1.375, 0.625), mean 0.6875 (scipy for the rest).
    from scipy import stats

    prior = stats.beta(1.375, 0.625)
    assert unanswered == {"domain": "1.2", "domain_name": "Compare the options", "exam_domain": "1.0", "answers": 0,
                          "mastery": 0.6875, "interval": [round(prior.ppf(0.1), 4), round(prior.ppf(0.9), 4)],
                          "p_mastered": round(prior.sf(0.8), 4), "mastered": False}
    # 2.1, 5 of 10: Beta(5 + 1.375, 5 + 0.625), mean 6.375 / 12, with the learning term of 10 answers.
    alpha, beta = with_learning(6.375, 5.625, 10)
    assert third["mastery"] == pytest.approx(alpha / (alpha + beta), abs=1e-4) and third["answers"] == 10


def test_readiness_lists_what_is_missing_before_an_estimate(client, app, learner):
    """With 2.0 five answers short, readiness is null and `missing` names 2.0 and the 5 answers it needs."""
    exam, user = learner
    response = client.get(f"{PREFIX}/readiness?exam_type={exam.slug}", headers=bearer(gen_token(app, user)))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body) == {"pass_probability", "interval", "expected_scaled_score", "expected_scaled_score_interval",
                         "basis", "missing", "passing_score", "min_answers_per_domain"}
    assert (body["pass_probability"], body["interval"], body["expected_scaled_score"],
            body["expected_scaled_score_interval"]) == (None, None, None, None)
    assert body["missing"] == [{"domain": "2.0", "domain_name": "Operations", "needed": 5}]
    assert body["basis"] == [
        {"domain": "1.0", "domain_name": "Foundations", "answers": 20, "correct": 16, "effective_answers": 20.0,
         "questions": 54},
        {"domain": "2.0", "domain_name": "Operations", "answers": 10, "correct": 5, "effective_answers": 10.0,
         "questions": 36}]
    assert (body["passing_score"], body["min_answers_per_domain"]) == (750, 15)


def test_readiness_is_estimated_once_every_domain_has_the_minimum(client, app, learner):
    """Five more answers on 2.1 give an estimate: probabilities in 0-1, the interval around it, stable between calls."""
    exam, user = learner
    gen_study_answers(app, user, questions_by_objective(app, exam)["2.1"][1], [True] * 5)
    gen_learning_rows(app, user)
    headers = bearer(gen_token(app, user))
    body = client.get(f"{PREFIX}/readiness?exam_type={exam.slug}", headers=headers).get_json()
    assert body["missing"] == []
    low, high = body["interval"]
    assert 0 <= low <= body["pass_probability"] <= high <= 1
    score_low, score_high = body["expected_scaled_score_interval"]
    assert 100 <= score_low <= body["expected_scaled_score"] <= score_high <= 900
    assert client.get(f"{PREFIX}/readiness?exam_type={exam.slug}", headers=headers).get_json() == body


def test_a_learner_with_no_answers_gets_the_prior_and_everything_missing(client, app, learner):
    """Another learner (and an admin) see the prior on every objective and every domain missing all 15 answers."""
    exam, _owner = learner
    for username, is_admin in (("other", False), ("chief", True)):
        headers = bearer(gen_token(app, gen_user(app, username=username, is_admin=is_admin)))
        mastery = client.get(f"{PREFIX}/mastery?exam_type={exam.slug}", headers=headers).get_json()
        assert {(o["answers"], o["mastery"], o["mastered"]) for o in mastery["objectives"]} == {(0, 0.5, False)}
        readiness = client.get(f"{PREFIX}/readiness?exam_type={exam.slug}", headers=headers).get_json()
        assert readiness["missing"] == [{"domain": "1.0", "domain_name": "Foundations", "needed": 15},
                                        {"domain": "2.0", "domain_name": "Operations", "needed": 15}]
        assert readiness["pass_probability"] is None and [b["answers"] for b in readiness["basis"]] == [0, 0]


@pytest.mark.parametrize("route", ["mastery", "readiness"])
@pytest.mark.parametrize(("query", "code"), [("", "VALIDATION_ERROR"), ("?exam_type=nope", "UNKNOWN_EXAM"),
                                             ("?exam_type=retired", "UNKNOWN_EXAM")])
def test_a_missing_unknown_or_hidden_exam_is_a_400_on_exam_type(client, app, learner, route, query, code):
    """No exam_type, an unknown one or a retired one (hidden from learners) is a 400 whose field is exam_type."""
    _exam, user = learner
    gen_bank(app, per_objective=1, slug="retired")
    with app.app_context():
        db.session.execute(sa.update(Exam).where(Exam.slug == "retired").values(is_active=False))
        db.session.commit()
    response = client.get(f"{PREFIX}/{route}{query}", headers=bearer(gen_token(app, user)))
    assert response.status_code == 400
    assert (response.get_json()["field"], response.get_json()["code"]) == ("exam_type", code)


def test_the_api_and_the_pages_service_give_the_same_answer(client, app, learner):
    """One source of truth: the JSON equals what webapp.learning.display gives the pages."""
    exam, user = learner
    headers = bearer(gen_token(app, user))
    mastery = client.get(f"{PREFIX}/mastery?exam_type={exam.slug}", headers=headers).get_json()
    readiness = client.get(f"{PREFIX}/readiness?exam_type={exam.slug}", headers=headers).get_json()
    with app.app_context():
        viewer = db.session.get(User, user.id)
        fresh = db.session.get(Exam, exam.id)
        views = display.mastery_for(viewer, fresh).objectives
        panel = display.readiness_for(viewer, fresh)
    assert [(o["domain"], o["mastery"], o["mastered"]) for o in mastery["objectives"]] == [
        (v.domain, round(v.mastery, 4), v.mastered) for v in views]
    assert [(m["domain"], m["needed"]) for m in readiness["missing"]] == [
        (b.domain, b.needed) for b in panel.readiness.missing]


def test_the_openapi_document_describes_mastery_and_readiness(client):
    """The OpenAPI document has both routes with exam_type required and the contract's response fields."""
    document = client.get("/api/v1/openapi.json").get_json()
    for route in ("mastery", "readiness"):
        parameters = document["paths"][f"{PREFIX}/{route}"]["get"]["parameters"]
        assert [(p["name"], p["required"]) for p in parameters] == [("exam_type", True)]
    schemas = document["components"]["schemas"]
    assert set(schemas["ObjectiveMasteryOut"]["properties"]) == {
        "domain", "domain_name", "exam_domain", "answers", "mastery", "interval", "p_mastered", "mastered"}
    assert set(schemas["ReadinessOut"]["properties"]) == {
        "pass_probability", "interval", "expected_scaled_score", "expected_scaled_score_interval", "basis",
        "missing", "passing_score", "min_answers_per_domain"}

"""The quiz JSON API contract, the question read API and concurrent idempotent submits."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import (bearer, choice_ids, gen_bank, gen_exam, gen_matching_question, gen_ordering_question,
                             gen_question, gen_token, gen_user, pbq_key)
from tests.helpers import all_at_once, gunicorn_serving, post_json, walk_keys
from webapp.extensions import db
from webapp.models import Answer, AttemptQuestion, AttemptResult, QuizAttempt, User, XpEvent

QUIZ_KEYS = {"id", "exam_type", "mode", "status", "started_at", "expires_at", "time_limit_seconds", "questions"}
QUESTION_KEYS = {"id", "domain", "domain_name", "type", "select_count", "stem", "exhibit", "choices"}
RESULT_KEYS = {"id", "status", "score_percent", "correct", "total", "scaled_score", "passed", "time_used_seconds",
               "domains", "review", "xp_earned", "new_achievements"}
LEAKY = ("is_correct", "correct_choice_ids", "rationale", "explanation", "answer")


@pytest.fixture
def learner(app):
    user = gen_user(app, username="quizzer")
    return user, bearer(gen_token(app, user))


def _correct_ids(app, question_id: int) -> list[int]:
    with app.app_context():
        return choice_ids(question_id)


def test_start_quiz_contract_reveals_no_correctness(client, app, learner):
    """POST /api/v1/quizzes returns 201 with the documented fields and nothing about correctness."""
    exam = gen_bank(app, per_objective=4)
    response = client.post("/api/v1/quizzes", headers=learner[1], json={"exam_type": exam.slug, "count": 5})
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) >= QUIZ_KEYS and body["status"] == "in_progress" and body["mode"] == "practice"
    assert body["time_limit_seconds"] == 360 and body["expires_at"]
    assert len(body["questions"]) == 5
    assert set(body["questions"][0]) >= QUESTION_KEYS
    assert set(body["questions"][0]["choices"][0]) == {"id", "text"}
    assert not (walk_keys(body) & set(LEAKY))


def test_second_start_is_409_with_quiz_id(client, app, learner):
    """Starting while a quiz is open gives 409 QUIZ_IN_PROGRESS with the open quiz's id."""
    exam = gen_bank(app, per_objective=4)
    first = client.post("/api/v1/quizzes", headers=learner[1], json={"exam_type": exam.slug, "count": 5}).get_json()
    second = client.post("/api/v1/quizzes", headers=learner[1], json={"exam_type": exam.slug, "count": 5})
    assert second.status_code == 409
    assert second.get_json()["code"] == "QUIZ_IN_PROGRESS" and second.get_json()["quiz_id"] == first["id"]


def test_start_validation_errors(client, app, learner):
    """Unknown exam, too few questions and a bad mode are 400s naming the field."""
    exam = gen_bank(app, per_objective=2)
    unknown = client.post("/api/v1/quizzes", headers=learner[1], json={"exam_type": "nope"})
    assert unknown.status_code == 400 and unknown.get_json()["field"] == "exam_type"
    too_many = client.post("/api/v1/quizzes", headers=learner[1], json={"exam_type": exam.slug, "count": 30})
    assert too_many.status_code == 400 and too_many.get_json()["field"] == "count"
    bad_mode = client.post("/api/v1/quizzes", headers=learner[1], json={"exam_type": exam.slug, "mode": "cram"})
    assert bad_mode.status_code == 400 and bad_mode.get_json()["field"] == "mode"


def test_take_and_submit_flow(client, app, learner):
    """Save answers with PUT, read them back with GET, submit, and resubmit for the same body."""
    exam = gen_bank(app, per_objective=4)
    headers = learner[1]
    quiz = client.post("/api/v1/quizzes", headers=headers, json={"exam_type": exam.slug, "count": 5}).get_json()
    q0 = quiz["questions"][0]["id"]
    saved = client.put(f"/api/v1/quizzes/{quiz['id']}/answers/{q0}", headers=headers,
                       json={"choice_ids": _correct_ids(app, q0), "marked": True})
    assert saved.status_code == 200 and saved.get_json() == {"saved": True}
    got = client.get(f"/api/v1/quizzes/{quiz['id']}", headers=headers).get_json()
    assert got["answers"][str(q0)] == {"choice_ids": _correct_ids(app, q0), "marked": True,
                                       "confidence": None}
    assert not (walk_keys(got["questions"]) & set(LEAKY))
    result = client.post(f"/api/v1/quizzes/{quiz['id']}/submit", headers=headers)
    assert result.status_code == 200
    body = result.get_json()
    assert set(body) >= RESULT_KEYS and body["correct"] == 1 and body["total"] == 5 and body["score_percent"] == 20.0
    assert body["scaled_score"] is None and body["passed"] is None
    assert set(body["domains"][0]) == {"domain", "domain_name", "correct", "total", "accuracy"}
    assert set(body["review"][0]) == {"question_id", "choice_ids", "correct_choice_ids", "is_correct", "explanation"}
    again = client.post(f"/api/v1/quizzes/{quiz['id']}/submit", headers=headers)
    assert again.get_json() == body
    closed = client.put(f"/api/v1/quizzes/{quiz['id']}/answers/{q0}", headers=headers, json={"choice_ids": []})
    assert closed.status_code == 409 and closed.get_json()["code"] == "ATTEMPT_CLOSED"


def test_put_answer_errors(client, app, learner):
    """A foreign choice or the wrong number of choices is a 400."""
    exam = gen_bank(app, per_objective=4)
    headers = learner[1]
    quiz = client.post("/api/v1/quizzes", headers=headers, json={"exam_type": exam.slug, "count": 5}).get_json()
    q0, q1 = quiz["questions"][0], quiz["questions"][1]
    foreign = client.put(f"/api/v1/quizzes/{quiz['id']}/answers/{q0['id']}", headers=headers,
                         json={"choice_ids": [q1["choices"][0]["id"]]})
    assert foreign.status_code == 400 and foreign.get_json()["field"] == "choice_ids"
    too_many = client.put(f"/api/v1/quizzes/{quiz['id']}/answers/{q0['id']}", headers=headers,
                          json={"choice_ids": [c["id"] for c in q0["choices"][:2]]})
    assert too_many.status_code == 400


def test_other_users_quiz_is_404(client, app, learner):
    """Another user's quiz is invisible: GET, PUT, submit and abandon all 404."""
    exam = gen_bank(app, per_objective=4)
    quiz = client.post("/api/v1/quizzes", headers=learner[1], json={"exam_type": exam.slug, "count": 5}).get_json()
    other = gen_user(app, username="snoop")
    headers = bearer(gen_token(app, other))
    qid = quiz["questions"][0]["id"]
    assert client.get(f"/api/v1/quizzes/{quiz['id']}", headers=headers).status_code == 404
    assert client.put(f"/api/v1/quizzes/{quiz['id']}/answers/{qid}", headers=headers,
                      json={"choice_ids": []}).status_code == 404
    assert client.post(f"/api/v1/quizzes/{quiz['id']}/submit", headers=headers).status_code == 404
    assert client.post(f"/api/v1/quizzes/{quiz['id']}/abandon", headers=headers).status_code == 404


def test_history_and_abandon(client, app, learner):
    """Abandon closes the quiz; history lists quizzes newest first, filterable by status."""
    exam = gen_bank(app, per_objective=4)
    headers = learner[1]
    first = client.post("/api/v1/quizzes", headers=headers, json={"exam_type": exam.slug, "count": 5}).get_json()
    abandoned = client.post(f"/api/v1/quizzes/{first['id']}/abandon", headers=headers)
    assert abandoned.status_code == 200 and abandoned.get_json()["status"] == "abandoned"
    second = client.post("/api/v1/quizzes", headers=headers, json={"exam_type": exam.slug, "count": 5}).get_json()
    client.post(f"/api/v1/quizzes/{second['id']}/submit", headers=headers)
    page = client.get("/api/v1/quizzes", headers=headers).get_json()
    assert [item["id"] for item in page["items"]] == [second["id"], first["id"]] and page["total"] == 2
    completed = client.get("/api/v1/quizzes?status=completed", headers=headers).get_json()
    assert [item["id"] for item in completed["items"]] == [second["id"]]
    assert completed["items"][0]["score_percent"] == 0.0


def test_exams_endpoint(client, app, learner):
    """GET /api/v1/exams lists exams with domains, weights, objectives and question counts."""
    gen_bank(app, per_objective=2)
    body = client.get("/api/v1/exams", headers=learner[1]).get_json()
    exam = body[0]
    assert set(exam) == {"slug", "code", "name", "question_count", "duration_minutes", "passing_score", "domains"}
    domain = exam["domains"][0]
    assert set(domain) == {"number", "name", "weight_percent", "objectives"}
    assert domain["objectives"][0]["question_count"] == 2
    assert client.get("/api/v1/exams").status_code == 401


def test_questions_list_filters_and_validates(client, app, learner):
    """Questions filter by exam and objective; unknown ones are 400 with field set; per_page ≤ 100."""
    exam = gen_bank(app, per_objective=3)
    headers = learner[1]
    page = client.get(f"/api/v1/questions?exam_type={exam.slug}&domain=1.2&per_page=2", headers=headers).get_json()
    assert page["total"] == 3 and len(page["items"]) == 2 and page["per_page"] == 2
    item = page["items"][0]
    assert set(item) == {"id", "exam_type", "domain", "domain_name", "type", "select_count", "stem", "exhibit", "choices"}
    assert item["domain"] == "1.2" and item["domain_name"] == "Compare the options"
    bad_exam = client.get("/api/v1/questions?exam_type=nope", headers=headers)
    assert bad_exam.status_code == 400 and bad_exam.get_json()["field"] == "exam_type"
    bad_domain = client.get(f"/api/v1/questions?exam_type={exam.slug}&domain=9.9", headers=headers)
    assert bad_domain.status_code == 400 and bad_domain.get_json()["field"] == "domain"
    assert client.get("/api/v1/questions?per_page=101", headers=headers).status_code == 400


def test_answer_visible_only_to_admins_and_after_answering(client, app, learner):
    """The answer key appears for admins and for questions the caller answered, never otherwise."""
    exam = gen_bank(app, per_objective=2)
    headers = learner[1]
    quiz = client.post("/api/v1/quizzes", headers=headers, json={"exam_type": exam.slug, "count": 5}).get_json()
    answered = quiz["questions"][0]["id"]
    fresh = client.get(f"/api/v1/questions/{answered}", headers=headers).get_json()
    assert "answer" not in fresh  # drawn into a quiz is not "answered"
    client.post(f"/api/v1/quizzes/{quiz['id']}/submit", headers=headers)
    shown = client.get(f"/api/v1/questions/{answered}", headers=headers).get_json()
    assert set(shown["answer"]) == {"correct_choice_ids", "explanation", "rationales"}
    assert shown["answer"]["correct_choice_ids"] == _correct_ids(app, answered)
    listing = client.get(f"/api/v1/questions?exam_type={exam.slug}", headers=headers).get_json()["items"]
    with_answer = {q["id"] for q in listing if "answer" in q}
    assert answered in with_answer and len(with_answer) == len(quiz["questions"])
    admin = gen_user(app, username="keyholder", is_admin=True)
    admin_listing = client.get(f"/api/v1/questions?exam_type={exam.slug}",
                               headers=bearer(gen_token(app, admin))).get_json()["items"]
    assert all("answer" in q for q in admin_listing)


def test_inactive_questions_hidden_from_learners(client, app, learner):
    """Inactive questions are 404 and unlisted for learners, visible to admins."""
    exam = gen_bank(app, per_objective=1)
    hidden = gen_question(app, exam, objective="1.1", is_active=False)
    assert client.get(f"/api/v1/questions/{hidden.id}", headers=learner[1]).status_code == 404
    admin = gen_user(app, username="curator", is_admin=True)
    assert client.get(f"/api/v1/questions/{hidden.id}", headers=bearer(gen_token(app, admin))).status_code == 200


def test_concurrent_submits_against_gunicorn_score_once(app, tmp_path):
    """Ten simultaneous submits through a real gunicorn give one result, one answer set, identical bodies."""
    exam = gen_bank(app, per_objective=4)
    user = gen_user(app, username="racer")
    token = gen_token(app, user)
    client = app.test_client()
    quiz = client.post("/api/v1/quizzes", headers=bearer(token), json={"exam_type": exam.slug, "count": 10}).get_json()
    for index, q in enumerate(quiz["questions"]):  # 6 right, 4 wrong: every question answered
        with app.app_context():
            chosen = choice_ids(q["id"], correct=index < 6)[:1]
        client.put(f"/api/v1/quizzes/{quiz['id']}/answers/{q['id']}", headers=bearer(token),
                   json={"choice_ids": chosen})
    with app.app_context():  # as if taken at a human pace: production refuses XP under 5 s a question
        attempt = db.session.get(QuizAttempt, quiz["id"])
        attempt.started_at -= timedelta(minutes=10)
        db.session.commit()
    with gunicorn_serving(app, tmp_path) as base:
        url = f"{base}/api/v1/quizzes/{quiz['id']}/submit"
        results = all_at_once([lambda: post_json(url, token)] * 10)
    assert [status for status, _ in results] == [200] * 10, results
    bodies = {json.dumps(json.loads(body), sort_keys=True) for _, body in results}
    assert len(bodies) == 1
    assert json.loads(bodies.pop())["correct"] == 6
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AttemptResult)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 10
        ledger = db.session.scalar(sa.select(sa.func.sum(XpEvent.amount)).where(XpEvent.user_id == user.id))
        assert db.session.get(User, user.id).xp == ledger == 6 * 10 + 50  # one set of awards
        assert json.loads(next(iter(results))[1])["xp_earned"] == 110


def _pbq_quiz(client, app, headers) -> tuple[dict, dict, dict]:
    """A practice quiz holding one ordering and one matching question (plus three single ones)."""
    exam = gen_exam(app)
    gen_ordering_question(app, exam, objective="1.1")
    gen_matching_question(app, exam, objective="2.1")
    for _ in range(3):
        gen_question(app, exam, objective="1.2")
    quiz = client.post("/api/v1/quizzes", headers=headers, json={"exam_type": exam.slug, "count": 5}).get_json()
    by_type = {q["type"]: q for q in quiz["questions"]}
    return quiz, by_type["ordering"], by_type["matching"]


def test_ordering_and_matching_questions_describe_items_and_targets_without_the_key(client, app, learner):
    """Quiz payloads list items (id, text) and targets (id, text) but no order, match, verdict or rationale."""
    quiz, ordering, matching = _pbq_quiz(client, app, learner[1])
    assert ordering["choices"] == [] and {frozenset(item) for item in ordering["items"]} == {frozenset({"id", "text"})}
    assert sorted(item["text"] for item in ordering["items"]) == ["Step 1", "Step 2", "Step 3", "Step 4"]
    assert [t["text"] for t in matching["targets"]] == ["TCP 22", "TCP 25", "TCP 443", "UDP 161", "UDP 53"]
    assert {t["text"]: t["id"] for t in matching["targets"]}["UDP 161"] == 4
    assert matching["reuse_targets"] is False and "targets" not in ordering
    assert not (walk_keys(quiz) & set(LEAKY + ("order", "matches", "target")))
    with app.app_context():
        stored = db.session.scalars(sa.select(AttemptQuestion.choice_order)
                                    .where(AttemptQuestion.question_id == ordering["id"])).one()
    assert [item["id"] for item in ordering["items"]] == stored


@pytest.mark.parametrize(("kind", "answer", "field", "code"), [
    ("ordering", {"choice_ids": []}, "choice_ids", "WRONG_ANSWER_SHAPE"),
    ("ordering", {"matches": {}}, "matches", "WRONG_ANSWER_SHAPE"),
    ("ordering", {}, "order", "WRONG_ANSWER_SHAPE"),
    ("ordering", {"order": "first"}, "order", "VALIDATION_ERROR"),
    ("ordering", "missing", "order", "MISSING_ITEM"),
    ("ordering", "duplicate", "order", "DUPLICATE_ITEM"),
    ("ordering", "foreign", "order", "INVALID_ITEM"),
    ("matching", {"order": []}, "order", "WRONG_ANSWER_SHAPE"),
    ("matching", {"matches": {"²": 1}}, "matches", "WRONG_ANSWER_SHAPE"),
    ("matching", "missing", "matches", "MISSING_ITEM"),
    ("matching", "foreign", "matches", "INVALID_ITEM"),
    ("matching", "bad target", "matches.", "INVALID_TARGET"),
    ("single", {"order": []}, "order", "WRONG_ANSWER_SHAPE"),
])
def test_malformed_ordering_and_matching_answers_are_400_with_field(client, app, learner, kind, answer, field, code):
    """A missing or duplicate item, a foreign id, a target of no question or the wrong shape is a 400 naming the field."""
    headers = learner[1]
    quiz, ordering, matching = _pbq_quiz(client, app, headers)
    single = next(q for q in quiz["questions"] if q["type"] == "single")
    question = {"ordering": ordering, "matching": matching, "single": single}[kind]
    items = [item["id"] for item in question.get("items", [])]
    other = matching if kind == "ordering" else ordering
    if kind == "ordering" and isinstance(answer, str):
        answer = {"order": {"missing": items[:-1], "duplicate": items[:-1] + items[:1],
                            "foreign": items[:-1] + [other["items"][0]["id"]]}[answer]}
    elif kind == "matching" and isinstance(answer, str):
        full = {str(item): 0 for item in items}
        answer = {"matches": {"missing": dict(list(full.items())[:2]), "foreign": {**full, str(other["items"][0]["id"]): 1},
                              "bad target": {**full, str(items[0]): 9}}[answer]}
        field = f"matches.{items[0]}" if field == "matches." else field
    response = client.put(f"/api/v1/quizzes/{quiz['id']}/answers/{question['id']}", headers=headers, json=answer)
    assert response.status_code == 400, response.get_json()
    assert (response.get_json()["field"], response.get_json()["code"]) == (field, code)


def test_ordering_and_matching_answers_save_reload_and_score_through_the_api(client, app, learner):
    """PUT order and matches, read them back with GET, submit: all-or-nothing verdicts with per-item review."""
    headers = learner[1]
    quiz, ordering, matching = _pbq_quiz(client, app, headers)
    with app.app_context():
        order = pbq_key(ordering["id"])["order"]
        matches = pbq_key(matching["id"])["matches"]
    wrong = {**matches, next(iter(matches)): 2}
    for question, answer in ((ordering, {"order": order, "marked": True}), (matching, {"matches": wrong})):
        response = client.put(f"/api/v1/quizzes/{quiz['id']}/answers/{question['id']}", headers=headers, json=answer)
        assert response.status_code == 200 and response.get_json() == {"saved": True}
    answers = client.get(f"/api/v1/quizzes/{quiz['id']}", headers=headers).get_json()["answers"]
    assert answers[str(ordering["id"])] == {"order": order, "marked": True, "confidence": None}
    assert answers[str(matching["id"])] == {"matches": wrong, "marked": False, "confidence": None}
    body = client.post(f"/api/v1/quizzes/{quiz['id']}/submit", headers=headers).get_json()
    review = {entry["question_id"]: entry for entry in body["review"]}
    assert review[ordering["id"]]["is_correct"] is True and review[matching["id"]]["is_correct"] is False
    result = client.get(f"/api/v1/quizzes/{quiz['id']}", headers=headers).get_json()["result"]
    entry = next(e for e in result["review"] if e["question_id"] == matching["id"])
    assert entry["matches"] == wrong and entry["correct_matches"] == matches and entry["key_changed"] is False
    assert [(item["is_correct"], bool(item["rationale"])) for item in entry["items"]] == [
        (str(item["id"]) != next(iter(matches)), True) for item in entry["items"]]


def test_openapi_documents_order_and_matches(client):
    """The OpenAPI document describes the `order` and `matches` answer fields and the questions' `items`."""
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    answer = next((schema for schema in schemas.values() if "order" in schema.get("properties", {})
                   and "choice_ids" in schema["properties"]), None)
    assert answer is not None, sorted(schemas)
    assert {"choice_ids", "order", "matches", "marked"} <= set(answer["properties"])
    # The learner's question (the admin editor's question schema has select_count too, and no items).
    question = schemas.get("QuestionOut")
    assert question is not None, sorted(schemas)
    assert {"items", "targets", "reuse_targets"} <= set(question["properties"])

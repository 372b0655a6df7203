"""The study-session JSON API contract: start, answer, skip, reveal, finish, list and get."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.factories import (bearer, choice_ids, gen_bank, gen_exam, gen_matching_question, gen_multiple_question,
                             gen_ordering_question, gen_question, gen_token, gen_user, pbq_key)
from tests.helpers import walk_keys
from tests.study.conftest import SECRET_EXPLANATION, SECRET_RATIONALE, SECRET_REFERENCE, make_secret
from webapp.extensions import db
from webapp.models import Answer, QuestionSource, QuizAttempt, QuizMode

SESSION_KEYS = {"id", "exam_type", "source", "tag", "question_count", "questions_viewed", "time_spent_seconds",
                "created_at", "finished_at", "notice", "questions", "answers"}
FEEDBACK_KEYS = {"question_id", "is_correct", "choice_ids", "correct_choice_ids", "explanation", "rationales",
                 "reference", "confidence"}
LEAKY = ("is_correct", "correct_choice_ids", "correct_order", "correct_matches", "rationale", "rationales",
         "explanation", "reference", "answer")
ROUTES = [("POST", "/api/v1/study-sessions"), ("GET", "/api/v1/study-sessions"), ("GET", "/api/v1/study-sessions/{id}"),
          ("POST", "/api/v1/study-sessions/{id}/answers"), ("POST", "/api/v1/study-sessions/{id}/skip"),
          ("POST", "/api/v1/study-sessions/{id}/reveal"), ("POST", "/api/v1/study-sessions/{id}/finish")]


@pytest.fixture
def learner(app):
    user = gen_user(app, username="apistudent")
    return user, bearer(gen_token(app, user))


def _start(client, headers, exam, **body) -> dict:
    response = client.post("/api/v1/study-sessions", headers=headers, json={"exam_type": exam.slug, "count": 5, **body})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _right_answer(app, question: dict) -> dict:
    with app.app_context():
        if question["type"] in ("ordering", "matching"):
            return pbq_key(question["id"])
        return {"choice_ids": choice_ids(question["id"])[:question["select_count"]]}


def _answer(client, headers, session_id, body):
    return client.post(f"/api/v1/study-sessions/{session_id}/answers", headers=headers, json=body)


def test_start_contract_reveals_nothing(client, app, learner):
    """POST /study-sessions is 201 with the session, its questions and their states, and no key anywhere."""
    exam = gen_exam(app)
    secret = gen_question(app, exam)
    for _ in range(4):
        gen_question(app, exam)
    with app.app_context():
        make_secret(secret.id)
    response = client.post("/api/v1/study-sessions", headers=learner[1], json={"exam_type": exam.slug, "count": 5})
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body) >= SESSION_KEYS and body["source"] == QuestionSource.ALL and body["notice"] is None
    assert body["question_count"] == len(body["questions"]) == 5 and body["finished_at"] is None
    assert set(body["questions"][0]["choices"][0]) == {"id", "text"}
    assert all(state["feedback"] is None and not state["answered"] for state in body["answers"].values())
    assert set(body["answers"]) == {str(q["id"]) for q in body["questions"]}
    assert not (walk_keys(body) & set(LEAKY)) - {"feedback"}
    text = response.get_data(as_text=True)
    assert SECRET_EXPLANATION not in text and SECRET_RATIONALE not in text and SECRET_REFERENCE not in text
    got = client.get(f"/api/v1/study-sessions/{body['id']}", headers=learner[1])
    assert got.status_code == 200 and SECRET_EXPLANATION not in got.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(QuizAttempt.id))) == 0


def test_start_errors(client, app, learner):
    """Counts outside 5..90 are VALIDATION_ERROR on count; too few questions NOT_ENOUGH_QUESTIONS; an empty source EMPTY_SOURCE."""
    exam = gen_bank(app, per_objective=1)  # 3 questions
    headers = learner[1]
    for count in (4, 91):
        response = client.post("/api/v1/study-sessions", headers=headers, json={"exam_type": exam.slug, "count": count})
        assert response.status_code == 400 and response.get_json()["field"] == "count"
    short = client.post("/api/v1/study-sessions", headers=headers, json={"exam_type": exam.slug, "count": 5})
    assert short.status_code == 400 and short.get_json()["code"] == "NOT_ENOUGH_QUESTIONS"
    empty = client.post("/api/v1/study-sessions", headers=headers,
                        json={"exam_type": exam.slug, "count": 5, "source": QuestionSource.MISSED.value})
    assert empty.status_code == 400 and (empty.get_json()["code"], empty.get_json()["field"]) == ("EMPTY_SOURCE", "source")
    unknown = client.post("/api/v1/study-sessions", headers=headers, json={"exam_type": "nope"})
    assert unknown.status_code == 400 and unknown.get_json()["code"] == "UNKNOWN_EXAM"


def test_a_shrunk_source_carries_a_notice(client, app, learner):
    """Source unseen with fewer questions left than asked shrinks the session and says so in notice."""
    exam = gen_bank(app, per_objective=2)  # 6 questions
    first = _start(client, learner[1], exam)
    for question in first["questions"]:
        _answer(client, learner[1], first["id"], {"question_id": question["id"], **_right_answer(app, question)})
    client.post(f"/api/v1/study-sessions/{first['id']}/finish", headers=learner[1])
    body = _start(client, learner[1], exam, count=5, source=QuestionSource.UNSEEN.value)
    assert body["question_count"] == 1 and body["source"] == QuestionSource.UNSEEN
    assert body["notice"] == "Only 1 question matches “Never answered” in this selection, so you get 1 instead of 5."


def test_second_session_is_409_with_its_id_but_a_quiz_is_no_obstacle(client, app, learner):
    """An open study session makes a second start 409 STUDY_IN_PROGRESS with study_session_id; a quiz in progress does not."""
    exam = gen_bank(app, per_objective=4)
    quiz = client.post("/api/v1/quizzes", headers=learner[1], json={"exam_type": exam.slug, "count": 5})
    assert quiz.status_code == 201
    first = _start(client, learner[1], exam)
    again = client.post("/api/v1/study-sessions", headers=learner[1], json={"exam_type": exam.slug, "count": 5})
    body = again.get_json()
    assert again.status_code == 409 and body["code"] == "STUDY_IN_PROGRESS" and body["study_session_id"] == first["id"]


def test_answer_contract_for_a_choice_question(client, app, learner):
    """An answer returns is_correct, correct_choice_ids, the explanation, every rationale and the reference, and writes one study answer."""
    exam = gen_exam(app)
    for _ in range(5):
        question = gen_question(app, exam)
        with app.app_context():
            make_secret(question.id)
    body = _start(client, learner[1], exam)
    question = body["questions"][0]
    right = _right_answer(app, question)
    response = _answer(client, learner[1], body["id"], {"question_id": question["id"], **right, "confidence": "sure"})
    feedback = response.get_json()
    assert response.status_code == 200 and set(feedback) >= FEEDBACK_KEYS
    assert feedback["is_correct"] is True and feedback["correct_choice_ids"] == right["choice_ids"]
    assert feedback["explanation"] == SECRET_EXPLANATION and feedback["reference"] == SECRET_REFERENCE
    assert feedback["rationales"] == {str(c["id"]): SECRET_RATIONALE for c in question["choices"]}
    assert feedback["confidence"] == "sure" and feedback["choice_ids"] == right["choice_ids"]
    with app.app_context():
        row = db.session.scalars(sa.select(Answer)).one()
        assert (row.mode, row.attempt_id, row.study_session_id) == (QuizMode.STUDY, None, body["id"])
    state = client.get(f"/api/v1/study-sessions/{body['id']}", headers=learner[1]).get_json()
    assert state["answers"][str(question["id"])]["feedback"] == feedback
    assert state["questions_viewed"] == 1
    others = [s for qid, s in state["answers"].items() if qid != str(question["id"])]
    assert all(s["feedback"] is None for s in others)


def test_ordering_and_matching_feedback_names(client, app, learner):
    """Ordering feedback carries correct_order, matching correct_matches, both with per-item verdicts and rationales."""
    exam = gen_exam(app)
    for _ in range(3):
        gen_ordering_question(app, exam)
        gen_matching_question(app, exam)
    body = _start(client, learner[1], exam, count=6)
    by_type = {q["type"]: q for q in body["questions"]}
    ordering, matching = by_type["ordering"], by_type["matching"]
    order = _right_answer(app, ordering)["order"]
    first = _answer(client, learner[1], body["id"], {"question_id": ordering["id"], "order": order}).get_json()
    assert first["is_correct"] is True and first["correct_order"] == order and first["order"] == order
    assert [item["id"] for item in first["items"]] == order and all(item["rationale"] for item in first["items"])
    matches = _right_answer(app, matching)["matches"]
    wrong = {item: 2 for item in matches}
    second = _answer(client, learner[1], body["id"], {"question_id": matching["id"], "matches": wrong}).get_json()
    assert second["is_correct"] is False and second["correct_matches"] == matches and second["matches"] == wrong


def test_partial_answers_are_400_with_the_field(client, app, learner):
    """A study answer must be complete: too few choices, a missing ordering item or an unmatched item is a 400 naming the field."""
    exam = gen_exam(app)
    gen_multiple_question(app, exam)
    gen_ordering_question(app, exam)
    gen_matching_question(app, exam)
    for _ in range(2):
        gen_question(app, exam)
    body = _start(client, learner[1], exam)
    by_type = {q["type"]: q for q in body["questions"]}
    multiple, ordering, matching = by_type["multiple"], by_type["ordering"], by_type["matching"]
    cases = [
        ({"question_id": multiple["id"], "choice_ids": _right_answer(app, multiple)["choice_ids"][:1]}, "choice_ids"),
        ({"question_id": multiple["id"], "choice_ids": []}, "choice_ids"),
        ({"question_id": ordering["id"], "order": _right_answer(app, ordering)["order"][1:]}, "order"),
    ]
    matches = _right_answer(app, matching)["matches"]
    first = next(iter(matches))
    cases.append(({"question_id": matching["id"], "matches": {**matches, first: None}}, f"matches.{first}"))
    for payload, field in cases:
        response = _answer(client, learner[1], body["id"], payload)
        assert response.status_code == 400 and response.get_json()["field"] == field, (payload, response.get_json())
    shape = _answer(client, learner[1], body["id"], {"question_id": ordering["id"], "choice_ids": [1]})
    assert shape.status_code == 400 and shape.get_json()["code"] == "WRONG_ANSWER_SHAPE"
    missing = _answer(client, learner[1], body["id"], {"choice_ids": [1]})
    assert missing.status_code == 400 and missing.get_json()["field"] == "question_id"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Answer.id))) == 0


def test_answering_twice_returns_the_identical_first_body(client, app, learner):
    """A second answer to the same question, even a different one, is 200 with exactly the first body."""
    exam = gen_bank(app, per_objective=4)
    body = _start(client, learner[1], exam)
    question = body["questions"][0]
    with app.app_context():
        wrong = choice_ids(question["id"], correct=False)[:1]
    first = _answer(client, learner[1], body["id"], {"question_id": question["id"], "choice_ids": wrong})
    second = _answer(client, learner[1], body["id"], {"question_id": question["id"], **_right_answer(app, question),
                                                      "confidence": "sure"})
    assert first.status_code == second.status_code == 200
    assert second.get_json() == first.get_json() and first.get_json()["is_correct"] is False
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Answer.id))) == 1


def test_a_question_outside_the_session_is_400_on_question_id(client, app, learner):
    """Answering, skipping or revealing a question the session did not draw is 400 NOT_IN_SESSION on question_id."""
    exam = gen_bank(app, per_objective=4)
    body = _start(client, learner[1], exam)
    outsider = gen_question(app, exam)
    for path, payload in (("answers", {"question_id": outsider.id, "choice_ids": [1]}),
                          ("skip", {"question_id": outsider.id}), ("reveal", {"question_id": outsider.id})):
        response = client.post(f"/api/v1/study-sessions/{body['id']}/{path}", headers=learner[1], json=payload)
        error = response.get_json()
        assert response.status_code == 400 and (error["code"], error["field"]) == ("NOT_IN_SESSION", "question_id")


def test_skip_then_reveal_then_no_answer(client, app, learner):
    """Skip returns the state without a key; reveal returns the feedback with is_correct null; answering after is 409 ANSWER_SHOWN."""
    exam = gen_bank(app, per_objective=4)
    body = _start(client, learner[1], exam)
    question = body["questions"][1]
    skipped = client.post(f"/api/v1/study-sessions/{body['id']}/skip", headers=learner[1],
                          json={"question_id": question["id"]})
    state = skipped.get_json()
    assert skipped.status_code == 200 and state["skipped"] and not state["answered"] and state["feedback"] is None
    assert not (walk_keys(state) & set(LEAKY))
    revealed = client.post(f"/api/v1/study-sessions/{body['id']}/reveal", headers=learner[1],
                           json={"question_id": question["id"]})
    feedback = revealed.get_json()
    assert revealed.status_code == 200 and feedback["is_correct"] is None and feedback["choice_ids"] == []
    assert feedback["correct_choice_ids"] == _right_answer(app, question)["choice_ids"] and feedback["explanation"]
    late = _answer(client, learner[1], body["id"], {"question_id": question["id"], **_right_answer(app, question)})
    assert late.status_code == 409 and late.get_json()["code"] == "ANSWER_SHOWN"
    got = client.get(f"/api/v1/study-sessions/{body['id']}", headers=learner[1]).get_json()
    assert got["answers"][str(question["id"])]["revealed"] and got["answers"][str(question["id"])]["feedback"] == feedback


def test_finish_returns_the_summary_and_is_idempotent(client, app, learner):
    """Finish is 200 with viewed, answered, correct, skipped and time; again the same; then answers are 409 STUDY_CLOSED."""
    exam = gen_bank(app, per_objective=4)
    body = _start(client, learner[1], exam)
    first, second, third = body["questions"][:3]
    _answer(client, learner[1], body["id"], {"question_id": first["id"], **_right_answer(app, first)})
    client.post(f"/api/v1/study-sessions/{body['id']}/skip", headers=learner[1], json={"question_id": second["id"]})
    done = client.post(f"/api/v1/study-sessions/{body['id']}/finish", headers=learner[1])
    summary = done.get_json()
    assert done.status_code == 200 and summary["finished_at"]
    assert {k: summary[k] for k in ("viewed", "answered", "correct", "skipped", "question_count")} == {
        "viewed": 2, "answered": 1, "correct": 1, "skipped": 1, "question_count": 5}
    assert summary["time_spent_seconds"] >= 0
    again = client.post(f"/api/v1/study-sessions/{body['id']}/finish", headers=learner[1])
    assert again.status_code == 200 and again.get_json() == summary
    closed = _answer(client, learner[1], body["id"], {"question_id": third["id"], **_right_answer(app, third)})
    assert closed.status_code == 409 and closed.get_json()["code"] == "STUDY_CLOSED"
    skip = client.post(f"/api/v1/study-sessions/{body['id']}/skip", headers=learner[1], json={"question_id": third["id"]})
    assert skip.status_code == 409
    assert client.get(f"/api/v1/study-sessions/{body['id']}", headers=learner[1]).get_json()["finished_at"]


def test_list_is_paginated_newest_first(client, app, learner):
    """GET /study-sessions pages the caller's sessions, newest first, with their figures."""
    exam = gen_bank(app, per_objective=4)
    ids = []
    for _ in range(3):
        body = _start(client, learner[1], exam)
        ids.append(body["id"])
        client.post(f"/api/v1/study-sessions/{body['id']}/finish", headers=learner[1])
    page = client.get("/api/v1/study-sessions?per_page=2", headers=learner[1]).get_json()
    assert page["total"] == 3 and page["per_page"] == 2 and [s["id"] for s in page["items"]] == ids[::-1][:2]
    assert set(page["items"][0]) >= {"id", "exam_type", "answered", "correct", "skipped", "viewed", "finished_at"}
    rest = client.get("/api/v1/study-sessions?page=2&per_page=2", headers=learner[1]).get_json()
    assert [s["id"] for s in rest["items"]] == ids[:1]


def test_another_users_session_is_404_everywhere(client, app, learner):
    """Every session route answers 404 to another learner's token."""
    exam = gen_bank(app, per_objective=4)
    body = _start(client, learner[1], exam)
    question_id = body["questions"][0]["id"]
    other = bearer(gen_token(app, gen_user(app, username="intruder")))
    for method, path in ROUTES[2:]:
        url = path.replace("{id}", str(body["id"]))
        response = client.open(url, method=method, headers=other,
                               json={"question_id": question_id, "choice_ids": [1]} if path.endswith("answers")
                               else ({"question_id": question_id} if method == "POST" and "finish" not in path else None))
        assert response.status_code == 404, (method, url, response.get_json())
    listing = client.get("/api/v1/study-sessions", headers=other).get_json()
    assert listing["total"] == 0


def test_every_route_needs_a_token(client, app):
    """Without a bearer token every study route (sent a well-formed body) is 401 INVALID_TOKEN."""
    bodies = {"/api/v1/study-sessions": {"exam_type": "demo"}, "answers": {"question_id": 1, "choice_ids": [1]},
              "skip": {"question_id": 1}, "reveal": {"question_id": 1}}
    for method, path in ROUTES:
        body = bodies.get(path if path.endswith("sessions") else path.rsplit("/", 1)[-1]) if method == "POST" else None
        response = client.open(path.replace("{id}", "1"), method=method, json=body)
        assert response.status_code == 401 and response.get_json()["code"] == "INVALID_TOKEN", (method, path)


def test_study_starts_are_rate_limited_per_learner(client, app, learner, monkeypatch):
    """More than STUDY_START_RATE_LIMIT starts is 429 RATE_LIMITED with Retry-After."""
    monkeypatch.setitem(app.config, "STUDY_START_RATE_LIMIT", "2 per hour")
    exam = gen_bank(app, per_objective=4)
    for _ in range(2):
        body = _start(client, learner[1], exam)
        client.post(f"/api/v1/study-sessions/{body['id']}/finish", headers=learner[1])
    third = client.post("/api/v1/study-sessions", headers=learner[1], json={"exam_type": exam.slug, "count": 5})
    assert third.status_code == 429 and third.get_json()["code"] == "RATE_LIMITED" and third.headers["Retry-After"]


def test_unknown_fields_are_refused(client, app, learner):
    """A body key the schema does not know (such as marked) is a 400 VALIDATION_ERROR."""
    exam = gen_bank(app, per_objective=4)
    body = _start(client, learner[1], exam)
    question = body["questions"][0]
    response = _answer(client, learner[1], body["id"], {"question_id": question["id"], "marked": True,
                                                        **_right_answer(app, question)})
    assert response.status_code == 400 and response.get_json()["code"] == "VALIDATION_ERROR"

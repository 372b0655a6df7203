"""`GET /api/v1/questions/quiz`: the draw a start would give, and the POST that starts it, with
nothing written (no attempt, no rate-limit count, no scoring of an open quiz)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from limits import parse
from limits.strategies import MovingWindowRateLimiter

from tests.factories import bearer, gen_bank, gen_bookmark, gen_study_answer, gen_token, gen_user
from tests.helpers import walk_keys
from webapp.extensions import db, limiter
from webapp.models import Answer, AttemptStatus, Question, QuizAttempt, StudySession
from webapp.models.base import utcnow
from webapp.quiz import services

LEAKY = ("is_correct", "correct_choice_ids", "rationale", "rationales", "explanation", "answer")
URL = "/api/v1/questions/quiz"


@pytest.fixture
def learner(app):
    user = gen_user(app, username="previewer")
    return user, bearer(gen_token(app, user))


def _ids(app, exam, objective: str | None = None) -> list[int]:
    with app.app_context():
        query = sa.select(Question.id).where(Question.exam_id == exam.id).order_by(Question.id)
        if objective:
            query = query.where(Question.objective.has(code=objective))
        return list(db.session.scalars(query))


def _question(app, question_id: int) -> Question:
    with app.app_context():
        question = db.session.get(Question, question_id)
        db.session.expunge(question)
        return question


def _row_counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model))
                     for model in (QuizAttempt, StudySession, Answer))


def _starts_left(app, user) -> int:
    """Quiz starts left in the learner's QUIZ_START_RATE_LIMIT window (read without counting one)."""
    with app.app_context():
        item = parse(app.config["QUIZ_START_RATE_LIMIT"])
        return MovingWindowRateLimiter(limiter.storage).get_window_stats(item, "quiz-start", str(user.id))[1]


def test_practice_preview_returns_the_draw_and_the_start_call(client, app, learner):
    """A practice preview lists `count` questions without keys and the POST /api/v1/quizzes body that starts it."""
    exam = gen_bank(app, per_objective=4)
    response = client.get(f"{URL}?exam_type={exam.slug}&count=6&mode=practice", headers=learner[1])
    body = response.get_json()
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert (body["exam_type"], body["mode"], body["count"], body["source"], body["tag"], body["notice"]) == (
        exam.slug, "practice", 6, "all", None, None)
    assert body["time_limit_seconds"] == 6 * app.config["QUIZ_SECONDS_PER_QUESTION"]
    assert len(body["questions"]) == 6 and len({q["id"] for q in body["questions"]}) == 6
    assert set(body["questions"][0]) >= {"id", "domain", "type", "stem", "choices"}
    assert not (walk_keys(body["questions"]) & set(LEAKY))
    assert body["start"] == {"method": "POST", "url": "/api/v1/quizzes", "body": {
        "exam_type": exam.slug, "mode": "practice", "count": 6, "source": "all", "timed": True}}


def test_study_preview_points_at_the_study_session_start(client, app, learner):
    """mode=study: untimed, and the start call is POST /api/v1/study-sessions with no mode or timed."""
    exam = gen_bank(app, per_objective=4)
    body = client.get(f"{URL}?exam_type={exam.slug}&count=5&mode=study", headers=learner[1]).get_json()
    assert body["mode"] == "study" and body["count"] == 5 and body["time_limit_seconds"] is None
    assert body["start"] == {"method": "POST", "url": "/api/v1/study-sessions",
                             "body": {"exam_type": exam.slug, "count": 5, "source": "all"}}


def test_simulation_preview_draws_the_exam_length_and_takes_only_source_all(client, app, learner):
    """mode=exam previews a full simulation (count ignored); another source is 400 SOURCE_NOT_ALLOWED."""
    exam = gen_bank(app, per_objective=36)
    body = client.get(f"{URL}?exam_type={exam.slug}&mode=exam&count=5", headers=learner[1]).get_json()
    assert body["count"] == 90 and len(body["questions"]) == 90 and body["time_limit_seconds"] == 90 * 60
    assert body["start"]["body"] == {"exam_type": exam.slug, "mode": "exam"}
    refused = client.get(f"{URL}?exam_type={exam.slug}&mode=exam&source=missed", headers=learner[1])
    assert refused.status_code == 400 and refused.get_json()["code"] == "SOURCE_NOT_ALLOWED"


def test_domains_may_be_repeated_or_comma_separated(client, app, learner):
    """`domains=1.1&domains=2.1` and `domains=1.1,2.1` give the same scope; an unknown code is 400 on domains."""
    exam = gen_bank(app, per_objective=3)
    scope = set(_ids(app, exam, "1.1")) | set(_ids(app, exam, "2.1"))
    for query in ("domains=1.1&domains=2.1", "domains=1.1,2.1", "domains=2.1,%201.1,"):
        body = client.get(f"{URL}?exam_type={exam.slug}&count=6&{query}", headers=learner[1]).get_json()
        assert {q["id"] for q in body["questions"]} == scope, query
        assert body["start"]["body"]["domains"] == ["1.1", "2.1"]
    unknown = client.get(f"{URL}?exam_type={exam.slug}&domains=1.1,9.9", headers=learner[1])
    assert unknown.status_code == 400 and unknown.get_json()["field"] == "domains"


def test_a_shrunk_source_previews_what_the_start_then_gives(client, app, learner):
    """Bookmarked with a tag: the preview shrinks with the notice, and POSTing its start body gives that many."""
    exam = gen_bank(app, per_objective=3)
    tagged = _ids(app, exam)[:3]
    for qid in tagged:
        gen_bookmark(app, learner[0], _question(app, qid), tags=("Wifi",))
    body = client.get(f"{URL}?exam_type={exam.slug}&count=20&source=bookmarked&tag=wifi",
                      headers=learner[1]).get_json()
    assert body["count"] == 3 and sorted(q["id"] for q in body["questions"]) == tagged
    assert body["notice"] == "Only 3 questions match “Bookmarked” with the tag “wifi” in this selection, so you get 3 instead of 20."
    assert body["start"]["body"] == {"exam_type": exam.slug, "mode": "practice", "count": 20, "source": "bookmarked",
                                     "tag": "wifi", "timed": True}
    started = client.post(body["start"]["url"], headers=learner[1], json=body["start"]["body"])
    assert started.status_code == 201
    assert started.get_json()["question_count"] == 3 and started.get_json()["notice"] == body["notice"]


@pytest.mark.parametrize("query, code, field", [
    ("source=missed", "EMPTY_SOURCE", "source"),
    ("count=50", "NOT_ENOUGH_QUESTIONS", "count"),
    ("count=4", "VALIDATION_ERROR", "count"),
    ("source=missed&tag=x", "INVALID_TAG", "tag"),
    ("mode=cram", "VALIDATION_ERROR", "mode"),
])
def test_preview_errors_are_those_of_the_start(client, app, learner, query, code, field):
    """An empty source, too few questions, a count out of range, a misplaced tag or a bad mode: 400 with the field."""
    exam = gen_bank(app, per_objective=3)
    response = client.get(f"{URL}?exam_type={exam.slug}&{query}", headers=learner[1])
    assert response.status_code == 400 and (response.get_json()["code"], response.get_json()["field"]) == (code, field)


def test_preview_writes_nothing_and_counts_no_start(client, app, learner):
    """Previews leave quiz_attempts, study_sessions and answers as they were and use none of the start budget."""
    exam = gen_bank(app, per_objective=3)
    gen_study_answer(app, learner[0], _question(app, _ids(app, exam)[0]), is_correct=False)
    before, budget = _row_counts(app), _starts_left(app, learner[0])
    for query in ("count=5", "count=5&mode=study", "source=missed&count=5", "source=unseen&count=9"):
        assert client.get(f"{URL}?exam_type={exam.slug}&{query}", headers=learner[1]).status_code == 200, query
    assert _row_counts(app) == before and _starts_left(app, learner[0]) == budget
    assert client.post("/api/v1/quizzes", headers=learner[1], json={"exam_type": exam.slug, "count": 5}).status_code == 201
    assert _starts_left(app, learner[0]) == budget - 1  # a real start does count


def test_preview_neither_blocks_on_nor_scores_an_open_quiz(client, app, learner):
    """With a quiz open past its deadline, the preview answers 200 and leaves that quiz unscored."""
    exam = gen_bank(app, per_objective=3)
    quiz = client.post("/api/v1/quizzes", headers=learner[1], json={"exam_type": exam.slug, "count": 5}).get_json()
    with app.app_context():
        db.session.execute(sa.update(QuizAttempt).where(QuizAttempt.id == quiz["id"])
                           .values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    assert client.get(f"{URL}?exam_type={exam.slug}&count=5", headers=learner[1]).status_code == 200
    with app.app_context():
        assert db.session.get(QuizAttempt, quiz["id"]).status == AttemptStatus.IN_PROGRESS.value


def test_preview_and_start_share_one_draw_function(client, app, learner, monkeypatch):
    """The preview and POST /api/v1/quizzes both draw through services.draw_questions (no second copy)."""
    exam = gen_bank(app, per_objective=3)
    calls = []
    real = services.draw_questions
    monkeypatch.setattr(services, "draw_questions", lambda user, plan, rng=None: calls.append(plan.mode) or real(
        user, plan, rng))
    client.get(f"{URL}?exam_type={exam.slug}&count=5", headers=learner[1])
    client.post("/api/v1/quizzes", headers=learner[1], json={"exam_type": exam.slug, "count": 5})
    assert calls == ["practice", "practice"]


def test_preview_route_does_not_shadow_one_question(client, app, learner):
    """`/questions/quiz` and `/questions/{id}` are distinct routes; the preview needs a token."""
    exam = gen_bank(app, per_objective=3)
    qid = _ids(app, exam)[0]
    assert client.get(f"/api/v1/questions/{qid}", headers=learner[1]).get_json()["id"] == qid
    anonymous = client.get(f"{URL}?exam_type={exam.slug}")
    assert anonymous.status_code == 401 and anonymous.get_json()["code"] == "INVALID_TOKEN"
    assert client.post(f"{URL}?exam_type={exam.slug}", headers=learner[1]).status_code == 405


def test_openapi_documents_the_preview(client):
    """The document lists GET /api/v1/questions/quiz with its parameters and response schema."""
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/questions/quiz"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"exam_type", "count", "mode", "domains", "source", "tag"} <= names
    modes = next(p for p in operation["parameters"] if p["name"] == "mode")["schema"]["enum"]
    assert set(modes) == {"practice", "exam", "study"}
    assert "start" in document["components"]["schemas"]["DrawPreviewOut"]["properties"]

"""The N+1 guard: each main page runs the same number of SQL statements with 1 row as with 50.

The count comes from the X-SQL-Statements header that development and the tests send
(webapp.observability). A page whose count grows with its data makes one query per row (an N+1):
this is where that shows up before a learner with 500 bookmarks feels it.
"""

from __future__ import annotations

import json
import re

import sqlalchemy as sa

from config import TestingConfig

from tests.factories import (DEFAULT_PASSWORD, choice_ids, gen_bank, gen_bookmark, gen_feedback, gen_question,
                             gen_scored_quiz, gen_timed_answers, gen_user, login)
from tests.helpers import captured_json_logs
from webapp import create_app
from webapp.extensions import db
from webapp.gamification.services import award_xp
from webapp.models import Answer, AttemptQuestion, Confidence, Question, User
from webapp.models.base import utcnow
from webapp.observability import SQL_COUNT_HEADER, redact_statement

SMALL, LARGE = 1, 50


def statements(client, url: str) -> int:
    """The statements one GET of `url` ran (after a first request, so one-off loads do not count)."""
    client.get(url)
    response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return int(response.headers[SQL_COUNT_HEADER])


def _learner_client(app, username: str):
    user = gen_user(app, username=username)
    client = app.test_client()
    assert login(client, user.username, DEFAULT_PASSWORD).status_code == 302
    return user, client


def _questions(app, exam_slug: str) -> list[Question]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Question).join(Question.exam).where(Question.exam.has(slug=exam_slug))
                                  .order_by(Question.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def test_dashboard_statements_do_not_grow_with_completed_quizzes(app):
    """The dashboard runs as many statements for a learner with 50 completed quizzes as with 1."""
    exam = gen_bank(app, per_objective=2)
    questions = _questions(app, exam.slug)
    counts = []
    for size in (SMALL, LARGE):
        user, client = _learner_client(app, f"dash{size}")
        for _ in range(size):
            gen_scored_quiz(app, user, questions[:5], correct=3)
        counts.append(statements(client, "/"))
    assert counts[0] == counts[1], counts


def _submitted_quiz(app, client, slug: str, count: int) -> int:
    """A practice quiz of `count` questions, half of them answered right, submitted; returns its id."""
    response = client.post("/quizzes", data={"exam": slug, "mode": "practice", "count": str(count), "timed": "y"})
    attempt_id = int(response.headers["Location"].split("/")[2])
    with app.app_context():
        rows = db.session.scalars(sa.select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id)
                                  .order_by(AttemptQuestion.position)).all()
        keys = [choice_ids(row.question_id)[0] for row in rows]
    for position in range(0, count, 2):
        client.post(f"/quizzes/{attempt_id}/q/{position + 1}/answer", data={"choice": str(keys[position])})
    assert client.post(f"/quizzes/{attempt_id}/submit").status_code == 302
    return attempt_id


def test_review_of_a_90_question_quiz_runs_as_many_statements_as_a_5_question_one(app):
    """Reviewing a 90-question quiz costs the statements of a 5-question review (the smallest quiz)."""
    exam = gen_bank(app, per_objective=30)
    counts = []
    for size in (app.config["QUIZ_MIN_COUNT"], app.config["QUIZ_MAX_COUNT"]):
        _user, client = _learner_client(app, f"review{size}")
        attempt_id = _submitted_quiz(app, client, exam.slug, size)
        counts.append(statements(client, f"/quizzes/{attempt_id}/review"))
    assert counts[0] == counts[1], counts


def test_bookmarks_page_statements_do_not_grow_with_bookmarks(app):
    """The bookmarks page runs as many statements with 50 tagged bookmarks as with 1."""
    exam = gen_bank(app, per_objective=20)
    questions = _questions(app, exam.slug)
    counts = []
    for size in (SMALL, LARGE):
        user, client = _learner_client(app, f"marks{size}")
        for question in questions[:size]:
            gen_bookmark(app, user, question, tags=["ports", "review"], notes="Check this one.")
        counts.append(statements(client, "/bookmarks"))
    assert counts[0] == counts[1], counts


def test_admin_flag_queue_statements_do_not_grow_with_flagged_questions(app, admin, client):
    """/admin/flags runs as many statements with 50 reported questions as with 1."""
    exam = gen_bank(app, per_objective=20)
    questions = _questions(app, exam.slug)
    reporters = [gen_user(app, username=f"reporter{n}") for n in range(3)]
    counts = []
    reported = 0
    for size in (SMALL, LARGE):
        for question in questions[reported:size]:
            for reporter in reporters:
                gen_feedback(app, reporter, question)
        reported = size
        counts.append(statements(client, "/admin/flags"))
    assert counts[0] == counts[1], counts


def test_leaderboard_statements_do_not_grow_with_ranked_learners(app):
    """The leaderboard runs as many statements with 50 ranked learners as with 1 (uncached)."""
    from webapp.extensions import cache

    # A viewer with the most XP is on the list both times (one outside it costs one rank count more).
    viewer, client = _learner_client(app, "viewer")
    with app.app_context():
        award_xp(viewer.id, "test", "seed-viewer", 10_000, utcnow())
        db.session.commit()
    counts = []
    ranked = 0
    for size in (SMALL, LARGE):
        for n in range(ranked, size):
            ranked_user = gen_user(app, username=f"ranked{n}")
            with app.app_context():
                award_xp(ranked_user.id, "test", f"seed-{n}", 100 + n, utcnow())
                db.session.commit()
        ranked = size
        with app.app_context():
            cache.clear()
        client.get("/leaderboard")  # the one that fills the cache is measured below, uncached
        with app.app_context():
            cache.clear()
        response = client.get("/leaderboard")
        counts.append(int(response.headers[SQL_COUNT_HEADER]))
        assert f"ranked{size - 1}" in response.get_data(as_text=True)
    assert counts[0] == counts[1], counts


def test_progress_statements_do_not_grow_with_completed_quizzes(app):
    """/progress and its two chart fragments run as many statements for a learner with 50 completed
    quizzes as with 5 (the fewest that give a weak objective, 10 attempts at under 70%: a page with
    no weak area skips the query that sizes their start buttons)."""
    exam = gen_bank(app, per_objective=2)
    questions = _questions(app, exam.slug)
    counts = []
    for size in (5, LARGE):
        user, client = _learner_client(app, f"progress{size}")
        for n in range(size):
            gen_scored_quiz(app, user, questions[:5] if n < 5 else questions[n % 3:][:5], correct=0 if n < 5 else n % 4)
        counts.append([statements(client, url) for url in
                       ("/progress?period=all", "/progress/charts/scores?period=all", "/progress/charts/objectives")])
    assert counts[0] == counts[1], counts


def test_result_page_with_pacing_and_confidence_lists_runs_as_many_statements_for_90_questions(app):
    """A quiz result (its pacing, slow list and confidence lists) costs the same statements for 90
    questions, every one rated and slow, as for the smallest quiz."""
    exam = gen_bank(app, per_objective=30)
    counts = []
    for size in (app.config["QUIZ_MIN_COUNT"], app.config["QUIZ_MAX_COUNT"]):
        _user, client = _learner_client(app, f"result{size}")
        attempt_id = _submitted_quiz(app, client, exam.slug, size)
        with app.app_context():
            db.session.execute(sa.update(Answer).where(Answer.attempt_id == attempt_id).values(time_spent_seconds=200))
            db.session.execute(sa.update(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id)
                               .values(confidence=Confidence.SURE.value))
            db.session.commit()
        counts.append(statements(client, f"/quizzes/{attempt_id}/result"))
        assert "Confidently wrong" in client.get(f"/quizzes/{attempt_id}/result").get_data(as_text=True)
    assert counts[0] == counts[1], counts


def test_progress_for_one_exam_runs_as_many_statements_with_50_rated_answers(app):
    """/progress on one exam (pacing, slow list and both confidence lists) costs the same with 50 timed, rated
    answers as with 10 (the fewest that make a weak area, whose start buttons cost a query of their own)."""
    exam = gen_bank(app, per_objective=20)
    questions = _questions(app, exam.slug)
    counts = []
    for size in (10, LARGE):
        user, client = _learner_client(app, f"paced{size}")
        gen_timed_answers(app, user, [
            {"question": question, "seconds": 200 if n % 3 == 0 else 30, "correct": n % 2 == 1,
             "confidence": (Confidence.SURE if n % 2 == 0 else Confidence.GUESSED).value}
            for n, question in enumerate(questions[:size])])
        counts.append(statements(client, f"/progress?period=all&exam={exam.slug}"))
    assert counts[0] == counts[1], counts


def test_statement_count_reaches_the_access_log(app, client):
    """In tests (and development) the access log line carries the request's SQL statement count."""
    with captured_json_logs() as records:
        response = client.get("/leaderboard")
    access = [r for r in records if r.get("logger") == "webapp.access"]
    assert access[-1]["sql_statements"] == int(response.headers[SQL_COUNT_HEADER]) >= 1


def test_slow_queries_are_logged_as_json_with_request_id_and_no_values(app):
    """A statement over SLOW_QUERY_MS is logged with request id, duration and the SQL with its values masked."""
    gen_user(app, username="slowpoke", email="secret-person@example.com")

    class SlowConfig(TestingConfig):
        SLOW_QUERY_MS = 0  # every statement is "slow"

    slow_app = create_app(SlowConfig)
    with captured_json_logs() as records:
        with slow_app.app_context():
            db.session.execute(sa.text("SELECT id FROM users WHERE email = 'secret-person@example.com' AND id > 7"))
            db.session.execute(sa.select(User.id).where(User.email == "secret-person@example.com"))
            db.session.remove()
        slow_app.test_client().get("/leaderboard", headers={"X-Request-ID": "slow-req-1"})
    with slow_app.app_context():
        db.engine.dispose()
    slow = [r for r in records if r.get("message") == "slow query"]
    assert slow and all(r["logger"] == "webapp.sql" and r["level"] == "WARNING" and r["duration_ms"] >= 0
                        for r in slow)
    assert not any("secret-person" in json.dumps(r) for r in slow)
    literal = next(r for r in slow if "FROM users WHERE email" in r["statement"])
    assert literal["statement"] == "SELECT id FROM users WHERE email = ? AND id > ?"
    bound = next(r for r in slow if "users.email =" in r["statement"])
    assert bound["parameters"] == "[1 redacted]"
    assert any(r.get("request_id") == "slow-req-1" for r in slow)


def test_redact_statement_masks_literals_but_keeps_names_and_placeholders():
    """Literals become `?`; table names with digits, `$1`, `%(name)s` and `:name` placeholders stay."""
    sql = "SELECT t1.a FROM t1 WHERE t1.b = 'x''y' AND c IN (1, 2.5) AND d = $1 AND e = %(e)s AND f = :f"
    assert redact_statement(sql) == "SELECT t1.a FROM t1 WHERE t1.b = ? AND c IN (?, ?) AND d = $1 AND e = %(e)s AND f = :f"
    assert re.search(r"\d", redact_statement("LIMIT 50 OFFSET 100")) is None

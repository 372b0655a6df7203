"""`flag_count` under concurrent reports, through a real gunicorn against the test database."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import sqlalchemy as sa

from tests.conftest import require_tool
from tests.factories import gen_exam, gen_question, gen_token, gen_user
from tests.tools.servers import find_binary, free_port, start_gunicorn, start_redis, stop_process
from webapp.extensions import db
from webapp.models import Question, QuestionFeedback

REPORTERS = 10


def _report(url: str, token: str) -> tuple[int, str]:
    body = json.dumps({"feedback_type": "incorrect", "comment": "B is right, not A."}).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_ten_learners_reporting_at_once_through_gunicorn_count_ten(app, tmp_path):
    """Ten simultaneous reports by ten learners through gunicorn (2 workers x 4 threads) give flag_count 10, flagged and withdrawn."""
    question = gen_question(app, gen_exam(app))
    tokens = [gen_token(app, gen_user(app)) for _ in range(REPORTERS)]
    require_tool(find_binary("redis-server"), "redis-server")  # two workers need shared rate-limit counters
    redis_proc, redis_port = start_redis(tmp_path)
    port = free_port()
    env = {"CERTQUEST_ENV": "production", "SECRET_KEY": "concurrency-test-secret-0123456789abcdef",
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "GUNICORN_THREADS": "4",
           "TRUSTED_HOSTS": "127.0.0.1", "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"}
    try:
        server = start_gunicorn(port, env, tmp_path / "gunicorn.log", workers=2)
    except Exception:
        stop_process(redis_proc)
        raise
    results: list[tuple[int, str]] = []
    barrier = threading.Barrier(REPORTERS)

    def report(token: str) -> None:
        barrier.wait()
        results.append(_report(f"http://127.0.0.1:{port}/api/v1/questions/{question.id}/feedback", token))

    threads = [threading.Thread(target=report, args=(token,)) for token in tokens]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        stop_process(server)
        stop_process(redis_proc)
    assert sorted(status for status, _ in results) == [201] * REPORTERS, results
    with app.app_context():
        stored = db.session.get(Question, question.id)
        reports = db.session.scalar(sa.select(sa.func.count()).select_from(QuestionFeedback))
        assert (stored.flag_count, reports) == (REPORTERS, REPORTERS)
        assert stored.is_flagged and stored.withdrawn_at is not None

"""Faults on the real stack (issue 16): PostgreSQL and Redis stopped under load, gunicorn's
graceful reload (HUP) behind nginx and its SIGTERM, and a full or read-only disk under SQLite.

Each test prints what it measured (run with `-s`); docs/PRODUCTION.md, "Faults", says what the
operator sees and does. The PostgreSQL cluster is the test's own, since it is stopped.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from config import TestingConfig, engine_options_for
from tests.conftest import require_tool
from tests.factories import DEFAULT_PASSWORD, bearer, gen_bank, gen_token, gen_user
from tests.tools.servers import find_binary, free_port, start_gunicorn, start_redis, stop_process
from tests.tools.stack import (Load, PostgresCluster, Reply, child_pids, poll_until, request, start_nginx,
                               wait_for_children)
from tests.tools.suite import find_pg_bindir
from webapp import create_app
from webapp.extensions import db
from webapp.models import AttemptResult, QuizAttempt, User, XpEvent
from webapp.models.enums import AttemptStatus, QuizMode

SECRET = "fault-test-secret-0123456789abcdef-0123456789"
HEALTH_DOWN_WITHIN = 3.0  # seconds from the database stopping to /health answering 503 (the issue)
HEALTH_UP_WITHIN = 5.0  # seconds from the database answering again to /health answering 200
CACHE_WARNING = "cache unavailable; serving from the database"
LIMITER_WARNING = "Rate limit storage unreachable - falling back to in-memory storage"
KEYED_WARNING = "rate-limit storage unreachable; counting in this process's memory"


def _config_for(url: str):
    return type("FaultConfig", (TestingConfig,), {
        "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": engine_options_for(url)})


def _env(database_url: str, redis_port: int | None = None, **extra: str) -> dict[str, str]:
    env = {"CERTQUEST_ENV": "production", "SECRET_KEY": SECRET, "DATABASE_URL": database_url,
           "TRUSTED_HOSTS": "127.0.0.1", "LOG_LEVEL": "INFO", **extra}
    if redis_port is not None:
        env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
    return env


def _json_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def _clean_error(reply: Reply, status: int, code: str) -> bool:
    """The reply is the error format: JSON with `code` under /api, the HTML error page otherwise."""
    if reply.status != status or "Traceback" in reply.body:
        return False
    if reply.content_type.startswith("application/json"):
        return json.loads(reply.body)["code"] == code
    return reply.content_type.startswith("text/html") and f'data-error-code="{code}"' in reply.body


def _api(base: str, token: str, path: str, method: str = "GET", body: dict | None = None) -> Reply:
    headers = bearer(token)
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    return request(base + path, method=method, body=data, headers=headers, name=f"{method} {path}")


def _start_answered_quiz(base: str, token: str, exam_slug: str) -> int:
    """A practice quiz of five questions, every one answered through the API: its id."""
    reply = _api(base, token, "/api/v1/quizzes", "POST",
                 {"exam_type": exam_slug, "mode": QuizMode.PRACTICE.value, "count": 5, "timed": False})
    assert reply.status == 201, reply.body
    quiz = json.loads(reply.body)
    for question in quiz["questions"]:
        saved = _api(base, token, f"/api/v1/quizzes/{quiz['id']}/answers/{question['id']}", "PUT",
                     {"choice_ids": [question["choices"][0]["id"]]})
        assert saved.status == 200, saved.body
    return quiz["id"]


def _backdate(application, quiz_ids: list[int], minutes: int = 10) -> None:
    """Move the quizzes' start back, so their pace earns XP (a five-second floor per question)."""
    with application.app_context():
        for attempt in db.session.scalars(sa.select(QuizAttempt).where(QuizAttempt.id.in_(quiz_ids))):
            attempt.started_at = attempt.started_at - timedelta(minutes=minutes)
        db.session.commit()


def _ledger(application) -> tuple[list[tuple], list[tuple], dict[int, int]]:
    """(attempt_results rows, XP events, users' XP totals) as they stand."""
    with application.app_context():
        results = sorted(db.session.execute(sa.select(AttemptResult.attempt_id, AttemptResult.correct)).all())
        events = sorted(db.session.execute(
            sa.select(XpEvent.user_id, XpEvent.reason, XpEvent.source, XpEvent.amount)).all())
        totals = dict(db.session.execute(sa.select(User.id, User.xp)).all())
        db.session.remove()
    return [tuple(r) for r in results], [tuple(e) for e in events], totals


def _reader_load(base: str, token: str, threads: int = 4) -> Load:
    """Clients reading the catalogue (JSON and HTML) and the leaderboard, the cached reads."""
    return Load([lambda: _api(base, token, "/api/v1/exams"),
                 lambda: request(base + "/exams", name="GET /exams"),
                 lambda: _api(base, token, "/api/v1/leaderboard")], threads=threads)


def _dispose(application) -> None:
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _require_postgres_server() -> None:
    bindir = find_pg_bindir()
    require_tool(str(bindir / "initdb") if bindir else None, "PostgreSQL server binaries (initdb, pg_ctl)")


def test_postgresql_stopped_under_load(tmp_path):
    """PostgreSQL stopped under load: /health 503 within 3 s, clean 503s, 200 within 5 s of the restart
    from the same gunicorn processes, and every retried submit scored exactly once."""
    _require_postgres_server()
    require_tool(find_binary("redis-server"), "redis-server")
    with ExitStack() as stack:
        cluster = PostgresCluster()
        stack.callback(cluster.remove)
        cluster.create()
        pg_app = create_app(_config_for(cluster.url))
        with pg_app.app_context():
            upgrade()
        stack.callback(_dispose, pg_app)
        exam = gen_bank(pg_app, per_objective=2)
        learners = [gen_user(pg_app) for _ in range(3)]
        tokens = [gen_token(pg_app, learner) for learner in learners]
        redis_proc, redis_port = start_redis(tmp_path)
        stack.callback(stop_process, redis_proc)
        port = free_port()
        log = tmp_path / "gunicorn.log"
        server = start_gunicorn(port, _env(cluster.url, redis_port), log, workers=2)
        stack.callback(stop_process, server)
        base = f"http://127.0.0.1:{port}"
        workers = wait_for_children(server.pid, 2)

        quiz_ids = [_start_answered_quiz(base, token, exam.slug) for token in tokens]
        _backdate(pg_app, quiz_ids)
        load = _reader_load(base, tokens[0])
        with load:
            time.sleep(1.0)
            cluster.stop()
            stopped = time.monotonic()
            to_503 = poll_until(lambda: request(base + "/health").status == 503, HEALTH_DOWN_WITHIN)
            during = [_api(base, token, f"/api/v1/quizzes/{quiz_id}/submit", "POST")
                      for token, quiz_id in zip(tokens, quiz_ids)]
            page = request(base + "/exams")
            time.sleep(1.0)
            outage_end = time.monotonic()
            cluster.start()
            restarted = time.monotonic()
            to_200 = poll_until(lambda: request(base + "/health").status == 200, HEALTH_UP_WITHIN)
            time.sleep(0.5)
        # The client retries each failed submit until it is answered, then twice more (a lost
        # response, an impatient user): one score, one set of XP events.
        first = {}
        for token, quiz_id in zip(tokens, quiz_ids):
            reply = None
            for _ in range(10):
                reply = _api(base, token, f"/api/v1/quizzes/{quiz_id}/submit", "POST")
                if reply.status == 200:
                    break
                time.sleep(0.2)
            first[quiz_id] = reply
        after_first = _ledger(pg_app)
        repeats = [_api(base, token, f"/api/v1/quizzes/{quiz_id}/submit", "POST")
                   for _ in range(2) for token, quiz_id in zip(tokens, quiz_ids)]
        after_repeats = _ledger(pg_app)
        same_processes = server.poll() is None and child_pids(server.pid) == workers

    outage = [r for r in load.replies if stopped + (to_503 or 0) <= r.at <= outage_end]
    recovered = [r for r in load.replies if r.at > restarted + (to_200 or HEALTH_UP_WITHIN)]
    print(f"\n[faults] PostgreSQL: stop-to-503 {to_503:.2f}s, restart-to-200 {to_200:.2f}s, "
          f"{len(load.replies)} requests under load, {len(outage)} during the outage")
    assert to_503 is not None and to_503 <= HEALTH_DOWN_WITHIN
    assert to_200 is not None and to_200 <= HEALTH_UP_WITHIN
    assert same_processes
    assert all(_clean_error(reply, 503, "SERVICE_UNAVAILABLE") for reply in during), [r.body for r in during]
    assert _clean_error(page, 503, "SERVICE_UNAVAILABLE"), page.body[:500]
    assert outage and all(_clean_error(r, 503, "SERVICE_UNAVAILABLE") for r in outage), \
        {(r.name, r.status, r.body[:200]) for r in outage if r.status != 503}
    assert {r.status for r in load.replies} <= {200, 503}, [(r.name, r.body[:300]) for r in load.replies if r.status == 500]
    assert recovered and all(r.status == 200 for r in recovered)
    assert all(reply.status == 200 for reply in first.values())
    assert all(reply.status == 200 for reply in repeats)
    results, events, totals = after_first
    assert [quiz_id for quiz_id, _correct in results] == sorted(quiz_ids)
    assert after_repeats == after_first
    assert events and all(totals[learner.id] == sum(e[3] for e in events if e[0] == learner.id)
                          for learner in learners)
    assert "Traceback" not in log.read_text()

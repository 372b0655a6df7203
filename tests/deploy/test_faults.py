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
from tests.factories import bearer, gen_bank, gen_token, gen_user
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


def _seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.2f}s"


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
    print(f"\n[faults] PostgreSQL: stop-to-503 {_seconds(to_503)}, restart-to-200 {_seconds(to_200)}, "
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


def _failed_sign_in(base: str, login: str) -> Reply:
    body = json.dumps({"login": login, "password": "not-the-password-1"}).encode()
    return request(base + "/api/v1/auth/token", method="POST", body=body,
                   headers={"Content-Type": "application/json"}, name="POST /api/v1/auth/token")


def test_redis_stopped_under_load(app, tmp_path):
    """Redis stopped under load: every request still answers, the cached reads from the database,
    sign-in limits per process in memory (429, never 500), and each warning once per process."""
    require_tool(find_binary("redis-server"), "redis-server")
    gen_bank(app, per_objective=1)
    learner = gen_user(app)
    token = gen_token(app, learner)
    workers = 2
    limit_per_pair = int(app.config["LOGIN_FAILURES_PER_ADDRESS"].split()[0])
    retry = float(app.config["CACHE_RETRY_AFTER_SECONDS"])
    with ExitStack() as stack:
        redis_proc, redis_port = start_redis(tmp_path)
        stack.callback(stop_process, redis_proc)
        port = free_port()
        log = tmp_path / "gunicorn.log"
        stack.callback(stop_process, start_gunicorn(port, _env(app.config["SQLALCHEMY_DATABASE_URI"], redis_port),
                                                    log, workers=workers))
        base = f"http://127.0.0.1:{port}"
        with _reader_load(base, token) as load:
            time.sleep(0.5)
            stop_process(redis_proc)
            stopped = time.monotonic()
            # Past the cache's retry interval, so retries that fail again are part of the count.
            time.sleep(retry + 1.0)
            burst = [_failed_sign_in(base, learner.username) for _ in range(4 * limit_per_pair)]
    after = load.since(stopped)
    records = _json_lines(log)
    counts = {message: sum(1 for r in records if r.get("message") == message)
              for message in (CACHE_WARNING, LIMITER_WARNING, KEYED_WARNING)}
    statuses = [reply.status for reply in burst]
    print(f"\n[faults] Redis: {len(after)} requests after the stop, warnings {counts}, "
          f"sign-in burst {statuses.count(401)}x401 {statuses.count(429)}x429")
    assert len(after) > 20 and all(reply.status == 200 for reply in after), \
        {(r.name, r.status, r.body[:200]) for r in after if r.status != 200}
    assert set(statuses) <= {401, 429} and 429 in statuses
    # Counted per process: each worker allows the per-address budget once.
    assert limit_per_pair <= statuses.count(401) <= workers * limit_per_pair
    assert all(1 <= count <= workers for count in counts.values()), counts


def test_graceful_reload_under_load_through_nginx_drops_nothing(app, tmp_path):
    """Two HUPs to gunicorn behind nginx under load replace every worker and drop no request."""
    nginx = find_binary("nginx")
    require_tool(nginx, "nginx")
    require_tool(find_binary("redis-server"), "redis-server")
    gen_bank(app, per_objective=1)
    token = gen_token(app, gen_user(app))
    with ExitStack() as stack:
        redis_proc, redis_port = start_redis(tmp_path)
        stack.callback(stop_process, redis_proc)
        app_port = free_port()
        server = start_gunicorn(app_port, _env(app.config["SQLALCHEMY_DATABASE_URI"], redis_port, PROXY_COUNT="1"),
                                tmp_path / "gunicorn.log", workers=2)
        stack.callback(stop_process, server)
        proxy, nginx_port = start_nginx(nginx, tmp_path, app_port)
        stack.callback(stop_process, proxy)
        base = f"http://127.0.0.1:{nginx_port}"
        generations = [wait_for_children(server.pid, 2)]
        started = time.monotonic()
        with _reader_load(base, token) as load:
            for _ in range(2):
                time.sleep(0.7)
                os.kill(server.pid, signal.SIGHUP)
                generations.append(wait_for_children(server.pid, 2, exclude=generations[-1]))
            time.sleep(0.7)
        elapsed = time.monotonic() - started
    dropped = [reply for reply in load.replies if not 200 <= reply.status < 400]
    print(f"\n[faults] HUP: {len(load.replies)} requests through nginx in {elapsed:.1f}s, two reloads, "
          f"{len(dropped)} dropped")
    assert len(load.replies) >= 10 and dropped == [], {(r.name, r.status, r.body[:200]) for r in dropped}
    assert len(generations) == 3 and not generations[0] & generations[1] and not generations[1] & generations[2]


SLOW_HEADER = "X-Fault-Test-Delay"


def slow_app():
    """The production app behind a test-only WSGI wrapper: a request carrying SLOW_HEADER first
    drops a marker file (so the test knows it is in flight), then waits that many seconds. Served
    by gunicorn as `tests.deploy.test_faults:slow_app()`; no production route is slow."""
    from wsgi import app as real

    markers = Path(os.environ["FAULT_TEST_MARKERS"])
    key = "HTTP_" + SLOW_HEADER.upper().replace("-", "_")

    def wrapper(environ, start_response):
        delay = float(environ.get(key) or 0)
        if delay:
            (markers / f"{os.getpid()}-{threading.get_ident()}").touch()
            time.sleep(delay)
        return real(environ, start_response)

    return wrapper


def test_sigterm_lets_in_flight_requests_finish(app, tmp_path):
    """SIGTERM to gunicorn: the three slow requests in flight all complete with 200, and the master
    exits cleanly within the graceful timeout."""
    graceful, delay, in_flight = 10, 2.0, 3
    markers = tmp_path / "markers"
    markers.mkdir()
    port = free_port()
    env = _env(app.config["SQLALCHEMY_DATABASE_URI"], GUNICORN_THREADS="4",
               GUNICORN_GRACEFUL_TIMEOUT=str(graceful), FAULT_TEST_MARKERS=str(markers))
    server = start_gunicorn(port, env, tmp_path / "gunicorn.log", workers=1,
                            app="tests.deploy.test_faults:slow_app()")
    replies: list[Reply] = []
    try:
        clients = [threading.Thread(target=lambda: replies.append(request(
            f"http://127.0.0.1:{port}/health/live", headers={SLOW_HEADER: str(delay)}, timeout=30)))
            for _ in range(in_flight)]
        for client in clients:
            client.start()
        assert poll_until(lambda: len(list(markers.iterdir())) == in_flight, 15) is not None
        server.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        for client in clients:
            client.join(timeout=30)
        finished = time.monotonic() - signalled
        code = server.wait(timeout=graceful + 5)
        exited = time.monotonic() - signalled
    finally:
        stop_process(server)
    print(f"\n[faults] SIGTERM: {in_flight} in-flight requests finished {finished:.2f}s after the signal, "
          f"master exited after {exited:.2f}s (graceful timeout {graceful}s)")
    assert [reply.status for reply in replies] == [200] * in_flight
    assert code == 0 and finished < graceful and exited < graceful


def _mount_tmpfs(path: Path, size: str) -> bool:
    """A size-limited tmpfs at `path` (needs root); False where mounting is not allowed."""
    if os.geteuid() != 0:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return done.returncode == 0


def _fill(directory: Path) -> int:
    """Write a file until the disk is full; the bytes written."""
    written = 0
    chunk = b"\0" * 65536
    with open(directory / "filler", "wb", buffering=0) as filler:
        while True:
            try:
                written += filler.write(chunk)
            except OSError:
                return written


def _quiz_rows(application, user_id: int) -> list[tuple]:
    """Per quiz of the learner: (status, questions drawn, its question count, result rows, answers)."""
    from webapp.models import Answer, AttemptQuestion

    with application.app_context():
        rows = []
        for attempt in db.session.scalars(sa.select(QuizAttempt).where(QuizAttempt.user_id == user_id)
                                          .order_by(QuizAttempt.id)):
            count = lambda model, column: db.session.scalar(  # noqa: E731
                sa.select(sa.func.count()).select_from(model).where(column == attempt.id))
            rows.append((attempt.status, count(AttemptQuestion, AttemptQuestion.attempt_id), attempt.question_count,
                         count(AttemptResult, AttemptResult.attempt_id), count(Answer, Answer.attempt_id)))
        db.session.remove()
    return rows


@pytest.mark.parametrize("fault", ["disk full", "read-only"])
def test_sqlite_full_or_read_only_disk_gives_a_clean_error_and_no_half_quiz(tmp_path, fault):
    """SQLite on a full or read-only disk: starting and submitting a quiz answer 503 in the error
    format, and the database holds each quiz whole or not at all; freed, the submit scores once."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = _mount_tmpfs(disk, "16m")
    url = f"sqlite:///{disk}/certquest.db"
    disk_app = create_app(_config_for(url))
    try:
        with disk_app.app_context():
            upgrade()
        exam = gen_bank(disk_app, per_objective=2)
        learner, other = gen_user(disk_app), gen_user(disk_app)
        token, other_token = gen_token(disk_app, learner), gen_token(disk_app, other)
        client = disk_app.test_client()
        start = {"exam_type": exam.slug, "mode": QuizMode.PRACTICE.value, "count": 5, "timed": False}
        quiz = client.post("/api/v1/quizzes", json=start, headers=bearer(token)).get_json()
        assert "questions" in quiz, quiz
        for question in quiz["questions"]:
            client.put(f"/api/v1/quizzes/{quiz['id']}/answers/{question['id']}", headers=bearer(token),
                       json={"choice_ids": [question["choices"][0]["id"]]})
        with disk_app.app_context():  # an empty write-ahead log: the next write must grow a file
            db.session.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
            db.session.remove()
        during_client = client
        if fault == "disk full":
            # Without root (or where mounting is refused) there is no small disk to fill.
            require_tool("/" if mounted else None, "a size-limited tmpfs (mount as root)")
            how = f"tmpfs filled ({_fill(disk) // 1024} KiB of filler)"
        elif mounted:
            _dispose(disk_app)
            subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
            how = "tmpfs remounted read-only"
        else:  # the database file opened read-only, as a read-only mount would give it
            _dispose(disk_app)
            during_client = create_app(_config_for(f"sqlite:///file:{disk}/certquest.db?mode=ro&uri=true")).test_client()
            how = "file opened with mode=ro"
        submit = during_client.post(f"/api/v1/quizzes/{quiz['id']}/submit", headers=bearer(token))
        started = during_client.post("/api/v1/quizzes", json=start, headers=bearer(other_token))
        during = [submit, started]
        if mounted and fault == "read-only":
            subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
        elif mounted:
            (disk / "filler").unlink()
        _dispose(disk_app)
        rows_during = _quiz_rows(disk_app, learner.id) + _quiz_rows(disk_app, other.id)
        retried = client.post(f"/api/v1/quizzes/{quiz['id']}/submit", headers=bearer(token))
        again = client.post(f"/api/v1/quizzes/{quiz['id']}/submit", headers=bearer(token))
        rows_after = _quiz_rows(disk_app, learner.id)
        restarted = client.post("/api/v1/quizzes", json=start, headers=bearer(other_token))
        other_after = _quiz_rows(disk_app, other.id)
    finally:
        _dispose(disk_app)
        if mounted:
            subprocess.run(["umount", "-l", str(disk)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"\n[faults] SQLite {fault} ({how}): submit {submit.status_code}, start {started.status_code}; "
          f"quizzes afterwards {rows_during}")
    assert [r.status_code for r in during] == [503, 503], [r.get_data(as_text=True) for r in during]
    assert all(r.get_json()["code"] == "SERVICE_UNAVAILABLE" for r in during)
    # The submitted quiz whole and still open (no result without its answers); the refused start
    # left no attempt without its questions.
    assert rows_during == [(AttemptStatus.IN_PROGRESS, 5, 5, 0, 0)]
    assert retried.status_code == 200 and again.get_json() == retried.get_json()
    assert rows_after == [(AttemptStatus.COMPLETED, 5, 5, 1, 5)]
    assert restarted.status_code == 201 and other_after == [(AttemptStatus.IN_PROGRESS, 5, 5, 0, 0)]

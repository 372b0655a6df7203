"""The cache (webapp/cache.py): what is cached, that every change shows at once, that no entry
carries a viewer's data (two learners through a real gunicorn and a real Redis), and that a Redis
outage costs only speed."""

from __future__ import annotations

import json
import urllib.request
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from config import TestingConfig
from tests.factories import META, bearer, choice_ids, gen_bank, gen_question, gen_token, gen_user
from tests.helpers import captured_json_logs
from webapp import create_app
from webapp.cache import BANK, LEADERBOARD, group_version
from webapp.editor.services import edit_question
from webapp.extensions import db
from webapp.gamification import services as gamification
from webapp.gamification.services import award_xp
from webapp.models import AttemptQuestion, Question, User
from webapp.models.base import utcnow
from webapp.questions import services as catalogue


def _active_count(slug: str) -> int:
    return next(s.active for s in catalogue.list_exam_catalogue(None) if s.exam.slug == slug)


@pytest.fixture
def top_rows_calls(monkeypatch):
    """Counts how often the leaderboard's top list is read from the database."""
    calls = []
    original = gamification._top_rows
    monkeypatch.setattr(gamification, "_top_rows", lambda *args: calls.append(args) or original(*args))
    return calls


def test_leaderboard_top_list_is_read_once_then_served_from_the_cache(app, ctx, top_rows_calls):
    """Two views of the leaderboard with no change in between read the top list from the database once."""
    user = gen_user(app, username="ann")
    award_xp(user.id, "test", "seed", 100, utcnow())
    db.session.commit()
    first = gamification.leaderboard("all", None)
    second = gamification.leaderboard("all", None)
    assert len(top_rows_calls) == 1 and first == second and first.entries[0].username == "ann"


def test_learner_sees_own_xp_level_and_rank_change_at_once_after_a_quiz(app, client, signed_in, top_rows_calls):
    """After a quiz the learner's XP, level and rank, in their row and in `me`, are the new ones at once."""
    exam = gen_bank(app, per_objective=4)
    leader = gen_user(app, username="leader")
    with app.app_context():
        award_xp(leader.id, "test", "seed", 60, utcnow())
        db.session.commit()
        before = gamification.leaderboard("all", db.session.get(User, signed_in.id))
    assert before.me.rank == 2 and before.me.xp == 0
    response = client.post("/quizzes", data={"exam": exam.slug, "mode": "practice", "count": "10", "timed": "y"})
    attempt_id = int(response.headers["Location"].split("/")[2])
    with app.app_context():
        rows = db.session.scalars(sa.select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id)
                                  .order_by(AttemptQuestion.position)).all()
        keys = [choice_ids(row.question_id)[0] for row in rows]
    for position, key in enumerate(keys, start=1):
        client.post(f"/quizzes/{attempt_id}/q/{position}/answer", data={"choice": str(key)})
    assert client.post(f"/quizzes/{attempt_id}/submit").status_code == 302
    with app.app_context():
        me = db.session.get(User, signed_in.id)
        after = gamification.leaderboard("all", me)
    assert me.xp > 60 and after.me.rank == 1 and after.me.xp == me.xp
    mine = next(e for e in after.entries if e.is_me)
    assert (mine.rank, mine.xp, mine.level) == (1, me.xp, after.me.level)
    assert len(top_rows_calls) == 2  # the award bumped the cached list


def test_admin_deactivation_in_the_editor_shows_in_the_catalogue_at_once(app, ctx):
    """An admin deactivating a question in the editor lowers the catalogue's active count on the next read."""
    exam = gen_bank(app, per_objective=2)
    admin = db.session.get(User, gen_user(app, is_admin=True).id)
    before = _active_count(exam.slug)
    version = group_version(BANK)
    question_id = db.session.scalar(sa.select(Question.id).where(Question.exam_id == exam.id).limit(1))
    edit_question(admin, question_id, {"is_active": False}, META)
    assert group_version(BANK) > version
    assert _active_count(exam.slug) == before - 1


def test_bank_change_outside_the_editor_such_as_the_import_also_invalidates(app, ctx):
    """A question added or deactivated by any committed write (the bank import's way) shows at once."""
    exam = gen_bank(app, per_objective=2)
    before = _active_count(exam.slug)
    gen_question(app, exam, objective="1.2")
    assert _active_count(exam.slug) == before + 1
    question = db.session.scalar(sa.select(Question).where(Question.exam_id == exam.id).limit(1))
    question.is_active = False  # what `import_bank(..., deactivate_missing=True)` does
    db.session.commit()
    assert _active_count(exam.slug) == before


def test_rolled_back_change_does_not_leave_a_stale_entry(app, ctx):
    """A version read before a concurrent change keys the old entry: readers after the commit miss it."""
    exam = gen_bank(app, per_objective=2)
    before = _active_count(exam.slug)
    question = db.session.scalar(sa.select(Question).where(Question.exam_id == exam.id).limit(1))
    question.is_active = False
    db.session.flush()
    db.session.rollback()
    assert _active_count(exam.slug) == before


def test_without_a_shared_cache_only_the_leaderboard_is_cached(app, top_rows_calls):
    """CACHE_SHARED off (no Redis): the bank's counts are read every time, the leaderboard still cached."""

    class PerProcess(TestingConfig):
        CACHE_SHARED = False

    local = create_app(PerProcess)
    with local.app_context():
        exam = gen_bank(local, per_objective=1)
        before = _active_count(exam.slug)
        db.session.execute(sa.update(Question).where(Question.exam_id == exam.id).values(is_active=False)
                           .execution_options(synchronize_session=False))
        # Bypass the bump as another process would (its bump never reaches this one):
        db.session.info.pop("cache_groups_to_bump", None)
        db.session.commit()
        assert before > 0 and _active_count(exam.slug) == 0
        gamification.leaderboard("all", None)
        gamification.leaderboard("all", None)
        assert len(top_rows_calls) == 1
        db.session.remove()
        db.engine.dispose()


def test_unreachable_redis_serves_from_the_database_with_one_warning(app):
    """With Redis down, the leaderboard and the catalogue answer from the database and log a warning."""
    from tests.tools.servers import free_port

    class DeadRedis(TestingConfig):
        CACHE_TYPE = "RedisCache"
        CACHE_REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
        CACHE_OPTIONS = {"socket_timeout": 0.25, "socket_connect_timeout": 0.25}

    dead = create_app(DeadRedis)
    with captured_json_logs() as records:
        user = gen_user(dead, username="offline")
        with dead.app_context():
            award_xp(user.id, "test", "seed", 10, utcnow())
            db.session.commit()
        client = dead.test_client()
        pages = [client.get("/leaderboard"), client.get("/exams"), client.get("/leaderboard?period=week")]
    with dead.app_context():
        db.session.remove()
        db.engine.dispose()
    assert [page.status_code for page in pages] == [200, 200, 200]
    assert "offline" in pages[0].get_data(as_text=True)
    warnings = [r for r in records if r.get("message") == "cache unavailable; serving from the database"]
    assert warnings and warnings[0]["level"] == "WARNING" and warnings[0]["logger"] == "webapp.cache"
    assert len(warnings) == 1  # then the cache is skipped for CACHE_RETRY_AFTER_SECONDS


# Through gunicorn and a real Redis shared by its two workers.

@contextmanager
def _gunicorn_with_redis(app, tmp_path):
    from tests.conftest import require_tool
    from tests.tools.servers import find_binary, free_port, start_gunicorn, start_redis, stop_process

    require_tool(find_binary("redis-server"), "redis-server")
    redis_proc, redis_port = start_redis(tmp_path)
    port = free_port()
    env = {"CERTQUEST_ENV": "production", "SECRET_KEY": "cache-test-secret-0123456789abcdef-xyz",
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "TRUSTED_HOSTS": "127.0.0.1",
           "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "GUNICORN_THREADS": "4"}
    server = None
    try:
        server = start_gunicorn(port, env, tmp_path / "gunicorn.log", workers=2)
        yield f"http://127.0.0.1:{port}", redis_proc, redis_port
    finally:
        if server is not None:
            stop_process(server)
        stop_process(redis_proc)


def _get(url: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers=bearer(token))
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, {}


def _redis_keys(port: int) -> list[str]:
    import redis

    return [key.decode() for key in redis.Redis(port=port).keys("*")]


def test_shared_redis_entries_never_carry_another_learners_data(app, tmp_path):
    """Two learners alternate through two gunicorn workers sharing Redis: each always gets their own rank."""
    ann, bob = gen_user(app, username="ann"), gen_user(app, username="bob")
    with app.app_context():
        award_xp(ann.id, "test", "seed", 300, utcnow())
        award_xp(bob.id, "test", "seed", 100, utcnow())
        db.session.commit()
    tokens = {"ann": gen_token(app, ann), "bob": gen_token(app, bob)}
    with _gunicorn_with_redis(app, tmp_path) as (base, _redis, redis_port):
        seen = []
        for _ in range(6):
            for name, expected in (("ann", (1, 300)), ("bob", (2, 100))):
                status, body = _get(f"{base}/api/v1/leaderboard", tokens[name])
                assert status == 200
                seen.append((name, (body["me"]["rank"], body["me"]["xp"]) == expected,
                             [e["username"] for e in body["entries"]]))
        keys = _redis_keys(redis_port)
    assert all(ok for _name, ok, _ in seen), seen
    assert all(entries == ["ann", "bob"] for _name, _ok, entries in seen)
    assert any(key.startswith("certquest:leaderboard:") for key in keys), keys
    assert not any("ann" in key or "bob" in key or str(ann.id) == key.rsplit(":", 1)[-1] for key in keys), keys


def test_stopping_redis_under_gunicorn_degrades_to_no_cache_with_a_warning(app, tmp_path):
    """With the real redis-server stopped mid-run, the cached pages still answer 200 and a warning is logged."""
    from tests.tools.servers import stop_process

    gen_bank(app, per_objective=1)
    learner = gen_user(app, username="carol")
    token = gen_token(app, learner)
    with _gunicorn_with_redis(app, tmp_path) as (base, redis_proc, _port):
        assert _get(f"{base}/api/v1/leaderboard", token)[0] == 200
        assert _get(f"{base}/api/v1/exams", token)[0] == 200
        stop_process(redis_proc)
        after = [_get(f"{base}/api/v1/leaderboard", token), _get(f"{base}/api/v1/exams", token),
                 _get(f"{base}/api/v1/leaderboard?period=week", token)]
        with urllib.request.urlopen(f"{base}/exams", timeout=10) as page:
            page_status = page.status
    log = (tmp_path / "gunicorn.log").read_text()
    assert [status for status, _ in after] == [200, 200, 200] and page_status == 200
    assert after[0][1]["me"]["rank"] == 1 and after[1][1][0]["domains"]
    assert "cache unavailable; serving from the database" in log

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
from tests.factories import META, bearer, choice_ids, gen_answer, gen_bank, gen_question, gen_token, gen_user
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


def _count_calls(monkeypatch, module, name: str) -> list:
    """Replace `module.name` with a wrapper that records each call's arguments in the returned list."""
    calls = []
    original = getattr(module, name)
    monkeypatch.setattr(module, name, lambda *args: calls.append(args) or original(*args))
    return calls


@pytest.fixture
def top_rows_calls(monkeypatch):
    """Counts how often the leaderboard's top list is read from the database."""
    return _count_calls(monkeypatch, gamification, "_top_rows")


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
    """With the real redis-server stopped mid-run, every cached read (leaderboard, catalogue, profile,
    question list) still answers 200 and a warning is logged."""
    from tests.tools.servers import stop_process

    gen_bank(app, per_objective=1)
    learner = gen_user(app, username="carol")
    token = gen_token(app, learner)
    with _gunicorn_with_redis(app, tmp_path) as (base, redis_proc, _port):
        assert _get(f"{base}/api/v1/leaderboard", token)[0] == 200
        assert _get(f"{base}/api/v1/exams", token)[0] == 200
        assert _get(f"{base}/api/v1/users/me", token)[0] == 200
        assert _get(f"{base}/api/v1/questions?exam_type=demo", token)[0] == 200
        stop_process(redis_proc)
        after = [_get(f"{base}/api/v1/leaderboard", token), _get(f"{base}/api/v1/exams", token),
                 _get(f"{base}/api/v1/leaderboard?period=week", token), _get(f"{base}/api/v1/users/me", token),
                 _get(f"{base}/api/v1/questions?exam_type=demo", token)]
        with urllib.request.urlopen(f"{base}/exams", timeout=10) as page:
            page_status = page.status
    log = (tmp_path / "gunicorn.log").read_text()
    assert [status for status, _ in after] == [200] * 5 and page_status == 200
    assert after[0][1]["me"]["rank"] == 1 and after[1][1][0]["domains"]
    assert after[3][1]["username"] == "carol" and after[4][1]["total"] == len(after[4][1]["items"]) > 0
    assert "cache unavailable; serving from the database" in log


# Question lists (`GET /api/v1/questions`) and profiles (`GET /api/v1/users/me`).

@pytest.fixture
def list_calls(monkeypatch):
    """Counts how often a page of questions is read from the database."""
    from webapp.questions import browse

    return _count_calls(monkeypatch, browse, "list_questions")


@pytest.fixture
def streak_reads(monkeypatch):
    """Counts how often a profile is built from the database (its streak read)."""
    from webapp.api import accounts

    return _count_calls(monkeypatch, accounts, "user_streak")


def _questions(client, token: str, query: str = "exam_type=demo&per_page=100") -> dict:
    response = client.get(f"/api/v1/questions?{query}", headers=bearer(token))
    assert response.status_code == 200
    return response.get_json()


def _two_learners_one_answer_each(app):
    """Ann and Bob on a fresh demo bank, Ann having answered its first question and Bob its second."""
    exam = gen_bank(app, per_objective=1)
    ann, bob = gen_user(app, username="ann"), gen_user(app, username="bob")
    with app.app_context():
        first, second = db.session.scalars(sa.select(Question).where(Question.exam_id == exam.id)
                                           .order_by(Question.id).limit(2)).all()
    gen_answer(app, ann, first)
    gen_answer(app, bob, second)
    return ann, bob, first, second


def test_question_list_is_read_once_and_shows_each_learner_only_their_own_answers(app, client, list_calls):
    """Two learners read one cached page; the answer shows only on the question each has answered."""
    ann, bob, first, second = _two_learners_one_answer_each(app)
    pages = {name: _questions(client, gen_token(app, user)) for name, user in (("ann", ann), ("bob", bob))}
    assert len(list_calls) == 1
    answered = {name: [item["id"] for item in page["items"] if "answer" in item] for name, page in pages.items()}
    assert answered == {"ann": [first.id], "bob": [second.id]}
    assert pages["ann"]["total"] == pages["bob"]["total"] == len(pages["ann"]["items"]) > 2


def test_cached_question_list_equals_the_uncached_one_for_learner_and_admin(app, client, list_calls):
    """With the cache on and off, the page is the same for a learner (one answer seen) and an admin."""
    exam = gen_bank(app, per_objective=1, pbq_per_objective=1, multiple_per_objective=1)
    learner, boss = gen_user(app, username="ann"), gen_user(app, username="boss", is_admin=True)
    with app.app_context():
        answered = db.session.scalar(sa.select(Question).where(Question.exam_id == exam.id, Question.type == "ordering"))
    gen_answer(app, learner, answered)
    tokens = [gen_token(app, learner), gen_token(app, boss)]
    cold = [_questions(client, token, "exam_type=demo&per_page=50&page=1") for token in tokens]
    warm = [_questions(client, token, "exam_type=demo&per_page=50&page=1") for token in tokens]
    app.config["CACHE_SHARED"] = False  # the bank group is then never cached
    try:
        live = [_questions(client, token, "exam_type=demo&per_page=50&page=1") for token in tokens]
    finally:
        app.config["CACHE_SHARED"] = True
    assert cold == warm == live
    assert len(list_calls) == 2 + 2  # one per audience while cached, then every request
    assert [sum("answer" in item for item in page["items"]) for page in live] == [1, len(live[1]["items"])]


def test_question_edit_shows_in_the_cached_question_list_at_once(app, ctx, client, list_calls):
    """An admin's edit of a stem and a deactivation appear in the next page read."""
    exam = gen_bank(app, per_objective=1)
    boss = db.session.get(User, gen_user(app, is_admin=True).id)
    token = gen_token(app, gen_user(app, username="ann"))
    before = _questions(client, token)
    question_id = before["items"][0]["id"]
    edit_question(boss, question_id, {"stem": "Which port does SSH listen on by default?"}, META)
    edited = _questions(client, token)
    assert edited["items"][0]["stem"] == "Which port does SSH listen on by default?"
    edit_question(boss, question_id, {"is_active": False}, META)
    after = _questions(client, token)
    assert after["total"] == before["total"] - 1 and question_id not in [item["id"] for item in after["items"]]
    assert len(list_calls) == 3 and exam.slug == "demo"


def test_profile_is_built_once_then_shows_xp_and_name_changes_at_once(app, client, streak_reads):
    """`me` is cached per learner, and an XP award or a new username shows on the next read."""
    user = gen_user(app, username="ann")
    token = gen_token(app, user)
    first = client.get("/api/v1/users/me", headers=bearer(token)).get_json()
    again = client.get("/api/v1/users/me", headers=bearer(token)).get_json()
    assert first == again and len(streak_reads) == 1
    with app.app_context():
        award_xp(user.id, "test", "seed", 250, utcnow())  # a bulk UPDATE of the learner's row
        db.session.commit()
    assert client.get("/api/v1/users/me", headers=bearer(token)).get_json()["xp"] == 250
    assert client.patch("/api/v1/users/me", json={"username": "ann_b"}, headers=bearer(token)).status_code == 200
    renamed = client.get("/api/v1/users/me", headers=bearer(token)).get_json()
    assert (renamed["username"], renamed["xp"]) == ("ann_b", 250) and len(streak_reads) == 3 + 1  # + the PATCH


def test_profile_shows_a_streak_change_at_once(app, client, streak_reads):
    """A streak row written through the ORM (a study day, a rebuild) bumps that learner's profile."""
    from webapp.models import Streak

    user = gen_user(app, username="ann")
    token = gen_token(app, user)
    assert client.get("/api/v1/users/me", headers=bearer(token)).get_json()["streak"]["longest"] == 0
    with app.app_context():
        db.session.add(Streak(user_id=user.id, current=3, longest=4, freezes=1, freezes_used=0,
                              last_active_day=utcnow().date()))
        db.session.commit()
    streak = client.get("/api/v1/users/me", headers=bearer(token)).get_json()["streak"]
    assert streak == {"current": 3, "longest": 4, "freezes": 1} and len(streak_reads) == 2


def test_profile_change_bumps_only_that_learner_and_an_unknown_one_bumps_all(app, client, streak_reads):
    """Ann's award leaves Bob's entry cached; a bulk write naming no one learner rebuilds both."""
    ann, bob = gen_user(app, username="ann"), gen_user(app, username="bob")
    tokens = [gen_token(app, ann), gen_token(app, bob)]

    def read_both():
        return [client.get("/api/v1/users/me", headers=bearer(token)).get_json()["xp"] for token in tokens]

    assert read_both() == [0, 0] and len(streak_reads) == 2
    with app.app_context():
        award_xp(ann.id, "test", "seed", 40, utcnow())
        db.session.commit()
    assert read_both() == [40, 0] and len(streak_reads) == 3
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id.in_([ann.id, bob.id])).values(xp=User.xp + 1)
                           .execution_options(synchronize_session=False))
        db.session.commit()
    assert read_both() == [41, 1] and len(streak_reads) == 5


def test_award_to_a_learner_whose_profile_was_never_read_writes_no_version_key(app, client):
    """A bump of a learner with no version key creates none (no key per learner who never calls `me`)."""
    from webapp.extensions import cache

    quiet, reader = gen_user(app, username="quiet"), gen_user(app, username="reader")
    client.get("/api/v1/users/me", headers=bearer(gen_token(app, reader)))
    with app.app_context():
        award_xp(quiet.id, "test", "seed", 10, utcnow())
        award_xp(reader.id, "test", "seed", 10, utcnow())
        db.session.commit()
        assert cache.cache.get(f"version:profile:{quiet.id}") is None
        assert cache.cache.get(f"version:profile:{reader.id}") is not None


def test_without_a_shared_cache_profiles_and_question_lists_are_read_live(app, client, list_calls, streak_reads):
    """CACHE_SHARED off: a bump could not reach other workers, so neither profiles nor lists are cached."""
    gen_bank(app, per_objective=1)
    token = gen_token(app, gen_user(app, username="ann"))
    app.config["CACHE_SHARED"] = False
    try:
        for _ in range(2):
            _questions(client, token)
            client.get("/api/v1/users/me", headers=bearer(token))
    finally:
        app.config["CACHE_SHARED"] = True
    assert (len(list_calls), len(streak_reads)) == (2, 2)


def test_shared_redis_profiles_and_question_lists_stay_with_their_learner(app, tmp_path):
    """Through two gunicorn workers and one Redis, each learner's `me` and answers are only ever their own."""
    ann, bob, first, second = _two_learners_one_answer_each(app)
    with app.app_context():
        award_xp(ann.id, "test", "seed", 30, utcnow())
        db.session.commit()
    tokens = {"ann": gen_token(app, ann), "bob": gen_token(app, bob)}
    expected = {"ann": ("ann", 30, [first.id]), "bob": ("bob", 0, [second.id])}
    with _gunicorn_with_redis(app, tmp_path) as (base, _redis, redis_port):
        seen = []
        for _ in range(6):
            for name, token in tokens.items():
                _status, me = _get(f"{base}/api/v1/users/me", token)
                _status, page = _get(f"{base}/api/v1/questions?exam_type=demo&per_page=100", token)
                seen.append((me.get("username"), me.get("xp"),
                             [item["id"] for item in page.get("items", []) if "answer" in item]) == expected[name])
        keys = _redis_keys(redis_port)
    assert all(seen), seen
    assert any(key.startswith("certquest:bank:") and ":questions:learner:" in key for key in keys), keys
    assert {f"certquest:version:profile:{ann.id}", f"certquest:version:profile:{bob.id}"} <= set(keys), keys


def test_bulk_write_learner_is_read_from_an_id_equality_only():
    """The hook finds the learner of `WHERE users.id = 7` (or streaks.user_id = 7), and none for other filters."""
    from webapp.cache import _learner_in_where
    from webapp.models import Streak

    assert _learner_in_where(sa.update(User).where(User.id == 7).values(xp=1), "users") == 7
    assert _learner_in_where(sa.update(Streak).where(Streak.user_id == 7).values(current=1), "streaks") == 7
    assert _learner_in_where(sa.update(User).where(User.id.in_([7, 8])).values(xp=1), "users") is None
    assert _learner_in_where(sa.update(User).where(User.xp == 7).values(xp=1), "users") is None
    assert _learner_in_where(sa.update(User).values(xp=1), "users") is None

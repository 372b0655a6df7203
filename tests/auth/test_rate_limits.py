"""Per-IP rate limits and per-account lockout, in memory and across processes with Redis."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
import sqlalchemy as sa

from config import TestingConfig
from tests.conftest import require_tool
from tests.factories import DEFAULT_PASSWORD, META, gen_user
from tests.tools.servers import find_binary, free_port, start_gunicorn, start_redis, stop_process
from webapp import create_app
from webapp.auth import services
from webapp.extensions import db
from webapp.models import AuditEvent


@pytest.fixture
def limited_app(app):
    """The app with the production per-IP limit of 10 a minute."""
    return create_app(type("Limited", (TestingConfig,), {"LOGIN_RATE_LIMIT": "10 per minute"}))


def test_login_page_429_after_ten_posts_a_minute(limited_app):
    """The 11th sign-in POST from one address in a minute gets an HTML 429 with Retry-After."""
    client = limited_app.test_client()
    statuses = [client.post("/auth/login", data={"login": f"a{n}", "password": "b"}).status_code for n in range(11)]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    response = client.post("/auth/login", data={"login": "a", "password": "b"})
    assert int(response.headers["Retry-After"]) > 0
    assert response.mimetype == "text/html" and "Slow down" in response.get_data(as_text=True)
    assert client.get("/auth/login").status_code == 200  # reading the form is not limited


def test_api_token_endpoint_429_is_json(limited_app):
    """The token endpoint's 429 uses the JSON error body with Retry-After."""
    client = limited_app.test_client()
    for n in range(10):
        client.post("/api/v1/auth/token", json={"login": f"a{n}", "password": "b"})
    response = client.post("/api/v1/auth/token", json={"login": "a", "password": "b"})
    assert response.status_code == 429
    assert response.get_json()["code"] == "RATE_LIMITED"
    assert int(response.headers["Retry-After"]) > 0


def test_register_is_rate_limited(limited_app):
    """Registration POSTs share the per-IP limit rules."""
    client = limited_app.test_client()
    statuses = [client.post("/auth/register", data={"email": "bad", "username": "x", "password": "y"}).status_code
                for _ in range(11)]
    assert statuses[-1] == 429 and 429 not in statuses[:10]


def test_lockout_is_audited(app):
    """The failure that pauses an account's password sign-in is audited as a lockout."""
    user = gen_user(app, username="target")
    with app.app_context():
        for _ in range(4):
            with pytest.raises(services.InvalidCredentials):
                services.authenticate("target", "wrong password!!", META)
        with pytest.raises(services.AccountLocked):
            services.authenticate("target", "wrong password!!", META)
        with pytest.raises(services.AccountLocked):
            services.authenticate("target", DEFAULT_PASSWORD, META)
        lockouts = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.event == "lockout")).all()
        assert [e.user_id for e in lockouts] == [user.id]


def test_lockout_shows_in_the_browser_as_429(client, app):
    """The locked state reaches the sign-in page as a 429 with a clear message."""
    gen_user(app, username="lockedout")
    for _ in range(5):
        response = client.post("/auth/login", data={"login": "lockedout", "password": "wrong password!!"})
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    assert "paused" in response.get_data(as_text=True)


def _post_json(url: str, body: dict) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize("shared", [True, False], ids=["redis", "memory"])
def test_limits_are_shared_across_processes_only_with_redis(app, tmp_path, shared):
    """Two gunicorn servers share the 10-a-minute budget through Redis; in memory each has its own."""
    require_tool(find_binary("redis-server"), "redis-server")
    redis_proc, redis_port = start_redis(tmp_path)
    env = {"CERTQUEST_ENV": "production", "SECRET_KEY": "rate-limit-test-secret-0123456789abcdef",
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "PROXY_COUNT": "0", "TRUSTED_HOSTS": "127.0.0.1"}
    if shared:
        env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
    ports = [free_port(), free_port()]
    servers = [start_gunicorn(port, env, tmp_path / f"g{port}.log", workers=1) for port in ports]
    try:
        urls = [f"http://127.0.0.1:{port}/api/v1/auth/token" for port in ports]
        statuses = [_post_json(urls[i % 2], {"login": f"nobody{i}", "password": "wrong password"}) for i in range(12)]
    finally:
        for proc in servers:
            stop_process(proc)
        stop_process(redis_proc)
    if shared:
        assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429]
    else:
        assert 429 not in statuses


def test_gunicorn_refuses_several_workers_without_redis(app, tmp_path):
    """A real production gunicorn with 3 workers and no REDIS_URL exits at start-up, saying how to fix it."""
    env = {"CERTQUEST_ENV": "production", "SECRET_KEY": "rate-limit-test-secret-0123456789abcdef",
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "TRUSTED_HOSTS": "127.0.0.1", "REDIS_URL": ""}
    log = tmp_path / "gunicorn.log"
    with pytest.raises(RuntimeError, match="exited"):
        proc = start_gunicorn(free_port(), env, log, workers=3)
        stop_process(proc)
    text = log.read_text()
    assert "set REDIS_URL" in text and "WEB_CONCURRENCY=1" in text


def test_gunicorn_starts_several_workers_with_redis(app, tmp_path):
    """The same three workers start when REDIS_URL is set (and share the sign-in budget there)."""
    require_tool(find_binary("redis-server"), "redis-server")
    redis_proc, redis_port = start_redis(tmp_path)
    env = {"CERTQUEST_ENV": "production", "SECRET_KEY": "rate-limit-test-secret-0123456789abcdef",
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "TRUSTED_HOSTS": "127.0.0.1", "PROXY_COUNT": "0",
           "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"}
    port = free_port()
    try:
        proc = start_gunicorn(port, env, tmp_path / "gunicorn.log", workers=3)
        try:
            url = f"http://127.0.0.1:{port}/api/v1/auth/token"
            statuses = [_post_json(url, {"login": f"w{n}", "password": "wrong password"}) for n in range(11)]
        finally:
            stop_process(proc)
    finally:
        stop_process(redis_proc)
    assert statuses[:10] == [401] * 10 and statuses[10] == 429

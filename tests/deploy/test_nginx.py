"""gunicorn (deploy/gunicorn.conf.py) behind nginx (deploy/nginx.conf) on loopback."""

from __future__ import annotations

import gzip
import json
import re
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import require_tool
from tests.tools.servers import find_binary
from tests.tools.stack import production_stack


@pytest.fixture(scope="module")
def stack(app, tmp_path_factory):
    """gunicorn (one worker: no Redis here) and nginx in front of it, both on free loopback ports."""
    require_tool(find_binary("nginx"), "nginx")
    with production_stack(tmp_path_factory.mktemp("nginx"), app.config["SQLALCHEMY_DATABASE_URI"]) as running:
        yield {"base": running.base_url, "app": running.app_url, "log": running.gunicorn_log}


def _get(url: str, headers: dict | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_health_through_nginx(stack):
    """`/health` answers 200 healthy through nginx and gunicorn."""
    status, headers, body = _get(stack["base"] + "/health")
    assert status == 200
    assert json.loads(body)["status"] == "healthy"


def test_static_file_served_by_nginx_with_long_cache(stack):
    """nginx serves /static/ itself, gzipped, with long cache and security headers."""
    status, headers, body = _get(stack["base"] + "/static/css/app.css", {"Accept-Encoding": "gzip"})
    assert status == 200
    assert "max-age=2592000" in headers["Cache-Control"]
    assert headers.get("Content-Encoding") == "gzip"
    assert b"CertQuest" in gzip.decompress(body)
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in headers["Content-Security-Policy"]


def test_request_id_from_nginx_is_echoed(stack):
    """nginx's $request_id reaches the app and comes back in X-Request-ID."""
    status, headers, _ = _get(stack["base"] + "/health/live")
    assert status == 200
    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])


def test_app_logs_the_real_client_address(stack):
    """With PROXY_COUNT=1 the app logs the address nginx saw, not a spoofed X-Forwarded-For."""
    marker = f"/health/live?probe={time.time_ns()}"
    status, headers, _ = _get(stack["base"] + marker, {"X-Forwarded-For": "6.6.6.6"})
    request_id = headers["X-Request-ID"]
    deadline = time.monotonic() + 5
    entry = None
    while time.monotonic() < deadline and entry is None:
        for line in stack["log"].read_text().splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                if record.get("logger") == "webapp.access" and record.get("request_id") == request_id:
                    entry = record
        time.sleep(0.1)
    assert entry is not None
    assert entry["remote_addr"] == "127.0.0.1"


def test_gunicorn_logs_are_json(stack):
    """Every line gunicorn and the app write is a JSON object, access lines included."""
    _get(stack["base"] + "/health/live")
    time.sleep(0.3)
    lines = [line for line in stack["log"].read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    assert any(r["logger"] == "gunicorn.access" and r["path"] == "/health/live" for r in records)
    assert any(r["logger"] == "gunicorn.error" for r in records)


def test_login_routes_have_an_nginx_rate_limit(stack):
    """A burst on the login route is cut off with 429 by nginx's limit_req zone."""
    statuses = [_get(stack["base"] + "/auth/login")[0] for _ in range(40)]
    assert 429 in statuses


def test_body_over_one_mebibyte_rejected_by_nginx(stack):
    """nginx enforces client_max_body_size 1m before the app sees the body."""
    request = urllib.request.Request(stack["base"] + "/health/live", data=b"x" * (1024 * 1024 + 100), method="POST")
    try:
        urllib.request.urlopen(request, timeout=10)
        status = 200
    except urllib.error.HTTPError as error:
        status = error.code
    assert status == 413


def test_no_server_version_is_announced(stack):
    """gunicorn sends no Server header at all, and nginx names itself without a version."""
    _, direct, _ = _get(stack["app"] + "/health/live")
    assert "Server" not in direct
    _, proxied, _ = _get(stack["base"] + "/health/live")
    assert proxied.get("Server") == "nginx"


def test_foreign_host_is_refused_through_nginx(stack):
    """A Host outside TRUSTED_HOSTS gets a 400 from the app, not a page or a redirect built on it."""
    status, _, body = _get(stack["base"] + "/account", {"Host": "evil.example"})
    assert status == 400 and b"evil.example" not in body

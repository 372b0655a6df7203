"""`/health` readiness and `/health/live` liveness, with a real database outage and recovery."""

from __future__ import annotations

import socket
import threading
import time
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

import pytest

from config import TestingConfig, engine_options_for
from tests.tools.servers import TcpProxy, free_port
from webapp import create_app


def _config_with_url(url: str):
    return type("OutageConfig", (TestingConfig,), {
        "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": engine_options_for(url)})


def _url_via(app_url: str, port: int) -> str:
    parts = urlsplit(app_url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))


def test_health_reports_healthy(client, app):
    """A working database gives 200 with status, UTC timestamp, database and version."""
    response = client.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "healthy"
    assert body["database"] == "connected"
    assert body["version"] == app.config["APP_VERSION"]
    stamp = datetime.fromisoformat(body["timestamp"].replace("Z", "+00:00"))
    assert stamp.utcoffset().total_seconds() == 0
    assert response.headers["Cache-Control"] == "no-store"


def test_health_needs_no_authentication(client):
    """The health endpoints answer anonymous callers without redirecting."""
    assert client.get("/health").status_code == 200
    assert client.get("/health/live").status_code == 200


def test_health_reports_unhealthy_on_dead_database(app, db_label, tmp_path):
    """An unreachable database gives 503 unhealthy/disconnected and leaks no detail."""
    if db_label == "sqlite":
        url = f"sqlite:///{tmp_path}/missing-dir/db.sqlite"
    else:
        url = _url_via(app.config["SQLALCHEMY_DATABASE_URI"], free_port())
    broken = create_app(_config_with_url(url))
    response = broken.test_client().get("/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unhealthy"
    assert body["database"] == "disconnected"
    assert set(body) == {"status", "timestamp", "database", "version"}
    text = response.get_data(as_text=True)
    assert "Error" not in text and "missing-dir" not in text and "5432" not in text


def test_liveness_does_not_touch_database(app, db_label, tmp_path):
    """`/health/live` stays 200 while the database is down."""
    url = (f"sqlite:///{tmp_path}/missing-dir/db.sqlite" if db_label == "sqlite"
           else _url_via(app.config["SQLALCHEMY_DATABASE_URI"], free_port()))
    broken = create_app(_config_with_url(url))
    response = broken.test_client().get("/health/live")
    assert response.status_code == 200
    assert response.get_json() == {"status": "alive"}


def test_health_recovers_without_restart(app, db_label, tmp_path):
    """After an outage the same app process reports healthy again once the database is back."""
    if db_label == "sqlite":
        folder = tmp_path / "later"
        recovering = create_app(_config_with_url(f"sqlite:///{folder}/db.sqlite"))
        client = recovering.test_client()
        assert client.get("/health").status_code == 503
        folder.mkdir()
        assert client.get("/health").status_code == 200
        return
    target = urlsplit(app.config["SQLALCHEMY_DATABASE_URI"])
    proxy = TcpProxy(target.hostname, target.port)
    proxy.start()
    try:
        recovering = create_app(_config_with_url(_url_via(app.config["SQLALCHEMY_DATABASE_URI"], proxy.port)))
        client = recovering.test_client()
        assert client.get("/health").status_code == 200
        proxy.stop()  # the database "goes away": open connections are cut, new ones refused
        assert client.get("/health").status_code == 503
        proxy.start()
        assert client.get("/health").status_code == 200
    finally:
        proxy.stop()


def test_health_gives_up_within_two_seconds(app, db_label):
    """A database that accepts connections but never answers yields 503 within the 2 s budget."""
    if db_label == "sqlite":
        pytest.skip("a SQLite file cannot hang on SELECT 1; the PostgreSQL leg covers this")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def swallow():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                held.append(conn)  # accept, then never answer
            except OSError:
                continue

    threading.Thread(target=swallow, daemon=True).start()
    try:
        hung = create_app(_config_with_url(_url_via(app.config["SQLALCHEMY_DATABASE_URI"], listener.getsockname()[1])))
        started = time.monotonic()
        response = hung.test_client().get("/health")
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert elapsed < 3.5
    finally:
        stop.set()
        listener.close()
        for conn in held:
            conn.close()

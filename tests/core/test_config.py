"""Configuration guards and per-backend database settings."""

from __future__ import annotations

import ast
import hashlib
import os
import stat
import subprocess
import sys

import pytest
import sqlalchemy as sa

from config import ROOT, DevelopmentConfig, normalise_database_url
from webapp.extensions import db


def _boot(env: dict[str, str], database_url: str | None = "sqlite:///:memory:") -> subprocess.CompletedProcess:
    """Import wsgi in a clean interpreter with the given environment."""
    base = {k: v for k, v in os.environ.items()
            if k not in {"SECRET_KEY", "CERTQUEST_ENV", "REDIS_URL", "DATABASE_URL", "TRUSTED_HOSTS", "WEB_CONCURRENCY"}}
    if database_url:
        base["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-c", "import wsgi, json; print(json.dumps({k: str(wsgi.app.config[k]) for k in ('RATELIMIT_STORAGE_URI', 'CACHE_TYPE', 'PROXY_COUNT', 'SESSION_COOKIE_SECURE', 'SQLALCHEMY_DATABASE_URI')}))"],
        cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=60,
    )


def test_production_refuses_missing_secret():
    """Production does not start without SECRET_KEY."""
    result = _boot({"CERTQUEST_ENV": "production"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("secret", ["changeme", "you-will-never-guess"])
def test_production_refuses_known_default_secret(secret):
    """Production does not start with a secret from a tutorial or our dev default."""
    result = _boot({"CERTQUEST_ENV": "production", "SECRET_KEY": secret})
    assert result.returncode != 0
    assert "known default" in result.stderr


def test_production_refuses_short_secret():
    """Production does not start with a secret shorter than 32 bytes."""
    result = _boot({"CERTQUEST_ENV": "production", "SECRET_KEY": "x" * 31})
    assert result.returncode != 0
    assert "at least 32 bytes" in result.stderr


STRONG = "k" * 16 + "0123456789abcdef"
PRODUCTION = {"CERTQUEST_ENV": "production", "SECRET_KEY": STRONG, "TRUSTED_HOSTS": "certquest.example",
              "WEB_CONCURRENCY": "1"}


def test_production_starts_with_strong_secret():
    """A 32-byte random secret is accepted; production trusts one proxy hop and secure cookies."""
    result = _boot(PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert '"PROXY_COUNT": "1"' in result.stdout
    assert '"SESSION_COOKIE_SECURE": "True"' in result.stdout


@pytest.mark.parametrize("workers", ["3", None], ids=["three", "gunicorn-default"])
def test_production_refuses_several_workers_without_redis(workers):
    """Several workers without REDIS_URL (each with its own counters) refuse to start, naming both fixes."""
    env = {k: v for k, v in PRODUCTION.items() if k != "WEB_CONCURRENCY"}
    if workers:
        env["WEB_CONCURRENCY"] = workers
    result = _boot(env)
    assert result.returncode != 0
    assert "set REDIS_URL" in result.stderr and "WEB_CONCURRENCY=1" in result.stderr


def test_production_accepts_several_workers_with_redis():
    """With REDIS_URL the counters are shared, so several workers are fine."""
    result = _boot({**PRODUCTION, "WEB_CONCURRENCY": "3", "REDIS_URL": "redis://127.0.0.1:6399/0"})
    assert result.returncode == 0, result.stderr


def test_production_refuses_missing_trusted_hosts():
    """Production needs TRUSTED_HOSTS, so a foreign Host header cannot steer the app."""
    result = _boot({k: v for k, v in PRODUCTION.items() if k != "TRUSTED_HOSTS"})
    assert result.returncode != 0
    assert "TRUSTED_HOSTS must be set" in result.stderr


def test_validate_checks_workers_and_trusted_hosts():
    """ProductionConfig.validate() raises ConfigError for several workers without Redis and for no hosts."""
    from config import ConfigError, ProductionConfig

    fine = {"SECRET_KEY": STRONG, "TRUSTED_HOSTS": ["certquest.example"], "REDIS_URL": None, "WEB_CONCURRENCY": 1}
    type("Fine", (ProductionConfig,), fine).validate()
    with pytest.raises(ConfigError, match="set REDIS_URL, or run one worker with WEB_CONCURRENCY=1"):
        type("Multi", (ProductionConfig,), {**fine, "WEB_CONCURRENCY": 2}).validate()
    type("Shared", (ProductionConfig,), {**fine, "WEB_CONCURRENCY": 2, "REDIS_URL": "redis://r:6379/0"}).validate()
    with pytest.raises(ConfigError, match="TRUSTED_HOSTS"):
        type("NoHosts", (ProductionConfig,), {**fine, "TRUSTED_HOSTS": None}).validate()


def test_redis_url_switches_limiter_and_cache_storage():
    """With REDIS_URL set, rate limits and the cache use Redis; otherwise memory."""
    with_redis = _boot({"REDIS_URL": "redis://127.0.0.1:6399/0"})
    assert with_redis.returncode == 0, with_redis.stderr
    assert '"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6399/0"' in with_redis.stdout
    assert '"CACHE_TYPE": "RedisCache"' in with_redis.stdout
    without = _boot({})
    assert '"RATELIMIT_STORAGE_URI": "memory://"' in without.stdout
    assert '"CACHE_TYPE": "SimpleCache"' in without.stdout


def test_unknown_environment_name_is_refused():
    """A typo in CERTQUEST_ENV is an error, not a silent fallback."""
    result = _boot({"CERTQUEST_ENV": "prod"})
    assert result.returncode != 0
    assert "CERTQUEST_ENV must be one of" in result.stderr


def test_default_database_is_sqlite_under_instance():
    """Without DATABASE_URL the development database is a SQLite file under instance/."""
    result = _boot({}, database_url=None)
    assert result.returncode == 0, result.stderr
    expected = "sqlite:///" + str(ROOT / "instance" / "certquest.db")
    assert f'"SQLALCHEMY_DATABASE_URI": "{expected}"' in result.stdout


def test_postgres_urls_use_psycopg3():
    """postgres:// and postgresql:// URLs are routed to the psycopg 3 driver."""
    assert normalise_database_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_database_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_max_content_length_is_one_mebibyte(app):
    """Request bodies are capped at 1 MiB."""
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024


def test_database_connection_settings(app, db_label):
    """SQLite enforces foreign keys, WAL and a busy timeout; PostgreSQL pre-pings with a connect timeout."""
    with app.app_context():
        with db.engine.connect() as conn:
            if db_label == "sqlite":
                assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
                assert conn.execute(sa.text("PRAGMA journal_mode")).scalar().lower() == "wal"
                assert conn.execute(sa.text("PRAGMA busy_timeout")).scalar() >= 1000
            else:
                assert db.engine.pool._pre_ping is True
                assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["connect_timeout"] == 2
                assert conn.execute(sa.text("SELECT 1")).scalar() == 1


def _secret_key_assignments() -> list[ast.Assign]:
    tree = ast.parse((ROOT / "config.py").read_text())
    return [node for node in ast.walk(tree) if isinstance(node, ast.Assign)
            and any(isinstance(target, ast.Name) and target.id == "SECRET_KEY" for target in node.targets)]


def test_config_holds_no_literal_secret_key():
    """No SECRET_KEY in config.py is (or defaults to) a string written in the source."""
    assignments = _secret_key_assignments()
    assert assignments
    literals = [node.lineno for node in assignments for inner in ast.walk(node.value)
                if isinstance(inner, ast.Constant) and isinstance(inner.value, str)
                and inner.value != "SECRET_KEY"]
    assert not literals, f"config.py lines {literals} give SECRET_KEY a literal value"


class _DevelopmentWithoutEnvKey(DevelopmentConfig):
    SECRET_KEY = None  # as when SECRET_KEY is not set in the environment


def test_development_key_is_created_private_and_reused(tmp_path):
    """Without SECRET_KEY, development creates instance/secret_key (mode 0600) once and reuses it."""
    key = _DevelopmentWithoutEnvKey.resolve_secret_key(tmp_path)
    path = tmp_path / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key.encode()) >= 32 and path.read_text().strip() == key
    assert _DevelopmentWithoutEnvKey.resolve_secret_key(tmp_path) == key
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no temporary file left behind


def test_fresh_instance_folders_get_different_development_keys(tmp_path):
    """Two new instance folders never share a development key."""
    first = _DevelopmentWithoutEnvKey.resolve_secret_key(tmp_path / "one")
    second = _DevelopmentWithoutEnvKey.resolve_secret_key(tmp_path / "two")
    assert first != second


def test_environment_secret_key_wins_over_the_instance_file(tmp_path):
    """A SECRET_KEY from the environment is used as is, and no key file is written."""

    class WithEnvKey(DevelopmentConfig):
        SECRET_KEY = "e" * 48

    assert WithEnvKey.resolve_secret_key(tmp_path) == "e" * 48
    assert not (tmp_path / "secret_key").exists()


def _boot_key_digest(env: dict[str, str]) -> str:
    """Start the app in a clean interpreter; a digest of the key that signs its cookies."""
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "CERTQUEST_ENV", "DATABASE_URL"}}
    code = "import hashlib, wsgi; print(hashlib.sha256(wsgi.app.config['SECRET_KEY'].encode()).hexdigest())"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**base, "DATABASE_URL": "sqlite:///:memory:", **env})
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]  # the app's JSON logs come first


def test_plain_start_signs_with_the_instance_key():
    """`make run` or a plain `gunicorn wsgi:app` sign cookies with instance/secret_key, the same on every start."""
    first, second = _boot_key_digest({}), _boot_key_digest({})
    stored = (ROOT / "instance" / "secret_key").read_text().strip()
    assert first == second == hashlib.sha256(stored.encode()).hexdigest()


def test_testing_key_is_random_per_run():
    """Each test run signs with its own random key, never one written in the source."""
    assert _boot_key_digest({"CERTQUEST_ENV": "testing"}) != _boot_key_digest({"CERTQUEST_ENV": "testing"})

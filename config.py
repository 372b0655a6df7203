"""Configuration classes. This is the only module that reads the environment.

`create_app()` takes one of these classes; `config_for_environment()` picks one from
`CERTQUEST_ENV` (development, testing, production). Product numbers live here too, so a
change of rule is a change of configuration, not of code.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INSTANCE_DIR = ROOT / "instance"

# Secrets that must never be accepted in production: defaults from tutorials and our own
# development value.
KNOWN_WEAK_SECRETS = frozenset(
    {
        "dev",
        "secret",
        "changeme",
        "change-me",
        "development-only-secret-key-not-for-production",
        "you-will-never-guess",
        "super-secret",
    }
)
MIN_SECRET_BYTES = 32


class ConfigError(RuntimeError):
    """Raised when the environment cannot produce a safe configuration."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _int_env(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def normalise_database_url(url: str) -> str:
    """Route plain postgres URLs to the psycopg 3 driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_options_for(url: str) -> dict:
    """Engine options per backend: recover from restarts on PostgreSQL, wait on SQLite locks."""
    if url.startswith("postgresql"):
        return {
            "pool_pre_ping": True,
            "pool_recycle": 1800,
            "connect_args": {"connect_timeout": 2},
        }
    return {"connect_args": {"timeout": 5}}


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    APP_VERSION = "1.0.0"
    SECRET_KEY = _env("SECRET_KEY", "development-only-secret-key-not-for-production")
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        _env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'certquest.db'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS = engine_options_for(SQLALCHEMY_DATABASE_URI)
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLITE_BUSY_TIMEOUT_MS = 5000
    HEALTH_DB_TIMEOUT_SECONDS = 2

    REDIS_URL = _env("REDIS_URL")
    LOG_LEVEL = (_env("LOG_LEVEL", "INFO") or "INFO").upper()
    PROXY_COUNT = _int_env("PROXY_COUNT", 0)
    MAX_CONTENT_LENGTH = 1024 * 1024

    # Sessions and cookies.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    PERMANENT_SESSION_LIFETIME = timedelta(days=30)

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # Accounts.
    PASSWORD_HASH_METHOD = "scrypt"  # werkzeug's default, named so tests can choose a cheap one
    LOGIN_RATE_LIMIT = "10 per minute"  # per IP, on sign-in, registration and the token endpoint
    LOGIN_MAX_FAILURES_PER_HOUR = 20  # per account; more locks password sign-in for the hour
    API_TOKEN_TTL_DAYS = 30

    # Quizzes.
    QUIZ_MIN_COUNT = 5
    QUIZ_MAX_COUNT = 90
    QUIZ_DEFAULT_COUNT = 30
    QUIZ_SECONDS_PER_QUESTION = 72  # the real exams' pace: 90 questions in 90 minutes
    QUIZ_MAX_SECONDS_PER_ACTION = 600  # time credited to a question per action, at most
    QUIZ_START_RATE_LIMIT = "30 per hour"  # per learner, browser and API together

    # XP rules (README, "Gamification"). Study mode and abandoned quizzes earn nothing.
    XP_PER_CORRECT_ANSWER = 10
    XP_BONUS_MIN_QUESTIONS = 10  # completion and perfect-score bonuses need at least this many
    XP_COMPLETION_BONUS = 50
    XP_PERFECT_SCORE_BONUS = 100
    XP_SIMULATION_PASSED = 200
    # Anti-farming: a scraped answer key can earn no more than honest play of the same questions.
    XP_RECREDIT_DAYS = 30  # a correct answer earns XP only if that question earned none in this many days
    XP_COMPLETION_MIN_ANSWERED_PERCENT = 90  # the completion bonus needs this share answered
    XP_BONUS_MIN_CREDITED_PERCENT = 50  # no bonus unless this share of the questions earned answer XP
    XP_MIN_SECONDS_PER_QUESTION = 5  # a faster average pace is scored but earns no XP

    # Rate limits and cache share Redis when several app servers run.
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # A sliding 60 s window: "10 a minute" never allows 20 across a minute boundary.
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_ENABLED = True
    CACHE_TYPE = "RedisCache" if REDIS_URL else "SimpleCache"
    CACHE_REDIS_URL = REDIS_URL
    CACHE_DEFAULT_TIMEOUT = 300

    # OpenAPI document for the JSON API (flask-smorest).
    API_TITLE = "CertQuest API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    HOST = _env("HOST", "127.0.0.1")
    PORT = _int_env("PORT", 5000)

    @classmethod
    def validate(cls) -> None:
        """Refuse to run with an unsafe configuration. Only production is strict."""


class DevelopmentConfig(Config):
    """Local development on SQLite; debug tooling off by default, logs readable."""

    ENV_NAME = "development"


class TestingConfig(Config):
    """The test suite. `TEST_DATABASE_URL` selects the PostgreSQL leg."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key-that-is-long-enough-0123456789"
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        _env("TEST_DATABASE_URL", "sqlite:///" + str(INSTANCE_DIR / "test.db"))
    )
    SQLALCHEMY_ENGINE_OPTIONS = engine_options_for(SQLALCHEMY_DATABASE_URI)
    WTF_CSRF_ENABLED = False  # switched on explicitly by the CSRF tests
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast for tests; production uses scrypt
    LOGIN_RATE_LIMIT = "1000 per minute"  # the rate-limit tests use the production value
    QUIZ_START_RATE_LIMIT = "1000 per hour"  # likewise
    XP_MIN_SECONDS_PER_QUESTION = 0  # tests answer in milliseconds; the pace tests use the production value
    RATELIMIT_STORAGE_URI = "memory://"
    CACHE_TYPE = "SimpleCache"


class ProductionConfig(Config):
    """gunicorn behind nginx on PostgreSQL. Secrets come only from the environment."""

    ENV_NAME = "production"
    SECRET_KEY = _env("SECRET_KEY")
    PROXY_COUNT = _int_env("PROXY_COUNT", 1)
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def validate(cls) -> None:
        secret = cls.SECRET_KEY
        if not secret:
            raise ConfigError("SECRET_KEY must be set in production")
        if secret.lower() in KNOWN_WEAK_SECRETS:
            raise ConfigError("SECRET_KEY is a known default; generate a random one")
        if len(secret.encode("utf-8")) < MIN_SECRET_BYTES:
            raise ConfigError(f"SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for_environment() -> type[Config]:
    """The config class named by `CERTQUEST_ENV` (default: development)."""
    name = (_env("CERTQUEST_ENV", "development") or "development").lower()
    try:
        return CONFIGS[name]
    except KeyError as exc:
        raise ConfigError(f"CERTQUEST_ENV must be one of {sorted(CONFIGS)}, got {name!r}") from exc

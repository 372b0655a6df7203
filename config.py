"""Configuration classes. This is the only module that reads the environment.

`create_app()` takes one of these classes; `config_for_environment()` picks one from
`CERTQUEST_ENV` (development, testing, production). Product numbers live here too, so a
change of rule is a change of configuration, not of code.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INSTANCE_DIR = ROOT / "instance"

# Secrets that must never be accepted in production: defaults from tutorials and the literal
# development value older releases shipped.
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
SECRET_KEY_FILE = "secret_key"  # under the instance folder, for development only


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


def development_secret_key(instance_dir: Path | str) -> str:
    """The development signing key: `instance_dir/secret_key`, created on first start.

    A new key is written to a private temporary file (mode 0600) and then hard-linked into
    place, which fails if the file exists: two processes starting at once agree on one key,
    and no process ever reads a half-written file.
    """
    path = Path(instance_dir) / SECRET_KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key-")  # O_EXCL, 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_urlsafe(48) + "\n")
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process won the race; use its key
        finally:
            os.unlink(temporary)
    key = path.read_text(encoding="utf-8").strip()
    if len(key.encode("utf-8")) < MIN_SECRET_BYTES:
        raise ConfigError(f"instance/{SECRET_KEY_FILE} holds fewer than {MIN_SECRET_BYTES} bytes; "
                          "delete it and a new key is generated")
    return key
def default_workers() -> int:
    """gunicorn's worker count when WEB_CONCURRENCY is not set (deploy/gunicorn.conf.py uses it)."""
    return (os.cpu_count() or 1) * 2 + 1


def _hosts_env(name: str) -> list[str] | None:
    raw = _env(name)
    if raw is None:
        return None
    return [host.strip() for host in raw.split(",") if host.strip()] or None


def normalise_database_url(url: str) -> str:
    """Route plain postgres URLs to the psycopg 3 driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# Connection pool per process (one gunicorn worker is one process): a sync worker serves one
# request at a time, so a small pool is plenty; docs/PRODUCTION.md ("Connection budget") does the
# arithmetic against PostgreSQL's max_connections for N app servers.
DB_POOL_SIZE = _int_env("DB_POOL_SIZE", 5)
DB_MAX_OVERFLOW = _int_env("DB_MAX_OVERFLOW", 2)
DB_POOL_TIMEOUT_SECONDS = _int_env("DB_POOL_TIMEOUT", 10)  # wait this long for a free connection, then fail
# PostgreSQL cancels any statement running longer than this (milliseconds; 0 turns it off). Below
# gunicorn's 30 s worker timeout, so a runaway query ends as an error, not as a killed worker.
DB_STATEMENT_TIMEOUT_MS = _int_env("DB_STATEMENT_TIMEOUT_MS", 25000)
# PostgreSQL's plan_cache_mode for every connection ("": the server's own, `auto`). psycopg
# prepares a statement after 5 runs, and PostgreSQL may then keep one generic plan for it.
# Measured both ways (docs/PERFORMANCE.md, "Plans per learner"): force_custom_plan made the
# typical learner's study answer and bookmarks page 2 to 3 times faster in SQL, but the heavy
# learner's analytics 3 times slower, past their 20 ms target, so the default stays `auto`.
DB_PLAN_CACHE_MODE = _env("DB_PLAN_CACHE_MODE", "")


def engine_options_for(url: str, pool_size: int = DB_POOL_SIZE, max_overflow: int = DB_MAX_OVERFLOW,
                       pool_timeout: int = DB_POOL_TIMEOUT_SECONDS,
                       statement_timeout_ms: int = DB_STATEMENT_TIMEOUT_MS,
                       plan_cache_mode: str = DB_PLAN_CACHE_MODE) -> dict:
    """Engine options per backend: on PostgreSQL a bounded pool per worker, recovery from restarts,
    a server-side statement_timeout and plan_cache_mode; on SQLite, waiting on locks."""
    if url.startswith("postgresql"):
        connect_args: dict = {"connect_timeout": 2}
        settings = []
        if statement_timeout_ms:
            settings.append(f"-c statement_timeout={int(statement_timeout_ms)}")
        if plan_cache_mode:
            if plan_cache_mode not in ("auto", "force_custom_plan", "force_generic_plan"):
                raise ValueError(f"DB_PLAN_CACHE_MODE must be auto, force_custom_plan or force_generic_plan, not {plan_cache_mode!r}")
            settings.append(f"-c plan_cache_mode={plan_cache_mode}")
        if settings:
            connect_args["options"] = " ".join(settings)
        return {
            "pool_pre_ping": True,
            "pool_recycle": 1800,
            "pool_size": pool_size,
            "max_overflow": max_overflow,
            "pool_timeout": pool_timeout,
            "connect_args": connect_args,
        }
    return {"connect_args": {"timeout": 5}}


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    APP_VERSION = "1.0.0"
    # No default: development reads or creates one in instance/ (`resolve_secret_key`), tests
    # draw a random one per run, production refuses to start without a strong one.
    SECRET_KEY = _env("SECRET_KEY")
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
    # A "remember me" sign-in lasts this long from the moment of sign-in, checked on the server
    # (the signed identity carries the sign-in time), however often the cookie is replayed.
    REMEMBER_COOKIE_MAX_AGE_DAYS = 30
    REMEMBER_COOKIE_DURATION = timedelta(days=REMEMBER_COOKIE_MAX_AGE_DAYS)
    # A sign-in without "remember me" ends this long after sign-in, however active the session.
    SESSION_ABSOLUTE_LIFETIME = timedelta(hours=12)
    PERMANENT_SESSION_LIFETIME = timedelta(days=REMEMBER_COOKIE_MAX_AGE_DAYS)

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # Accounts.
    PASSWORD_HASH_METHOD = "scrypt"  # werkzeug's default, named so tests can choose a cheap one
    # Per IP: one budget shared by the web sign-in and POST /api/v1/auth/token, and another one
    # shared by the two registration routes.
    LOGIN_RATE_LIMIT = "10 per minute"
    # Failed password checks (sign-in and /account's current-password checks); README, "Accounts".
    LOGIN_FAILURES_PER_ADDRESS = "5 per 15 minutes"  # per account and address: pauses that pair
    LOGIN_FAILURES_PER_ACCOUNT = "20 per 5 minutes"  # per account: pauses it for unknown addresses
    LOGIN_FAILURES_PER_DAY = "100 per day"  # per account: then only known addresses may try
    LOGIN_KNOWN_ADDRESS_DAYS = 30  # a successful sign-in from an address makes it known this long
    LOGIN_KNOWN_ADDRESS_FAILURES_PER_DAY = "10 per day"  # per known address while the account is paused
    API_TOKEN_TTL_DAYS = 30

    # Quizzes.
    QUIZ_MIN_COUNT = 5
    QUIZ_MAX_COUNT = 90
    QUIZ_DEFAULT_COUNT = 30
    # The real exams' pace: 90 minutes for a typical 75 questions (90 at most). Practice quizzes are
    # timed at it, and pacing and the review ratings measure time against it (webapp/learning/ratings.py).
    QUIZ_SECONDS_PER_QUESTION = 72
    QUIZ_MAX_SECONDS_PER_ACTION = 600  # time credited to a question per action, at most
    # Exam simulations open with this many ordering/matching questions, as the real exams do
    # (fewer only when the bank has fewer).
    SIMULATION_PBQ_MIN = 3
    SIMULATION_PBQ_MAX = 5
    QUIZ_START_RATE_LIMIT = "30 per hour"  # per learner, browser and API together

    # Study mode (README, "What counts"): untimed, counts and time per action as for quizzes.
    STUDY_START_RATE_LIMIT = "30 per hour"  # per learner, browser and API together
    # A local day with at least this many study answers counts as an active streak day.
    STUDY_STREAK_MIN_ANSWERS = 10
    # Private notes (one per learner per question): at most this many characters, counted after
    # trimming and with line breaks as one character. The note form, its character count, the API
    # and the README read it.
    NOTE_MAX_LENGTH = 5000
    # The bookmarks page lists this many bookmarks a page. Each is a whole question card (stem,
    # choices, tags, note and four controls): ten keep a page readable on a phone, and fast.
    BOOKMARKS_PER_PAGE = 10
    # Rendered question parts of bookmark cards kept per process (webapp/bookmarks/cards.py; keyed
    # by the content itself, so never stale): two per question (answer shown or not) fit the bank.
    BOOKMARK_CARD_CACHE_SIZE = 4096

    # Daily goals (docs/API.md, "Goals"): the bounds of each goal's daily target, which the goal
    # form, the API's 400 and the help text quote. An exam-date suggestion is clamped to the
    # questions bounds.
    GOAL_DAILY_QUESTIONS_MIN = 5
    GOAL_DAILY_QUESTIONS_MAX = 500
    GOAL_DAILY_MINUTES_MIN = 5
    GOAL_DAILY_MINUTES_MAX = 300
    # The goal history (widget and API) covers this many local days, today included.
    GOAL_HISTORY_DAYS = 14
    # An exam date may be at most this many days ahead (400 EXAM_DATE_TOO_FAR): a CompTIA voucher
    # is valid for 12 months and an exam version runs about three years, so two years covers any
    # real booking, and a typo such as 2299 gets a clear error instead of a 100,000-day countdown.
    EXAM_DATE_MAX_DAYS_AHEAD = 730

    # Analytics (README, "Progress and weak areas"; docs/API.md, "Analytics"). An objective is a
    # weak area when the learner's accuracy on it is below WEAK_AREA_ACCURACY_BELOW percent over at
    # least WEAK_AREA_MIN_ATTEMPTS answers (fewer say too little to call it weak).
    WEAK_AREA_ACCURACY_BELOW = 70
    WEAK_AREA_MIN_ATTEMPTS = 10
    # /progress lists this many weak areas (the worst first), each with its two start buttons; a
    # learner with dozens would get a very long page (and 80 forms cost ~25 ms): the count of the
    # rest is shown, and choosing an exam narrows the list.
    PROGRESS_WEAK_AREAS_SHOWN = 10
    # An exam is a weak exam type when its average quiz score is below WEAK_EXAM_SCORE_BELOW
    # percent, or when the learner has fewer than WEAK_EXAM_MIN_ATTEMPTS answers on it (too little
    # practice to rely on); only exams with at least one answer are judged.
    WEAK_EXAM_SCORE_BELOW = 70
    WEAK_EXAM_MIN_ATTEMPTS = 50
    # An objective's trend compares its answers of the last ANALYTICS_TREND_DAYS local days with
    # everything before (pooled two-proportion z-test, two-sided): a difference counts at a p-value
    # below ANALYTICS_TREND_SIGNIFICANCE with at least ANALYTICS_TREND_MIN_ATTEMPTS answers on each
    # side; otherwise the trend is "stable".
    ANALYTICS_TREND_DAYS = 30
    ANALYTICS_TREND_SIGNIFICANCE = 0.05
    ANALYTICS_TREND_MIN_ATTEMPTS = 10

    # Practice recommendations (README, "Practice recommendations"; docs/API.md, "Recommendations").
    # Deterministic: score = impact x urgency. Impact is a domain's weight x its gap (percentage
    # points) to RECOMMEND_TARGET_ACCURACY; urgency grows with the days since the exam was last
    # practised (up to +1 at RECOMMEND_URGENCY_MAX_DAYS days) and as a set exam date comes
    # within RECOMMEND_EXAM_HORIZON_DAYS (up to +2 on the day).
    RECOMMEND_MAX = 5  # at most this many, best first
    RECOMMEND_TARGET_ACCURACY = 80
    RECOMMEND_STALE_DAYS = 3  # an exam not practised for this many days is "stale"
    RECOMMEND_URGENCY_MAX_DAYS = 28
    RECOMMEND_EXAM_HORIZON_DAYS = 30
    RECOMMEND_FOCUSED_COUNT = 10  # the focused quiz on a weak objective (fewer if it holds fewer)
    RECOMMEND_DIAGNOSTIC_COUNT = 10  # a brand-new learner's first quiz
    # "Late in the day": from this local hour (0-23) a daily goal not yet met is at risk.
    RECOMMEND_GOAL_LATE_HOUR = 18
    # Ready for a simulation: over the last RECOMMEND_RECENT_DAYS local days, at least
    # RECOMMEND_SIMULATION_MIN_ANSWERS answers in every domain of the exam, each domain at
    # RECOMMEND_SIMULATION_ACCURACY percent or more, and no simulation started for
    # RECOMMEND_SIMULATION_GAP_DAYS days.
    RECOMMEND_RECENT_DAYS = 14
    RECOMMEND_SIMULATION_MIN_ANSWERS = 10
    RECOMMEND_SIMULATION_ACCURACY = 85
    RECOMMEND_SIMULATION_GAP_DAYS = 14

    # Spaced review (docs/LEARNING.md, "Spaced review"): FSRS-6 through the `fsrs` package with its
    # default parameters, no fuzzing (a rebuild gives the same schedule). Each answer is a review,
    # rated from its verdict, its confidence and its time against the exam's pace (duration /
    # question count): wrong is Again; right but "guessed", or slower than REVIEW_HARD_PACE_RATIO
    # x the pace, is Hard; right, "sure" and at most REVIEW_EASY_PACE_RATIO x the pace is Easy;
    # any other right answer is Good.
    REVIEW_DESIRED_RETENTION = 0.9
    REVIEW_MAXIMUM_INTERVAL_DAYS = 365
    REVIEW_LEARNING_STEPS_MINUTES = (60, 1440)
    REVIEW_RELEARNING_STEPS_MINUTES = (1440,)
    REVIEW_HARD_PACE_RATIO = 2.0
    REVIEW_EASY_PACE_RATIO = 1.0
    # Pacing (docs/LEARNING.md, "Pacing"): an answer is slow when it took more than
    # PACING_SLOW_RATIO x the exam's pace. That is the rating map's "slower than twice the pace",
    # so it is the same value, not a second copy. The API and the pages list at most
    # PACING_SLOW_LISTED slow answers (the slowest first) and give the count of the rest.
    PACING_SLOW_RATIO = REVIEW_HARD_PACE_RATIO
    PACING_SLOW_LISTED = 20
    # Confidence-aware review lists (docs/LEARNING.md): each list shows at most this many
    # questions, with the count of the rest; "Study these" takes them all (QUIZ_MAX_COUNT at most).
    CONFIDENCE_LIST_SHOWN = 10
    # Mastery per objective (docs/LEARNING.md, "Mastery"): a Beta prior updated by
    # each answer with weight 2^(-age in days / MASTERY_HALF_LIFE_DAYS). "Mastered" means
    # P(accuracy >= MASTERY_TARGET) >= MASTERY_CONFIDENCE; the bars show the MASTERY_INTERVAL
    # credible interval.
    MASTERY_PRIOR = (1.0, 1.0)
    # Each objective's and domain's prior is centred on the learner's own accuracy over the exam
    # (under MASTERY_PRIOR), this many answers strong (docs/LEARNING.md, "Mastery").
    MASTERY_PRIOR_STRENGTH = 2.0
    MASTERY_HALF_LIFE_DAYS = 30
    # Every answer teaches: the posterior's mean is moved up by MASTERY_LEARNING_RATE logits per
    # unit of ln(1 + answers) the learner stands past their answers (the power law of practice,
    # fading with MASTERY_HALF_LIFE_DAYS after the last answer; docs/LEARNING.md, "Mastery").
    # Estimated from answer histories, not from exam outcomes: the fixed-effects logistic
    # learning curve that bench/calibration.py reports (0.143 +- 0.012 on its development run).
    MASTERY_LEARNING_RATE = 0.14
    MASTERY_TARGET = 0.8
    MASTERY_CONFIDENCE = 0.9
    MASTERY_INTERVAL = 0.8
    # Readiness (docs/LEARNING.md, "Readiness"): READINESS_SIMULATIONS simulated exams of the
    # exam's question count, shared out by the domain weights; no estimate until every domain has
    # READINESS_MIN_ANSWERS answers; the interval is READINESS_INTERVAL wide. 4,000 draws keep the
    # Monte Carlo standard error of pass_probability under 0.8 points (sqrt(0.25 / 4000)) at
    # two fifths of the CPU of 10,000 (the binomial draws dominate a cold page's figures).
    READINESS_SIMULATIONS = 4000
    READINESS_MIN_ANSWERS = 15
    READINESS_INTERVAL = 0.8
    # Mastery and readiness as shown are remembered per process (webapp/learning/display.py) until
    # the learner answers again, for at most LEARNING_MEMO_SECONDS (the recency decay moves them by
    # a fraction of a percent an hour) and LEARNING_MEMO_SIZE entries; 0 entries switches it off.
    LEARNING_MEMO_SIZE = 4096
    LEARNING_MEMO_SECONDS = 3600

    # Question reports (README, "Reporting a problem"; docs/API.md). A question is flagged for
    # the admins at this many distinct learners with an open report, and withdrawn from new draws
    # at this many distinct open "incorrect" reports, until an admin resolves them.
    FEEDBACK_FLAG_AT = 3
    FEEDBACK_WITHDRAW_AT = 5
    FEEDBACK_COMMENT_MAX_LENGTH = 2000
    FEEDBACK_RATE_LIMIT = "20 per day"  # reports filed or updated per learner, browser and API together
    # The "My reports" page lists this many reports a page.
    FEEDBACK_REPORTS_PER_PAGE = 20

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
    # Redis down: flask-limiter's decorators and webapp.rate_limits' service limits both count in
    # each process's memory until it answers (docs/PRODUCTION.md, "Faults"); the service limits
    # try Redis again after this many seconds.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_STORAGE_RETRY_SECONDS = 5
    # The cache (README, "Cache"; webapp/cache.py). With Redis every process shares one cache and
    # one set of invalidation counters. Without it each process keeps its own, and only the
    # leaderboard's top list is cached (CACHE_SHARED False): an edit made in another process (a
    # second worker, `flask bank import`) could not invalidate this one's copy of the bank.
    CACHE_ENABLED = _env("CACHE_ENABLED", "1") != "0"  # 0 switches the cache off (bench/cache_bench.py)
    CACHE_TYPE = ("RedisCache" if REDIS_URL else "SimpleCache") if CACHE_ENABLED else "NullCache"
    CACHE_REDIS_URL = REDIS_URL
    CACHE_SHARED = bool(REDIS_URL)
    CACHE_KEY_PREFIX = "certquest:"
    CACHE_DEFAULT_TIMEOUT = 300
    # A Redis that stops answering costs a request at most this long per call before the app
    # carries on uncached (socket timeouts, seconds).
    CACHE_OPTIONS = {"socket_timeout": 0.25, "socket_connect_timeout": 0.25} if REDIS_URL else {}
    # After a cache error the app skips the cache this many seconds (one warning, not one a call).
    CACHE_RETRY_AFTER_SECONDS = 5
    # Lifetimes (seconds), the roadmap's defaults. Invalidation is explicit (webapp/cache.py); the
    # lifetime only bounds what no event reaches, such as a learner hiding from the leaderboard.
    CACHE_LEADERBOARD_TIMEOUT = 5 * 60
    CACHE_PROFILE_TIMEOUT = 60  # a learner's own GET /api/v1/users/me, under their id (with Redis only)
    CACHE_CATALOGUE_TIMEOUT = 60 * 60  # the exam catalogue (/exams, /exams/<slug>, /api/v1/exams)
    CACHE_QUESTION_LIST_TIMEOUT = 60 * 60  # pages of /api/v1/questions (with Redis only)

    # Query observability (docs/PERFORMANCE.md). Statements slower than this are logged as JSON
    # ("slow query", logger webapp.sql) with the request id and no parameter values.
    SLOW_QUERY_MS = _int_env("SLOW_QUERY_MS", 50)
    # Count SQL statements per request: the access log's `sql_statements` and the
    # X-SQL-Statements response header (which gunicorn's JSON access line reads). Development and
    # tests only: the header tells an outsider how much work a page costs.
    SQL_STATEMENT_COUNT = False

    # Links in email (the weekly digest) are absolute and built from this public base URL, because a
    # command run from cron has no request to take the host from. No trailing slash.
    EXTERNAL_URL = (_env("EXTERNAL_URL", "http://127.0.0.1:5000") or "").rstrip("/")

    # Outgoing mail over SMTP (webapp/digest/mailer.py). STARTTLS is used when MAIL_USE_STARTTLS is
    # true; MAIL_USERNAME and MAIL_PASSWORD log in when both are set (only after STARTTLS, or on
    # localhost, is that safe). MAIL_SENDER is the From address.
    MAIL_SERVER = _env("MAIL_SERVER", "localhost")
    MAIL_PORT = _int_env("MAIL_PORT", 25)
    MAIL_USERNAME = _env("MAIL_USERNAME")
    MAIL_PASSWORD = _env("MAIL_PASSWORD")
    MAIL_USE_STARTTLS = (_env("MAIL_USE_STARTTLS", "false") or "false").lower() in ("1", "true", "yes")
    MAIL_TIMEOUT_SECONDS = _int_env("MAIL_TIMEOUT_SECONDS", 10)
    MAIL_SENDER = _env("MAIL_SENDER", "CertQuest <no-reply@localhost>")

    # The weekly digest (README, "Weekly digest"; `flask digest send`). A `sending` claim older than
    # this is taken to be a run that died mid-send, and the next run claims the week again.
    DIGEST_CLAIM_TIMEOUT_MINUTES = 30
    # The digest's one-click unsubscribe link works this long after the email was sent.
    DIGEST_UNSUBSCRIBE_MAX_AGE_DAYS = 60
    # The digest lists this many weak areas (worst first, as /progress ranks them).
    DIGEST_WEAK_AREAS = 3

    # OpenAPI document for the JSON API (flask-smorest).
    API_TITLE = "CertQuest API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    HOST = _env("HOST", "127.0.0.1")
    PORT = _int_env("PORT", 5000)
    # gunicorn worker processes (deploy/gunicorn.conf.py reads the same variable and default).
    WEB_CONCURRENCY = _int_env("WEB_CONCURRENCY", default_workers())
    # Host names the app answers to (Flask answers 400 to any other Host); None accepts any.
    TRUSTED_HOSTS: list[str] | None = _hosts_env("TRUSTED_HOSTS")

    @classmethod
    def validate(cls) -> None:
        """Refuse to run with an unsafe configuration. Only production is strict."""

    @classmethod
    def resolve_secret_key(cls, instance_dir: Path) -> str:
        """The key that signs cookies: `SECRET_KEY` when set, else the instance folder's own key.

        Called by `create_app`, not at import time, so importing this module does no file I/O.
        """
        return cls.SECRET_KEY or development_secret_key(instance_dir)


class DevelopmentConfig(Config):
    """Local development on SQLite; debug tooling off by default, logs readable."""

    ENV_NAME = "development"
    SQL_STATEMENT_COUNT = True


class TestingConfig(Config):
    """The test suite. `TEST_DATABASE_URL` selects the PostgreSQL leg."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = secrets.token_urlsafe(48)  # a new one each run
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        _env("TEST_DATABASE_URL", "sqlite:///" + str(INSTANCE_DIR / "test.db"))
    )
    SQLALCHEMY_ENGINE_OPTIONS = engine_options_for(SQLALCHEMY_DATABASE_URI)
    WTF_CSRF_ENABLED = False  # switched on explicitly by the CSRF tests
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast for tests; production uses scrypt
    LOGIN_RATE_LIMIT = "1000 per minute"  # the rate-limit tests use the production value
    QUIZ_START_RATE_LIMIT = "1000 per hour"  # likewise
    STUDY_START_RATE_LIMIT = "1000 per hour"  # likewise
    XP_MIN_SECONDS_PER_QUESTION = 0  # tests answer in milliseconds; the pace tests use the production value
    RATELIMIT_STORAGE_URI = "memory://"
    CACHE_TYPE = "SimpleCache"
    CACHE_OPTIONS: dict = {}
    CACHE_SHARED = True  # the suite is one process: its SimpleCache is the whole cache
    SQL_STATEMENT_COUNT = True


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
        if cls.WEB_CONCURRENCY > 1 and not cls.REDIS_URL:
            raise ConfigError(
                f"{cls.WEB_CONCURRENCY} gunicorn workers without REDIS_URL would each keep their own "
                "rate-limit and lockout counters (multiplying every limit): set REDIS_URL, or run one "
                "worker with WEB_CONCURRENCY=1")
        if not cls.TRUSTED_HOSTS:
            raise ConfigError("TRUSTED_HOSTS must be set in production: the comma-separated host names "
                              "the site is served under (for example certquest.example.com)")

    @classmethod
    def resolve_secret_key(cls, instance_dir: Path) -> str:
        """Only the environment's key, already checked by `validate`; never a file."""
        return cls.SECRET_KEY


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

"""A deterministic, realistic data set for the quiz benchmarks.

Fills an empty database (SQLite or PostgreSQL) with:

- the bundled question bank (`load_bundled_bank_if_empty`);
- N users (default 10,000) sharing one precomputed password hash (`bench-password-0000`);
- M historical answers (default 1,000,000) over the last D days (default 180), in completed
  quiz attempts (practice mostly, some 90-question exam simulations) with their
  `attempt_questions` and `attempt_results` rows, plus ~5% abandoned attempts (questions
  drawn, nothing in the history).

Shape of the history:

- answers per user follow a shifted Zipf law, (rank + 1 + c) ** -s (s = 1.1, c solved so the
  heaviest user has ~11,000 answers): the top 10% of users hold ~70% of the answers, the
  median user ~24 (about one quiz);
- each user has a primary exam (Security+ for the heaviest) that gets ~85% of their attempts;
- questions are drawn the way the app draws them (unseen first, then answered longest ago;
  exam simulations by domain weight), so per-question recency in `answers` is realistic;
- P(correct) = logistic(user skill + learning over the user's attempts + 0.3 if seen before
  - objective difficulty - 0.45 * (question difficulty - 2));
- attempts are inserted in global chronological order (ids grow with time, as in
  production), so one user's answers are scattered over the table, not clustered.

Everything is a function of `--seed` and the anchor time (`--anchor`, default: today 00:00
UTC), so two runs on the same day produce identical data.

Inserts are batched Core executemany statements of ~10,000 rows, one transaction per batch.
ANALYZE runs at the end (VACUUM ANALYZE on PostgreSQL, so the visibility map is set as
autovacuum would have it in steady state).

Gamification (XP ledger, user totals, weekly XP, streaks, achievements) is derived from the
history with the app's own rules and written in batches; --no-gamification leaves it empty.

A planted bad key (on by default, --no-plant-bad-key to leave it out): one single-answer
question of the most popular exam, chosen from the seed (`choose_planted_key`), is stored with a
wrong key. Its TRUE answer is one of the stored distractors: a learner who knows the answer
(the same P(correct) draw as every question) picks that distractor and is scored wrong, and one
who does not guesses among the other choices, the stored key included. The item statistics must
flag it (bench/item_stats_bench.py checks). Its selections use their own random stream, so the
rest of the data set is the same with or without the plant.

Usage:
    python bench/generate_data.py [--database-url URL] [--seed 701] [--users 10000]
                                  [--answers 1000000] [--days 180] [--no-gamification]
Without --database-url a fresh SQLite file is created under a new temp directory (kept, and
printed, so it can be reused: `python bench/quiz_bench.py --database-url sqlite:///... --reuse`).

The benchmark imports `generate(url, ...)` and `pick_bench_users(connection)`.
"""

from __future__ import annotations

import argparse
import bisect
import math
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from config import Config, ProductionConfig, engine_options_for, normalise_database_url  # noqa: E402

DEFAULT_SEED = 701
DEFAULT_USERS = 10_000
DEFAULT_ANSWERS = 1_000_000
DEFAULT_DAYS = 180
DEFAULT_HEAVY_ANSWERS = 11_000
DEFAULT_ZIPF_S = 1.1
DEFAULT_BATCH_ROWS = 10_000
BENCH_PASSWORD = "bench-password-0000"
BENCH_SECRET = "benchmark-secret-key-0123456789abcdef-xyz"

# Exam popularity for a user's primary exam; unknown slugs share what is left.
EXAM_POPULARITY = {"security": 0.45, "network": 0.25, "aplus-core1": 0.15, "aplus-core2": 0.15}
PRIMARY_EXAM_SHARE = 0.85
EXAM_SIM_SHARE = 0.12  # share of completed attempts that are 90-question simulations
UNTIMED_PRACTICE_SHARE = 0.2
ABANDON_SHARE = 0.05
UNANSWERED_IN_EXAM = 0.02
PRACTICE_SIZES = (10, 10, 15, 20, 20, 25, 30, 30, 30, 30, 40, 50, 60)
GAP_SECONDS = 60  # minimum pause between two attempts of one user

Log = Callable[[str], None]


def bench_config(url: str) -> type[Config]:
    """A production-like config pointing at `url` (production engine options: pre-ping on PG)."""
    url = normalise_database_url(url)

    class BenchConfig(ProductionConfig):
        ENV_NAME = "bench"
        SECRET_KEY = BENCH_SECRET
        SQLALCHEMY_DATABASE_URI = url
        SQLALCHEMY_ENGINE_OPTIONS = engine_options_for(url)
        LOG_LEVEL = "WARNING"
        RATELIMIT_ENABLED = False
        RATELIMIT_STORAGE_URI = "memory://"
        CACHE_TYPE = "SimpleCache"
        REDIS_URL = None
        WEB_CONCURRENCY = 1  # one process: in-memory counters are the only ones
        TRUSTED_HOSTS = ["localhost", "127.0.0.1"]

    return BenchConfig


def backend_of(url: str) -> str:
    return "postgresql" if url.startswith("postgres") else "sqlite"


def migrate(url: str) -> None:
    """Create the schema with the real migrations: `flask db upgrade` in a subprocess."""
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "wsgi.py", "CERTQUEST_ENV": "development",
           "LOG_LEVEL": "WARNING"}
    proc = subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"flask db upgrade failed:\n{proc.stdout}\n{proc.stderr}")


def make_engine(url: str) -> sa.Engine:
    """A plain engine for bulk loading, with the app's SQLite pragmas."""
    url = normalise_database_url(url)
    engine = sa.create_engine(url, **engine_options_for(url))
    if engine.dialect.name == "sqlite":
        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
    return engine


@dataclass
class BankQuestion:
    id: int
    exam_index: int
    objective_id: int
    domain_id: int
    difficulty: int
    select_count: int
    choice_ids: list[int]
    correct_ids: list[int]


@dataclass
class BankExam:
    id: int
    slug: str
    question_count: int
    duration_minutes: int
    passing_score: int
    domain_ids: list[int]
    domain_numbers: list[str]
    domain_weights: list[int]
    objective_codes: dict[int, str]
    question_ids: list[int]  # by external_id
    by_domain: dict[int, list[int]]


def read_bank(conn: sa.Connection) -> tuple[list[BankExam], dict[int, BankQuestion]]:
    """Exams (by slug) and questions (by external_id): an order independent of database ids."""
    exams_rows = conn.execute(sa.text(
        "SELECT id, slug, question_count, duration_minutes, passing_score FROM exams WHERE is_active "
        "ORDER BY slug")).all()
    exams: list[BankExam] = []
    exam_index = {}
    for i, (eid, slug, qcount, minutes, passing) in enumerate(exams_rows):
        domains = conn.execute(sa.text("SELECT id, number, weight_percent FROM domains WHERE exam_id = :e "
                                       "ORDER BY position"), {"e": eid}).all()
        objectives = dict(conn.execute(sa.text("SELECT id, code FROM objectives WHERE exam_id = :e"),
                                       {"e": eid}).all())
        exams.append(BankExam(eid, slug, qcount, minutes, passing, [d[0] for d in domains],
                              [d[1] for d in domains], [d[2] for d in domains], objectives, [],
                              {d[0]: [] for d in domains}))
        exam_index[eid] = i
    choices: dict[int, list[tuple[int, int, bool]]] = defaultdict(list)
    for cid, qid, position, correct in conn.execute(sa.text(
            "SELECT id, question_id, position, is_correct FROM choices")):
        choices[qid].append((position, cid, bool(correct)))
    questions: dict[int, BankQuestion] = {}
    for qid, eid, oid, did, difficulty, select_count in conn.execute(sa.text(
            "SELECT q.id, q.exam_id, q.objective_id, o.domain_id, q.difficulty, q.select_count "
            "FROM questions q JOIN objectives o ON o.id = q.objective_id "
            "WHERE q.is_active ORDER BY q.external_id")):
        if eid not in exam_index:
            continue
        ordered = sorted(choices[qid])
        q = BankQuestion(qid, exam_index[eid], oid, did, difficulty, select_count,
                         [c for _p, c, _ok in ordered], [c for _p, c, ok in ordered if ok])
        questions[qid] = q
        exam = exams[exam_index[eid]]
        exam.question_ids.append(qid)
        exam.by_domain[did].append(qid)
    return exams, questions


def zipf_counts(users: int, total: int, heavy: int, s: float) -> list[int]:
    """Answers per user rank: (r + 1 + c) ** -s, c solved so rank 0 gets ~`heavy`; sums to `total`."""
    def top_share(c: float) -> float:
        weights = [(r + 1 + c) ** -s for r in range(users)]
        return weights[0] / sum(weights)

    lo, hi = 0.0, 100_000.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if top_share(mid) * total > heavy:
            lo = mid
        else:
            hi = mid
    weights = [(r + 1 + lo) ** -s for r in range(users)]
    weight_sum = sum(weights)
    quotas = [total * w / weight_sum for w in weights]
    counts = [math.floor(q) for q in quotas]
    leftover = total - sum(counts)
    for i in sorted(range(users), key=lambda i: (-(quotas[i] - counts[i]), i))[:leftover]:
        counts[i] += 1
    return counts


@dataclass(frozen=True)
class PlantedKey:
    """The question whose stored key is wrong: learners who know the answer pick `true_choice_id`."""

    question_id: int
    external_id: str
    stored_key_id: int
    true_choice_id: int

    def describe(self) -> str:
        return (f"question {self.question_id} ({self.external_id}): stored key choice {self.stored_key_id}, "
                f"true answer choice {self.true_choice_id}")


PLANT_SALT = 0xBAD  # mixed into the seed so the pick does not consume the data set's random stream


def choose_planted_key(conn: sa.Connection, exams: list[BankExam], questions: dict[int, BankQuestion],
                       seed: int) -> PlantedKey:
    """Pick the planted question from `seed` alone (same bank, same seed: same question), so a
    benchmark on an existing data set can name it without a record in the database."""
    rng = random.Random(seed * 7919 + PLANT_SALT)
    popularity = [EXAM_POPULARITY.get(e.slug, 0.0) for e in exams]
    exam = exams[max(range(len(exams)), key=lambda i: (popularity[i], -i))]
    candidates = [qid for qid in exam.question_ids  # external_id order
                  if questions[qid].select_count == 1 and len(questions[qid].correct_ids) == 1
                  and len(questions[qid].choice_ids) >= 3]
    q = questions[rng.choice(candidates)]
    distractors = [c for c in q.choice_ids if c not in q.correct_ids]
    external_id = conn.execute(sa.text("SELECT external_id FROM questions WHERE id = :q"), {"q": q.id}).scalar_one()
    return PlantedKey(q.id, external_id, q.correct_ids[0], rng.choice(distractors))


@dataclass
class PlannedAttempt:
    rank: int
    exam_index: int
    mode: str
    size: int
    status: str  # completed | abandoned
    answered: int  # questions answered (all of them when completed, unless left blank in an exam)
    timed: bool
    limit: int | None
    durations: list[float]
    progress: float  # 0..1: position among the user's attempts (learning)
    started: float = 0.0  # epoch seconds

    @property
    def active_seconds(self) -> float:
        return sum(self.durations)


@dataclass
class PlannedUser:
    rank: int
    user_id: int
    answers: int
    primary_exam: int
    skill: float
    created_at: float
    attempts: list[PlannedAttempt] = field(default_factory=list)


def _durations(rng: random.Random, n: int, limit: int | None) -> list[float]:
    durations = [min(600.0, max(3.0, rng.lognormvariate(math.log(40), 0.6))) for _ in range(n)]
    if limit and sum(durations) > 0.97 * limit:
        scale = 0.97 * limit / sum(durations)
        durations = [d * scale for d in durations]
    return durations


def _weighted_pick(rng: random.Random, weights: list[float]) -> int:
    cumulative = []
    running = 0.0
    for w in weights:
        running += w
        cumulative.append(running)
    return bisect.bisect_right(cumulative, rng.random() * running)


def plan_users(rng: random.Random, exams: list[BankExam], users: int, answers: int, days: int, heavy: int,
               zipf_s: float, anchor: float) -> list[PlannedUser]:
    counts = zipf_counts(users, answers, heavy, zipf_s)
    ids = list(range(1, users + 1))
    rng.shuffle(ids)  # the heaviest user is not user 1
    known = [EXAM_POPULARITY.get(e.slug) for e in exams]
    rest = (1.0 - sum(w for w in known if w)) / max(1, sum(1 for w in known if not w))
    popularity = [w if w else max(rest, 0.05) for w in known]
    most_popular = max(range(len(exams)), key=lambda i: (popularity[i], -i))
    period = days * 86400.0
    plan: list[PlannedUser] = []
    for rank, (user_id, target) in enumerate(zip(ids, counts)):
        primary = most_popular if rank == 0 else _weighted_pick(rng, popularity)
        skill = rng.gauss(0.35, 0.6) + 0.12 * math.log10(max(target, 1) / 25)
        user = PlannedUser(rank, user_id, target, primary, skill, 0.0)
        remaining = target
        attempts: list[PlannedAttempt] = []
        while remaining > 0:
            exam_index = primary if (len(exams) == 1 or rng.random() < PRIMARY_EXAM_SHARE) else \
                rng.choice([i for i in range(len(exams)) if i != primary])
            exam = exams[exam_index]
            if rng.random() < ABANDON_SHARE:
                size = rng.choice(PRACTICE_SIZES)
                answered = rng.randrange(size)
                attempts.append(PlannedAttempt(rank, exam_index, "practice", size, "abandoned", answered, True,
                                               size * 72, _durations(rng, answered, size * 72), 0.0))
            if remaining >= exam.question_count and rng.random() < EXAM_SIM_SHARE:
                size, mode = exam.question_count, "exam"
                timed, limit = True, exam.duration_minutes * 60
            else:
                size, mode = min(rng.choice(PRACTICE_SIZES), remaining), "practice"
                if remaining - size < 5 and remaining <= 90:
                    size = remaining
                timed = rng.random() >= UNTIMED_PRACTICE_SHARE
                limit = size * 72 if timed else None
            size = min(size, len(exam.question_ids))
            attempts.append(PlannedAttempt(rank, exam_index, mode, size, "completed", size, timed, limit,
                                           _durations(rng, size, limit), 0.0))
            remaining -= size
        # Place the attempts in the user's active window without overlaps: sorted random offsets
        # in the free time, plus the running total of the earlier attempts' durations.
        share = rng.uniform(0.93, 1.0) if rank < 100 else rng.uniform(0.05, 1.0)
        window_end = anchor - 600.0
        window_start = window_end - period * share
        busy = sum(a.active_seconds + GAP_SECONDS for a in attempts)
        free = max(0.0, window_end - window_start - busy)
        offsets = sorted(rng.uniform(0, free) for _ in attempts)
        elapsed = 0.0
        completed_total = sum(1 for a in attempts if a.status == "completed")
        done = 0
        for attempt, offset in zip(attempts, offsets):
            attempt.started = window_start + offset + elapsed
            elapsed += attempt.active_seconds + GAP_SECONDS
            attempt.progress = done / max(1, completed_total)
            done += attempt.status == "completed"
        user.created_at = max(anchor - period, window_start - rng.uniform(0, 3 * 86400))
        user.attempts = attempts
        plan.append(user)
    return plan


def _ts(epoch: float) -> datetime:
    return datetime.fromtimestamp(round(epoch, 3), tz=UTC)


class History:
    """Draws questions like the app (unseen first, then longest ago) and decides correctness."""

    def __init__(self, rng: random.Random, exams: list[BankExam], questions: dict[int, BankQuestion],
                 planted: PlantedKey | None = None, seed: int = DEFAULT_SEED) -> None:
        self.rng = rng
        self.planted = planted
        self.planted_rng = random.Random(seed * 7919 + PLANT_SALT + 1)
        self.exams = exams
        self.questions = questions
        self.last_seen: dict[tuple[int, int], dict[int, float]] = defaultdict(dict)
        self.objective_bias = {oid: rng.gauss(0.0, 0.5)
                               for exam in exams for oid in sorted(exam.objective_codes)}

    def _fresh(self, pool: list[int], seen: dict[int, float], n: int) -> list[int]:
        shuffled = list(pool)
        self.rng.shuffle(shuffled)
        return sorted(shuffled, key=lambda q: seen.get(q, -1.0))[:n]

    def draw(self, attempt: PlannedAttempt) -> list[int]:
        from webapp.quiz.services import largest_remainder

        exam = self.exams[attempt.exam_index]
        seen = self.last_seen[(attempt.rank, attempt.exam_index)]
        if attempt.mode == "exam":
            drawn: list[int] = []
            for did, wanted in zip(exam.domain_ids, largest_remainder(exam.domain_weights, attempt.size)):
                drawn.extend(self._fresh(exam.by_domain[did], seen, wanted))
            self.rng.shuffle(drawn)
            return drawn
        return self._fresh(exam.question_ids, seen, attempt.size)

    def p_correct(self, user: PlannedUser, attempt: PlannedAttempt, q: BankQuestion) -> float:
        seen = self.last_seen[(attempt.rank, attempt.exam_index)]
        logit = (user.skill + 0.8 * attempt.progress + (0.3 if q.id in seen else 0.0)
                 - self.objective_bias[q.objective_id] - 0.45 * (q.difficulty - 2))
        return 1.0 / (1.0 + math.exp(-logit))

    def selection(self, q: BankQuestion, correct: bool) -> list[int]:
        """The choices picked; `correct` means the learner knows the answer."""
        if self.planted is not None and q.id == self.planted.question_id:
            if correct:
                return [self.planted.true_choice_id]
            return [self.planted_rng.choice([c for c in q.choice_ids if c != self.planted.true_choice_id])]
        if correct:
            return list(q.correct_ids)
        while True:
            picked = sorted(self.rng.sample(q.choice_ids, q.select_count))
            if picked != sorted(q.correct_ids):
                return picked


@dataclass
class GenerationReport:
    url: str
    backend: str
    seed: int
    counts: dict[str, int]
    timings: dict[str, float]
    heavy: BenchUser
    typical: BenchUser
    planted: PlantedKey | None = None

    def summary_lines(self) -> list[str]:
        lines = [f"data set on {self.backend} (seed {self.seed}): {self.url}"]
        if self.planted is not None:
            lines.append(f"  planted bad key: {self.planted.describe()}")
        lines.append("  rows: " + ", ".join(f"{t} {n:,}" for t, n in self.counts.items()))
        lines.append("  timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in self.timings.items()))
        for label, u in (("heavy", self.heavy), ("typical (median)", self.typical)):
            lines.append(f"  {label} user: id {u.user_id} ({u.answers:,} answers; {u.exam_answers:,} on "
                         f"{u.exam_slug})")
        return lines


@dataclass
class BenchUser:
    user_id: int
    answers: int
    exam_id: int
    exam_slug: str
    exam_answers: int


def pick_bench_users(conn: sa.Connection) -> tuple[BenchUser, BenchUser]:
    """The heaviest user and the median user by answer count, each with their main exam."""
    rows = conn.execute(sa.text("SELECT user_id, count(*) FROM answers GROUP BY user_id")).all()
    if not rows:
        raise RuntimeError("no answers in the database: generate the data set first")
    by_count = sorted(rows, key=lambda r: (r[1], r[0]))
    heavy_row = max(rows, key=lambda r: (r[1], -r[0]))
    median_row = by_count[(len(by_count) - 1) // 2]

    def describe(user_id: int, answers: int) -> BenchUser:
        exam_id, slug, n = conn.execute(sa.text(
            "SELECT a.exam_id, e.slug, count(*) AS n FROM answers a JOIN exams e ON e.id = a.exam_id "
            "WHERE a.user_id = :u GROUP BY a.exam_id, e.slug ORDER BY n DESC, a.exam_id LIMIT 1"),
            {"u": user_id}).one()
        return BenchUser(user_id, answers, exam_id, slug, n)

    return describe(*heavy_row), describe(*median_row)


TABLES = ("users", "exams", "domains", "objectives", "questions", "choices", "quiz_attempts",
          "attempt_questions", "attempt_results", "answers")


def count_rows(conn: sa.Connection) -> dict[str, int]:
    """Rows per table: the quiz tables first, then whatever else the schema has (gamification...)."""
    present = set(sa.inspect(conn).get_table_names()) - {"alembic_version"}
    names = [t for t in TABLES if t in present] + sorted(present - set(TABLES))
    return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in names}


def default_anchor() -> datetime:
    now = datetime.now(UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def generate(url: str | None = None, *, seed: int = DEFAULT_SEED, users: int = DEFAULT_USERS,
             answers: int = DEFAULT_ANSWERS, days: int = DEFAULT_DAYS, heavy_answers: int = DEFAULT_HEAVY_ANSWERS,
             zipf_s: float = DEFAULT_ZIPF_S, batch_rows: int = DEFAULT_BATCH_ROWS, anchor: datetime | None = None,
             gamification: bool = True, plant_bad_key: bool = True, log: Log = print) -> GenerationReport:
    """Create the schema and fill an empty database at `url` (default: a new temp SQLite file)."""
    if url is None:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='certquest-data-')}/bench.db"
    url = normalise_database_url(url)
    backend = backend_of(url)
    anchor = anchor or default_anchor()
    timings: dict[str, float] = {}
    t_start = time.perf_counter()

    def phase(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = now - since
        return now

    log(f"[gen] schema: flask db upgrade on {backend}")
    migrate(url)
    t = phase("migrate", t_start)

    from webapp import create_app
    from webapp.extensions import db
    from webapp.questions.bank import load_bundled_bank_if_empty

    app = create_app(bench_config(url))
    with app.app_context():
        loaded = load_bundled_bank_if_empty()
        db.session.remove()
        db.engine.dispose()
    log(f"[gen] question bank: {loaded}")
    t = phase("bank", t)

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            existing = conn.execute(sa.text("SELECT count(*) FROM users")).scalar_one() + \
                conn.execute(sa.text("SELECT count(*) FROM quiz_attempts")).scalar_one()
            if existing:
                raise RuntimeError(f"{url} already has users or attempts; generate needs an empty database "
                                   "(pass --reuse to the benchmark to use existing data)")
            exams, questions = read_bank(conn)
            planted = choose_planted_key(conn, exams, questions, seed) if plant_bad_key else None
        rng = random.Random(seed)
        plan = plan_users(rng, exams, users, answers, days, heavy_answers, zipf_s, anchor.timestamp())
        if planted is not None:
            log(f"[gen] planted bad key: {planted.describe()}")
        history = History(rng, exams, questions, planted, seed)
        attempts = sorted((a for u in plan for a in u.attempts), key=lambda a: (a.started, a.rank))
        by_rank = {u.rank: u for u in plan}
        log(f"[gen] planned {len(plan):,} users, {len(attempts):,} attempts "
            f"({sum(a.status == 'completed' for a in attempts):,} completed)")
        t = phase("plan", t)

        tables = _tables()
        password_hash = generate_password_hash(BENCH_PASSWORD, method=Config.PASSWORD_HASH_METHOD)  # once
        last_activity = defaultdict(float)
        for a in attempts:
            last_activity[a.rank] = max(last_activity[a.rank], a.started + a.active_seconds)
        user_rows = [{
            "id": u.user_id, "email": f"learner{u.user_id:05d}@bench.certquest.test",
            "username": f"learner{u.user_id:05d}", "password_hash": password_hash, "is_admin": False,
            "is_active": True, "timezone": "UTC", "show_on_leaderboard": True,
            "session_secret": secrets.token_urlsafe(32), "xp": 0,
            "created_at": _ts(u.created_at),
            "last_login_at": _ts(last_activity[u.rank]) if last_activity[u.rank] else None,
        } for u in sorted(plan, key=lambda u: u.user_id)]
        user_columns = set(tables["users"].c.keys())
        for row in user_rows:  # columns added since (gamification): set the ones we know, defaults otherwise
            if "xp_reached_at" in user_columns:
                row["xp_reached_at"] = row["created_at"]
            for key in set(row) - user_columns:
                del row[key]
        for start in range(0, len(user_rows), batch_rows):
            with engine.begin() as conn:
                conn.execute(tables["users"].insert(), user_rows[start:start + batch_rows])
        log(f"[gen] users: {len(user_rows):,} rows")
        t = phase("users", t)

        _load_history(engine, tables, attempts, by_rank, history, exams, questions, answers, batch_rows, log)
        t = phase("history", t)

        if gamification:
            _seed_gamification(app, engine, tables, batch_rows, log)
            t = phase("gamification", t)

        with engine.begin() as conn:
            if backend == "postgresql":
                for table in ("users", "quiz_attempts"):
                    conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                         f"(SELECT max(id) FROM {table}))"))
        if backend == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        t = phase("analyze", t)

        with engine.connect() as conn:
            counts = count_rows(conn)
            heavy, typical = pick_bench_users(conn)
    finally:
        engine.dispose()
    timings["total"] = time.perf_counter() - t_start
    report = GenerationReport(url, backend, seed, counts, timings, heavy, typical, planted)
    for line in report.summary_lines():
        log("[gen] " + line)
    return report


def _seed_gamification(app, engine: sa.Engine, tables: dict[str, sa.Table], batch_rows: int, log: Log) -> None:
    """XP ledger, user totals, weekly XP, streaks and achievements for the generated history.

    The amounts and rules are the app's own (xp_awards_for, counts_as_quiz, advance_streak,
    ACHIEVEMENTS; the answer credits were set while loading the history); only
    the writing is batched, so 10,000 users take seconds rather than `recompute_all`'s minutes.
    """
    from webapp.gamification.achievements import ACHIEVEMENTS, AchievementStats
    from webapp.gamification.services import QuizFacts, advance_streak, counts_as_quiz, iso_week_start, xp_awards_for
    from webapp.models import Streak

    with engine.connect() as conn:
        results = conn.execute(sa.text(
            "SELECT r.attempt_id, r.user_id, r.correct, r.total, r.answered, r.time_used_seconds, r.passed, a.mode, "
            "a.finished_at, a.exam_id "
            "FROM attempt_results r JOIN quiz_attempts a ON a.id = r.attempt_id ORDER BY a.finished_at, a.id")).all()
        credited_by_attempt = dict(conn.execute(sa.text(
            "SELECT attempt_id, count(*) FROM answers WHERE xp_awarded = :yes GROUP BY attempt_id"), {"yes": True}).all())
    events, totals, reached = [], defaultdict(int), {}
    weekly: dict[tuple, list] = {}
    streaks: dict[int, Streak] = {}
    stats: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    exams_tried: dict[int, set] = defaultdict(set)
    with app.app_context():
        for attempt_id, user_id, correct, total, answered, time_used, passed, mode, finished, exam_id in results:
            finished = finished if isinstance(finished, datetime) else datetime.fromisoformat(str(finished))
            finished = finished if finished.tzinfo else finished.replace(tzinfo=UTC)
            facts = QuizFacts(mode, total, answered, correct, passed, time_used)
            for reason, amount in xp_awards_for(facts, credited_by_attempt.get(attempt_id, 0)).awards:
                events.append({"user_id": user_id, "amount": amount, "reason": reason,
                               "source": f"attempt:{attempt_id}", "created_at": finished})
                totals[user_id] += amount
                reached[user_id] = finished
                slot = weekly.setdefault((iso_week_start(finished), user_id), [0, finished])
                slot[0] += amount
                slot[1] = finished
            if not counts_as_quiz(facts):
                continue  # streaks and achievements count only quizzes that count
            streak = streaks.setdefault(user_id, Streak(user_id=user_id, current=0, longest=0, freezes=0,
                                                        freezes_used=0))
            advance_streak(streak, finished.date())  # every generated user is on UTC
            s = stats[user_id]
            s["quizzes"] += 1
            s["correct"] += correct
            s["simulations"] += mode == "exam"
            s["passed"] += bool(passed)
            s["perfect"] += total >= 10 and correct == total
            s["last"] = finished
            exams_tried[user_id].add(exam_id)
    achievements = []
    for user_id, s in stats.items():
        snapshot = AchievementStats(quizzes=s["quizzes"], correct_answers=s["correct"], simulations=s["simulations"],
                                    passed_simulations=s["passed"], perfect_scores=s["perfect"],
                                    exams_tried=len(exams_tried[user_id]), exams_available=4,
                                    longest_streak=streaks[user_id].longest)
        achievements.extend({"user_id": user_id, "code": a.code, "earned_at": s["last"], "source": "generated"}
                            for a in ACHIEVEMENTS if a.is_met(snapshot))
    inserts = [("xp_events", events),
               ("weekly_xp", [{"week_start": week, "user_id": uid, "xp": xp, "reached_at": when}
                              for (week, uid), (xp, when) in weekly.items()]),
               ("streaks", [{"user_id": st.user_id, "current": st.current, "longest": st.longest,
                             "freezes": st.freezes, "freezes_used": st.freezes_used,
                             "last_active_day": st.last_active_day, "updated_at": reached.get(st.user_id)
                             or datetime.now(UTC)} for st in streaks.values()]),
               ("user_achievements", achievements)]
    for name, rows in inserts:
        for start in range(0, len(rows), batch_rows):
            with engine.begin() as conn:
                conn.execute(tables[name].insert(), rows[start:start + batch_rows])
    users = tables["users"]
    update = (users.update().where(users.c.id == sa.bindparam("uid"))
              .values(xp=sa.bindparam("new_xp"), xp_reached_at=sa.bindparam("when")))
    rows = [{"uid": uid, "new_xp": xp, "when": reached[uid]} for uid, xp in totals.items()]
    for start in range(0, len(rows), batch_rows):
        with engine.begin() as conn:
            conn.execute(update, rows[start:start + batch_rows])
    log(f"[gen] gamification: {len(events):,} XP events, {len(inserts[1][1]):,} weekly totals, "
        f"{len(streaks):,} streaks, {len(achievements):,} achievements")


def _tables() -> dict[str, sa.Table]:
    import webapp.models  # noqa: F401  (registers the tables)
    from webapp.extensions import db

    return {name: db.metadata.tables[name] for name in
            ("users", "quiz_attempts", "attempt_questions", "attempt_results", "answers", "xp_events", "weekly_xp",
             "streaks", "user_achievements")}


def _load_history(engine: sa.Engine, tables: dict[str, sa.Table], attempts: list[PlannedAttempt],
                  by_rank: dict[int, PlannedUser], history: History, exams: list[BankExam],
                  questions: dict[int, BankQuestion], answers_total: int, batch_rows: int, log: Log) -> None:
    from webapp.quiz.services import scaled_score

    rng = history.rng
    buffers: dict[str, list[dict]] = {name: [] for name in ("quiz_attempts", "attempt_questions",
                                                           "attempt_results", "answers")}
    inserted = defaultdict(int)
    t0 = time.perf_counter()
    next_report = [100_000]
    recredit_seconds = Config.XP_RECREDIT_DAYS * 86400.0
    min_pace = Config.XP_MIN_SECONDS_PER_QUESTION
    last_credit: dict[tuple[int, int], float] = {}  # (user, question) -> when its answer last earned XP

    def flush() -> None:
        with engine.begin() as conn:  # one transaction per batch; parents first
            for name in ("quiz_attempts", "attempt_questions", "attempt_results", "answers"):
                rows = buffers[name]
                for start in range(0, len(rows), batch_rows):
                    conn.execute(tables[name].insert(), rows[start:start + batch_rows])
                inserted[name] += len(rows)
                rows.clear()
        if inserted["answers"] >= next_report[0] or inserted["answers"] >= answers_total:
            elapsed = time.perf_counter() - t0
            rate = inserted["answers"] / elapsed if elapsed else 0.0
            eta = (answers_total - inserted["answers"]) / rate if rate else 0.0
            log(f"[gen]   answers {inserted['answers']:>9,} / {answers_total:,}  attempts "
                f"{inserted['quiz_attempts']:,}  {elapsed:6.1f}s  {rate:,.0f} answers/s  eta {eta:4.0f}s")
            while next_report[0] <= inserted["answers"]:
                next_report[0] += 100_000

    for attempt_id, attempt in enumerate(attempts, start=1):
        user = by_rank[attempt.rank]
        exam = exams[attempt.exam_index]
        seen = history.last_seen[(attempt.rank, attempt.exam_index)]
        drawn = history.draw(attempt)
        completed = attempt.status == "completed"
        started = attempt.started
        clock = started
        correct_total = 0
        per_domain: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        per_objective: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        answered_times: list[tuple[int, float]] = []
        for position, qid in enumerate(drawn):
            q = questions[qid]
            order = list(q.choice_ids)
            rng.shuffle(order)
            row = {"attempt_id": attempt_id, "question_id": qid, "position": position, "choice_order": order,
                   "selected_choice_ids": [], "marked": False, "answered_at": None, "time_spent_ms": 0,
                   "is_correct": None}
            if position < len(attempt.durations):
                spent = attempt.durations[position]
                clock += spent
                blank = completed and attempt.mode == "exam" and rng.random() < UNANSWERED_IN_EXAM
                row["time_spent_ms"] = int(spent * 1000)
                if not blank:
                    ok = rng.random() < history.p_correct(user, attempt, q)
                    row["selected_choice_ids"] = history.selection(q, ok)
                    row["answered_at"] = _ts(clock)
                if completed:
                    is_correct = bool(row["selected_choice_ids"]) and \
                        sorted(row["selected_choice_ids"]) == sorted(q.correct_ids)
                    row["is_correct"] = is_correct
                    correct_total += is_correct
                    for tally in (per_domain[q.domain_id], per_objective[q.objective_id]):
                        tally[0] += is_correct
                        tally[1] += 1
                    answered_times.append((qid, clock))
            buffers["attempt_questions"].append(row)
        finished = clock
        buffers["quiz_attempts"].append({
            "id": attempt_id, "user_id": user.user_id, "exam_id": exam.id, "mode": attempt.mode,
            "status": attempt.status, "question_count": attempt.size, "objective_codes": None,
            "timed": attempt.timed, "time_limit_seconds": attempt.limit, "started_at": _ts(started),
            "expires_at": _ts(started + attempt.limit) if attempt.limit else None,
            "last_activity_at": _ts(finished), "finished_at": _ts(finished),
            "current_position": max(0, len(attempt.durations) - 1)})
        if not completed:
            continue
        total = len(drawn)
        time_used = int(finished - started)
        if attempt.limit:
            time_used = min(time_used, attempt.limit)
        # The app's credit rule (gamification.services.credit_answers), kept in memory: a correct
        # answer earns XP when its question earned the user none in XP_RECREDIT_DAYS, and a quiz
        # faster than XP_MIN_SECONDS_PER_QUESTION credits nothing.
        may_credit = time_used >= total * min_pace
        answered_at = dict(answered_times)
        answered = 0
        for aq in buffers["attempt_questions"][-len(drawn):]:
            q = questions[aq["question_id"]]
            answered += bool(aq["selected_choice_ids"])
            credited = False
            if may_credit and aq["is_correct"]:
                key = (user.user_id, q.id)
                credited = last_credit.get(key, -math.inf) <= finished - recredit_seconds
                if credited:
                    last_credit[key] = answered_at[q.id]
            buffers["answers"].append({
                "user_id": user.user_id, "attempt_id": attempt_id, "question_id": q.id, "exam_id": exam.id,
                "objective_id": q.objective_id, "mode": attempt.mode, "is_correct": aq["is_correct"],
                "time_spent_seconds": aq["time_spent_ms"] // 1000,
                "answered_at": aq["answered_at"] or _ts(finished), "xp_awarded": credited})
        for qid, when in answered_times:
            seen[qid] = when
        percent = round(100.0 * correct_total / total, 1) if total else 0.0
        is_exam = attempt.mode == "exam"
        scaled = scaled_score(percent) if is_exam else None
        passed = (scaled >= exam.passing_score) if is_exam else None
        body = {
            "id": attempt_id, "status": "completed", "exam_type": exam.slug, "mode": attempt.mode,
            "score_percent": percent, "correct": correct_total, "total": total, "scaled_score": scaled,
            "passed": passed, "passing_score": exam.passing_score if is_exam else None,
            "time_used_seconds": time_used,
            "domains": [{"domain": exam.objective_codes[oid], "correct": c, "total": n}
                        for oid, (c, n) in sorted(per_objective.items())],
            "exam_domains": [{"number": exam.domain_numbers[exam.domain_ids.index(did)], "correct": c, "total": n}
                             for did, (c, n) in sorted(per_domain.items(),
                                                        key=lambda kv: exam.domain_ids.index(kv[0]))],
            "review": [], "xp_earned": 0, "new_achievements": [], "compact": True}
        buffers["attempt_results"].append({
            "attempt_id": attempt_id, "user_id": user.user_id, "correct": correct_total, "total": total,
            "score_percent": percent, "scaled_score": scaled, "passed": passed, "time_used_seconds": time_used,
            "answered": answered, "xp_earned": 0, "body": body, "created_at": _ts(finished)})
        if len(buffers["answers"]) >= batch_rows or len(buffers["attempt_questions"]) >= batch_rows:
            flush()
    flush()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file under a temp dir")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--users", type=int, default=DEFAULT_USERS)
    parser.add_argument("--answers", type=int, default=DEFAULT_ANSWERS)
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS)
    parser.add_argument("--heavy-answers", type=int, default=DEFAULT_HEAVY_ANSWERS,
                        help="about how many answers the heaviest user gets")
    parser.add_argument("--zipf-s", type=float, default=DEFAULT_ZIPF_S)
    parser.add_argument("--batch-rows", type=int, default=DEFAULT_BATCH_ROWS)
    parser.add_argument("--no-gamification", action="store_true",
                        help="leave the XP ledger, weekly XP, streaks and achievements empty")
    parser.add_argument("--anchor", default=None,
                        help="ISO time the history ends at (default: today 00:00 UTC)")
    parser.add_argument("--plant-bad-key", action=argparse.BooleanOptionalAction, default=True,
                        help="store one question (chosen from the seed) with a wrong key that skilled "
                             "learners contradict (default: on)")
    args = parser.parse_args()
    anchor = datetime.fromisoformat(args.anchor) if args.anchor else None
    if anchor is not None and anchor.tzinfo is None:
        anchor = anchor.replace(tzinfo=UTC)
    generate(args.database_url, seed=args.seed, users=args.users, answers=args.answers, days=args.days,
             heavy_answers=args.heavy_answers, zipf_s=args.zipf_s, batch_rows=args.batch_rows, anchor=anchor,
             gamification=not args.no_gamification, plant_bad_key=args.plant_bad_key)
    return 0


if __name__ == "__main__":
    sys.exit(main())

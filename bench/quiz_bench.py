"""Benchmark: quiz start, answer save and submit, in process, on SQLite and PostgreSQL.

For each backend the data set of bench/generate_data.py is generated (10,000 users, 1,000,000
answers over 180 days, Zipf-skewed; or reused with --reuse), then the services of
webapp/quiz/services.py are called directly (create_app with a config pointing at that
database, one app context -- hence one fresh session -- per call, as a request would have; no
HTTP) for the heaviest user and for the median user, each on the exam they use most:

    start practice (30)  start_quiz, 30-question practice quiz   (then abandoned, untimed)
    start exam (90)      start_quiz, 90-question exam simulation (then abandoned, untimed)
    save answer          save_answer on an open 90-question exam simulation
    submit (90 answers)  submit_attempt on an exam simulation whose 90 answers were saved
                         beforehand (setup untimed)

Targets (p95): start < 30 ms, save < 10 ms, submit < 80 ms. Prints p50/p95 per operation and
user, the number of SQL statements per call and the time spent inside cursor.execute (on SQLite
rows are stepped while fetching, so that column understates its database time), this process's
CPU time (the gap to wall time is waiting: PostgreSQL's work, or other processes on the box),
the load average, PASS/FAIL per target, and EXPLAIN output (EXPLAIN QUERY PLAN on SQLite, EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL) for
the heavy user of: the draw's `last_answered` and `scope_query` queries (webapp/quiz/sources.py), the in-progress lookup,
and the submit's attempt load (with its selectin loads of questions, choices, objectives and
domains) and `stored_result` lookup. The explained SQL is the SQL actually emitted by the same
SQLAlchemy constructs as the services (and is checked against what the services emit).

Attempts the benchmark creates (and the answers submit writes) are deleted at the end, so a
reused data set stays as generated (--keep-bench-rows to keep them).

PostgreSQL is a throwaway cluster (tests.tools.suite.throwaway_cluster; started as the
`postgres` user when running as root; fsync and synchronous_commit off, as the test suite runs
it) unless --database-url is given. The SQLite file is cached under $TMPDIR/certquest-quiz-bench/
so --reuse can skip the generation.

Usage: python bench/quiz_bench.py [--sqlite-only | --postgres-only] [--database-url URL] [--reuse]
                                  [--iterations 200] [--warmup 10] [--seed 701] [--no-explain]
                                  [--no-gc-freeze]

By default the process calls gc.collect(); gc.freeze() after start-up, exactly as the deployed
gunicorn does in its when_ready hook before forking workers (deploy/gunicorn.conf.py).
--no-gc-freeze  skip that, to see how much of the p95 full garbage collections would add.
Exit status: 0 all targets met, 1 a target failed, 2 the benchmark could not run.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.orm import selectinload  # noqa: E402

from bench.generate_data import (DEFAULT_ANSWERS, DEFAULT_SEED, DEFAULT_USERS, BenchUser,  # noqa: E402
                                 backend_of, bench_config, count_rows, generate, pick_bench_users)

# The target of an operation that is timed and reported but has no target of its own.
REPORT_ONLY = math.inf
TARGET_MS = {"start": 30.0, "save": 10.0, "submit": 80.0, "leaderboard": 20.0, "dashboard": 40.0}
# Read-only operations first: every timed submit earns the user XP, which would move them up the
# leaderboard (into the top 50) before the rank lookups were timed.
OPERATIONS = (
    ("leaderboard_all", "leaderboard all+rank", "leaderboard"),
    ("leaderboard_week", "leaderboard week+rank", "leaderboard"),
    ("dashboard", "dashboard GET /", "dashboard"),
    ("start_practice", "start practice (30)", "start"),
    ("start_exam", "start exam (90)", "start"),
    ("save", "save answer", "save"),
    ("submit", "submit (90 answers)", "submit"),
)

def log(message: str) -> None:
    print(message, flush=True)


class SqlMeter:
    """Counts the statements an engine executes and the time spent inside cursor.execute."""

    def __init__(self, engine: sa.Engine) -> None:
        self.count = 0
        self.seconds = 0.0
        self.captured: list[tuple[str, object, bool]] | None = None
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, _cursor, _statement, _parameters, _context, _executemany) -> None:
        conn.info.setdefault("bench_t0", []).append(time.perf_counter())

    def _after(self, conn, _cursor, statement, parameters, _context, executemany) -> None:
        self.seconds += time.perf_counter() - conn.info["bench_t0"].pop()
        self.count += 1
        if self.captured is not None:
            self.captured.append((statement, parameters, executemany))

    def reset(self) -> None:
        self.count, self.seconds = 0, 0.0

    @contextmanager
    def capture(self):
        self.captured = []
        try:
            yield self.captured
        finally:
            self.captured = None


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


@dataclass
class OpResult:
    key: str
    label: str
    user: str
    target_ms: float
    ms: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    error: str | None = None

    def add(self, seconds: float, cpu_seconds: float, meter: SqlMeter) -> None:
        self.ms.append(seconds * 1000)
        self.cpu_ms.append(cpu_seconds * 1000)
        self.statements.append(meter.count)
        self.sql_ms.append(meter.seconds * 1000)

    @property
    def p50(self) -> float:
        return percentile(self.ms, 50) if self.ms else math.nan

    @property
    def p95(self) -> float:
        return percentile(self.ms, 95) if self.ms else math.nan

    @property
    def passed(self) -> bool:
        return self.error is None and bool(self.ms) and self.p95 < self.target_ms


class Runner:
    """Calls the quiz services for one user, one app context (one session) per call."""

    def __init__(self, app, meter: SqlMeter, user: BenchUser, seed: int) -> None:
        self.app = app
        self.meter = meter
        self.user = user
        self.rng = random.Random(seed * 7919 + user.user_id)

    def _load_user(self):
        from webapp.extensions import db
        from webapp.models import User

        return db.session.get(User, self.user.user_id)

    def _timed(self, call):
        """Run `call`; returns its value and (wall seconds, this process's CPU seconds)."""
        self.meter.reset()
        c0 = time.process_time()
        t0 = time.perf_counter()
        value = call()
        elapsed = time.perf_counter() - t0
        return value, (elapsed, time.process_time() - c0)

    def start(self, mode: str, result: OpResult | None) -> None:
        from webapp.quiz import services
        from webapp.quiz.services import QuizRequest

        request = QuizRequest(self.user.exam_slug, mode=mode, count=30 if mode == services.QuizMode.PRACTICE else None)
        rng = random.Random(self.rng.random())
        with self.app.app_context():
            user = self._load_user()
            attempt, elapsed = self._timed(lambda: services.start_quiz(user, request, rng=rng))
            if result is not None:
                result.add(*elapsed, meter=self.meter)
            services.abandon_attempt(user, attempt.id)

    def open_exam(self) -> tuple[int, list[tuple[int, list[int]]]]:
        """An open 90-question simulation and, per question, a selection of the right size."""
        from webapp.extensions import db
        from webapp.models import Question
        from webapp.quiz import services
        from webapp.quiz.services import QuizRequest

        with self.app.app_context():
            user = self._load_user()
            attempt = services.start_quiz(user, QuizRequest(self.user.exam_slug, mode=services.QuizMode.EXAM),
                                          rng=random.Random(self.rng.random()))
            qids = [aq.question_id for aq in attempt.questions]
            select_count = dict(db.session.execute(sa.select(Question.id, Question.select_count)
                                                   .where(Question.id.in_(qids))).all())
            picks = [(aq.question_id, list(aq.choice_order), select_count[aq.question_id])
                     for aq in attempt.questions]
            return attempt.id, picks

    def save(self, attempt_id: int, picks, i: int, result: OpResult | None) -> None:
        from webapp.quiz import services

        question_id, order, select_count = picks[i % len(picks)]
        shift = (i // len(picks)) % len(order)
        rotated = order[shift:] + order[:shift]
        with self.app.app_context():
            user = self._load_user()
            _aq, elapsed = self._timed(lambda: services.save_answer(user, attempt_id, question_id,
                                                                   rotated[:select_count]))
            if result is not None:
                result.add(*elapsed, meter=self.meter)

    def abandon(self, attempt_id: int) -> None:
        from webapp.quiz import services

        with self.app.app_context():
            services.abandon_attempt(self._load_user(), attempt_id)

    def submit(self, result: OpResult | None) -> None:
        """One simulation submitted; discarded afterwards so the user's history stays as generated."""
        from webapp.quiz import services

        attempt_id, _picks = self.open_exam()
        qids = self._fill(attempt_id)
        with self.app.app_context():
            user = self._load_user()
            body, elapsed = self._timed(lambda: services.submit_attempt(user, attempt_id))
            if body.get("total") != len(qids) or body.get("status") != "completed":
                raise RuntimeError(f"unexpected submit result: {body.get('status')} {body.get('total')}")
            if result is not None:
                result.add(*elapsed, meter=self.meter)
        discard_attempts(self.app, [attempt_id])

    def leaderboard(self, period: str, result: OpResult | None) -> None:
        """Top 50 plus this user's own rank (the service the page and the API call)."""
        from webapp.gamification import services

        with self.app.app_context():
            user = self._load_user()
            board, elapsed = self._timed(lambda: services.leaderboard(period, user))
            if board.me is None or len(board.entries) == 0:
                raise RuntimeError(f"leaderboard {period}: no rank for user {self.user.user_id}")
            if result is not None:
                result.add(*elapsed, meter=self.meter)

    def dashboard(self, client, result: OpResult | None) -> None:
        """The whole request for `/` as a signed-in learner: session, queries, template."""
        response, elapsed = self._timed(lambda: client.get("/"))
        if response.status_code != 200 or b"Welcome back" not in response.data:
            raise RuntimeError(f"dashboard answered {response.status_code}")
        if result is not None:
            result.add(*elapsed, meter=self.meter)

    def signed_in_client(self):
        from webapp.auth.services import session_identity
        from webapp.extensions import db
        from webapp.models import User

        client = self.app.test_client()
        with self.app.app_context():
            identity = session_identity(db.session.get(User, self.user.user_id), remember=False)
        with client.session_transaction() as session:
            session["_user_id"] = identity
            session["_fresh"] = True
        return client

    def _fill(self, attempt_id: int) -> list[int]:
        """Setup, untimed: all questions answered (~70% right), as 90 save_answer calls would leave it."""
        from webapp.extensions import db
        from webapp.models import Choice
        from webapp.models.base import utcnow
        from webapp.quiz import services

        with self.app.app_context():
            user = self._load_user()
            attempt = services.get_attempt(user, attempt_id)
            qids = [aq.question_id for aq in attempt.questions]
            correct: dict[int, list[int]] = {}
            for qid, cid in db.session.execute(sa.select(Choice.question_id, Choice.id)
                                               .where(Choice.question_id.in_(qids), Choice.is_correct.is_(True))):
                correct.setdefault(qid, []).append(cid)
            now = utcnow()
            for aq in attempt.questions:
                right = correct[aq.question_id]
                aq.selected_choice_ids = right if self.rng.random() < 0.7 else \
                    [c for c in aq.choice_order if c not in right][:len(right)] or right
                aq.answered_at = now
                aq.time_spent_ms = self.rng.randrange(5_000, 120_000)
            attempt.current_position = len(attempt.questions) - 1
            # Taken at a human pace, so the submit credits answers (an instant quiz earns no XP).
            attempt.started_at = now - timedelta(minutes=60)
            db.session.commit()
        return qids

    def submitted_exam(self) -> int:
        """A submitted simulation (kept; the caller discards it), its statements captured."""
        from webapp.quiz import services

        attempt_id, _picks = self.open_exam()
        self._fill(attempt_id)
        with self.app.app_context():
            user = self._load_user()
            with self.meter.capture() as statements:
                services.submit_attempt(user, attempt_id)
        self.last_statements = statements
        return attempt_id


def discard_attempts(app, attempt_ids: list[int]) -> None:
    """Delete attempts with their questions, result and answers (children first).

    Their XP ledger rows go too: SQLite reuses the highest rowid, and a new attempt with a reused
    id would find its awards already in the ledger and skip the XP path.
    """
    from webapp.extensions import db

    if not attempt_ids:
        return
    # Bound, expanding parameters: one cached statement, however many ids (no cache pollution).
    ids = {"ids": [int(i) for i in attempt_ids]}
    with app.app_context(), db.engine.begin() as conn:
        if "xp_events" in db.metadata.tables:
            conn.execute(_in("DELETE FROM xp_events WHERE source IN :ids"),
                         {"ids": [f"attempt:{i}" for i in ids["ids"]]})
        for table in ("answers", "attempt_questions", "attempt_results"):
            conn.execute(_in(f"DELETE FROM {table} WHERE attempt_id IN :ids"), ids)
        conn.execute(_in("DELETE FROM quiz_attempts WHERE id IN :ids"), ids)


def _in(sql: str) -> sa.TextClause:
    return sa.text(sql).bindparams(sa.bindparam("ids", expanding=True))


def measure(app, meter: SqlMeter, label: str, user: BenchUser, iterations: int, warmup: int, seed: int,
            only: set[str] | None = None) -> list[OpResult]:
    runner = Runner(app, meter, user, seed)
    results = []
    for key, name, target in OPERATIONS:
        if only and key not in only:
            continue
        result = OpResult(key, name, label, TARGET_MS[target])
        t0 = time.perf_counter()
        try:
            if key in ("start_practice", "start_exam"):
                mode = "practice" if key == "start_practice" else "exam"
                for i in range(warmup + iterations):
                    runner.start(mode, result if i >= warmup else None)
            elif key in ("leaderboard_all", "leaderboard_week"):
                period = "all" if key == "leaderboard_all" else "week"
                for i in range(warmup + iterations):
                    runner.leaderboard(period, result if i >= warmup else None)
            elif key == "dashboard":
                client = runner.signed_in_client()
                for i in range(warmup + iterations):
                    runner.dashboard(client, result if i >= warmup else None)
            elif key == "save":
                attempt_id, picks = runner.open_exam()
                for i in range(warmup + iterations):
                    runner.save(attempt_id, picks, i, result if i >= warmup else None)
                runner.abandon(attempt_id)
            else:
                for i in range(warmup + iterations):
                    runner.submit(result if i >= warmup else None)
            log(f"   {label:7s} {name:20s} p50 {result.p50:7.2f} ms  p95 {result.p95:7.2f} ms  "
                f"({time.perf_counter() - t0:.1f}s)")
        except Exception as exc:  # noqa: BLE001  (report it as a failed operation, run the others)
            result.error = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
            log(f"   {label:7s} {name:20s} ERROR {result.error}")
            log("".join(traceback.format_exception(exc)[-3:]).rstrip())
            close_open_attempts(app, [user])
        results.append(result)
    return results


def replicated_statements(user_id: int, exam_id: int):
    """The statements of webapp/quiz/services.py, built with the same constructs."""
    from webapp.models import Answer, AttemptQuestion, Objective, Question, QuizAttempt
    from webapp.models.question import PBQ_TYPES

    last_answered = (sa.select(Answer.question_id, sa.func.max(Answer.answered_at))
                     .where(Answer.user_id == user_id, Answer.exam_id == exam_id)
                     .group_by(Answer.question_id))
    candidates = (sa.select(Question.id, Question.objective_id, Objective.domain_id, Question.type.in_(PBQ_TYPES))
                  .join(Objective, Objective.id == Question.objective_id)
                  .where(Question.exam_id == exam_id, Question.is_active.is_(True)))
    in_progress = sa.select(QuizAttempt).where(QuizAttempt.user_id == user_id, QuizAttempt.status == "in_progress")

    def attempt_load(attempt_id: int):
        return (sa.select(QuizAttempt).where(QuizAttempt.id == attempt_id)
                .options(selectinload(QuizAttempt.questions).selectinload(AttemptQuestion.question)
                         .selectinload(Question.choices),
                         selectinload(QuizAttempt.questions).selectinload(AttemptQuestion.question)
                         .selectinload(Question.objective).selectinload(Objective.domain)))

    return last_answered, candidates, in_progress, attempt_load


def _explain(conn: sa.Connection, statement: str, parameters) -> list[str]:
    if conn.dialect.name == "postgresql":
        rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).all()
        return [r[0] for r in rows]
    rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    depth = {0: -1}
    lines = []
    for node_id, parent, _unused, detail in rows:
        depth[node_id] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node_id] + detail)
    return lines


def _short(statement: str, width: int = 160) -> str:
    flat = " ".join(statement.split())
    return flat if len(flat) <= width else flat[:width - 3] + "..."


def _explain_all(items: list[tuple[str, str, object]]) -> list[str]:
    """Print the plan of each (title, statement, parameters); returns every plan line printed."""
    from webapp.extensions import db

    conn = db.session.connection()
    plans: list[str] = []
    for title, statement, parameters in items:
        if conn.dialect.name == "postgresql":  # warm the cache, so the plan shows the steady state
            conn.exec_driver_sql(statement, parameters).all()
        log(f"\n   -- {title}")
        log(f"   SQL: {_short(statement)}")
        for line in _explain(conn, statement, parameters):
            log(f"     {line}")
            plans.append(line)
    db.session.rollback()
    return plans


def explain_draw(app, meter: SqlMeter, user: BenchUser, with_start_lookup: bool = True) -> None:
    """The draw's queries, built like webapp/quiz/services.py builds them (and checked against it)."""
    from webapp.extensions import db
    from webapp.models import Exam
    from webapp.quiz import sources

    with app.app_context():
        exam = db.session.get(Exam, user.exam_id)
        last_answered, candidates, in_progress, _load = replicated_statements(user.user_id, exam.id)
        items: list[tuple[str, str, object]] = []
        for title, stmt, real in (
                ("draw: last_answered (last answer per question)", last_answered,
                 lambda: sources.last_answered(user.user_id, exam.id)),
                ("draw: scope_query (active questions in scope)", candidates,
                 lambda: db.session.execute(sources.scope_query(exam, None)).all())):
            with meter.capture() as ours:
                db.session.execute(stmt).all()
            with meter.capture() as theirs:
                real()
            if [q for q, _p, _m in ours] != [q for q, _p, _m in theirs]:
                log(f"   WARNING: the replicated statement for {title!r} differs from what "
                    "webapp/quiz/services.py emits; update bench/quiz_bench.py")
            items.append((title, *ours[0][:2]))
        if with_start_lookup:
            with meter.capture() as ours:
                db.session.execute(in_progress).all()
            items.append(("start: in_progress_attempt lookup", *ours[0][:2]))
        _explain_all(items)


def explain_leaderboard(app, meter: SqlMeter, user: BenchUser) -> None:
    """Every statement the leaderboard service runs for `user` (top 50 and the caller's rank)."""
    from webapp.extensions import db
    from webapp.gamification import services
    from webapp.models import User

    with app.app_context():
        viewer = db.session.get(User, user.user_id)
        items: list[tuple[str, str, object]] = []
        for period in ("all", "week"):
            with meter.capture() as statements:
                services.leaderboard(period, viewer)
            for number, (statement, parameters, *_rest) in enumerate(statements, start=1):
                if statement.lstrip().upper().startswith("SELECT"):
                    items.append((f"leaderboard {period}: statement {number}", statement, parameters))
        _explain_all(items)


def explain_submit(app, meter: SqlMeter, user: BenchUser, seed: int) -> None:
    """The submit's reads: the attempt load (replicated, with its selectin loads), stored_result,
    then every other SELECT a real submit of a 90-answer simulation issues (gamification included)."""
    from webapp.extensions import db
    from webapp.models import AttemptResult

    runner = Runner(app, meter, user, seed)
    attempt_id = runner.submitted_exam()  # a real submit, its statements captured
    real_statements = runner.last_statements
    try:
        with app.app_context():
            *_draw, attempt_load = replicated_statements(user.user_id, user.exam_id)
            items: list[tuple[str, str, object]] = []
            with meter.capture() as loads:
                db.session.scalar(attempt_load(attempt_id))
            for n, (statement, parameters, _many) in enumerate(loads, start=1):
                items.append((f"submit: _score attempt load, statement {n}/{len(loads)}", statement, parameters))
            db.session.expunge_all()
            with meter.capture() as lookups:
                db.session.get(AttemptResult, attempt_id)
            items.append(("submit: stored_result (AttemptResult by attempt id)", *lookups[0][:2]))
            covered = {q for _t, q, _p in items}
            seen = set()
            for statement, parameters, _many in real_statements:
                head = statement.lstrip().split(None, 1)[0].upper()
                if head != "SELECT" or statement in covered or statement in seen:
                    continue
                seen.add(statement)
                items.append(("submit: other SELECT issued by submit_attempt", statement, parameters))
            kinds = {}
            for statement, _p, _m in real_statements:
                head = " ".join(statement.split()[:3])
                kinds[head] = kinds.get(head, 0) + 1
            log(f"\n   -- submit_attempt issued {len(real_statements)} statements: "
                + ", ".join(f"{n}x {k}" for k, n in kinds.items()))
            _explain_all(items)
    finally:
        discard_attempts(app, [attempt_id])


class UserState:
    """The bench users' rows outside the answer history (users, gamification), to put back after.

    Submit awards XP, streak days and achievements; restoring them (and deleting the attempts the
    benchmark created) leaves a reused data set exactly as generated.
    """

    # study_sessions too: their questions and answers (no user_id of their own) would go with a
    # delete-and-reinsert; bench/study_bench.py deletes the sessions it creates by id instead.
    SKIP = frozenset({"answers", "quiz_attempts", "attempt_results", "attempt_questions", "users", "study_sessions"})

    def __init__(self, app, users: list[BenchUser]) -> None:
        from webapp.extensions import db

        self.app = app
        self.ids = [u.user_id for u in users]
        with app.app_context():
            self.tables = [t for t in db.metadata.sorted_tables if "user_id" in t.c and t.name not in self.SKIP]
            with db.engine.connect() as conn:
                users_table = db.metadata.tables["users"]
                self.user_rows = [dict(r._mapping) for r in conn.execute(
                    users_table.select().where(users_table.c.id.in_(self.ids)))]
                self.rows = {t.name: [dict(r._mapping) for r in conn.execute(t.select().where(t.c.user_id.in_(self.ids)))]
                             for t in self.tables}

    def restore(self) -> None:
        from webapp.extensions import db

        with self.app.app_context():
            users_table = db.metadata.tables["users"]
            with db.engine.begin() as conn:
                for t in reversed(self.tables):
                    conn.execute(t.delete().where(t.c.user_id.in_(self.ids)))
                for t in self.tables:
                    if self.rows[t.name]:
                        conn.execute(t.insert(), self.rows[t.name])
                for row in self.user_rows:
                    conn.execute(users_table.update().where(users_table.c.id == row["id"]).values(**row))


def cleanup(app, users: list[BenchUser], first_new_id: int, backend: str) -> int:
    """Delete every attempt the benchmark created (they all have ids >= first_new_id)."""
    from webapp.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        ids = list(conn.execute(sa.text("SELECT id FROM quiz_attempts WHERE id >= :first AND user_id IN :users")
                                .bindparams(sa.bindparam("users", expanding=True)),
                                {"first": first_new_id, "users": [u.user_id for u in users]}).scalars())
    for start in range(0, len(ids), 500):
        discard_attempts(app, ids[start:start + 500])
    if backend == "postgresql":
        with app.app_context(), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE answers, attempt_questions, attempt_results, quiz_attempts")
    return len(ids)


def close_open_attempts(app, users: list[BenchUser]) -> None:
    """Abandon what an interrupted earlier run (or a failed operation) left open."""
    from webapp.extensions import db
    from webapp.models import QuizAttempt
    from webapp.models.base import utcnow

    with app.app_context():
        db.session.execute(sa.update(QuizAttempt)
                           .where(QuizAttempt.user_id.in_([u.user_id for u in users]),
                                  QuizAttempt.status == "in_progress")
                           .values(status="abandoned", finished_at=utcnow()))
        db.session.commit()


def server_version(app) -> str:
    from webapp.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                return "PostgreSQL " + conn.exec_driver_sql("SHOW server_version").scalar_one()
        import sqlite3
        return "SQLite " + sqlite3.sqlite_version


def print_table(title: str, results: list[OpResult]) -> bool:
    log(f"\n{title}")
    header = (f"  {'operation':22s} {'user':8s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s} {'target p95':>11s} "
              f"{'SQL/call':>8s} {'in-SQL p50':>10s} {'CPU p50/p95':>13s}  result")
    log(header)
    log("  " + "-" * (len(header) - 2))
    ok = True
    for r in results:
        ok &= r.passed
        if r.error:
            log(f"  {r.label:22s} {r.user:8s} ERROR {r.error}")
            continue
        target = f"< {r.target_ms:g} ms" if r.target_ms != REPORT_ONLY else "(report)"
        verdict = "PASS" if r.passed else "FAIL"
        log(f"  {r.label:22s} {r.user:8s} {r.p50:8.2f} {r.p95:8.2f} {max(r.ms):8.2f} {target:>11s} "
            f"{statistics.median(r.statements):8.0f} {statistics.median(r.sql_ms):7.2f} ms "
            f"{percentile(r.cpu_ms, 50):6.1f}/{percentile(r.cpu_ms, 95):5.1f}  "
            f"{verdict if r.target_ms != REPORT_ONLY else '-'}")
    return ok


def calibration_ms() -> float:
    """A fixed pure-Python workload (best of 3), to compare runs on a noisy or shared machine."""
    best = math.inf
    for _ in range(3):
        t0 = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i * i
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def run_backend(url: str, args, generated: dict | None) -> bool:
    from webapp import create_app
    from webapp.extensions import db

    backend = backend_of(url)
    app = create_app(bench_config(url))
    with app.app_context():
        meter = SqlMeter(db.engine)
        with db.engine.connect() as conn:
            heavy, typical = pick_bench_users(conn)
            counts = count_rows(conn)
            first_new_id = (conn.execute(sa.text("SELECT max(id) FROM quiz_attempts")).scalar_one() or 0) + 1
    version = server_version(app)
    if not args.no_gc_freeze:
        gc.collect()
        gc.freeze()  # start-up objects leave the collector's generations, as after a pre-fork freeze
    users = [heavy, typical]
    close_open_attempts(app, users)
    state = UserState(app, users)

    def reset() -> None:
        cleanup(app, users, first_new_id, backend)
        state.restore()

    log(f"\n== {version}: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    log(f"   heavy user {heavy.user_id}: {heavy.answers:,} answers ({heavy.exam_answers:,} on {heavy.exam_slug}); "
        f"typical (median) user {typical.user_id}: {typical.answers:,} answers "
        f"({typical.exam_answers:,} on {typical.exam_slug})")
    log(f"   {args.iterations} timed iterations per operation and user, after {args.warmup} warm-up ones; "
        "each submitted simulation is deleted after its timed submit"
        + ("" if args.no_gc_freeze else "; gc.freeze() after start-up, as deployed"))
    results: list[OpResult] = []
    load_before = os.getloadavg()
    calibration = calibration_ms()
    try:
        for label, user in (("heavy", heavy), ("typical", typical)):
            results.extend(measure(app, meter, label, user, args.iterations, args.warmup, args.seed))
            reset()  # back to the generated XP and history before the next user is measured
    finally:
        reset()
    load = (f"load average {load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after, {os.cpu_count()} CPUs; "
            f"calibration loop {calibration:.0f} ms before, {calibration_ms():.0f} ms after")

    if not args.no_explain:
        log(f"\n-- EXPLAIN for the heavy user {heavy.user_id} on {heavy.exam_slug} ({version})")
        try:
            explain_draw(app, meter, heavy)
            explain_submit(app, meter, heavy, args.seed)
            for user in (heavy, typical):
                explain_leaderboard(app, meter, user)
        finally:
            reset()

    with app.app_context():
        db.session.remove()
        db.engine.dispose()

    gen = f"; data generated in {generated['timings']['total']:.0f}s" if generated else ""
    ok = print_table(f"== RESULTS {version} ({args.iterations} iterations{gen}; {load})", results)
    return ok


def _generate(url: str, args) -> dict:
    report = generate(url, seed=args.seed, users=args.users, answers=args.answers)
    return {"url": report.url, "seed": report.seed, "counts": report.counts, "timings": report.timings}


def sqlite_dataset(args) -> tuple[str, dict | None]:
    cache = Path(tempfile.gettempdir()) / "certquest-quiz-bench"
    cache.mkdir(exist_ok=True)
    path = cache / f"sqlite-seed{args.seed}-u{args.users}-a{args.answers}.db"
    marker = path.with_suffix(".json")
    url = f"sqlite:///{path}"
    if args.reuse and path.exists() and marker.exists():
        info = json.loads(marker.read_text())
        log(f"== reusing {path} (generated in {info['timings']['total']:.0f}s)")
        return url, None
    for stale in (path, marker, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    info = _generate(url, args)
    marker.write_text(json.dumps(info, indent=2))
    return url, info


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--sqlite-only", action="store_true")
    which.add_argument("--postgres-only", action="store_true")
    parser.add_argument("--database-url", default=None,
                        help="benchmark this database only (generated into unless --reuse)")
    parser.add_argument("--reuse", action="store_true", help="use the existing data set instead of generating")
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--users", type=int, default=DEFAULT_USERS)
    parser.add_argument("--answers", type=int, default=DEFAULT_ANSWERS)
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument("--keep-bench-rows", action="store_true",
                        help="keep the attempts and answers the benchmark creates")
    parser.add_argument("--no-gc-freeze", action="store_true",
                        help="do not gc.freeze() after start-up (the deployed gunicorn does)")
    args = parser.parse_args()

    from tests.tools.suite import find_pg_bindir, throwaway_cluster

    outcomes: dict[str, bool] = {}
    if args.database_url:
        url = args.database_url
        generated = None if args.reuse else _generate(url, args)
        outcomes[backend_of(url)] = run_backend(url, args, generated)
    else:
        if not args.postgres_only:
            url, generated = sqlite_dataset(args)
            outcomes["sqlite"] = run_backend(url, args, generated)
        if not args.sqlite_only:
            bindir = find_pg_bindir()
            if bindir is None:
                log("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin): cannot run that leg")
                return 2
            if args.reuse:
                log("== --reuse: the throwaway PostgreSQL cluster starts empty, so its data set is generated "
                    "(pass --database-url for a persistent server)")
            with throwaway_cluster(bindir) as url:
                outcomes["postgresql"] = run_backend(url, args, _generate(url, args))

    log("\n== " + ", ".join(f"{b}: {'PASS' if ok else 'FAIL'}" for b, ok in outcomes.items()))
    return 0 if all(outcomes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

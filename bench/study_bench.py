"""Benchmark: study answers, bookmark toggles, the bookmarks page and the source draws (issue 11).

Runs on an existing data set of bench/generate_data.py (1,000,000 answers by default; pass it
with --database-url), in process, for the heaviest user and the median user of
`pick_bench_users`, each on the exam they use most. Setup (untimed) gives each user 500
bookmarks: every active question of their main exam (an exam holds about 300), then questions
of the other exams, a third of them with tags and a fifth with a private note. Then, with one
app context (one fresh session) per call, as a request would have:

    missed draw          webapp.quiz.sources.draw_ids(..., SourceChoice(missed), 30, rng)
    study start missed   webapp.study.services.start_session, 30 questions from `missed`
                         (report only; each session is finished afterwards, untimed)
    bookmarks page       GET /bookmarks, signed in, page 1 of the 500 (the full page)
    bookmark toggle      POST /bookmarks/<id> as htmx sends it from a question card
                         (HX-Request, the CSRF token, `bookmarked` alternating 0 and 1)
    study answer         POST /study/<id>/q/<n>/answer as htmx sends it (HX-Request, the CSRF
                         token read from the question page's hidden `csrf_token` input), on
                         90-question study sessions opened through the study service; each
                         question's page is fetched first (untimed), as "Next question" does

The HTTP operations are whole requests through the Flask test client on a production-like config
(CSRF on; bench_config). Targets (p95, heavy and typical user): study answer < 15 ms, bookmark
toggle < 10 ms, bookmarks page < 25 ms; the missed draw < 30 ms for the heavy user (the typical
user's and the study start are reported). Prints p50/p95 per operation and user, statements per
call, PASS/FAIL and the load average, then EXPLAIN (EXPLAIN QUERY PLAN on SQLite, EXPLAIN
(ANALYZE, BUFFERS) on PostgreSQL) of every SELECT that `draw_ids` issues for the heavy user for
each of the five sources (all, unseen, missed, bookmarked with a tag, marked), as captured from
real draws. The data set marks no question for review, so for the `marked` draw a few questions
of the heavy user's latest completed attempts are marked for the duration of the EXPLAIN.

Everything the benchmark creates is deleted at the end (study sessions with their questions and
answers, bookmarks, tags, notes; streak, achievement and other per-user rows are put back; the
temporary marks are cleared) and the row counts of every table are compared with those before.

Usage: python bench/study_bench.py --database-url URL [--iterations 200] [--warmup 10]
                                   [--seed 701] [--no-explain] [--no-gc-freeze]
Exit status: 0 all targets met, 1 a target failed, 2 the benchmark could not run.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import random
import re
import sys
import time
import traceback
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.generate_data import (DEFAULT_SEED, BenchUser, backend_of, bench_config, count_rows,  # noqa: E402
                                 pick_bench_users)
from bench.quiz_bench import (REPORT_ONLY, OpResult, Runner, SqlMeter, UserState, _explain_all,  # noqa: E402
                              calibration_ms, log, print_table, server_version)

TARGET_MS = {"study_answer": 15.0, "bookmark_toggle": 10.0, "bookmarks_page": 25.0, "missed_draw": 30.0}
BOOKMARKS = 500
STUDY_SESSION_SIZE = 90
DRAW_COUNT = 30
# Tag names of the set-up bookmarks; the EXPLAIN of the `bookmarked` draw narrows to the first.
TAG_NAMES = ("PKI", "ports", "Cloud", "wireless", "Review later", "acronyms", "hard", "lab")
NOTE_TEXT = ("Remember: the exam wants the most secure option that still meets the requirement; "
             "reread the stem for words like FIRST, BEST and MOST before choosing.")
COVERING_INDEX = "ix_answers_user_id_exam_id_question_id_answered_at_id"
# Read-only operations first: the study answers write `answers` rows, which change the missed pool.
OPERATIONS = (
    ("missed_draw", "missed draw (30)"),
    ("study_start", "study start missed"),
    ("bookmarks_page", "bookmarks page"),
    ("bookmark_toggle", "bookmark toggle"),
    ("study_answer", "study answer+feedback"),
)
CSRF_INPUT = re.compile(r'<input[^>]*\bname="csrf_token"[^>]*>')
INPUT_VALUE = re.compile(r'\bvalue="([^"]*)"')
ANSWERS_INDEX = re.compile(r"\bix_answers_\w+")


def csrf_token_from(html: str) -> str:
    """The token of a rendered page's hidden `csrf_token` input (what the browser posts back)."""
    tag = CSRF_INPUT.search(html)
    value = INPUT_VALUE.search(tag.group(0)) if tag else None
    if value is None:
        raise RuntimeError("no csrf_token input on the page")
    return value.group(1)


def target_for(key: str, label: str) -> float:
    """The issue's p95 target; the study start and the typical user's draw are reported only."""
    if key == "study_start" or (key == "missed_draw" and label != "heavy"):
        return REPORT_ONLY
    return TARGET_MS[key]


class StudyRunner(Runner):
    """The study and bookmark operations for one user (quiz_bench's Runner: user, timing, sign-in)."""

    def __init__(self, app, meter: SqlMeter, user: BenchUser, seed: int) -> None:
        super().__init__(app, meter, user, seed)
        self.client = None
        self.csrf = None
        self.toggle_question_id: int | None = None
        self.session_id: int | None = None
        self.picks: list[dict] = []
        self.position = 0

    def signed_in(self):
        """The signed-in test client, and the CSRF token its session's pages carry."""
        if self.client is None:
            self.client = self.signed_in_client()
            response = self.client.get("/bookmarks")
            if response.status_code != 200:
                raise RuntimeError(f"GET /bookmarks answered {response.status_code} while signing in")
            self.csrf = csrf_token_from(response.get_data(as_text=True))
        return self.client

    def htmx_headers(self, target: str, page_path: str) -> dict[str, str]:
        """What htmx sends from `page_path`. The test client speaks https (PREFERRED_URL_SCHEME),
        so Flask-WTF's strict check wants the same-origin Referer a browser sends."""
        page_url = f"{self.app.config['PREFERRED_URL_SCHEME']}://localhost{page_path}"
        return {"HX-Request": "true", "HX-Target": target, "HX-Current-URL": page_url, "Referer": page_url}

    def add_bookmarks(self, count: int = BOOKMARKS) -> list[int]:
        """Setup, untimed: `count` bookmarks (the rows the bookmark service writes), newest first
        in the order drawn; every third with one or two tags, every fifth with a private note."""
        from webapp.bookmarks.tags import tag_key
        from webapp.extensions import db
        from webapp.models import BookmarkTag, Question, QuestionBookmark, QuestionNote
        from webapp.models.base import utcnow

        with self.app.app_context():
            rows = db.session.execute(sa.select(Question.id, Question.exam_id).where(Question.is_active.is_(True))
                                      .order_by(Question.id)).all()
            main = [qid for qid, exam_id in rows if exam_id == self.user.exam_id]
            others = [qid for qid, exam_id in rows if exam_id != self.user.exam_id]
            self.rng.shuffle(main)
            self.rng.shuffle(others)
            chosen = (main + others)[:count]
            if len(chosen) < count:
                raise RuntimeError(f"only {len(chosen)} active questions: cannot set up {count} bookmarks")
            now = utcnow()
            bookmarks, tags, notes = [], [], []
            for i, qid in enumerate(chosen):
                created = now - timedelta(minutes=i)
                bookmarks.append({"user_id": self.user.user_id, "question_id": qid, "created_at": created})
                if i % 3 == 0:
                    names = [TAG_NAMES[(i // 3) % len(TAG_NAMES)]]
                    if i % 2 == 0:
                        names.append(TAG_NAMES[(i // 3 + 3) % len(TAG_NAMES)])
                    tags.extend({"user_id": self.user.user_id, "question_id": qid, "tag_key": tag_key(name),
                                 "name": name} for name in names)
                if i % 5 == 0:
                    notes.append({"user_id": self.user.user_id, "question_id": qid, "body": NOTE_TEXT,
                                  "created_at": created, "updated_at": created})
            db.session.execute(sa.insert(QuestionBookmark), bookmarks)
            db.session.execute(sa.insert(BookmarkTag), tags)
            db.session.execute(sa.insert(QuestionNote), notes)
            db.session.commit()
        # A main-exam bookmark without tags or note: toggling it off and on loses nothing.
        self.toggle_question_id = chosen[1]
        return chosen

    def missed_draw(self, result: OpResult | None) -> None:
        from webapp.extensions import db
        from webapp.models import Exam, QuestionSource
        from webapp.quiz.sources import SourceChoice, draw_ids

        rng = random.Random(self.rng.random())
        with self.app.app_context():
            user = self._load_user()
            exam = db.session.get(Exam, self.user.exam_id)
            draw, elapsed = self._timed(lambda: draw_ids(user, exam, None, SourceChoice(QuestionSource.MISSED),
                                                         DRAW_COUNT, rng))
            if not draw.question_ids:
                raise RuntimeError("the missed draw returned no question")
            if result is not None:
                result.add(*elapsed, meter=self.meter)

    def study_start(self, result: OpResult | None) -> None:
        """A study session of 30 from `missed`, finished at once (untimed)."""
        from webapp.models import QuestionSource
        from webapp.study import services

        wanted = services.StudyRequest(self.user.exam_slug, count=DRAW_COUNT, source=QuestionSource.MISSED.value)
        rng = random.Random(self.rng.random())
        with self.app.app_context():
            user = self._load_user()
            session, elapsed = self._timed(lambda: services.start_session(user, wanted, rng=rng))
            if result is not None:
                result.add(*elapsed, meter=self.meter)
            services.finish_session(user, session.id)

    def bookmarks_page(self, result: OpResult | None) -> None:
        client = self.signed_in()
        response, elapsed = self._timed(lambda: client.get("/bookmarks"))
        html = response.get_data(as_text=True)
        per_page = self.app.config["BOOKMARKS_PER_PAGE"]
        pages = math.ceil(BOOKMARKS / per_page)
        if (response.status_code != 200 or html.count('class="card bookmark-item') != per_page
                or f"Page 1 of {pages}" not in html):
            raise RuntimeError(f"GET /bookmarks answered {response.status_code} without page 1 of {pages}")
        if result is not None:
            result.add(*elapsed, meter=self.meter)

    def bookmark_toggle(self, i: int, result: OpResult | None) -> None:
        """Off on even iterations, on on odd ones (the question starts bookmarked)."""
        client = self.signed_in()
        qid = self.toggle_question_id
        wanted = i % 2 == 1
        data = {"csrf_token": self.csrf, "next": "/bookmarks", "bookmarked": "1" if wanted else "0"}
        headers = self.htmx_headers(f"bookmark-toggle-{qid}", "/bookmarks")
        response, elapsed = self._timed(lambda: client.post(f"/bookmarks/{qid}", data=data, headers=headers))
        html = response.get_data(as_text=True)
        pressed = f'aria-pressed="{"true" if wanted else "false"}"'
        if response.status_code != 200 or f'id="bookmark-toggle-{qid}"' not in html or pressed not in html:
            raise RuntimeError(f"toggle answered {response.status_code} without the toggle in its new state")
        if result is not None:
            result.add(*elapsed, meter=self.meter)

    def open_study(self) -> None:
        """Setup, untimed: a 90-question study session and, per question, an answer to post."""
        from webapp.models import QuestionSource
        from webapp.study import services

        wanted = services.StudyRequest(self.user.exam_slug, count=STUDY_SESSION_SIZE, source=QuestionSource.ALL.value)
        with self.app.app_context():
            user = self._load_user()
            session = services.with_questions(services.start_session(user, wanted,
                                                                     rng=random.Random(self.rng.random())))
            self.session_id, self.position = session.id, 0
            self.picks = [self._answer_fields(sq) for sq in session.questions]

    def _answer_fields(self, sq) -> dict:
        """The form fields a learner would post for this question (~70% right for choice questions)."""
        from webapp.models import Confidence

        question = sq.question
        order = list(sq.choice_order)
        confidence = list(Confidence)[sq.position % len(Confidence)].value
        if question.type == "ordering":
            return {"confidence": confidence, **{f"position-{item}": str(n) for n, item in enumerate(order, start=1)}}
        if question.type == "matching":
            targets = max(1, len(question.targets or []))
            return {"confidence": confidence, **{f"match-{item}": str(n % targets) for n, item in enumerate(order)}}
        right = [c.id for c in question.choices if c.is_correct]
        wrong = [c for c in order if c not in right][:len(right)]
        picked = right if self.rng.random() < 0.7 or len(wrong) < len(right) else wrong
        return {"confidence": confidence, "choice": [str(c) for c in picked]}

    def finish_study(self) -> None:
        from webapp.study import services

        if self.session_id is None:
            return
        with self.app.app_context():
            services.finish_session(self._load_user(), self.session_id)
        self.session_id = None

    def study_answer(self, result: OpResult | None) -> None:
        """Question n's page (untimed, as "Next question" loads it), then its htmx answer POST."""
        client = self.signed_in()
        if self.session_id is None or self.position >= len(self.picks):
            self.finish_study()
            self.open_study()
        n = self.position + 1
        page_url = f"/study/{self.session_id}/q/{n}"
        page = client.get(page_url)
        if page.status_code != 200:
            raise RuntimeError(f"GET {page_url} answered {page.status_code}")
        data = {"csrf_token": csrf_token_from(page.get_data(as_text=True)), **self.picks[self.position]}
        headers = self.htmx_headers(f"study-answer-{n}", page_url)
        response, elapsed = self._timed(lambda: client.post(f"{page_url}/answer", data=data, headers=headers))
        html = response.get_data(as_text=True)
        if response.status_code != 200 or f'id="study-feedback-{n}"' not in html or "<html" in html:
            raise RuntimeError(f"answer to question {n} answered {response.status_code} without its feedback fragment")
        self.position += 1
        if result is not None:
            result.add(*elapsed, meter=self.meter)


def measure(app, meter: SqlMeter, label: str, user: BenchUser, iterations: int, warmup: int,
            seed: int) -> list[OpResult]:
    runner = StudyRunner(app, meter, user, seed)
    runner.add_bookmarks()
    analyze_bookmarks(app)
    results = []
    for key, name in OPERATIONS:
        result = OpResult(key, name, label, target_for(key, label))
        t0 = time.perf_counter()
        try:
            for i in range(warmup + iterations):
                timed = result if i >= warmup else None
                if key == "missed_draw":
                    runner.missed_draw(timed)
                elif key == "study_start":
                    runner.study_start(timed)
                elif key == "bookmarks_page":
                    runner.bookmarks_page(timed)
                elif key == "bookmark_toggle":
                    runner.bookmark_toggle(i, timed)
                else:
                    runner.study_answer(timed)
            log(f"   {label:7s} {name:22s} p50 {result.p50:7.2f} ms  p95 {result.p95:7.2f} ms  "
                f"({time.perf_counter() - t0:.1f}s)")
        except Exception as exc:  # noqa: BLE001  (report it as a failed operation, run the others)
            result.error = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
            log(f"   {label:7s} {name:22s} ERROR {result.error}")
            log("".join(traceback.format_exception(exc)[-3:]).rstrip())
        finally:
            runner.finish_study()
        results.append(result)
    return results


def analyze_bookmarks(app) -> None:
    """On PostgreSQL, fresh statistics for the bookmark tables just filled (autovacuum would have
    them in steady state); SQLite keeps the generated data set's statistics."""
    from webapp.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE question_bookmarks, bookmark_tags, question_notes")


def discard_study_sessions(app, users: list[BenchUser], first_new_id: int) -> int:
    """Delete the study sessions the benchmark created (ids >= first_new_id), answers and questions first."""
    from webapp.extensions import db

    with app.app_context(), db.engine.begin() as conn:
        ids = list(conn.execute(sa.text("SELECT id FROM study_sessions WHERE id >= :first AND user_id IN :users")
                                .bindparams(sa.bindparam("users", expanding=True)),
                                {"first": first_new_id, "users": [u.user_id for u in users]}).scalars())
        for start in range(0, len(ids), 500):
            chunk = {"ids": ids[start:start + 500]}
            conn.execute(_in("DELETE FROM answers WHERE study_session_id IN :ids"), chunk)
            conn.execute(_in("DELETE FROM study_questions WHERE session_id IN :ids"), chunk)
            conn.execute(_in("DELETE FROM study_sessions WHERE id IN :ids"), chunk)
    return len(ids)


def _in(sql: str) -> sa.TextClause:
    return sa.text(sql).bindparams(sa.bindparam("ids", expanding=True))


def vacuum(app) -> None:
    from webapp.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE answers, study_sessions, study_questions, question_bookmarks, "
                                     "bookmark_tags, question_notes")


class TemporaryMarks:
    """Questions of the heavy user's latest completed attempts on their exam, marked for review
    while the `marked` draw is explained (the generated data set marks none), then unmarked."""

    ATTEMPTS = 5
    EVERY = 6

    def __init__(self, app, user: BenchUser) -> None:
        from webapp.extensions import db
        from webapp.models import AttemptQuestion, AttemptStatus, QuizAttempt

        self.app = app
        with app.app_context():
            latest = (sa.select(QuizAttempt.id).where(QuizAttempt.user_id == user.user_id,
                                                      QuizAttempt.exam_id == user.exam_id,
                                                      QuizAttempt.status == AttemptStatus.COMPLETED)
                      .order_by(QuizAttempt.id.desc()).limit(self.ATTEMPTS))
            unmarked = db.session.scalars(sa.select(AttemptQuestion.id)
                                          .where(AttemptQuestion.attempt_id.in_(latest),
                                                 AttemptQuestion.marked.is_(False))
                                          .order_by(AttemptQuestion.id)).all()
            self.ids = unmarked[::self.EVERY]
            self._set(True)

    def _set(self, marked: bool) -> None:
        from webapp.extensions import db
        from webapp.models import AttemptQuestion

        with self.app.app_context():
            db.session.execute(sa.update(AttemptQuestion).where(AttemptQuestion.id.in_(self.ids))
                               .values(marked=marked))
            db.session.commit()

    def clear(self) -> None:
        self._set(False)


def marked_count(app) -> int:
    from webapp.extensions import db
    from webapp.models import AttemptQuestion

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).where(AttemptQuestion.marked.is_(True)))


def explain_sources(app, meter: SqlMeter, user: BenchUser, seed: int) -> dict[str, list[list[str]]]:
    """EXPLAIN every SELECT `draw_ids` issues for the five sources, captured from real draws;
    returns each source's plans, one list of lines per SELECT."""
    from webapp.exceptions import ValidationError
    from webapp.extensions import db
    from webapp.models import Exam, QuestionSource, User
    from webapp.quiz.sources import SourceChoice, draw_ids

    choices = [SourceChoice(QuestionSource.ALL), SourceChoice(QuestionSource.UNSEEN),
               SourceChoice(QuestionSource.MISSED), SourceChoice(QuestionSource.BOOKMARKED, TAG_NAMES[0]),
               SourceChoice(QuestionSource.MARKED)]
    rng = random.Random(seed)
    plans: dict[str, list[list[str]]] = {}
    for choice in choices:
        name = choice.source.value + (f" (tag {choice.tag!r})" if choice.tag else "")
        with app.app_context():
            viewer = db.session.get(User, user.user_id)
            exam = db.session.get(Exam, user.exam_id)
            with meter.capture() as statements:
                try:
                    draw = draw_ids(viewer, exam, None, choice, DRAW_COUNT, rng)
                    outcome = f"{len(draw.question_ids)} drawn" + (f"; notice: {draw.notice}" if draw.notice else "")
                except ValidationError as exc:  # the heavy user has answered every question: no unseen
                    outcome = f"{type(exc).__name__} ({exc.code}): {exc.message}"
            selects = [(s, p) for s, p, _many in statements if s.lstrip().upper().startswith("SELECT")]
            log(f"\n   == source {name}: {outcome}; draw_ids issued {len(statements)} statements, "
                f"{len(selects)} SELECT")
            items = [(f"{name}: SELECT {n}/{len(selects)}", s, p) for n, (s, p) in enumerate(selects, start=1)]
            plans[choice.source.value] = [_explain_all([item]) for item in items]
    return plans


def answer_indexes(plan: list[str]) -> str:
    """The answers indexes a plan reads, each with how (index only / covering, or with the table)."""
    found = []
    for line in plan:
        for name in ANSWERS_INDEX.findall(line):
            how = "index only" if ("Index Only Scan" in line or "COVERING INDEX" in line) else "with table rows"
            if (name, how) not in found:
                found.append((name, how))
    return ", ".join(f"{name} ({how})" for name, how in found)


def run(url: str, args) -> bool:
    from webapp import create_app
    from webapp.extensions import db

    backend = backend_of(url)
    app = create_app(bench_config(url))
    with app.app_context():
        meter = SqlMeter(db.engine)
        with db.engine.connect() as conn:
            heavy, typical = pick_bench_users(conn)
            counts_before = count_rows(conn)
            first_session_id = (conn.execute(sa.text("SELECT max(id) FROM study_sessions")).scalar_one() or 0) + 1
    marked_before = marked_count(app)
    version = server_version(app)
    if not args.no_gc_freeze:
        gc.collect()
        gc.freeze()  # start-up objects leave the collector's generations, as after a pre-fork freeze
    users = [heavy, typical]
    state = UserState(app, users)

    def reset() -> None:
        discard_study_sessions(app, users, first_session_id)
        state.restore()  # bookmarks, tags, notes, streaks, achievements... as they were

    log(f"\n== {version}: " + ", ".join(f"{t} {n:,}" for t, n in counts_before.items()))
    log(f"   heavy user {heavy.user_id}: {heavy.answers:,} answers ({heavy.exam_answers:,} on {heavy.exam_slug}); "
        f"typical (median) user {typical.user_id}: {typical.answers:,} answers "
        f"({typical.exam_answers:,} on {typical.exam_slug}); {BOOKMARKS} bookmarks each")
    log(f"   {args.iterations} timed iterations per operation and user, after {args.warmup} warm-up ones"
        + ("" if args.no_gc_freeze else "; gc.freeze() after start-up, as deployed"))
    results: list[OpResult] = []
    load_before = os.getloadavg()
    calibration = calibration_ms()
    try:
        for label, user in (("heavy", heavy), ("typical", typical)):
            results.extend(measure(app, meter, label, user, args.iterations, args.warmup, args.seed))
            reset()
    finally:
        reset()
    load = (f"load average {load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after, {os.cpu_count()} CPUs; "
            f"calibration loop {calibration:.0f} ms before, {calibration_ms():.0f} ms after")

    covering = None
    if not args.no_explain:
        log(f"\n-- EXPLAIN of the source draws for the heavy user {heavy.user_id} on {heavy.exam_slug} ({version}); "
            f"{BOOKMARKS} bookmarks as set up for the timings")
        marks = None
        try:
            StudyRunner(app, meter, heavy, args.seed).add_bookmarks()
            analyze_bookmarks(app)
            marks = TemporaryMarks(app, heavy)
            log(f"   {len(marks.ids)} questions of the heavy user's latest completed attempts marked for review "
                "for the `marked` draw (cleared afterwards)")
            plans = explain_sources(app, meter, heavy, args.seed)
            covering = [answer_indexes(plan) for plan in plans.get("missed", [])]
        finally:
            if marks is not None:
                marks.clear()
            reset()

    vacuum(app)
    with app.app_context():
        with db.engine.connect() as conn:
            counts_after = count_rows(conn)
        db.session.remove()
        db.engine.dispose()
    marked_after = marked_count(app)
    changed = {t: (counts_before.get(t), n) for t, n in counts_after.items() if counts_before.get(t) != n}

    ok = print_table(f"== RESULTS {version} ({args.iterations} iterations; {load})", results)
    if covering:
        log("")
    for number, used in enumerate(covering or [], start=1):
        log(f"   missed draw, SELECT {number}/{len(covering)}: answers read through {used or 'no index'}"
            f"{'' if COVERING_INDEX in used else f' (not {COVERING_INDEX})'}")
    if changed or marked_before != marked_after:
        log(f"   CLEANUP INCOMPLETE: rows before/after {changed}; marked {marked_before}/{marked_after}")
        ok = False
    else:
        log(f"   clean-up verified: every table's row count as before ({backend}), no question left marked")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a data set made by bench/generate_data.py")
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument("--no-gc-freeze", action="store_true",
                        help="do not gc.freeze() after start-up (the deployed gunicorn does)")
    args = parser.parse_args()
    try:
        ok = run(args.database_url, args)
    except Exception:  # noqa: BLE001  (a set-up or clean-up failure: the benchmark could not run)
        log(traceback.format_exc())
        return 2
    log(f"\n== {backend_of(args.database_url)}: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

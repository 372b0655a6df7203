"""Benchmark: the three analytics calls (issue 13), in process, on SQLite or PostgreSQL.

Runs on an existing data set of bench/generate_data.py (1,000,000 answers by default; pass it
with --database-url) at migration 0012 or later, for the heaviest user and the median user of
`pick_bench_users`. With one app context (one fresh session) per call, as a request would have,
each operation loads the learner by id (what the bearer-token lookup hands the view), calls the
service of webapp/analytics/services.py and dumps the result through the API's response schema
(webapp/api/analytics.py), which is what the JSON route does minus the HTTP layer and the token's
one primary-key lookup:

    performance 7d|30d|90d|all   GET /api/v1/analytics/performance?period=... (every exam)
    performance all, main exam   the same with exam_type = the exam the learner uses most
    domain performance           GET /api/v1/analytics/domain-performance?exam_type=<main exam>
    weak areas                   GET /api/v1/analytics/weak-areas

and, through the Flask test client signed in as the learner (a session cookie, as
bench/quiz_bench.py's `signed_in_client` makes it: no sign-in request, no row written), the
browser side of issue 13:

    /progress page               GET /progress (30 days, every exam; both charts rendered in place)
    /progress page, all, exam    GET /progress?period=all&exam=<main exam>
    scores fragment              GET /progress/charts/scores?period=all (HX-Request)
    objectives fragment          GET /progress/charts/objectives (HX-Request; every exam)
    objectives fragment, exam    GET /progress/charts/objectives?exam=<main exam> (HX-Request)

Targets (p95, heavy and typical user): every API operation <= 20 ms, the page <= 40 ms, each
fragment <= 25 ms. Then, unless --wrk-seconds is 0 or wrk is missing, gunicorn (2 workers, the
production config, Redis for the rate limits) serves the same data set and wrk loads /health
and /progress (signed in as the heavy user) in the same run: requests/s, p50, p99 and the ratio. Prints p50/p95 per operation and
user, statements per call, the time inside cursor.execute, this process's CPU time (the gap to
wall time is waiting: PostgreSQL's work, or other processes on a shared box), PASS/FAIL and the
load average, then EXPLAIN (EXPLAIN QUERY PLAN on SQLite, EXPLAIN (ANALYZE, BUFFERS) on
PostgreSQL) of every SELECT each call issues for the heavy user, as captured from real calls.

The benchmark only reads: it writes no row (the row counts of every table are compared before
and after).

Usage: python bench/analytics_bench.py --database-url URL [--iterations 200] [--warmup 10]
                                       [--no-explain] [--no-gc-freeze] [--wrk-seconds 10]
Exit status: 0 all targets met, 1 a target failed, 2 the benchmark could not run.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate_data import BenchUser, backend_of, bench_config, count_rows, pick_bench_users  # noqa: E402
from bench.quiz_bench import (OpResult, Runner, SqlMeter, _explain_all, calibration_ms, log,  # noqa: E402
                              print_table, server_version)

TARGET_MS = 20.0
PAGE_TARGET_MS = 40.0
FRAGMENT_TARGET_MS = 25.0
# (key, label, path; "{exam}" is the learner's main exam, target, sent by htmx)
PAGES = (
    ("progress_page", "/progress page", "/progress", PAGE_TARGET_MS, False),
    ("progress_page_exam", "/progress all, exam", "/progress?period=all&exam={exam}", PAGE_TARGET_MS, False),
    ("scores_fragment", "scores fragment", "/progress/charts/scores?period=all", FRAGMENT_TARGET_MS, True),
    ("objectives_fragment", "objectives fragment", "/progress/charts/objectives", FRAGMENT_TARGET_MS, True),
    ("objectives_exam", "objectives, exam", "/progress/charts/objectives?exam={exam}", FRAGMENT_TARGET_MS, True),
)
# What wrk sends as the bench's browser; the gunicorn app signs cookies with this key.
WRK_SECRET = "benchmark-secret-key-0123456789abcdef-xyz"
# (key, label, what the call needs: a period, or "domains" / "weak")
OPERATIONS = (
    ("performance_7d", "performance 7d", "7d"),
    ("performance_30d", "performance 30d", "30d"),
    ("performance_90d", "performance 90d", "90d"),
    ("performance_all", "performance all", "all"),
    ("performance_exam", "performance all, exam", "all+exam"),
    ("domain_performance", "domain performance", "domains"),
    ("weak_areas", "weak areas", "weak"),
)


class AnalyticsRunner(Runner):
    """The analytics calls for one user (quiz_bench's Runner: the user, its timing)."""

    def call(self, what: str):
        """One call as the route makes it: the learner by id, the service, the response schema's dump."""
        from webapp.analytics import services
        from webapp.api import analytics as api

        user = self._load_user()
        if what == "domains":
            result = services.domain_performance(user, self.user.exam_slug)
            return api.DomainPerformanceOut().dump({"domains": result.domains})
        if what == "weak":
            return api.WeakAreasOut().dump(services.weak_areas(user))
        period, _, exam = what.partition("+")
        result = services.performance(user, period, self.user.exam_slug if exam else None)
        return api.PerformanceOut().dump({"period": result.period.value, "data_points": result.data_points,
                                          "summary": result.summary})

    def timed_call(self, what: str, result: OpResult | None) -> dict:
        with self.app.app_context():
            body, elapsed = self._timed(lambda: self.call(what))
        if result is not None:
            result.add(*elapsed, meter=self.meter)
        return body


def describe(body: dict, what: str) -> str:
    """What a call returned, in a few words (so the figures can be told apart from empty answers)."""
    if what == "domains":
        return f"{len(body['domains'])} objectives"
    if what == "weak":
        return f"{len(body['weak_domains'])} weak objectives, {len(body['weak_exam_types'])} weak exam types"
    return f"{len(body['data_points'])} days, {body['summary']['total_quizzes']} quizzes"


def measure(app, meter: SqlMeter, label: str, user: BenchUser, iterations: int, warmup: int) -> list[OpResult]:
    runner = AnalyticsRunner(app, meter, user, seed=0)
    results = []
    for key, name, what in OPERATIONS:
        result = OpResult(key, name, label, TARGET_MS)
        t0 = time.perf_counter()
        try:
            body = {}
            for i in range(warmup + iterations):
                body = runner.timed_call(what, result if i >= warmup else None)
            log(f"   {label:7s} {name:22s} p50 {result.p50:7.2f} ms  p95 {result.p95:7.2f} ms  "
                f"({describe(body, what)}; {time.perf_counter() - t0:.1f}s)")
        except Exception as exc:  # noqa: BLE001  (report it as a failed operation, run the others)
            result.error = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
            log(f"   {label:7s} {name:22s} ERROR {result.error}")
            log("".join(traceback.format_exception(exc)[-3:]).rstrip())
        results.append(result)
    return results


def measure_pages(app, meter: SqlMeter, label: str, user: BenchUser, iterations: int, warmup: int) -> list[OpResult]:
    """The /progress page and its chart fragments through the test client, signed in as `user`."""
    runner = AnalyticsRunner(app, meter, user, seed=0)
    client = runner.signed_in_client()
    results = []
    for key, name, path, target, htmx in PAGES:
        url = path.format(exam=user.exam_slug)
        headers = {"HX-Request": "true"} if htmx else {}
        result = OpResult(key, name, label, target)
        t0 = time.perf_counter()
        try:
            size = 0
            for i in range(warmup + iterations):
                response, elapsed = runner._timed(lambda: client.get(url, headers=headers))
                if response.status_code != 200 or b'id="chart-' not in response.data:
                    raise RuntimeError(f"GET {url} answered {response.status_code}")
                size = len(response.data)
                if i >= warmup:
                    result.add(*elapsed, meter=meter)
            log(f"   {label:7s} {name:22s} p50 {result.p50:7.2f} ms  p95 {result.p95:7.2f} ms  "
                f"({size:,} bytes; {time.perf_counter() - t0:.1f}s)")
        except Exception as exc:  # noqa: BLE001  (report it as a failed operation, run the others)
            result.error = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
            log(f"   {label:7s} {name:22s} ERROR {result.error}")
        results.append(result)
    return results


def wrk_ratio(app, url: str, heavy: BenchUser, seconds: int, connections: int = 16) -> None:
    """/progress (signed in as the heavy user) against /health under wrk, one gunicorn, same run."""
    import tempfile

    from bench.health_bench import run_wrk
    from tests.tools.servers import free_port, start_gunicorn, start_redis, stop_process

    app.config["SECRET_KEY"] = WRK_SECRET  # the cookie the gunicorn app (same key) accepts
    client = AnalyticsRunner(app, None, heavy, seed=0).signed_in_client()
    cookie = client.get_cookie("session").value
    with tempfile.TemporaryDirectory(prefix="certquest-bench-") as tmp:
        redis_proc, redis_port = start_redis(Path(tmp))
        env = {"CERTQUEST_ENV": "production", "SECRET_KEY": WRK_SECRET, "DATABASE_URL": url, "LOG_LEVEL": "WARNING",
               "FLASK_APP": "wsgi.py", "TRUSTED_HOSTS": "127.0.0.1", "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"}
        port = free_port()
        proc = start_gunicorn(port, env, Path(tmp) / "gunicorn.log", workers=2)
        try:
            base = f"http://127.0.0.1:{port}"
            found = {"health": run_wrk(f"{base}/health", seconds, connections),
                     "progress": run_wrk(f"{base}/progress", seconds, connections, headers=[f"Cookie: session={cookie}"])}
        finally:
            stop_process(proc)
            stop_process(redis_proc)
    log(f"\n== wrk: gunicorn 2 workers, {connections} connections, {seconds}s each, load average "
        f"{os.getloadavg()[0]:.2f}")
    for label, r in found.items():
        log(f"   {label:9s} {r['rps']:9.1f} req/s   p50 {r['p50_ms']:7.2f} ms   p99 {r['p99_ms']:7.2f} ms   "
            f"non-2xx {r['non_2xx']}")
    log(f"   ratio /progress : /health = {found['progress']['rps'] / found['health']['rps']:.1%} of the requests/s")


def explain_calls(app, meter: SqlMeter, user: BenchUser) -> dict[str, list[str]]:
    """EXPLAIN every SELECT each operation issues for `user`, captured from a real call; returns
    each operation's plan lines."""
    runner = AnalyticsRunner(app, meter, user, seed=0)
    plans: dict[str, list[str]] = {}
    for key, name, what in OPERATIONS:
        with app.app_context():
            with meter.capture() as statements:
                runner.call(what)
            selects = [(s, p) for s, p, _many in statements if s.lstrip().upper().startswith("SELECT")]
            log(f"\n   == {name}: {len(statements)} statements, {len(selects)} SELECT")
            plans[key] = _explain_all([(f"{name}: SELECT {n}/{len(selects)}", s, p)
                                       for n, (s, p) in enumerate(selects, start=1)])
    return plans


def answer_reads(plan: list[str]) -> list[str]:
    """The lines of a plan that read the answers table or one of its indexes."""
    return [line.strip() for line in plan if "answers" in line and ("SCAN" in line or "SEARCH" in line
                                                                     or "Scan" in line)]


def run(url: str, args) -> bool:
    from webapp import create_app
    from webapp.extensions import db

    app = create_app(bench_config(url))
    with app.app_context():
        meter = SqlMeter(db.engine)
        with db.engine.connect() as conn:
            heavy, typical = pick_bench_users(conn)
            counts_before = count_rows(conn)
            head = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()
    version = server_version(app)
    if not args.no_gc_freeze:
        gc.collect()
        gc.freeze()  # start-up objects leave the collector's generations, as after a pre-fork freeze
    log(f"\n== {version} (migration {head}): " + ", ".join(f"{t} {n:,}" for t, n in counts_before.items()))
    log(f"   heavy user {heavy.user_id}: {heavy.answers:,} answers ({heavy.exam_answers:,} on {heavy.exam_slug}); "
        f"typical (median) user {typical.user_id}: {typical.answers:,} answers "
        f"({typical.exam_answers:,} on {typical.exam_slug})")
    log(f"   {args.iterations} timed iterations per operation and user, after {args.warmup} warm-up ones"
        + ("" if args.no_gc_freeze else "; gc.freeze() after start-up, as deployed"))
    load_before = os.getloadavg()
    calibration = calibration_ms()
    results: list[OpResult] = []
    for label, user in (("heavy", heavy), ("typical", typical)):
        results.extend(measure(app, meter, label, user, args.iterations, args.warmup))
    for label, user in (("heavy", heavy), ("typical", typical)):
        results.extend(measure_pages(app, meter, label, user, args.iterations, args.warmup))
    load = (f"load average {load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after, {os.cpu_count()} CPUs; "
            f"calibration loop {calibration:.0f} ms before, {calibration_ms():.0f} ms after")

    plans: dict[str, list[str]] = {}
    if not args.no_explain:
        log(f"\n-- EXPLAIN of the analytics queries for the heavy user {heavy.user_id} "
            f"(main exam {heavy.exam_slug}; {version})")
        plans = explain_calls(app, meter, heavy)

    with app.app_context():
        with db.engine.connect() as conn:
            counts_after = count_rows(conn)
        db.session.remove()
        db.engine.dispose()
    changed = {t: (counts_before.get(t), n) for t, n in counts_after.items() if counts_before.get(t) != n}

    if args.wrk_seconds > 0:
        if shutil.which("wrk") is None:
            log("\n== wrk is not installed (apt-get install wrk): the /progress : /health ratio is skipped")
        else:
            wrk_ratio(app, url, heavy, args.wrk_seconds)

    ok = print_table(f"== RESULTS {version} ({args.iterations} iterations; {load})", results)
    if plans:
        log("")
    for key, name, _what in OPERATIONS:
        for line in answer_reads(plans.get(key, [])):
            log(f"   {name}: answers read by: {line}")
    if changed:
        log(f"   ROWS CHANGED: before/after {changed}")
        ok = False
    else:
        log(f"   read-only verified: every table's row count as before ({backend_of(url)})")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a data set made by bench/generate_data.py")
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument("--wrk-seconds", type=int, default=10, help="0: skip the wrk ratio")
    parser.add_argument("--no-gc-freeze", action="store_true",
                        help="do not gc.freeze() after start-up (the deployed gunicorn does)")
    args = parser.parse_args()
    try:
        ok = run(args.database_url, args)
    except Exception:  # noqa: BLE001  (the benchmark could not run)
        log(traceback.format_exc())
        return 2
    log(f"\n== {backend_of(args.database_url)}: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

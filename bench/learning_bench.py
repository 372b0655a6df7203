"""Benchmark: the pages and API calls that show mastery and readiness (issue 15), in process.

Runs on an existing data set of bench/generate_data.py (1,000,000 answers by default; pass it
with --database-url) at migration 0015 or later with the learning rows built (`flask reviews
rebuild`), for the heaviest user and the median user of `pick_bench_users`, on the exam each
answers most. Through the Flask test client signed in as the learner (a session cookie, as
bench/quiz_bench.py's `signed_in_client` makes it: no sign-in request, no row written):

    dashboard            GET /                  readiness of the two most recently practised
                                                exams, due counts and everything else it shows
    exam page            GET /exams/<main exam> mastery bars, readiness, the start panel
    /progress            GET /progress          mastery bars and tables of every practised exam

and, with one app context (one fresh session) per call, as the JSON routes run minus the HTTP
layer and the bearer token's lookup (a token would be a row written):

    readiness API        webapp.learning.display.readiness_for + the API's body and schema dump
    mastery API          webapp.learning.display.mastery_for + the same

Each operation is timed twice: "warm", as deployed (the display memo keeps the figures until the
learner answers again: the common case of a page reloaded or visited between answers), and
"cold", with LEARNING_MEMO_SIZE 0 (every call computes the posteriors, the Beta intervals and the
simulation: what the first page after each answer costs). Targets (p95, heavy user, both
temperatures): the dashboard and the exam page <= 40 ms, the readiness API <= 30 ms; the rest and
the typical user are reported. Prints p50/p95 per operation, user and temperature, statements per
call, the time inside cursor.execute, CPU time, PASS/FAIL and the load average.

The benchmark only reads: the row counts of every table are compared before and after.

Usage: python bench/learning_bench.py --database-url URL [--iterations 200] [--warmup 10]
                                      [--no-gc-freeze]
Exit status: 0 all targets met, 1 a target failed, 2 the benchmark could not run.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate_data import BenchUser, backend_of, bench_config, count_rows, pick_bench_users  # noqa: E402
from bench.quiz_bench import (REPORT_ONLY, OpResult, Runner, SqlMeter, calibration_ms, log,  # noqa: E402
                              print_table, server_version)

PAGE_TARGET_MS = 40.0
READINESS_TARGET_MS = 30.0
# (key, label, path or API call, the marker a good answer holds, heavy user's p95 target)
OPERATIONS = (
    ("dashboard", "dashboard GET /", "/", b'class="card readiness"', PAGE_TARGET_MS),
    ("exam_page", "exam page", "/exams/{exam}", b'class="mastery-bar"', PAGE_TARGET_MS),
    ("progress", "/progress", "/progress", b'class="mastery-bar"', REPORT_ONLY),
    ("readiness_api", "readiness API", "readiness", None, READINESS_TARGET_MS),
    ("mastery_api", "mastery API", "mastery", None, REPORT_ONLY),
)


class LearningRunner(Runner):
    """The pages through the test client and the API calls through the services, for one user."""

    def api_call(self, what: str) -> dict:
        from webapp.api import analytics as api
        from webapp.learning import display

        user = self._load_user()
        exam = display.exam_for(user, self.user.exam_slug)
        if what == "readiness":
            return api.ReadinessOut().dump(api.readiness_body(display.readiness_for(user, exam).readiness))
        return api.MasteryOut().dump(api.mastery_body(exam.slug, display.mastery_for(user, exam)))


def measure(app, meter: SqlMeter, label: str, user: BenchUser, temperature: str, iterations: int,
            warmup: int) -> list[OpResult]:
    runner = LearningRunner(app, meter, user, seed=0)
    client = runner.signed_in_client()
    results = []
    for key, name, what, marker, target in OPERATIONS:
        result = OpResult(key, f"{name} ({temperature})", label, target if label == "heavy" else REPORT_ONLY)
        t0 = time.perf_counter()
        try:
            detail = ""
            for i in range(warmup + iterations):
                if marker is None:
                    with app.app_context():
                        body, elapsed = runner._timed(lambda: runner.api_call(what))
                    detail = (f"pass_probability {body['pass_probability']}, missing {len(body['missing'])}"
                              if what == "readiness" else f"{len(body['objectives'])} objectives")
                else:
                    url = what.format(exam=user.exam_slug)
                    response, elapsed = runner._timed(lambda: client.get(url))
                    if response.status_code != 200 or (marker not in response.data and label == "heavy"):
                        raise RuntimeError(f"GET {url} answered {response.status_code} without {marker!r}")
                    detail = f"{len(response.data):,} bytes"
                if i >= warmup:
                    result.add(*elapsed, meter=meter)
            log(f"   {label:7s} {result.label:28s} p50 {result.p50:7.2f} ms  p95 {result.p95:7.2f} ms  "
                f"({detail}; {time.perf_counter() - t0:.1f}s)")
        except Exception as exc:  # noqa: BLE001  (report it as a failed operation, run the others)
            result.error = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
            log(f"   {label:7s} {result.label:28s} ERROR {result.error}")
            log("".join(traceback.format_exception(exc)[-3:]).rstrip())
        results.append(result)
    return results


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
            if not counts_before.get("objective_mastery"):
                raise RuntimeError("no objective_mastery rows: run `flask reviews rebuild` on the data set first")
    version = server_version(app)
    if not args.no_gc_freeze:
        gc.collect()
        gc.freeze()  # start-up objects leave the collector's generations, as after a pre-fork freeze
    log(f"\n== {version} (migration {head}): " + ", ".join(f"{t} {n:,}" for t, n in counts_before.items()))
    log(f"   heavy user {heavy.user_id}: {heavy.answers:,} answers ({heavy.exam_answers:,} on {heavy.exam_slug}); "
        f"typical (median) user {typical.user_id}: {typical.answers:,} answers "
        f"({typical.exam_answers:,} on {typical.exam_slug})")
    log(f"   {args.iterations} timed iterations per operation, user and temperature, after {args.warmup} warm-up "
        "ones" + ("" if args.no_gc_freeze else "; gc.freeze() after start-up, as deployed"))
    load_before = os.getloadavg()
    calibration = calibration_ms()
    results: list[OpResult] = []
    memo_size = app.config["LEARNING_MEMO_SIZE"]
    for temperature, size in (("warm", memo_size), ("cold", 0)):
        app.config["LEARNING_MEMO_SIZE"] = size
        for label, user in (("heavy", heavy), ("typical", typical)):
            results.extend(measure(app, meter, label, user, temperature, args.iterations, args.warmup))
    app.config["LEARNING_MEMO_SIZE"] = memo_size
    load = (f"load average {load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after, {os.cpu_count()} CPUs; "
            f"calibration loop {calibration:.0f} ms before, {calibration_ms():.0f} ms after")

    with app.app_context():
        with db.engine.connect() as conn:
            counts_after = count_rows(conn)
        db.session.remove()
        db.engine.dispose()
    changed = {t: (counts_before.get(t), n) for t, n in counts_after.items() if counts_before.get(t) != n}
    ok = print_table(f"== RESULTS {version} ({args.iterations} iterations; {load})", results)
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

"""Benchmark: `flask questions item-stats` on the 1M-answer data set (issue 12).

Runs `webapp.questions.item_stats.compute_item_stats` (what the command runs) on an existing data
set of bench/generate_data.py (pass it with --database-url), in process, --runs times (default 2:
the first one with a colder cache), on a production-like config (bench_config). For each run it
prints the rows read (attempt_questions rows streamed, completed scored attempts), the first
responses, the seconds per phase (attempt scores, streaming the first responses, computing the
statistics, writing the rows) and the total, against the target: under 60 s on SQLite and on
PostgreSQL.

While each run goes on, a second connection plays the app: every 50 ms a short write
transaction (a no-op UPDATE of one question's flag_count, which takes SQLite's write lock) and a
read of question_stats; their worst and p95 latencies show the computation does not block the app.

Then the planted bad key (bench/generate_data.py plants it from the seed, on by default): the
question is re-derived from the bank and --seed, and its question_stats row is printed (responses,
facility, discrimination, top-group counts of the key and of the true answer, the reasons) with
its rank by suspicion score. The benchmark fails if it is not marked suspect.

Everything the benchmark writes is question_stats (what the command writes) and the no-op updates.

Usage: python bench/item_stats_bench.py --database-url URL [--runs 2] [--seed 701]
Exit status: 0 all targets met, 1 a target failed, 2 the benchmark could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.generate_data import (DEFAULT_SEED, backend_of, bench_config, choose_planted_key,  # noqa: E402
                                 read_bank)
from bench.quiz_bench import calibration_ms, log, server_version  # noqa: E402

TARGET_SECONDS = 60.0
# The app's side while the computation runs: one write and one read every PROBE_PAUSE seconds.
PROBE_PAUSE = 0.05
PROBE_TARGET_MS = 1000.0  # worst write or read latency the app may see meanwhile


class AppProbe(threading.Thread):
    """Short writes and reads on a separate connection, as requests would make them, timed."""

    def __init__(self, engine: sa.Engine, question_id: int) -> None:
        super().__init__(daemon=True)
        self.engine = engine
        self.question_id = question_id
        self.writes: list[float] = []
        self.reads: list[float] = []
        self.errors: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        update = sa.text("UPDATE questions SET flag_count = flag_count WHERE id = :q")
        read = sa.text("SELECT count(*) FROM question_stats")
        with self.engine.connect() as conn:
            while not self.stop.is_set():
                try:
                    t = time.perf_counter()
                    with conn.begin():
                        conn.execute(update, {"q": self.question_id})
                    self.writes.append((time.perf_counter() - t) * 1000)
                    t = time.perf_counter()
                    conn.execute(read).scalar_one()
                    conn.rollback()
                    self.reads.append((time.perf_counter() - t) * 1000)
                except Exception as exc:  # noqa: BLE001  (reported, and fails the run)
                    self.errors.append(repr(exc))
                    conn.rollback()
                self.stop.wait(PROBE_PAUSE)


def _latencies(values: list[float]) -> str:
    if not values:
        return "none"
    p95 = statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)
    return f"{len(values)} calls, p95 {p95:.1f} ms, worst {max(values):.1f} ms"


def run(url: str, args) -> bool:
    from webapp import create_app
    from webapp.extensions import db
    from webapp.questions.item_stats import MIN_RESPONSES, compute_item_stats

    backend = backend_of(url)
    app = create_app(bench_config(url))
    version = server_version(app)
    with app.app_context():
        with db.engine.connect() as conn:
            planted = choose_planted_key(conn, *read_bank(conn), args.seed)
            counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
                      for t in ("questions", "quiz_attempts", "attempt_questions", "answers")}
        probe_engine = sa.create_engine(db.engine.url, **app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    log(f"\n== {version}: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    load_before = os.getloadavg()
    calibration = calibration_ms()
    ok = True
    for number in range(1, args.runs + 1):
        probe = AppProbe(probe_engine, planted.question_id)
        probe.start()
        with app.app_context():
            summary = compute_item_stats()
            db.session.remove()
        probe.stop.set()
        probe.join()
        met = summary.seconds < TARGET_SECONDS
        worst = max(probe.writes + probe.reads, default=0.0)
        calm = not probe.errors and worst < PROBE_TARGET_MS
        ok = ok and met and calm
        log(f"\n-- run {number}/{args.runs}: {summary.summary()}")
        log(f"   rows read: {summary.rows_read:,} attempt_questions rows of {summary.attempts:,} completed "
            f"scored attempts -> {summary.responses:,} first responses; {summary.questions:,} rows written")
        log(f"   phases: attempt scores {summary.scores_seconds:.2f}s, stream {summary.stream_seconds:.2f}s, "
            f"compute {summary.compute_seconds:.2f}s, write {summary.write_seconds:.2f}s; "
            f"total {summary.seconds:.2f}s (target < {TARGET_SECONDS:.0f}s): {'PASS' if met else 'FAIL'}")
        log(f"   app meanwhile: writes {_latencies(probe.writes)}; reads {_latencies(probe.reads)}; "
            f"errors {len(probe.errors)}{' ' + probe.errors[0] if probe.errors else ''} "
            f"(worst < {PROBE_TARGET_MS:.0f} ms): {'PASS' if calm else 'FAIL'}")
    probe_engine.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    log(f"   peak resident memory of the process (app included): {peak_mb:.0f} MB")

    with app.app_context():
        with db.engine.connect() as conn:
            row = conn.execute(sa.text(
                "SELECT responses, facility, discrimination, top_group, is_suspect, suspect_reasons, "
                "suspicion_score, choice_counts FROM question_stats WHERE question_id = :q"),
                {"q": planted.question_id}).mappings().one()
            rank = conn.execute(sa.text("SELECT count(*) FROM question_stats WHERE suspicion_score > :s"),
                                {"s": row["suspicion_score"]}).scalar_one() + 1
            by_type = conn.execute(sa.text(
                "SELECT q.type, count(*) FROM question_stats s JOIN questions q ON q.id = s.question_id "
                "WHERE s.is_suspect GROUP BY q.type ORDER BY q.type")).all()
            judged = conn.execute(sa.text("SELECT count(*) FROM question_stats WHERE responses >= :n"),
                                  {"n": MIN_RESPONSES}).scalar_one()
        db.session.remove()
        db.engine.dispose()
    reasons = row["suspect_reasons"]
    if isinstance(reasons, str):  # SQLite hands JSON back as text through sa.text
        reasons = json.loads(reasons)
        counts_json = json.loads(row["choice_counts"])
    else:
        counts_json = row["choice_counts"]
    log(f"\n-- planted bad key (seed {args.seed}): {planted.describe()}")
    log(f"   {row['responses']:,} first responses, facility {row['facility']}%, discrimination "
        f"{row['discrimination']}, top group {row['top_group']}: the stored key picked by "
        f"{counts_json[str(planted.stored_key_id)]['top']}, the true answer by "
        f"{counts_json[str(planted.true_choice_id)]['top']}")
    log(f"   suspect: {bool(row['is_suspect'])}, suspicion score {row['suspicion_score']} "
        f"(rank {rank} of {counts['questions']:,}); reasons:")
    for reason in reasons or []:
        log(f"     - {reason}")
    log(f"   suspects by type: {', '.join(f'{t} {n}' for t, n in by_type)}; {judged:,} questions had "
        f">= {MIN_RESPONSES} responses")
    flagged = bool(row["is_suspect"])
    ok = ok and flagged
    log(f"   planted key flagged: {'PASS' if flagged else 'FAIL'}")
    log(f"\n   load average {load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after, {os.cpu_count()} CPUs; "
        f"calibration loop {calibration:.0f} ms before, {calibration_ms():.0f} ms after ({backend})")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a data set made by bench/generate_data.py")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="the seed the data set was generated with")
    args = parser.parse_args()
    try:
        ok = run(args.database_url, args)
    except Exception:  # noqa: BLE001  (a set-up failure: the benchmark could not run)
        log(traceback.format_exc())
        return 2
    log(f"\n== {backend_of(args.database_url)}: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

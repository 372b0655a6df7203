"""Benchmark: the leaderboard, the catalogue, a question list and a profile with and without the
cache, in one run.

Both configurations run under gunicorn with deploy/gunicorn.conf.py, 2 workers and a real Redis
(which the rate limiter needs anyway), one after the other, loaded by wrk (16 connections).
"Without" sets CACHE_ENABLED=0. Prints requests/s, p50, p99 and, with the cache, the hit ratio.
The two API reads (`GET /api/v1/questions`, 100 questions of the heavy learner's main exam, and
`GET /api/v1/users/me`) go with a bearer token of the heaviest learner.

The hit ratio comes from Redis's own counters: each cached read is one GET per group version
(a hit once it exists; a profile has two, every learner's and its own) and one GET of the entry,
so reads = (hits + misses) / (versions + 1) and entry hits = hits - versions x reads.

Usage: python bench/cache_bench.py [--seconds 10] [--connections 16] [--database-url URL]
The database must hold the schema and data (bench/generate_data.py). It is only read, but for
one API token made for the heavy learner and revoked at the end (two audit events).
Needs `wrk` (Debian package `wrk`) and `redis-server`.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.generate_data import bench_config, pick_bench_users  # noqa: E402
from bench.health_bench import SECRET, parse_wrk  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.audit.services import RequestMeta  # noqa: E402
from webapp.auth.services import create_token, revoke_token  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import User  # noqa: E402
from tests.tools.servers import free_port, start_gunicorn, start_redis, stop_process  # noqa: E402

# (name, path, needs the bearer token, group versions read per cached read)
PAGES = (("leaderboard", "/leaderboard", False, 1), ("catalogue", "/exams", False, 1),
         ("questions", "/api/v1/questions?exam_type={exam}&per_page=100", True, 1),
         ("profile", "/api/v1/users/me", True, 2))  # the two versions in one MGET
META = RequestMeta(ip="127.0.0.1", user_agent="cache_bench", request_id="cache-bench")


def wrk(url: str, seconds: int, connections: int, headers: list[str]) -> tuple[dict, int]:
    extra = [arg for header in headers for arg in ("-H", header)]
    subprocess.run(["wrk", "-t2", "-c", str(connections), "-d", "2s", *extra, url], capture_output=True, check=True)
    result = subprocess.run(["wrk", "-t2", "-c", str(connections), "-d", f"{seconds}s", "--latency", *extra, url],
                            capture_output=True, text=True, check=True)
    requests = int(re.search(r"(\d+) requests in", result.stdout).group(1))
    return parse_wrk(result.stdout), requests


def redis_hits(port: int) -> tuple[int, int]:
    import redis

    stats = redis.Redis(port=port).info("stats")
    return stats["keyspace_hits"], stats["keyspace_misses"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    results: dict[tuple[str, str], dict] = {}
    app = create_app(bench_config(args.database_url))
    with app.app_context():
        heavy, _typical = pick_bench_users(db.session.connection())
        issued = create_token(db.session.get(User, heavy.user_id), "cache bench", META)
        token_id, exam = issued.token.id, heavy.exam_slug
    auth = [f"Authorization: Bearer {issued.secret}"]
    try:
        run_pages(args, exam, auth, results)
    finally:
        with app.app_context():
            revoke_token(db.session.get(User, heavy.user_id), token_id, META)
    print(f"{'page':<12} {'mode':<9} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'hit ratio':>9} {'non-2xx':>7}")
    for (name, mode), f in results.items():
        ratio = f"{f['hit_ratio']:.1%}" if f.get("hit_ratio") is not None else "-"
        print(f"{name:<12} {mode:<9} {f['rps']:>9.1f} {f['p50_ms']:>8.2f} {f['p99_ms']:>8.2f} {ratio:>9} {f['non_2xx']:>7}")
    for name, *_rest in PAGES:
        print(f"{name}: cache gives {results[(name, 'cache')]['rps'] / results[(name, 'no cache')]['rps']:.2f}x "
              "the requests/s")
    return 0


def run_pages(args, exam: str, auth: list[str], results: dict) -> None:
    with tempfile.TemporaryDirectory(prefix="certquest-cache-bench-") as tmp:
        redis_proc, redis_port = start_redis(Path(tmp))
        try:
            for mode, enabled in (("no cache", "0"), ("cache", "1")):
                env = {"CERTQUEST_ENV": "production", "SECRET_KEY": SECRET, "DATABASE_URL": args.database_url,
                       "LOG_LEVEL": "WARNING", "TRUSTED_HOSTS": "127.0.0.1", "CACHE_ENABLED": enabled,
                       "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"}
                port = free_port()
                proc = start_gunicorn(port, env, Path(tmp) / f"{enabled}.log", workers=2)
                try:
                    for name, path, needs_token, versions in PAGES:
                        url = f"http://127.0.0.1:{port}{path.format(exam=exam)}"
                        headers = auth if needs_token else []
                        curl_headers = [arg for header in headers for arg in ("-H", header)]
                        subprocess.run(["curl", "-s", "-o", "/dev/null", *curl_headers, url], check=False)
                        before = redis_hits(redis_port)
                        figures, requests = wrk(url, args.seconds, args.connections, headers)
                        after = redis_hits(redis_port)
                        if enabled == "1":
                            hits = after[0] - before[0]
                            # wrk's warm-up run's reads count too: count them from Redis, not wrk
                            reads = (hits + after[1] - before[1]) // (versions + 1)
                            entry_hits = hits - versions * reads
                            figures["hit_ratio"] = round(entry_hits / reads, 4) if reads else None
                        figures["requests"] = requests
                        results[(name, mode)] = figures
                finally:
                    stop_process(proc)
        finally:
            stop_process(redis_proc)


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: the leaderboard and the catalogue with and without the cache, in one run.

Both configurations run under gunicorn with deploy/gunicorn.conf.py, 2 workers and a real Redis
(which the rate limiter needs anyway), one after the other, loaded by wrk (16 connections).
"Without" sets CACHE_ENABLED=0. Prints requests/s, p50, p99 and, with the cache, the hit ratio.

The hit ratio comes from Redis's own counters: each cached read is one GET of the group version
(a hit once it exists) and one GET of the entry, so entry hits = keyspace_hits - reads and
reads = the requests wrk made.

Usage: python bench/cache_bench.py [--seconds 10] [--connections 16] [--database-url URL]
The database must hold the schema and data (bench/generate_data.py); it is only read.
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

from bench.health_bench import SECRET, parse_wrk  # noqa: E402
from tests.tools.servers import free_port, start_gunicorn, start_redis, stop_process  # noqa: E402

PAGES = (("leaderboard", "/leaderboard"), ("catalogue", "/exams"))


def wrk(url: str, seconds: int, connections: int) -> tuple[dict, int]:
    subprocess.run(["wrk", "-t2", "-c", str(connections), "-d", "2s", url], capture_output=True, check=True)
    result = subprocess.run(["wrk", "-t2", "-c", str(connections), "-d", f"{seconds}s", "--latency", url],
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
                    for name, path in PAGES:
                        url = f"http://127.0.0.1:{port}{path}"
                        subprocess.run(["curl", "-s", "-o", "/dev/null", url], check=False)
                        before = redis_hits(redis_port)
                        figures, requests = wrk(url, args.seconds, args.connections)
                        after = redis_hits(redis_port)
                        if enabled == "1":
                            hits = after[0] - before[0]
                            # wrk's warm-up run's reads count too: count them from Redis, not wrk
                            reads = (hits + after[1] - before[1]) // 2
                            figures["hit_ratio"] = round((hits - reads) / reads, 4) if reads else None
                        figures["requests"] = requests
                        results[(name, mode)] = figures
                finally:
                    stop_process(proc)
        finally:
            stop_process(redis_proc)
    print(f"{'page':<12} {'mode':<9} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'hit ratio':>9} {'non-2xx':>7}")
    for (name, mode), f in results.items():
        ratio = f"{f['hit_ratio']:.1%}" if f.get("hit_ratio") is not None else "-"
        print(f"{name:<12} {mode:<9} {f['rps']:>9.1f} {f['p50_ms']:>8.2f} {f['p99_ms']:>8.2f} {ratio:>9} {f['non_2xx']:>7}")
    for name, _path in PAGES:
        print(f"{name}: cache gives {results[(name, 'cache')]['rps'] / results[(name, 'no cache')]['rps']:.1f}x "
              "the requests/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: `/health` throughput and latency against a bare Flask route.

Both run under gunicorn with deploy/gunicorn.conf.py and 2 workers on loopback, in the same
run, loaded by wrk with 16 connections. Prints requests/s, p50 and p99 for each and the ratio.

Targets: `/health` reaches at least 40% of the bare route's requests/s, with p99 under 50 ms.

Usage: python bench/health_bench.py [--seconds 10] [--connections 16] [--database-url URL]
Needs `wrk` (Debian package `wrk`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.tools.servers import free_port, start_gunicorn, start_redis, stop_process  # noqa: E402

SECRET = "benchmark-secret-key-0123456789abcdef-xyz"


def parse_wrk(output: str) -> dict[str, float]:
    def to_ms(value: str, unit: str) -> float:
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    percentiles = {}
    for pct, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M):
        percentiles[pct] = to_ms(value, unit)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"rps": rps, "p50_ms": percentiles["50"], "p99_ms": percentiles["99"],
            "non_2xx": int(errors.group(1)) if errors else 0}


def run_wrk(url: str, seconds: int, connections: int, headers: list[str] | None = None) -> dict[str, float]:
    """wrk's figures for `url` after a 2 s warm-up; `headers` ("Name: value") go with every request."""
    extra = [arg for header in headers or [] for arg in ("-H", header)]
    subprocess.run(["wrk", "-t2", "-c", str(connections), "-d", "2s", *extra, url], capture_output=True,
                   check=True)  # warm-up
    result = subprocess.run(["wrk", "-t2", "-c", str(connections), "-d", f"{seconds}s", "--latency", *extra, url],
                            capture_output=True, text=True, check=True)
    return parse_wrk(result.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="certquest-bench-") as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        # Two workers need shared rate-limit counters: production refuses to start without Redis.
        redis_proc, redis_port = start_redis(Path(tmp))
        env = {"CERTQUEST_ENV": "production", "SECRET_KEY": SECRET, "DATABASE_URL": url,
               "LOG_LEVEL": "INFO", "FLASK_APP": "wsgi.py", "TRUSTED_HOSTS": "127.0.0.1",
               "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"}
        try:
            subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, env={**os.environ, **env},
                           check=True, capture_output=True)
            results = {}
            for label, app, path in (("bare", "bench.bare_app:app", "/bare"), ("health", "wsgi:app", "/health")):
                port = free_port()
                proc = start_gunicorn(port, env, Path(tmp) / f"{label}.log", workers=2, app=app)
                try:
                    results[label] = run_wrk(f"http://127.0.0.1:{port}{path}", args.seconds, args.connections)
                finally:
                    stop_process(proc)
        finally:
            stop_process(redis_proc)

    backend = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(f"gunicorn 2 workers, wrk {args.connections} connections, {args.seconds}s, database {backend}")
    for label, r in results.items():
        print(f"  {label:7s} {r['rps']:9.1f} req/s   p50 {r['p50_ms']:6.2f} ms   p99 {r['p99_ms']:6.2f} ms   non-2xx {r['non_2xx']}")
    ratio = results["health"]["rps"] / results["bare"]["rps"]
    ok = ratio >= 0.40 and results["health"]["p99_ms"] < 50 and results["health"]["non_2xx"] == 0
    print(f"  ratio /health : bare = {ratio:.1%} (target >= 40%), /health p99 {results['health']['p99_ms']:.2f} ms (target < 50 ms)")
    print("  RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

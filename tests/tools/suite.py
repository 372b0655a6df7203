"""`make test`: the whole suite on SQLite, then again on PostgreSQL.

PostgreSQL comes from `TEST_DATABASE_URL` when given; otherwise, if server binaries exist, a
throwaway cluster is started on a free loopback port (as the `postgres` user when running as
root) and removed afterwards. With CI=true or STRICT=1 a missing PostgreSQL is a failure.

Usage: python -m tests.tools.suite [pytest args...]
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from tests.tools.servers import ROOT, free_port, strict


def log(message: str) -> None:
    print(f"==> {message}", flush=True)


def find_pg_bindir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_postgres(cmd: list[str]) -> list[str]:
    """Run as the `postgres` user when we are root (initdb refuses to run as root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@contextmanager
def throwaway_cluster(bindir: Path):
    """A fresh PostgreSQL cluster on a free loopback port; yields its SQLAlchemy URL."""
    workdir = Path(tempfile.mkdtemp(prefix="certquest-pg-"))
    datadir = workdir / "data"
    port = free_port()
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    try:
        subprocess.run(
            _as_postgres([str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres",
                          "--auth=trust", "-E", "UTF8", "--no-locale"]),
            check=True, stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(datadir), "-w", "-t", "60", "-l",
                          str(workdir / "server.log"), "-o",
                          f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off "
                          "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
                          "start"]),
            check=True, stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            _as_postgres([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                          "certquest_test"]),
            check=True,
        )
        log(f"throwaway PostgreSQL cluster on 127.0.0.1:{port}")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/certquest_test"
    finally:
        subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "fast", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(workdir, ignore_errors=True)


def run_pytest(label: str, env: dict[str, str], args: list[str]) -> int:
    log(f"test suite on {label}")
    cmd = [sys.executable, "-m", "pytest", *args]
    return subprocess.run(cmd, cwd=ROOT, env={**os.environ, **env}).returncode


def main(argv: list[str]) -> int:
    args = argv or ["-q"]
    results: dict[str, int] = {}

    with tempfile.TemporaryDirectory(prefix="certquest-sqlite-") as tmp:
        sqlite_url = f"sqlite:///{tmp}/test.db"
        results["SQLite"] = run_pytest("SQLite", {"TEST_DATABASE_URL": sqlite_url, "TEST_DB_LABEL": "sqlite"}, args)

    given = os.environ.get("TEST_DATABASE_URL", "")
    if given.startswith("postgres"):
        results["PostgreSQL"] = run_pytest("PostgreSQL", {"TEST_DB_LABEL": "postgresql"}, args)
    else:
        bindir = find_pg_bindir()
        if bindir is None:
            if strict():
                log("PostgreSQL server binaries not found and CI/STRICT is set: failing")
                results["PostgreSQL"] = 1
            else:
                log("PostgreSQL server binaries not found: PostgreSQL leg skipped (set STRICT=1 to fail)")
        else:
            with throwaway_cluster(bindir) as url:
                results["PostgreSQL"] = run_pytest(
                    "PostgreSQL", {"TEST_DATABASE_URL": url, "TEST_DB_LABEL": "postgresql"}, args)

    for label, code in results.items():
        log(f"{label}: {'passed' if code == 0 else f'FAILED (exit {code})'}")
    return 0 if all(code == 0 for code in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

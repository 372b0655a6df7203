"""The production stack on loopback, for tests and benchmarks that run or break it: Redis,
gunicorn with deploy/gunicorn.conf.py and nginx with deploy/nginx.conf rendered for free ports
over a database given by URL; a PostgreSQL cluster a test may stop and start; gunicorn's process
ids; and client threads that keep requests flowing and record every answer.

Shared by tests/deploy/test_nginx.py, tests/deploy/test_load.py, bench/load.py and the fault
tests (tests/deploy/test_faults.py), so the deploy files are rendered and started one way only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.tools.servers import ROOT, find_binary, free_port, start_gunicorn, start_redis, stop_process, wait_for_port
from tests.tools.suite import _as_postgres, find_pg_bindir

# A key only for these throwaway stacks (production refuses known defaults and short keys).
STACK_SECRET_KEY = "loopback-stack-secret-0123456789abcdef-not-for-production"


def render_nginx(tmp: Path, nginx_port: int, app_port: int, worker_connections: int = 256) -> Path:
    """deploy/nginx.conf with loopback ports, the repository's static/ and proxy params, wrapped in
    a main config that keeps every file nginx writes under `tmp`; returns the main config's path."""
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{nginx_port};")
    site = site.replace("alias /srv/certquest/static/;", f"alias {ROOT / 'static'}/;")
    site = site.replace("include /etc/nginx/certquest_proxy_params;",
                        f"include {ROOT / 'deploy' / 'certquest_proxy_params'};")
    (tmp / "site.conf").write_text(site)
    user = "user root root;\n" if os.geteuid() == 0 else ""
    main = f"""{user}worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections {worker_connections}; }}
http {{
    types {{ text/html html; text/css css; application/javascript js; image/svg+xml svg; }}
    default_type application/octet-stream;
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/site.conf;
}}
"""
    path = tmp / "nginx.conf"
    path.write_text(main)
    return path


def start_nginx(binary: str, tmp: Path, app_port: int, worker_connections: int = 256) -> tuple[subprocess.Popen, int]:
    """nginx in front of gunicorn's `app_port`, on a free loopback port: (process, port)."""
    port = free_port()
    conf = render_nginx(tmp, port, app_port, worker_connections)
    proc = subprocess.Popen([binary, "-c", str(conf), "-p", str(tmp)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc=proc)
    except Exception:
        stop_process(proc)
        raise
    return proc, port


def production_env(database_url: str, redis_url: str | None) -> dict[str, str]:
    """The environment gunicorn runs the app with: the production config, one proxy (nginx) in front."""
    env = {"CERTQUEST_ENV": "production", "SECRET_KEY": STACK_SECRET_KEY, "DATABASE_URL": database_url,
           "PROXY_COUNT": "1", "LOG_LEVEL": "INFO", "TRUSTED_HOSTS": "127.0.0.1"}
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


@dataclass(frozen=True)
class Stack:
    base_url: str  # nginx: what clients use
    app_url: str  # gunicorn directly
    redis_url: str | None
    gunicorn_log: Path
    nginx_dir: Path


@contextmanager
def production_stack(workdir: Path, database_url: str, workers: int = 1, redis: bool = False,
                     threads: int = 1, worker_connections: int = 256) -> Iterator[Stack]:
    """Redis (when `redis`: needed for more than one worker), gunicorn and nginx over
    `database_url`, all on free loopback ports; every process is stopped afterwards. A missing
    binary raises FileNotFoundError (callers decide whether that skips or fails)."""
    nginx = find_binary("nginx")
    if nginx is None:
        raise FileNotFoundError("nginx")
    workdir.mkdir(parents=True, exist_ok=True)
    nginx_dir = workdir / "nginx"
    nginx_dir.mkdir(exist_ok=True)
    with ExitStack() as stack:
        redis_url = None
        if redis:
            redis_proc, redis_port = start_redis(workdir)
            stack.callback(stop_process, redis_proc)
            redis_url = f"redis://127.0.0.1:{redis_port}/0"
        app_port = free_port()
        env = {**production_env(database_url, redis_url), "GUNICORN_THREADS": str(threads)}
        gunicorn_log = workdir / "gunicorn.log"
        gunicorn = start_gunicorn(app_port, env, gunicorn_log, workers=workers)
        stack.callback(stop_process, gunicorn)
        nginx_proc, nginx_port = start_nginx(nginx, nginx_dir, app_port, worker_connections)
        stack.callback(stop_process, nginx_proc)
        yield Stack(base_url=f"http://127.0.0.1:{nginx_port}", app_url=f"http://127.0.0.1:{app_port}",
                    redis_url=redis_url, gunicorn_log=gunicorn_log, nginx_dir=nginx_dir)


class PostgresCluster:
    """A throwaway PostgreSQL cluster on a free loopback port that the test owns: it may stop and
    start it (the outage), which a shared server must never suffer. As root, the server runs as
    the `postgres` user, like tests.tools.suite's cluster."""

    def __init__(self, bindir: Path | None = None) -> None:
        self.bindir = bindir or find_pg_bindir()
        if self.bindir is None:
            raise FileNotFoundError("initdb")
        self.workdir = Path(tempfile.mkdtemp(prefix="certquest-fault-pg-"))
        self.datadir = self.workdir / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/certquest_faults"

    def _run(self, *args: str) -> None:
        subprocess.run(_as_postgres([str(self.bindir / args[0]), *args[1:]]), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def create(self) -> None:
        """initdb, start, and create the database."""
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.datadir), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-locale")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "certquest_faults")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.datadir), "-w", "-t", "60", "-l", str(self.workdir / "server.log"),
                  "-o", f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 -c fsync=off "
                  "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (`fast` ends every session at once, as a maintenance stop or a crash
        of the database host looks to the app)."""
        self._run("pg_ctl", "-D", str(self.datadir), "-w", "-m", mode, "stop")

    def remove(self) -> None:
        subprocess.run(_as_postgres([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate",
                                     "stop"]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.workdir, ignore_errors=True)


def child_pids(pid: int) -> set[int]:
    """The direct children of `pid` (a gunicorn master's workers)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(child) for child in (task / "children").read_text().split()}
        except OSError:
            continue
    return found


def wait_for_children(pid: int, count: int, timeout: float = 20.0, exclude: set[int] = frozenset()) -> set[int]:
    """Wait until `pid` has `count` children outside `exclude` (workers booted after a reload)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = child_pids(pid)
        if len(children) == count and not children & exclude:
            return children
        time.sleep(0.1)
    raise TimeoutError(f"{pid} has children {child_pids(pid)}, not {count} new ones")


@dataclass
class Reply:
    """One answer the client got: when (monotonic), what it asked, status, body."""

    at: float
    name: str
    status: int
    body: str
    content_type: str = ""


def request(url: str, *, method: str = "GET", body: bytes | None = None, headers: dict | None = None,
            timeout: float = 15.0, name: str = "") -> Reply:
    """An HTTP request whose failures are answers too: HTTP errors keep their status and body,
    a dropped or refused connection is status 0 with the error's name."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return Reply(time.monotonic(), name or url, response.status, response.read().decode(),
                         response.headers.get("Content-Type", ""))
    except urllib.error.HTTPError as error:
        return Reply(time.monotonic(), name or url, error.code, error.read().decode(),
                     error.headers.get("Content-Type", ""))
    except (OSError, urllib.error.URLError) as error:
        return Reply(time.monotonic(), name or url, 0, f"{type(error).__name__}: {error}")


@dataclass
class Load:
    """`threads` clients, each calling the next of `calls` in turn until stopped; every reply is kept."""

    calls: list[Callable[[], Reply]]
    threads: int = 4
    pause: float = 0.02
    replies: list[Reply] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._workers: list[threading.Thread] = []

    def _run(self, offset: int) -> None:
        index = offset
        while not self._stop.is_set():
            reply = self.calls[index % len(self.calls)]()
            with self._lock:
                self.replies.append(reply)
            index += 1
            time.sleep(self.pause)

    def __enter__(self) -> Load:
        for offset in range(self.threads):
            worker = threading.Thread(target=self._run, args=(offset,), daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=30)

    def since(self, moment: float) -> list[Reply]:
        with self._lock:
            return [reply for reply in self.replies if reply.at >= moment]


def poll_until(check: Callable[[], bool], timeout: float, interval: float = 0.05) -> float | None:
    """Seconds until `check()` was first true, or None if it never was within `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        time.sleep(interval)
    return None

"""The production stack on loopback: Redis, gunicorn with deploy/gunicorn.conf.py and nginx with
deploy/nginx.conf rendered for free ports, over a database given by URL.

Shared by tests/deploy/test_nginx.py, tests/deploy/test_load.py and bench/load.py, so the
deploy files are rendered and started one way only.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.tools.servers import ROOT, find_binary, free_port, start_gunicorn, start_redis, stop_process, wait_for_port

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

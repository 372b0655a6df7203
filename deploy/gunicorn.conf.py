"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Read from the environment here because gunicorn loads this file before the app exists.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gunicorn.http import wsgi as _gunicorn_wsgi  # noqa: E402

from config import default_workers  # noqa: E402  (the app's config checks the same number)

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# More than one worker needs REDIS_URL: ProductionConfig refuses to start otherwise, because each
# worker would keep its own rate-limit counters. Set the count here, not with `-w`.
workers = int(os.environ.get("WEB_CONCURRENCY") or default_workers())
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "sync" if threads == 1 else "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# Load the app once in the master and fork workers from it: workers recycled by max_requests
# start in milliseconds instead of re-importing everything (a visible p99 spike otherwise).
preload_app = True
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# No control socket: nothing outside the process tree can drive the arbiter.
control_socket_disable = True
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The access line's fields come from record.args (see webapp.logs.GunicornAccessFormatter);
# a JSON-shaped access_log_format string would break on backslashes in paths and agents.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "webapp.logs.JsonFormatter"},
        "access": {"()": "webapp.logs.GunicornAccessFormatter"},
    },
    "handlers": {
        "error": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
        "access": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stdout"},
    },
    # The app installs its own root handler (with request ids); gunicorn must not add a second.
    "root": {"handlers": [], "level": loglevel.upper()},
    "loggers": {
        "gunicorn.error": {"handlers": ["error"], "level": loglevel.upper(), "propagate": False},
        "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
    },
}


_default_headers = _gunicorn_wsgi.Response.default_headers


def _headers_without_server(self):
    """gunicorn's status line, Date and Connection, without the `Server` header (no product or
    version announced; nginx has `server_tokens off`)."""
    return [line for line in _default_headers(self) if not line.lower().startswith("server:")]


_gunicorn_wsgi.Response.default_headers = _headers_without_server


def when_ready(server):
    """Freeze the preloaded app's objects before forking: full garbage collections in workers
    then skip them, which removed 80–150 ms pauses every few submits (bench/quiz_bench.py)."""
    import gc

    gc.collect()
    gc.freeze()


def post_fork(server, worker):
    """Drop database connections inherited from the master; each worker opens its own."""
    import sys

    wsgi = sys.modules.get("wsgi")
    if wsgi is None:  # another app (the benchmark's bare route) is being served
        return
    from webapp.extensions import db

    with wsgi.app.app_context():
        db.engine.dispose(close=False)

"""Small helpers shared by tests (records come from tests/factories.py)."""

from __future__ import annotations

import io
import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from webapp.logs import make_handler


@contextmanager
def captured_json_logs():
    """Collect the JSON lines the app writes, parsed, while the block runs."""
    stream = io.StringIO()
    handler = make_handler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    records: list[dict] = []
    try:
        yield records
    finally:
        root.removeHandler(handler)
        raw = stream.getvalue()
        records.extend(json.loads(line) for line in raw.splitlines() if line.strip())
        records.append({"_raw": raw})


def raw_of(records: list[dict]) -> str:
    return records[-1]["_raw"]


class FakeClock:
    """A clock for the rate-limit storage (`limits`' memory storage) and `webapp.rate_limits`:
    `advance()` moves it on, so tests can cross 15-minute or one-day windows at once."""

    def __init__(self, start: float) -> None:
        self.now = start

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def __getattr__(self, name: str):  # everything else (sleep, monotonic, ...) is the real module
        import time

        return getattr(time, name)


@contextmanager
def fake_clock(monkeypatch):
    """Install a FakeClock where the memory rate-limit storage and KeyedLimit read the time."""
    import time

    import limits.storage.memory
    import limits.strategies

    import webapp.rate_limits

    clock = FakeClock(time.time())
    for module in (limits.storage.memory, limits.strategies, webapp.rate_limits):
        monkeypatch.setattr(module, "time", clock)
    yield clock


def walk_keys(value) -> set[str]:
    """Every key at any depth of a JSON body: a test that no field anywhere reveals a key."""
    if isinstance(value, dict):
        return set(value) | set().union(*(walk_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(walk_keys(v) for v in value)) if value else set()
    return set()


@contextmanager
def gunicorn_serving(app, tmp_path, workers: int = 2, threads: int = 4) -> Iterator[str]:
    """A real gunicorn (the production config file and settings, Redis for the shared rate-limit
    counters) serving the test database: yields its base URL, stops both afterwards."""
    from tests.conftest import require_tool
    from tests.tools.servers import find_binary, free_port, start_gunicorn, start_redis, stop_process

    require_tool(find_binary("redis-server"), "redis-server")  # two workers need shared rate-limit counters
    redis_proc, redis_port = start_redis(tmp_path)
    port = free_port()
    env = {"CERTQUEST_ENV": "production", "SECRET_KEY": "concurrency-test-secret-0123456789abcdef",
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "GUNICORN_THREADS": str(threads),
           "TRUSTED_HOSTS": "127.0.0.1", "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"}
    try:
        server = start_gunicorn(port, env, tmp_path / "gunicorn.log", workers=workers)
    except Exception:
        stop_process(redis_proc)
        raise
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(server)
        stop_process(redis_proc)


def post_json(url: str, token: str, body: dict | None = None) -> tuple[int, str]:
    """POST with a bearer token (and a JSON body, if any): (status, response text), errors included."""
    data = json.dumps(body).encode() if body is not None else b""
    headers = {"Authorization": f"Bearer {token}", **({"Content-Type": "application/json"} if body is not None else {})}
    request = urllib.request.Request(url, data=data, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def all_at_once(calls: list[Callable[[], object]]) -> list:
    """Run every call in its own thread, released together by a barrier; their results (in
    finishing order)."""
    barrier = threading.Barrier(len(calls))
    results: list = []

    def run(call) -> None:
        barrier.wait()
        results.append(call())

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results

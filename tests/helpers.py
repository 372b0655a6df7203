"""Small helpers shared by tests (records come from tests/factories.py)."""

from __future__ import annotations

import io
import json
import logging
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

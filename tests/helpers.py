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

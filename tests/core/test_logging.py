"""Structured JSON logs: one object per line with the documented fields."""

from __future__ import annotations

import json
import logging
from datetime import datetime

from flask import g

from tests.helpers import captured_json_logs, raw_of


def _request_lines(records):
    return [r for r in records if r.get("logger") == "webapp.access"]


def test_every_request_logs_one_json_line(client):
    """A request produces one access record with method, path, status and duration_ms."""
    with captured_json_logs() as records:
        client.get("/health/live", headers={"X-Request-ID": "abc.DEF-123_x"})
    lines = _request_lines(records)
    assert len(lines) == 1
    line = lines[0]
    assert line["method"] == "GET" and line["path"] == "/health/live" and line["status"] == 200
    assert isinstance(line["duration_ms"], (int, float))
    assert line["request_id"] == "abc.DEF-123_x"
    assert line["level"] == "INFO" and line["message"] == "request"
    stamp = datetime.fromisoformat(line["timestamp"])
    assert stamp.utcoffset().total_seconds() == 0


def test_each_record_is_a_single_line_even_with_newlines_in_input(client):
    """A newline in user-supplied text is escaped, never splitting a record."""
    with captured_json_logs() as records:
        client.get("/nope%0A{\"level\": \"CRITICAL\"}%0Aforged")
    raw = raw_of(records)
    for line in raw.splitlines():
        json.loads(line)  # every physical line is a whole JSON object
    paths = [r["path"] for r in _request_lines(records)]
    assert paths == ['/nope\n{"level": "CRITICAL"}\nforged']


def test_secrets_are_redacted(app):
    """Passwords and tokens in structured fields never reach the log."""
    with captured_json_logs() as records:
        logging.getLogger("webapp.test").info(
            "login attempt", extra={"password": "hunter2-hunter2", "token": "tok_abc", "payload": {"access_token": "zzz"}})
    raw = raw_of(records)
    assert "hunter2" not in raw and "tok_abc" not in raw and "zzz" not in raw
    assert records[0]["password"] == "[redacted]"


def test_user_id_is_logged_when_known(app):
    """Records made while serving a signed-in user carry user_id."""
    with captured_json_logs() as records:
        with app.test_request_context("/"):
            g.request_id = "rid-1"
            g.log_user_id = 42
            logging.getLogger("webapp.test").info("did something")
    assert records[0]["user_id"] == 42
    assert records[0]["request_id"] == "rid-1"


def test_errors_are_logged_with_stack_trace(app):
    """logger.exception output carries the formatted traceback."""
    with captured_json_logs() as records:
        try:
            raise ValueError("kaboom")
        except ValueError:
            logging.getLogger("webapp.test").exception("it failed")
    assert "Traceback" in records[0]["exc_info"] and "kaboom" in records[0]["exc_info"]
    assert records[0]["level"] == "ERROR"

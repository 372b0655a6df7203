"""Structured JSON logging, request ids and the per-request access line.

Every record is one JSON object on one line: JSON escapes newlines, so user-supplied text can
never split a record. Secrets are redacted by key before a record is written.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from flask import Flask, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")

# Keys whose values must never reach a log, wherever they appear in `extra=`.
SENSITIVE_KEYS = frozenset(
    {"password", "new_password", "current_password", "token", "access_token", "authorization",
     "secret", "csrf_token", "cookie", "set-cookie"}
)
REDACTED = "[redacted]"

# LogRecord attributes that are plumbing, not payload.
_RESERVED = {
    "args", "asctime", "created", "exc_info", "exc_text", "filename", "funcName", "levelname",
    "levelno", "lineno", "module", "msecs", "message", "msg", "name", "pathname", "process",
    "processName", "relativeCreated", "stack_info", "thread", "threadName", "taskName",
}


def valid_request_id(value: str | None) -> str | None:
    """Return `value` if it is an acceptable incoming request id, else None."""
    if value and _REQUEST_ID_RE.match(value):
        return value
    return None


def current_request_id() -> str | None:
    """The id of the request being served, if any."""
    if has_request_context():
        return g.get("request_id")
    return None


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (REDACTED if str(k).lower() in SENSITIVE_KEYS else _redact(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact(v) for v in value]
    return value


class JsonFormatter(_BaseJsonFormatter):
    """One JSON object per record with UTC `timestamp`, `level`, `logger` and `message`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("reserved_attrs", list(_RESERVED))
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)

    def add_fields(self, log_record: dict, record: logging.LogRecord, message_dict: dict) -> None:
        super().add_fields(log_record, record, message_dict)
        log_record["timestamp"] = (
            datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(timespec="milliseconds")
        )
        log_record["level"] = record.levelname
        log_record["logger"] = record.name
        log_record.setdefault("request_id", getattr(record, "request_id", None))
        if log_record.get("user_id") is None:
            log_record.pop("user_id", None)
        for key in list(log_record):
            if key.lower() in SENSITIVE_KEYS:
                log_record[key] = REDACTED
            else:
                log_record[key] = _redact(log_record[key])

    def process_log_record(self, log_record: dict) -> dict:
        # Stable key order: the four fixed keys first makes lines easy to scan.
        ordered = {k: log_record.pop(k) for k in ("timestamp", "level", "logger", "message") if k in log_record}
        ordered.update(log_record)
        return ordered


class GunicornAccessFormatter(JsonFormatter):
    """gunicorn's access records carry their atoms in `record.args`; emit them as fields."""

    def add_fields(self, log_record: dict, record: logging.LogRecord, message_dict: dict) -> None:
        super().add_fields(log_record, record, message_dict)
        atoms = record.args if isinstance(record.args, dict) else {}
        log_record["message"] = "access"
        log_record.update(
            {
                "remote_addr": atoms.get("h"),
                "method": atoms.get("m"),
                "path": atoms.get("U"),
                "status": _to_int(atoms.get("s")),
                "bytes": _to_int(atoms.get("B")),
                "duration_ms": round(_to_int(atoms.get("D")) / 1000, 2) if atoms.get("D") else None,
                "user_agent": atoms.get("a"),
                "request_id": atoms.get("{x-request-id}i") or None,
            }
        )
        # Development and tests only: the app sends the count as a header (webapp.observability).
        if atoms.get("{x-sql-statements}o") not in (None, "-"):
            log_record["sql_statements"] = _to_int(atoms.get("{x-sql-statements}o"))


def _to_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class RequestContextFilter(logging.Filter):
    """Adds `request_id` and `user_id` of the current request to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            if not hasattr(record, "request_id"):
                record.request_id = g.get("request_id")
            if not hasattr(record, "user_id"):
                record.user_id = g.get("log_user_id")
        return True


def make_handler(stream=None) -> logging.Handler:
    """A handler writing JSON lines to `stream` (stdout by default)."""
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    return handler


def configure_logging(app: Flask) -> None:
    """Send the app's and the root logger's records to stdout as JSON."""
    level = getattr(logging, app.config["LOG_LEVEL"], logging.INFO)
    root = logging.getLogger()
    if not any(getattr(h, "_certquest", False) for h in root.handlers):
        handler = make_handler()
        handler._certquest = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    # Flask's default handler would print a second, non-JSON copy of each record.
    from flask.logging import default_handler

    app.logger.removeHandler(default_handler)
    app.logger.setLevel(level)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


access_logger = logging.getLogger("webapp.access")


def register_request_logging(app: Flask) -> None:
    """Assign request ids and log one line per request."""

    @app.before_request
    def assign_request_id() -> None:
        g.request_started = time.perf_counter()
        g.request_id = valid_request_id(request.headers.get(REQUEST_ID_HEADER)) or uuid.uuid4().hex

    @app.after_request
    def log_request(response):
        request_id = g.get("request_id")
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 2) if started else None
        fields = {
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": duration_ms,
            "remote_addr": request.remote_addr,
        }
        if app.config.get("SQL_STATEMENT_COUNT"):
            fields["sql_statements"] = g.get("sql_statements", 0)  # counted by webapp.observability
        access_logger.info("request", extra=fields)
        return response

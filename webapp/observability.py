"""Query observability: the slow-query log and the per-request SQL statement count.

A cross-cutting module (like `logs.py`): it hooks the engine of whatever feature runs a query.
Every statement is timed; one slower than SLOW_QUERY_MS is logged as JSON with the request id,
its duration and its SQL text. Parameter values never reach the log: bound parameters are left
out (only their count is written) and literals written into the SQL text are masked, because a
statement can carry an email address, a password hash or a note.
"""

from __future__ import annotations

import logging
import re
import time

import sqlalchemy as sa
from flask import Flask, g, has_request_context

from webapp.extensions import db

logger = logging.getLogger("webapp.sql")

SQL_COUNT_HEADER = "X-SQL-Statements"
MAX_LOGGED_STATEMENT = 2000  # characters; a 500-id IN list says no more at full length

# String literals ('it''s'), then numbers that stand alone (not part of a name such as t1 or $1).
_STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")
_NUMBER_LITERAL = re.compile(r"(?<![\w$.])-?\d+(?:\.\d+)?(?![\w.])")


def redact_statement(statement: str) -> str:
    """The SQL text with every literal value replaced by `?` (placeholders stay as they are)."""
    masked = _NUMBER_LITERAL.sub("?", _STRING_LITERAL.sub("?", statement))
    masked = " ".join(masked.split())
    return masked if len(masked) <= MAX_LOGGED_STATEMENT else masked[:MAX_LOGGED_STATEMENT] + " ..."


def _parameter_count(parameters, executemany: bool) -> int:
    if executemany:
        return len(parameters or ())
    return len(parameters) if isinstance(parameters, (dict, list, tuple)) else 0


def statements_this_request() -> int:
    """How many SQL statements the current request has run so far (0 outside a request)."""
    return g.get("sql_statements", 0) if has_request_context() else 0


def register_query_observability(app: Flask) -> None:
    """Time every statement of this app's engine; count them per request."""
    threshold_ms = float(app.config["SLOW_QUERY_MS"])
    with app.app_context():
        engine = db.engine

    @sa.event.listens_for(engine, "before_cursor_execute")
    def start_timer(conn, cursor, statement, parameters, context, executemany) -> None:
        conn.info.setdefault("query_started", []).append(time.perf_counter())

    @sa.event.listens_for(engine, "after_cursor_execute")
    def record_statement(conn, cursor, statement, parameters, context, executemany) -> None:
        started = conn.info["query_started"].pop()
        duration_ms = (time.perf_counter() - started) * 1000
        if has_request_context():
            g.sql_statements = g.get("sql_statements", 0) + 1
        if duration_ms >= threshold_ms:
            logger.warning("slow query", extra={
                "duration_ms": round(duration_ms, 2), "statement": redact_statement(statement),
                "parameters": f"[{_parameter_count(parameters, executemany)} redacted]",
                "executemany": bool(executemany)})

    if app.config["SQL_STATEMENT_COUNT"]:
        @app.after_request
        def expose_statement_count(response):
            response.headers[SQL_COUNT_HEADER] = str(statements_this_request())
            return response

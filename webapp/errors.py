"""One error policy for the whole app.

- Under `/api/`: JSON `{"error", "code", "field", "request_id"}` (plus `errors` for several fields).
- htmx requests: a small fragment swapped into the page's alert region, or `HX-Redirect` to log in.
- Everything else: an HTML error page with the request id and a way back.

Domain code raises `AppError` subclasses; HTTP errors from Werkzeug are mapped to the same shape.
Nothing from the exception's internals (trace, SQL, path) is ever put in a response.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask, Response, jsonify, make_response, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.routing import BuildError

from webapp.database import database_unavailable
from webapp.exceptions import AppError, FieldError
from webapp.htmx import hx_redirect, is_htmx
from webapp.logs import current_request_id

logger = logging.getLogger(__name__)


# Werkzeug status -> (code, human message). Messages are ours, never the exception's text.
HTTP_ERRORS = {
    400: ("BAD_REQUEST", "The request could not be understood."),
    401: ("AUTHENTICATION_REQUIRED", "Authentication is required."),
    403: ("FORBIDDEN", "You do not have permission to do that."),
    404: ("NOT_FOUND", "The page or resource was not found."),
    405: ("METHOD_NOT_ALLOWED", "That method is not allowed here."),
    409: ("CONFLICT", "The request conflicts with the current state."),
    413: ("PAYLOAD_TOO_LARGE", "The request body is too large (1 MiB at most)."),
    415: ("UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json."),
    422: ("VALIDATION_ERROR", "Some fields are invalid."),
    429: ("RATE_LIMITED", "Too many requests. Wait a moment and try again."),
    500: ("INTERNAL_ERROR", "Something went wrong on our side. It has been logged."),
    503: ("SERVICE_UNAVAILABLE", "The service is temporarily unavailable."),
}
HTML_ERROR_PAGES = {403, 404, 405, 413, 429, 500, 503}


@dataclass
class ErrorInfo:
    status: int
    code: str
    message: str
    field: str | None = None
    errors: list[FieldError] | None = None
    extra: dict | None = None
    headers: dict | None = None
    log_level: int = logging.INFO
    # A 5xx is logged with its trace, except an expected outage (the database unavailable).
    log_trace: bool = True


# A row the request was changing vanished under it (an account deleted while its requests were in
# flight): a clean 409, not a 500.
CONCURRENT_CHANGE = ("CONCURRENT_CHANGE",
                     "The data changed while this request ran (it may have been deleted). Reload and try again.")
# The database is down, unreachable, read-only or full (webapp.database.database_unavailable): a
# 503 the client may retry, logged as a warning without a trace (docs/PRODUCTION.md, "Faults").
DATABASE_RETRY_AFTER_SECONDS = 5


def wants_json() -> bool:
    """API routes answer in JSON whatever the client accepts."""
    return request.path.startswith("/api/")


def _validation_errors_from_webargs(exc: HTTPException) -> list[FieldError]:
    """flask-smorest/webargs put `{"json": {"field": ["msg"]}}` in `exc.data["messages"]`."""
    messages = (getattr(exc, "data", None) or {}).get("messages") or {}
    found: list[FieldError] = []

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            code = "UNKNOWN_FIELD" if any("Unknown field" in v for v in value) else (
                "REQUIRED" if any("Missing data" in v for v in value) else "INVALID")
            found.append(FieldError(prefix or "body", " ".join(value), code))
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                walk(f"{prefix}.{index}", inner)

    for location, fields in messages.items():
        walk("", fields)
    return found


def describe(exc: Exception) -> ErrorInfo:
    """Turn any exception into the public description of the error."""
    if isinstance(exc, AppError):
        return ErrorInfo(exc.status, exc.code, exc.message, exc.field, exc.errors, exc.extra, exc.headers,
                         exc.log_level)
    if isinstance(exc, (StaleDataError, ObjectDeletedError)):
        return ErrorInfo(409, *CONCURRENT_CHANGE, log_level=logging.WARNING)
    if database_unavailable(exc):
        return ErrorInfo(503, *HTTP_ERRORS[503], headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
                         log_level=logging.WARNING, log_trace=False)
    if isinstance(exc, SecurityError):  # a Host outside TRUSTED_HOSTS
        return ErrorInfo(400, "UNTRUSTED_HOST", "This site is not served under that host name.",
                         log_level=logging.WARNING)
    if isinstance(exc, CSRFError):
        return ErrorInfo(400, "CSRF_FAILED", "Your form expired or was not sent from this site. Reload the page and try again.")
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        code, message = HTTP_ERRORS.get(status, ("HTTP_ERROR", "The request failed."))
        headers = {}
        if status == 405:
            allow = exc.get_headers() if hasattr(exc, "get_headers") else []
            headers.update({k: v for k, v in allow if k.lower() == "allow"})
        if status == 429:
            retry = getattr(exc, "retry_after", None)
            response = getattr(exc, "response", None)
            if response is not None and response.headers.get("Retry-After"):
                retry = response.headers["Retry-After"]
            headers["Retry-After"] = str(retry or 60)
        if status in (400, 422) and (getattr(exc, "data", None) or {}).get("messages"):
            errors = _validation_errors_from_webargs(exc)
            field = errors[0].field if len(errors) == 1 else None
            return ErrorInfo(400, "VALIDATION_ERROR", errors[0].error if len(errors) == 1 else message,
                             field, errors, None, headers)
        return ErrorInfo(status, code, message, headers=headers)
    return ErrorInfo(500, *HTTP_ERRORS[500])


def _json_response(info: ErrorInfo) -> Response:
    body = {"error": info.message, "code": info.code, "field": info.field,
            "request_id": current_request_id()}
    if info.errors and (len(info.errors) > 1 or info.field is None):
        body["errors"] = [{"field": e.field, "error": e.error, "code": e.code} for e in info.errors]
    if info.extra:
        body.update(info.extra)
    response = jsonify(body)
    response.status_code = info.status
    return response


def _login_url() -> str | None:
    try:
        return url_for("auth.login", next=request.full_path.rstrip("?"))
    except BuildError:
        return None


def _htmx_response(info: ErrorInfo) -> Response:
    if info.status == 401 and (login := _login_url()):
        return hx_redirect(make_response("", 200), login)
    html = render_template("_partials/_error.html", error=info, request_id=current_request_id())
    response = make_response(html, info.status)
    # Errors go to the page's alert region, whatever the element that made the request targets.
    response.headers["HX-Retarget"] = "#alert-region"
    response.headers["HX-Reswap"] = "innerHTML"
    return response


def _html_response(info: ErrorInfo) -> Response:
    if info.status == 401 and (login := _login_url()):
        from flask import redirect

        return redirect(login)
    template = f"errors/{info.status}.html" if info.status in HTML_ERROR_PAGES else "errors/generic.html"
    try:
        html = render_template(template, error=info, request_id=current_request_id())
    except SQLAlchemyError:
        # The layout needed the database (the signed-in user's name) and it failed again: the
        # bare page still gives the status, the code and the reference.
        logger.warning("error page rendered without the layout", extra={"status": info.status})
        html = render_template("errors/bare.html", error=info, request_id=current_request_id())
    return make_response(html, info.status)


def _plain_response(info: ErrorInfo) -> Response:
    """No template: used when no URL can be built for the request (an untrusted Host)."""
    return make_response(f"{info.message}\n", info.status, {"Content-Type": "text/plain; charset=utf-8"})


def render_error(exc: Exception) -> Response:
    """The single place that turns an exception into a response."""
    info = describe(exc)
    if isinstance(exc, SQLAlchemyError):
        _rollback()  # the error page must be able to use the session (current user, flashes)
    if info.status >= 500 and info.log_trace:
        logger.error("unhandled error", exc_info=exc, extra={"status": info.status, "path": request.path})
    elif info.code == HTTP_ERRORS[503][0]:
        logger.log(info.log_level, "database unavailable",
                   extra={"status": info.status, "code": info.code, "path": request.path,
                          "error_type": type(getattr(exc, "orig", None) or exc).__name__})
    elif not isinstance(exc, HTTPException) or info.status not in (404, 405):
        logger.log(info.log_level, "request error",
                   extra={"status": info.status, "code": info.code, "path": request.path})
    if info.code == HTTP_ERRORS[503][0] and not wants_json():
        from webapp.auth.session import skip_user_loading

        skip_user_loading()
    if wants_json():
        response = _json_response(info)
    elif isinstance(exc, SecurityError):
        response = _plain_response(info)
    elif is_htmx():
        response = _htmx_response(info)
    else:
        response = _html_response(info)
    for name, value in (info.headers or {}).items():
        response.headers[name] = value
    return response


def _rollback() -> None:
    from webapp.extensions import db

    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection itself is gone; the teardown discards the session
        logger.warning("rollback after a database error failed")


def register_error_handlers(app: Flask) -> None:
    """Route every error through `render_error`."""
    app.register_error_handler(AppError, render_error)
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(Exception, render_error)

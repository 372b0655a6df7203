"""One error policy: JSON under /api, a fragment for htmx, a page otherwise."""

from __future__ import annotations

import marshmallow as ma
import pytest
import sqlalchemy as sa
from flask import abort
from werkzeug.exceptions import TooManyRequests

from config import TestingConfig
from tests.helpers import captured_json_logs
from webapp import create_app
from webapp.api import Blueprint as ApiBlueprint
from webapp.exceptions import Conflict, PermissionDenied
from webapp.extensions import db


class _Body(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=3))
    age = ma.fields.Integer(required=True)


@pytest.fixture
def error_app(app):
    """An app with extra routes that fail in every documented way."""
    application = create_app(TestingConfig)
    api_bp = ApiBlueprint("probe", __name__)

    @api_bp.route("/echo", methods=["POST"])
    @api_bp.arguments(_Body)
    def echo(body):
        return body

    @api_bp.route("/fail/<int:status>", methods=["GET"])
    def api_fail(status):
        return _fail(status)

    application.extensions["certquest_api"].register_blueprint(api_bp, url_prefix="/api/v1/probe")

    @application.get("/probe/fail/<int:status>")
    def html_fail(status):
        return _fail(status)

    @application.get("/probe/sql")
    def bad_sql():
        db.session.execute(sa.text("SELECT secret_column FROM no_such_table_xyz"))
        return "unreachable"

    @application.post("/probe/upload")
    def upload():
        from flask import request

        return str(len(request.get_data()))

    return application


def _fail(status: int):
    if status == 409:
        raise Conflict("That quiz was already submitted.", code="ATTEMPT_CLOSED", extra={"attempt_id": 7})
    if status == 403:
        raise PermissionDenied()
    if status == 429:
        raise TooManyRequests(retry_after=42)
    if status == 500:
        raise RuntimeError("boom: internal detail /srv/secret/path.py")
    abort(status)


API_CASES = [
    (404, "NOT_FOUND"), (403, "FORBIDDEN"), (401, "AUTHENTICATION_REQUIRED"),
    (409, "ATTEMPT_CLOSED"), (429, "RATE_LIMITED"), (500, "INTERNAL_ERROR"), (400, "BAD_REQUEST"),
]


@pytest.mark.parametrize("status,code", API_CASES)
def test_api_errors_use_the_standard_body(error_app, status, code):
    """Every /api error is JSON with error, code, field and request_id."""
    response = error_app.test_client().get(f"/api/v1/probe/fail/{status}", headers={"X-Request-ID": "req-123"})
    assert response.status_code == status
    body = response.get_json()
    assert body["code"] == code
    assert isinstance(body["error"], str) and body["error"]
    assert "field" in body and body["request_id"] == "req-123"
    assert "Traceback" not in response.get_data(as_text=True)


def test_api_unknown_route_is_json_404(client):
    """An unknown /api path answers JSON, not an HTML page."""
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.is_json and response.get_json()["code"] == "NOT_FOUND"


def test_api_405_keeps_allow_header(error_app):
    """A wrong method under /api is JSON 405 with the Allow header."""
    response = error_app.test_client().delete("/api/v1/probe/echo")
    assert response.status_code == 405
    assert response.get_json()["code"] == "METHOD_NOT_ALLOWED"
    assert "POST" in response.headers["Allow"]


def test_api_429_carries_retry_after(error_app):
    """A 429 under /api carries Retry-After."""
    response = error_app.test_client().get("/api/v1/probe/fail/429")
    assert response.headers["Retry-After"] == "42"


def test_api_409_can_carry_extra_fields(error_app):
    """Domain errors may add fields such as the id of the conflicting record."""
    body = error_app.test_client().get("/api/v1/probe/fail/409").get_json()
    assert body["attempt_id"] == 7 and body["error"] == "That quiz was already submitted."


def test_api_validation_error_single_field(error_app):
    """One invalid field gives 400 VALIDATION_ERROR with that field named."""
    response = error_app.test_client().post("/api/v1/probe/echo", json={"name": "ab", "age": 3})
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "VALIDATION_ERROR"
    assert body["field"] == "name"


def test_api_validation_error_several_fields(error_app):
    """Several invalid fields add an `errors` list with field, error and code."""
    response = error_app.test_client().post("/api/v1/probe/echo", json={"name": "ab", "unknown": 1})
    body = response.get_json()
    assert response.status_code == 400
    assert body["field"] is None
    fields = {e["field"]: e for e in body["errors"]}
    assert {"name", "age", "unknown"} <= set(fields)
    assert fields["age"]["code"] == "REQUIRED"
    assert fields["unknown"]["code"] == "UNKNOWN_FIELD"


def test_api_non_json_body_is_415(error_app):
    """A JSON endpoint sent a form body answers 415."""
    response = error_app.test_client().post("/api/v1/probe/echo", data={"name": "abcd"})
    assert response.status_code == 415
    assert response.get_json()["code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_api_body_over_one_mebibyte_is_413(error_app):
    """A body over MAX_CONTENT_LENGTH is refused with JSON 413 under /api."""
    response = error_app.test_client().post(
        "/api/v1/probe/echo", data=b"{" + b" " * (1024 * 1024 + 10) + b"}", content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["code"] == "PAYLOAD_TOO_LARGE"


def test_html_body_over_one_mebibyte_is_413_page(error_app):
    """A browser upload over 1 MiB gets the HTML 413 page."""
    response = error_app.test_client().post("/probe/upload", data=b"x" * (1024 * 1024 + 1),
                                            content_type="application/octet-stream")
    assert response.status_code == 413
    assert "Request too large" in response.get_data(as_text=True)


@pytest.mark.parametrize("status,heading", [
    (403, "Access denied"), (404, "Page not found"), (429, "Slow down"), (500, "Something went wrong")])
def test_html_error_pages(error_app, status, heading):
    """Browser routes render an HTML error page with the request id and a way back."""
    response = error_app.test_client().get(f"/probe/fail/{status}", headers={"X-Request-ID": "trace-me-1"})
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    assert heading in html
    assert "trace-me-1" in html
    assert 'href="/"' in html
    assert "Traceback" not in html and "/srv/secret" not in html


def test_html_405_page_keeps_allow(client):
    """A wrong method on a page gives the 405 page with Allow."""
    response = client.post("/health/live")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_htmx_error_is_a_fragment_for_the_alert_region(error_app):
    """htmx requests get a small fragment retargeted to #alert-region, not a whole page."""
    response = error_app.test_client().get("/probe/fail/404", headers={"HX-Request": "true"})
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert 'id="error-alert"' in html
    assert response.headers["HX-Retarget"] == "#alert-region"


def test_sql_errors_never_leak(error_app):
    """A database error becomes a generic 500: no SQL, table name or trace in the body."""
    with captured_json_logs() as records:
        response = error_app.test_client().get("/probe/sql")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "no_such_table_xyz" not in html and "SELECT" not in html and "Traceback" not in html
    errors = [r for r in records if r.get("level") == "ERROR"]
    assert errors and "no_such_table_xyz" in errors[0]["exc_info"]


def test_unhandled_errors_are_logged_with_stack_trace(error_app):
    """A 500 is logged at ERROR with the stack trace; the response shows none of it."""
    with captured_json_logs() as records:
        response = error_app.test_client().get("/api/v1/probe/fail/500")
    assert "boom" not in response.get_data(as_text=True)
    logged = [r for r in records if r.get("level") == "ERROR"]
    assert logged and "Traceback" in logged[0]["exc_info"] and "boom" in logged[0]["exc_info"]

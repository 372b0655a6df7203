"""The OpenAPI document and a schemathesis run against it."""

from __future__ import annotations

import warnings

import schemathesis

from config import TestingConfig
from webapp import create_app


def test_openapi_document_is_served(client):
    """`/api/v1/openapi.json` is valid OpenAPI 3 and documents the health checks."""
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/health" in spec["paths"] and "/health/live" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_every_schema_has_its_own_name():
    """Building the app and its document warns of nothing: two schemas sharing a name would be
    renamed behind our back (and the warning breaks gunicorn's JSON-only log)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        app = create_app(TestingConfig)
        spec = app.test_client().get("/api/v1/openapi.json").get_json()
    assert {"ReportOut", "AdminReportOut"} <= set(spec["components"]["schemas"])


def test_health_endpoints_conform_to_the_document(app):
    """schemathesis checks that documented endpoints answer as documented."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    for path in ("/health", "/health/live"):
        operation = schema[path]["GET"]
        case = operation.Case()
        response = case.call()
        case.validate_response(response)

"""The OpenAPI document and a schemathesis run against it."""

from __future__ import annotations

import schemathesis


def test_openapi_document_is_served(client):
    """`/api/v1/openapi.json` is valid OpenAPI 3 and documents the health checks."""
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/health" in spec["paths"] and "/health/live" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_health_endpoints_conform_to_the_document(app):
    """schemathesis checks that documented endpoints answer as documented."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    for path in ("/health", "/health/live"):
        operation = schema[path]["GET"]
        case = operation.Case()
        response = case.call()
        case.validate_response(response)

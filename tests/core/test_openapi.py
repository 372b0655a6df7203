"""The OpenAPI document and a schemathesis run against it."""

from __future__ import annotations

import re
import warnings

import schemathesis

from config import TestingConfig
from webapp import create_app
from webapp.auth.services import USERNAME_PATTERN, USERNAME_RE


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


def test_documented_username_pattern_is_what_registration_accepts():
    """The OpenAPI username pattern accepts a name exactly when the accounts service would (after
    trimming and lower-casing), tried with every code point around and inside a name."""
    documented = re.compile(USERNAME_PATTERN)
    mismatches = []
    for point in range(0x110000):
        char = chr(point)
        for name in (char + "abc", "ab" + char, "abc" + char):
            if bool(documented.match(name)) != bool(USERNAME_RE.match(name.strip().lower())):
                mismatches.append(f"U+{point:04X} in {name!r}")
    assert mismatches == []


def test_document_links_name_operations_it_documents(client):
    """Every OpenAPI link points at an operation of the same document (schemathesis follows them)."""
    spec = client.get("/api/v1/openapi.json").get_json()
    targets = []
    for operations in spec["paths"].values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values() if isinstance(operation, dict) else []:
                for link in response.get("links", {}).values():
                    path, method = link["operationRef"].removeprefix("#/paths/").rsplit("/", 1)
                    targets.append((path.replace("~1", "/").replace("~0", "~"), method))
    assert len(targets) >= 10
    assert [(path, method) for path, method in targets if method not in spec["paths"].get(path, {})] == []

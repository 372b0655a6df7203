"""The deprecation machinery: Deprecation, Sunset and Link headers on a deprecated operation."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Blueprint, jsonify

from config import ROOT, TestingConfig
from webapp import create_app
from webapp.api.deprecation import ATTRIBUTE, Deprecation, deprecated

# The one test route: registered by this module on its own blueprint, never shipped in the app.
legacy = Blueprint("legacy_test", __name__)


@legacy.get("/api/v1/legacy-echo")
@deprecated(since=date(2026, 12, 1), sunset=date(2027, 6, 30), successor="/api/v1/exams")
def legacy_echo():
    return jsonify({"ok": True})


@legacy.get("/api/v1/legacy-broken")
@deprecated(since=date(2026, 12, 1), sunset=date(2027, 6, 30))
def legacy_broken():
    raise LookupError("boom")


@pytest.fixture(scope="module")
def legacy_client(app):
    """A second app of the test config (sharing the test database) with the legacy blueprint."""
    with_legacy = create_app(TestingConfig)
    with_legacy.register_blueprint(legacy)
    return with_legacy.test_client()


def test_deprecated_operation_announces_its_sunset_and_successor(legacy_client):
    """A deprecated route answers as before, with RFC 9745 Deprecation, RFC 8594 Sunset and the
    successor and changelog links."""
    response = legacy_client.get("/api/v1/legacy-echo")
    assert response.status_code == 200 and response.get_json() == {"ok": True}
    assert response.headers["Deprecation"] == "@1796083200"  # 2026-12-01T00:00:00Z
    assert response.headers["Sunset"] == "Wed, 30 Jun 2027 00:00:00 GMT"
    assert response.headers["Link"] == ('</api/v1/exams>; rel="successor-version", '
                                        '</api/v1/docs>; rel="deprecation"')


def test_deprecation_headers_come_with_error_responses_too(legacy_client):
    """A deprecated route that fails still says it is deprecated (clients see it on every call),
    and the error keeps the one error format."""
    response = legacy_client.get("/api/v1/legacy-broken")
    assert response.status_code == 500
    assert response.get_json()["code"] == "INTERNAL_ERROR"
    assert response.headers["Sunset"] == "Wed, 30 Jun 2027 00:00:00 GMT"
    assert response.headers["Link"] == '</api/v1/docs>; rel="deprecation"'


def test_no_shipped_operation_is_deprecated_today(app, client):
    """Nothing the app ships is deprecated yet (the changelog lists no deprecation), so no view
    carries a notice and an ordinary response announces no sunset."""
    marked = []
    for endpoint, view in app.view_functions.items():
        methods = [getattr(view.view_class, m, None) for m in ("get", "post", "put", "patch", "delete")] \
            if hasattr(view, "view_class") else []
        if any(getattr(f, ATTRIBUTE, None) for f in [view, *methods]):
            marked.append(endpoint)
    assert marked == []
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert "Deprecation" not in response.headers and "Sunset" not in response.headers


def test_a_sunset_needs_the_documented_notice():
    """A sunset less than 180 days after the announcement is refused when the route is marked."""
    with pytest.raises(ValueError, match="180 days"):
        Deprecation(since=date(2026, 12, 1), sunset=date(2027, 1, 31))


def test_openapi_document_carries_the_policy_and_changelog_of_api_md(client):
    """The OpenAPI description (shown first on /api/v1/docs, where the deprecation Link points) is
    the versioning policy and changelog of docs/API.md, word for word."""
    description = client.get("/api/v1/openapi.json").get_json()["info"]["description"]
    api_doc = (ROOT / "docs" / "API.md").read_text()
    assert description.startswith("## Versioning and deprecation")
    assert "## Changelog" in description and "## Rate limits" not in description
    for paragraph in description.split("\n\n"):
        assert paragraph in api_doc

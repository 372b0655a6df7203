"""Request ids: kept when well-formed, generated otherwise, echoed and shown on error pages."""

from __future__ import annotations

import re

import pytest

UUID_HEX = re.compile(r"^[0-9a-f]{32}$")


def test_valid_incoming_request_id_is_kept(client):
    """A well-formed X-Request-ID is echoed unchanged."""
    response = client.get("/health/live", headers={"X-Request-ID": "edge-01.abc_DEF-9"})
    assert response.headers["X-Request-ID"] == "edge-01.abc_DEF-9"


@pytest.mark.parametrize("bad", ["", "has space", "x" * 129, "semi;colon", "new\\nline", "ümlaut"])
def test_invalid_request_id_is_replaced(client, bad):
    """A malformed or oversized id is replaced by a fresh uuid4."""
    response = client.get("/health/live", headers={"X-Request-ID": bad})
    assert UUID_HEX.match(response.headers["X-Request-ID"])


def test_request_id_generated_when_absent(client):
    """Without an incoming id every response still carries one, different per request."""
    first = client.get("/health/live").headers["X-Request-ID"]
    second = client.get("/health/live").headers["X-Request-ID"]
    assert UUID_HEX.match(first) and first != second


def test_request_id_on_error_page_and_api_error(client):
    """The id appears on HTML error pages and in API error bodies."""
    page = client.get("/missing-page", headers={"X-Request-ID": "shown-on-page"})
    assert "shown-on-page" in page.get_data(as_text=True)
    api = client.get("/api/v1/missing", headers={"X-Request-ID": "in-json"})
    assert api.get_json()["request_id"] == "in-json"
    assert api.headers["X-Request-ID"] == "in-json"

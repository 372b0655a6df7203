"""Security headers on pages, error pages, static files and API responses."""

from __future__ import annotations

import re

import pytest

PATHS = ["/", "/missing-page", "/static/css/app.css", "/api/v1/missing", "/health"]


@pytest.mark.parametrize("path", PATHS)
def test_security_headers_everywhere(client, path):
    """Every response carries the CSP, nosniff and the referrer policy."""
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    for directive in ["default-src 'self'", "object-src 'none'", "base-uri 'none'",
                      "frame-ancestors 'none'", "form-action 'self'"]:
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_hsts_only_over_https(client):
    """HSTS is sent on https requests and not on plain http."""
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://localhost")
    assert "max-age=" in secure.headers["Strict-Transport-Security"]


def test_csp_nonce_changes_per_request(client):
    """The script nonce is fresh for each response."""
    nonces = {re.search(r"nonce-([^']+)", client.get("/").headers["Content-Security-Policy"]).group(1)
              for _ in range(3)}
    assert len(nonces) == 3


def test_anonymous_pages_are_cacheable_by_default(client):
    """No-store is reserved for signed-in pages; the anonymous landing page has no such header."""
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")


def test_proxy_fix_honours_proxy_count(app):
    """With PROXY_COUNT=1 the client address comes from the last X-Forwarded-For hop."""
    from config import TestingConfig
    from webapp import create_app

    proxied = create_app(type("Proxied", (TestingConfig,), {"PROXY_COUNT": 1}))

    @proxied.get("/probe/ip")
    def ip():
        from flask import request

        return request.remote_addr

    client = proxied.test_client()
    response = client.get("/probe/ip", headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.9"})
    assert response.get_data(as_text=True) == "203.0.113.9"
    direct = app.test_client()
    assert "Forwarded" not in str(direct.get("/health/live").headers)

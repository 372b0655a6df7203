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
    response = client.get("/")
    assert response.status_code == 200 and 'href="/auth/login' in response.get_data(as_text=True)
    assert "no-store" not in response.headers.get("Cache-Control", "")


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


@pytest.mark.parametrize("path", PATHS)
def test_permissions_and_opener_policies_everywhere(client, path):
    """Every response switches off unused browser features and isolates the browsing context."""
    response = client.get(path)
    policy = response.headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in policy
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/api/v1/admin/audit-events", "/api/v1/users/me", "/api/v1/users/me/achievements",
                                  "/api/v1/quizzes", "/api/v1/leaderboard", "/api/v1/quizzes/999999"])
def test_token_authenticated_api_responses_are_no_store(client, app, path):
    """Every response to a bearer token (the audit log, errors included) is Cache-Control: no-store."""
    from tests.factories import bearer, gen_token, gen_user

    admin = gen_user(app, username="auditor", is_admin=True)
    response = client.get(path, headers=bearer(gen_token(app, admin)))
    assert response.headers.get("Cache-Control") == "no-store", (path, response.status_code)


def test_signed_in_responses_are_no_store_but_static_files_are_not(client, signed_in):
    """A signed-in user's JSON and HTML responses are no-store; static files keep their caching."""
    assert client.get("/health/live").headers.get("Cache-Control") == "no-store"

    assert client.get("/account").headers.get("Cache-Control") == "no-store"
    assert "no-store" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")


@pytest.fixture
def hosted_app(app):
    """The app with TRUSTED_HOSTS set, as production requires."""
    from config import TestingConfig
    from webapp import create_app

    return create_app(type("Hosted", (TestingConfig,), {"TRUSTED_HOSTS": ["certquest.example"]}))


@pytest.mark.parametrize("path", ["/", "/auth/login", "/account", "/api/v1/users/me", "/health/live"])
def test_foreign_host_is_a_400_without_a_page_built_on_it(hosted_app, path):
    """A Host outside TRUSTED_HOSTS is a 400 UNTRUSTED_HOST (JSON under /api/), never a redirect or a 500."""
    client = hosted_app.test_client()
    assert client.get(path, headers={"Host": "certquest.example"}).status_code in (200, 302, 401)
    response = client.get(path, headers={"Host": "evil.example"})
    assert response.status_code == 400 and "Location" not in response.headers
    assert "evil.example" not in response.get_data(as_text=True)
    if path.startswith("/api/"):
        assert response.get_json()["code"] == "UNTRUSTED_HOST"

"""CSRF is enforced on every state-changing browser route."""

from __future__ import annotations

import re

import pytest

from config import TestingConfig
from tests.factories import DEFAULT_PASSWORD, gen_user
from webapp import create_app

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def csrf_app(app):
    """The app with CSRF switched on, as in production."""
    return create_app(type("CsrfOn", (TestingConfig,), {"WTF_CSRF_ENABLED": True}))


def _browser_mutating_rules(application):
    for rule in application.url_map.iter_rules():
        if rule.rule.startswith("/api/") or rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) & MUTATING):
            yield rule, method


def _sample_url(rule) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", "1", rule.rule)


def test_every_browser_mutation_requires_a_csrf_token(csrf_app):
    """Walking the URL map: each POST/PUT/PATCH/DELETE route refuses a request without a token."""
    rules = list(_browser_mutating_rules(csrf_app))
    assert len(rules) >= 8  # the walk really found the forms
    client = csrf_app.test_client()
    for rule, method in rules:
        response = client.open(_sample_url(rule), method=method, data={"x": "1"})
        assert response.status_code == 400, f"{method} {rule.rule} accepted a request without CSRF"
        assert "expired" in response.get_data(as_text=True) or response.is_json


def test_signed_in_user_also_needs_the_token(csrf_app):
    """A valid session is not enough: the sign-out form without its token is refused."""
    gen_user(csrf_app, username="csrfuser")
    client = csrf_app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/auth/login", data={"login": "csrfuser", "password": DEFAULT_PASSWORD,
                                            "csrf_token": token}).status_code == 302
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/account").status_code == 200


def test_htmx_header_token_is_accepted(csrf_app):
    """The X-CSRFToken header (what hx-headers sends) satisfies the check."""
    gen_user(csrf_app, username="hxuser")
    client = csrf_app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    response = client.post("/auth/login", data={"login": "hxuser", "password": DEFAULT_PASSWORD},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 302


def test_api_is_exempt_from_csrf(csrf_app):
    """Bearer-token JSON endpoints do not need a CSRF token."""
    response = csrf_app.test_client().post("/api/v1/auth/token", json={"login": "x", "password": "y"})
    assert response.status_code == 401

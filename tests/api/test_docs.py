"""docs/API.md documents every route and every error code the code can produce."""

from __future__ import annotations

import re
from pathlib import Path

from config import ROOT

API_DOC = (ROOT / "docs" / "API.md").read_text()


def _codes_in_source() -> set[str]:
    codes = set()
    for path in Path(ROOT / "webapp").rglob("*.py"):
        text = path.read_text()
        codes.update(re.findall(r'code ?= ?"([A-Z][A-Z_]+)"', text))
        codes.update(re.findall(r'\("([A-Z][A-Z_]+)", "', text))  # the HTTP status table in errors.py
        codes.update(re.findall(r'ErrorInfo\(\d+, "([A-Z_]+)"', text))
        codes.update(re.findall(r'else "([A-Z][A-Z_]+)"', text))
    return codes - {"REQUIRED", "INVALID", "UNKNOWN_FIELD", "HTTP_ERROR"}


def test_every_error_code_is_documented():
    """Each error code raised anywhere in webapp/ appears in docs/API.md."""
    codes = _codes_in_source()
    assert len(codes) > 20
    missing = sorted(code for code in codes if f"`{code}`" not in API_DOC)
    assert not missing, f"document these codes in docs/API.md: {missing}"


def test_every_api_route_is_documented(app):
    """Each /api/v1 route (other than the OpenAPI document) has a section in docs/API.md."""
    checked, missing = [], []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.rule.endswith("openapi.json"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        # The doc names a resource's own id `{id}`: /quizzes/{id}, /questions/{id}, /study-sessions/{id},
        # /admin/feedback/{id}.
        path = (path.replace("{quiz_id}", "{id}").replace("/questions/{question_id}", "/questions/{id}")
                .replace("{session_id}", "{id}").replace("/feedback/{report_id}", "/feedback/{id}"))
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            checked.append(f"{method} {path}")
            if f"{method} {path}" not in API_DOC:
                missing.append(f"{method} {path}")
    assert len(checked) > 10 and "GET /api/v1/users/me" in checked
    assert not missing, f"document these routes in docs/API.md: {missing}"


def test_api_reference_page_is_vendored_and_under_the_csp(client):
    """/api/v1/docs serves Swagger UI from static/vendor, no CDN, with the app's usual CSP and no
    inline script (the initialiser is a static file)."""
    response = client.get("/api/v1/docs")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "/static/vendor/swagger-ui-5.35.0/swagger-ui-bundle.js" in html
    assert 'data-spec-url="/api/v1/openapi.json"' in html
    assert "https://" not in html and "http://" not in html
    assert "<script>" not in html and "style=" not in html
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and "unsafe" not in csp
    assert client.get("/static/vendor/swagger-ui-5.35.0/swagger-ui-bundle.js").status_code == 200

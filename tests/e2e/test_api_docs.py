"""The browsable API reference (/api/v1/docs) in a real browser, under the app's CSP."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def test_api_reference_renders_every_operation_without_csp_errors(page: Page, live_url, app):
    """Swagger UI loads from the vendored files, lists every operation of the OpenAPI document,
    and the browser reports no error (no CSP violation, no failed request)."""
    with app.test_client() as client:
        spec = client.get("/api/v1/openapi.json").get_json()
    operations = sum(1 for path in spec["paths"].values() for method in path
                     if method in {"get", "post", "put", "patch", "delete"})
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    external: list[str] = []
    page.on("request", lambda req: external.append(req.url) if not req.url.startswith(live_url) else None)
    page.goto(live_url + "/api/v1/docs")
    expect(page.locator(".opblock").first).to_be_visible(timeout=20000)
    expect(page.locator(".opblock")).to_have_count(operations)
    page.locator(".opblock-summary-control").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    assert errors == []
    assert [url for url in external if not url.startswith("data:")] == []

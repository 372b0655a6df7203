"""The landing page in a real browser."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

SHOTS = Path(__file__).resolve().parents[2] / "test-results"


def test_landing_page_renders_and_skip_link_works(page: Page, live_url):
    """The landing page loads with no CSP or script errors, and the skip link moves focus to main."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_url + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Practise like it's exam day")
    page.wait_for_function("window.htmx && htmx.version === '2.0.11'")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "landing-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SHOTS / "landing-phone.png"), full_page=True)
    assert errors == []

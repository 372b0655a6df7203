"""Registration, sign-out and sign-in in a real browser."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.factories import DEFAULT_PASSWORD


def test_register_logout_login(page: Page, live_url):
    """A visitor registers, signs out and signs back in by clicking through the forms."""
    page.goto(live_url + "/")
    page.get_by_role("link", name="Create account").click()
    page.get_by_label("Email").fill("browser@example.com")
    page.get_by_label("Username").fill("browseruser")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("link", name="browseruser")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("Email or username").fill("browseruser")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="browseruser")).to_be_visible()
    page.goto(live_url + "/account")
    expect(page.get_by_role("heading", name="Your account", exact=True)).to_be_visible()
    page.screenshot(path="test-results/account-desktop.png", full_page=True)

"""axe-core (vendored, test-only) finds no WCAG 2 A/AA violations on the main pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.factories import DEFAULT_PASSWORD, gen_bank, gen_user

AXE = (Path(__file__).parent / "vendor" / "axe-4.14.1.min.js").read_text()
RUN_AXE = """async () => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""


def _audit(page, url: str) -> list[dict]:
    page.goto(url)
    page.evaluate(AXE)
    return page.evaluate(RUN_AXE)


@pytest.fixture
def a11y_page(browser: Browser):
    # axe is injected through the DevTools protocol; the app's CSP (rightly) forbids inline scripts.
    context = browser.new_context(bypass_csp=True)
    yield context.new_page()
    context.close()


def test_pages_have_no_wcag_violations(a11y_page, live_url, app):
    """Landing, sign-in, catalogue, exam, quiz, result, review, dashboard, leaderboard and account pages pass axe."""
    exam = gen_bank(app, per_objective=4, slug="a11y-exam")
    gen_user(app, username="a11yuser")
    page = a11y_page
    findings = {}
    for path in ("/", "/auth/login", "/auth/register", "/exams", "/leaderboard"):
        findings[path] = _audit(page, live_url + path)
    page.goto(live_url + "/auth/login")
    page.get_by_label("Email or username").fill("a11yuser")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    for path in ("/", f"/exams/{exam.slug}", "/account", "/achievements", "/quizzes"):
        findings["signed-in " + path] = _audit(page, live_url + path)
    page.goto(f"{live_url}/exams/{exam.slug}")
    page.get_by_label("Number of questions").fill("5")
    page.get_by_role("button", name="Start").click()
    page.wait_for_selector("#quiz-panel")
    findings["question"] = _audit(page, page.url)
    page.locator(".choice").first.click()
    page.get_by_role("button", name="Review and submit").click()
    findings["submit"] = _audit(page, page.url)
    page.get_by_role("button", name="Submit and see my score").click()
    page.wait_for_selector(".result-header")
    result_url = page.url
    findings["result"] = _audit(page, result_url)
    findings["review"] = _audit(page, result_url.replace("/result", "/review"))
    assert len(findings) == 14
    problems = {where: v for where, v in findings.items() if v}
    assert not problems, problems

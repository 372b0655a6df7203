"""Exhibits in a real browser: on a 390 px phone neither a 72-character text exhibit nor a
six-column table scrolls the page sideways, the exhibit box is reachable and scrollable by
keyboard, and the pages that show exhibits pass axe."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_accessibility import AXE, RUN_AXE
from tests.e2e.test_quiz import _sign_in, _start_quiz
from tests.factories import gen_exam, gen_question, gen_user

WIDE_TEXT = {"kind": "text", "title": "Output of show interfaces Gi1/0/7",
             "text": "\n".join([("%02d " % n) + "x" * 69 for n in range(1, 21)])}
# Six columns of 60-character cells, some with no space to wrap at: the box must scroll, not the page.
WIDE_TABLE = {"kind": "table", "title": "Firewall rules",
              "columns": ["Rule", "Source", "Destination", "Service", "Action", "Comment"],
              "rows": [[f"{n}", "198.51.100.0/24,203.0.113.0/24", "10.1.1.20", "tcp/443",
                        "permit", ("Allow partner web traffic to the portal " * 2)[:60]] for n in range(1, 13)]}


def _exhibit_exam(app, slug: str):
    """Five questions, every one with an exhibit: wide text and six-column tables in turn."""
    exam = gen_exam(app, slug=slug)
    for n in range(5):
        gen_question(app, exam, exhibit=WIDE_TEXT if n % 2 else WIDE_TABLE, stem="Refer to the exhibit. Which is it?")
    return exam


def _page_fits(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_exhibits_fit_a_phone_and_scroll_by_keyboard(page: Page, live_url, app):
    """At 390×844 text and table exhibits cause no horizontal page scroll; Tab reaches the box and arrows scroll it."""
    exam = _exhibit_exam(app, "exhibit-phone")
    gen_user(app, username="exhibitphone")
    page.set_viewport_size({"width": 390, "height": 844})
    _sign_in(page, live_url, "exhibitphone")
    _start_quiz(page, live_url, exam.slug)
    seen = set()
    for number in range(1, 6):
        expect(page.get_by_role("heading", name=f"Question {number} of 5")).to_be_visible()
        figure = page.locator("#quiz-panel figure.exhibit")
        expect(figure).to_have_count(1)
        kind = "text" if figure.locator("pre").count() else "table"
        seen.add(kind)
        assert _page_fits(page), f"question {number} ({kind}) scrolls the page sideways"
        box = page.locator("#quiz-panel .exhibit-scroll")
        expect(box).to_have_accessible_name(f"Exhibit: {WIDE_TEXT['title'] if kind == 'text' else WIDE_TABLE['title']}")
        if kind == "text":
            assert box.evaluate("el => el.scrollWidth > el.clientWidth"), "72 characters do not fit 390 px"
            page.locator("#question-heading").focus()
            page.keyboard.press("Tab")
            expect(box).to_be_focused()
            page.keyboard.press("ArrowRight")
            page.keyboard.press("End")
            page.wait_for_function("() => document.activeElement.scrollLeft > 0")
            assert _page_fits(page) and page.evaluate("window.scrollX") == 0
        else:
            expect(page.locator("#quiz-panel th[scope=col]")).to_have_count(6)
            assert box.evaluate("el => el.getBoundingClientRect().right <= window.innerWidth")
        if number < 5:
            page.locator('.quiz-bar [data-key="next"]').click()
    assert seen == {"text", "table"}
    page.locator(".quiz-bar button[value=end]").click()


def test_pages_with_exhibits_pass_axe(browser: Browser, live_url, app):
    """A question with an exhibit and the review listing exhibits have no WCAG 2 A/AA violations."""
    exam = _exhibit_exam(app, "exhibit-axe")
    gen_user(app, username="exhibitaxe")
    context = browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        _sign_in(page, live_url, "exhibitaxe")
        _start_quiz(page, live_url, exam.slug)
        findings = {}
        for number in (1, 2):
            page.evaluate(AXE)
            findings[f"question {number}"] = page.evaluate(RUN_AXE)
            page.locator('.quiz-bar [data-key="next"]').click()
            expect(page.get_by_role("heading", name=f"Question {number + 1} of 5")).to_be_visible()
        page.get_by_role("button", name="Review and submit").click()
        page.get_by_role("button", name="Submit and see my score").click()
        page.wait_for_selector(".result-header")
        page.goto(page.url.replace("/result", "/review"))
        expect(page.locator("figure.exhibit")).to_have_count(5)
        assert _page_fits(page)
        page.evaluate(AXE)
        findings["review"] = page.evaluate(RUN_AXE)
    finally:
        context.close()
    assert not {where: v for where, v in findings.items() if v}, findings

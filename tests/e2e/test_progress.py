"""/progress in a real browser: the charts draw with the vendored plotly.js under the app's CSP,
switching the period redraws the score chart in place (no page load) and pushes the URL,
"Quiz me on it" starts a quiz on the weak objective, and no console error or CSP violation
occurs on the way."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from tests.e2e.test_quiz import _sign_in
from tests.e2e.test_study import SWAP_TIMEOUT, _mark_page, _same_page
from tests.factories import gen_bank, gen_scored_quiz, gen_study_answers, gen_user
from webapp.extensions import db
from webapp.models import Question
from webapp.models.base import utcnow

# Collects every Content-Security-Policy violation the document reports.
CSP_LISTENER = """() => { window.__csp = [];
  document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || ''))); }"""


def progress_data(app, slug: str, username: str):
    """An exam and a learner with quizzes 3 and 20 days ago and today, and a weak objective (2.1)."""
    exam = gen_bank(app, per_objective=6, slug=slug)
    user = gen_user(app, username=username)
    with app.app_context():
        questions = list(db.session.scalars(sa.select(Question).where(Question.exam_id == exam.id)
                                            .order_by(Question.id)))
        for question in questions:
            db.session.expunge(question)
    gen_scored_quiz(app, user, questions[:10], 4, utcnow() - timedelta(days=20))
    gen_scored_quiz(app, user, questions[:10], 6, utcnow() - timedelta(days=3))
    gen_scored_quiz(app, user, questions[:10], 8)
    gen_study_answers(app, user, questions[-1], [False] * 12)
    return exam, user


def _points(page: Page) -> int:
    """How many days the drawn score line has (Plotly's own copy of the data)."""
    return page.evaluate("document.querySelector('#chart-scores .js-plotly-plot').data[1].x.length")


def test_switching_periods_redraws_in_place_and_quiz_me_on_it_starts_a_quiz(page: Page, live_url, app):
    """Charts draw; 7d swaps the chart without a reload (URL pushed); Quiz me on it starts on 2.1; no errors, no CSP reports."""
    progress_data(app, "progress-flow", "charter")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.add_init_script(f"({CSP_LISTENER})()")
    _sign_in(page, live_url, "charter")
    page.goto(f"{live_url}/progress?period=30d")
    expect(page.locator("#chart-scores .js-plotly-plot")).to_be_visible(timeout=SWAP_TIMEOUT)
    expect(page.locator("#chart-objectives .js-plotly-plot").first).to_be_visible(timeout=SWAP_TIMEOUT)
    assert _points(page) == 3
    expect(page.locator("#chart-scores details.chart-data")).not_to_have_attribute("open", "")
    _mark_page(page)

    page.get_by_label("Last 7 days").check()
    expect(page).to_have_url(re.compile(r"/progress\?period=7d"), timeout=SWAP_TIMEOUT)
    expect(page.locator("#chart-scores h2")).to_contain_text("Last 7 days", timeout=SWAP_TIMEOUT)
    expect(page.locator("#chart-scores .js-plotly-plot")).to_be_visible(timeout=SWAP_TIMEOUT)
    assert _points(page) == 2 and _same_page(page)

    page.get_by_role("button", name="Quiz me on it").first.click()
    expect(page.get_by_role("heading", name=re.compile(r"^Question 1 of 6"))).to_be_visible(timeout=SWAP_TIMEOUT)
    assert page.evaluate("window.__csp") == [] and errors == []


def test_with_javascript_off_the_tables_are_the_page(browser, live_url, app):
    """Without JavaScript the chart containers stay hidden and the data tables show every day."""
    progress_data(app, "progress-nojs", "tabler")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    _sign_in(page, live_url, "tabler")
    page.goto(f"{live_url}/progress?period=all")
    expect(page.locator("#chart-scores table tbody tr")).to_have_count(3)
    expect(page.locator("#chart-scores .chart-canvas")).to_be_hidden()
    page.get_by_label("Last 7 days").check()
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"period=7d"))
    expect(page.locator("#chart-scores table tbody tr")).to_have_count(2)
    context.close()


# The fill Plotly gave the score chart's first x-axis label: the resolved --c-text of its palette.
TICK_FILL = "getComputedStyle(document.querySelector('#chart-scores .xtick text')).fill"


def test_dark_mode_charts_follow_the_dark_palette_and_pass_axe(browser, live_url, app):
    """In dark mode the chart text takes the dark palette's colour (redrawn on the switch and on a fresh load) and axe finds no violation."""
    from tests.e2e.test_accessibility import AXE, RUN_AXE

    progress_data(app, "progress-dark", "darkmode")
    context = browser.new_context(bypass_csp=True)  # axe is injected; the app's CSP forbids inline scripts
    page = context.new_page()
    _sign_in(page, live_url, "darkmode")
    page.emulate_media(color_scheme="light")
    page.goto(f"{live_url}/progress?period=30d")
    expect(page.locator("#chart-scores .js-plotly-plot")).to_be_visible(timeout=SWAP_TIMEOUT)
    light = page.evaluate(TICK_FILL)
    assert light == "rgb(27, 32, 51)"  # --c-text, light

    page.emulate_media(color_scheme="dark")  # the open page redraws its charts in the new palette
    page.wait_for_function(f"{TICK_FILL} !== {light!r}", timeout=SWAP_TIMEOUT)
    page.reload()
    expect(page.locator("#chart-objectives .js-plotly-plot").first).to_be_visible(timeout=SWAP_TIMEOUT)
    dark = page.evaluate(TICK_FILL)
    assert dark == "rgb(230, 233, 242)" and dark != light  # --c-text, dark
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(15, 19, 32)"
    page.evaluate(AXE)
    assert page.evaluate(RUN_AXE) == []
    context.close()

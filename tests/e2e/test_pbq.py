"""Ordering and matching questions in a real browser: drag by mouse, match and reorder by
keyboard, reload, submit and review; and the same flow with JavaScript off."""

from __future__ import annotations

import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_quiz import _sign_in, _start_quiz
from tests.factories import gen_exam, gen_matching_question, gen_ordering_question, gen_question, gen_user
from webapp.extensions import db
from webapp.models import AttemptQuestion


def _pbq_exam(app, slug: str):
    """An exam whose five questions are one ordering, one matching and three single ones."""
    exam = gen_exam(app, slug=slug)
    gen_ordering_question(app, exam, objective="1.1")
    gen_matching_question(app, exam, objective="2.1")
    for _ in range(3):
        gen_question(app, exam, objective="1.2")
    return exam


def _go_to(page: Page, kind: str) -> None:
    """Open the question of this type through the navigator."""
    for number in range(1, 6):
        _settled(page)  # a save still in flight would hold the navigation request back
        page.get_by_role("button", name=f"Question {number},", exact=False).first.click()
        # generous: on a loaded CI machine the save and the swap can take seconds
        expect(page.get_by_role("heading", name=f"Question {number} of 5")).to_be_visible(timeout=15_000)
        if page.locator(f".pbq-{kind}").count():
            return
    raise AssertionError(f"no {kind} question in the quiz")


def _texts(page: Page) -> list[str]:
    return page.locator("[data-pbq-order] .pbq-text").all_inner_texts()


def _saved(app, kind: str):
    with app.app_context():
        db.session.remove()
        for aq in db.session.scalars(sa.select(AttemptQuestion)):
            if aq.question.type == kind:
                return aq.response
    return None


def _settled(page: Page) -> None:
    """Wait until htmx has swapped in and settled the saved items."""
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")).to_have_count(0)


def _drag_to_top(page: Page, text: str) -> None:
    """Drag the item with this text by its handle above the first item, with the mouse."""
    handle = page.locator(".pbq-item", has_text=text).locator(".pbq-handle")
    first = page.locator("[data-pbq-order] .pbq-item").first
    first.scroll_into_view_if_needed()
    start, goal = handle.bounding_box(), first.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(goal["x"] + 20, goal["y"] + 2, steps=8)
    page.mouse.up()


def test_ordering_by_mouse_and_keyboard_matching_by_keyboard_survive_reload_and_review(page: Page, live_url, app):
    """Drag an item by mouse, move one with Alt+ArrowUp, match by keyboard, reload, submit: the review is item by item."""
    exam = _pbq_exam(app, "pbq-browser")
    gen_user(app, username="pbqbrowser")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": 1280, "height": 1200})  # the whole list in view while dragging
    _sign_in(page, live_url, "pbqbrowser")
    _start_quiz(page, live_url, exam.slug)

    _go_to(page, "ordering")
    for step in ("Step 1", "Step 2", "Step 3", "Step 4"):
        expect(page.get_by_label(f"Place of {step}")).to_be_visible()
        expect(page.get_by_role("button", name=f"Move {step} up")).to_be_attached()
    # Build the right order: drag each step to the top, last one first (the mouse path).
    for step in ("Step 4", "Step 3", "Step 2"):
        if _texts(page)[0] == step:
            continue
        with page.expect_response(lambda response: response.url.endswith("/answer")):
            _drag_to_top(page, step)
        _settled(page)
        expect(page.locator("[data-pbq-order] .pbq-text").first).to_have_text(step)
    # The keyboard path: focus Step 1's menu and move it up with Alt+ArrowUp until it is first.
    while _texts(page)[0] != "Step 1":
        page.get_by_label("Place of Step 1").focus()
        before = _texts(page).index("Step 1")
        with page.expect_response(lambda response: response.url.endswith("/answer")):
            page.keyboard.press("Alt+ArrowUp")
        _settled(page)
        expect(page.locator("[data-pbq-order] .pbq-text").nth(before - 1)).to_have_text("Step 1")
    expect(page.locator("#choice-status")).to_have_text("Order saved")
    assert _texts(page) == ["Step 1", "Step 2", "Step 3", "Step 4"]

    _go_to(page, "matching")
    # Targets are listed alphabetically: Choose…, TCP 22, TCP 25, TCP 443, UDP 161, UDP 53.
    # Focus each menu, open it with the keyboard, step with ArrowDown and choose with Enter: the
    # change saves, and focus stays on the menu.
    for service, steps in (("SSH", 1), ("HTTPS", 3), ("SNMP agent", 5)):
        page.get_by_label(service, exact=True).focus()
        with page.expect_response(lambda response: response.url.endswith("/answer")):
            page.keyboard.press("Alt+ArrowDown")
            for _ in range(steps):
                page.keyboard.press("ArrowDown")
            page.keyboard.press("Enter")
        _settled(page)
        expect(page.get_by_label(service, exact=True)).to_be_focused()
    expect(page.locator("#choice-status")).to_have_text("3 of 3 matched")

    page.reload()
    expect(page.get_by_label("SSH", exact=True)).to_have_value("0")
    expect(page.get_by_label("SNMP agent", exact=True)).to_have_value("2")
    _go_to(page, "ordering")
    assert _texts(page) == ["Step 1", "Step 2", "Step 3", "Step 4"]
    assert _saved(app, "matching")["matches"]

    page.get_by_role("button", name="Review and submit").click()
    page.get_by_role("button", name="Submit and see my score").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quiz complete")
    page.get_by_role("link", name="Review answers and explanations").click()
    expect(page.get_by_text("4 of 4 in the right place")).to_be_visible()
    expect(page.get_by_text("2 of 3 matched correctly")).to_be_visible()
    expect(page.get_by_text("Partly right")).to_be_visible()
    expect(page.get_by_text("SNMP agent uses target 4.")).to_be_visible()
    assert errors == []


def test_without_javascript_ordering_and_matching_work_with_plain_menus(browser: Browser, live_url, app):
    """With JavaScript off, place menus, a Move button and target menus save through the form, reload and review."""
    exam = _pbq_exam(app, "pbq-nojs")
    gen_user(app, username="pbqnojs")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    _sign_in(page, live_url, "pbqnojs")
    _start_quiz(page, live_url, exam.slug)

    _go_to(page, "ordering")
    for place, step in enumerate(("Step 1", "Step 2", "Step 3", "Step 4"), start=1):
        page.get_by_label(f"Place of {step}").select_option(str(place))
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#choice-status")).to_have_text("Order saved")
    assert _texts(page) == ["Step 1", "Step 2", "Step 3", "Step 4"]
    page.get_by_role("button", name="Move Step 1 down").click()
    assert _texts(page) == ["Step 2", "Step 1", "Step 3", "Step 4"]
    page.get_by_role("button", name="Move Step 1 up").click()
    assert _texts(page) == ["Step 1", "Step 2", "Step 3", "Step 4"]

    _go_to(page, "matching")
    for service, port in (("SSH", "TCP 22"), ("HTTPS", "TCP 443"), ("SNMP agent", "UDP 161")):
        page.get_by_label(service, exact=True).select_option(label=port)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#choice-status")).to_have_text("3 of 3 matched")
    page.reload()
    expect(page.get_by_label("SNMP agent", exact=True)).to_have_value("4")

    page.get_by_role("button", name="Review and submit").click()
    page.get_by_role("button", name="Submit and see my score").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quiz complete")
    page.get_by_role("link", name="Review answers and explanations").click()
    expect(page.get_by_text("4 of 4 in the right place")).to_be_visible()
    expect(page.get_by_text("3 of 3 matched correctly")).to_be_visible()
    context.close()

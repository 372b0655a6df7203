"""Question reports, the triage queue and the editor in a real browser: a learner reports a
question from the quiz screen, an admin finds it in /admin/flags, filters, opens it, fixes the key
in the editor and resolves the report with the edit, and the learner's dashboard says so once
while the quiz review says the question was corrected; the same report and resolution with
JavaScript off; and the queue, its detail pane and the editor at 390 px."""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.test_pbq import _settled
from tests.e2e.test_quiz import _sign_in
from tests.e2e.test_study import SWAP_TIMEOUT, _mark_page, _same_page
from tests.factories import gen_exam, gen_feedback, gen_question, gen_user
from webapp.extensions import db
from webapp.models import Choice, FeedbackStatus, FeedbackType, QuestionFeedback

COMMENT = "Choice 1 is the right answer: the key marks Choice 0."
NOTE = "Thanks, the key now marks Choice 1."


def _bank(app, slug: str, count: int = 5):
    """An exam with `count` single-answer questions (Choice 0 keyed), by id."""
    exam = gen_exam(app, slug=slug)
    questions = [gen_question(app, exam, objective=code) for code in ("1.1", "1.2", "2.1") for _ in range(2)][:count]
    return exam, {question.id: question for question in questions}


def _watch(page: Page, errors: list[str]) -> None:
    """Collect script errors and console errors (Chromium reports CSP violations as console errors)."""
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)


def _choice_id(app, question_id: int, text: str) -> int:
    with app.app_context():
        return db.session.scalars(sa.select(Choice.id).where(Choice.question_id == question_id,
                                                             Choice.text == text)).one()


def _reports(app, question_id: int) -> list[QuestionFeedback]:
    with app.app_context():
        db.session.remove()
        reports = db.session.scalars(sa.select(QuestionFeedback).where(QuestionFeedback.question_id == question_id)).all()
        db.session.expunge_all()
        return reports


def _on_screen(page: Page) -> int:
    """The id of the question on screen, read from its report control (one per card)."""
    return int(page.locator(".report-control").first.get_attribute("id").rsplit("-", 1)[1])


def _admin_page(browser: Browser, live_url: str, app, username: str, **options) -> tuple[BrowserContext, Page]:
    gen_user(app, username=username, is_admin=True)
    context = browser.new_context(**options)
    page = context.new_page()
    _sign_in(page, live_url, username)
    expect(page.get_by_role("button", name="Sign out").first).to_be_attached()
    return context, page


def test_learner_reports_admin_fixes_the_key_and_resolves_learner_sees_it_once(page: Page, browser: Browser,
                                                                               live_url, app):
    """Report in place from the quiz, filter and open it in /admin/flags, fix the key with the resolve box, notice once."""
    exam, questions = _bank(app, "report-flow")
    other = gen_exam(app, slug="report-other")
    gen_feedback(app, gen_user(app, username="elsewhere"), gen_question(app, other), comment="Another exam's report.")
    gen_user(app, username="reporter")
    errors: list[str] = []
    _watch(page, errors)
    _sign_in(page, live_url, "reporter")

    # 1. A practice quiz of the five; on question 1 the learner opens the report form in place.
    page.goto(f"{live_url}/exams/{exam.slug}")
    page.get_by_label("Number of questions").fill("5")
    page.get_by_role("button", name="Start", exact=True).click()
    expect(page.get_by_role("heading", name="Question 1 of 5")).to_be_visible(timeout=SWAP_TIMEOUT)
    qid = _on_screen(page)
    control = page.locator(f"#report-{qid}")
    true_answer = _choice_id(app, qid, "Choice 1")
    page.locator(f'label[for="choice-{true_answer}"]').click()
    expect(page.locator("#choice-status")).to_have_text("Answer saved", timeout=SWAP_TIMEOUT)
    _settled(page)
    _mark_page(page)
    control.get_by_role("button", name="Report a problem").click()
    expect(control.get_by_role("group", name="What is wrong with this question?")).to_be_visible(timeout=SWAP_TIMEOUT)
    incorrect = control.get_by_role("radio", name=re.compile(f"^{FeedbackType.INCORRECT.label}"))
    expect(incorrect).to_be_focused()  # the form's first choice takes the focus when it arrives
    incorrect.check()
    comment = control.get_by_label("Comment")
    expect(control.locator(".char-count")).to_have_text("0 of 2,000 characters")
    comment.press_sequentially(COMMENT)
    expect(control.locator(".char-count")).to_have_text(f"{len(COMMENT)} of 2,000 characters")
    control.get_by_role("button", name="Send report").click()
    expect(control.get_by_text("Reported")).to_be_visible(timeout=SWAP_TIMEOUT)
    expect(control.get_by_role("status")).to_have_text("Report sent. Thank you.")
    edit = control.get_by_role("link", name="Edit report")  # after the send, a plain link
    expect(edit).to_be_focused()
    assert _same_page(page), "the report came with a page load"
    [report] = _reports(app, qid)
    assert (report.feedback_type, report.comment, report.status) == (FeedbackType.INCORRECT, COMMENT,
                                                                     FeedbackStatus.PENDING)
    # The learner's pick survived the report; submit the quiz (the other four left blank).
    expect(page.locator(f"#choice-{true_answer}")).to_be_checked()
    _settled(page)
    page.get_by_role("button", name="Review and submit").click()
    page.get_by_role("button", name="Submit and see my score").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quiz complete")
    review_url = page.url.replace("/result", "/review")

    # 2. The admin, in another browser context: the queue holds both exams' questions; filter by exam.
    admin_context, admin = _admin_page(browser, live_url, app, "triager")
    _watch(admin, errors)
    admin.goto(f"{live_url}/admin/flags")
    expect(admin.get_by_role("heading", name="Flagged questions")).to_be_visible()
    expect(admin.locator(".triage-item")).to_have_count(2)
    row = admin.locator(f"#queue-row-{qid}")
    expect(row).to_contain_text(f"1 open report: {FeedbackType.INCORRECT.label} 1")
    _mark_page(admin)
    admin.get_by_label("Exam", exact=True).select_option(exam.slug)
    expect(admin).to_have_url(re.compile(rf"/admin/flags\?(.*&)?exam={exam.slug}(&|$)"), timeout=SWAP_TIMEOUT)
    expect(admin.locator(".triage-item")).to_have_count(1)
    expect(admin.locator("#triage-status")).to_have_text("1 question in the queue.")
    assert _same_page(admin), "the filter reloaded the page"

    # The detail pane opens in place (URL pushed), with the report and its comment; its heading has the focus.
    _settled(admin)
    row.locator(".triage-stem").click()
    expect(admin).to_have_url(re.compile(rf"/admin/flags/{qid}\?exam={exam.slug}$"), timeout=SWAP_TIMEOUT)
    pane = admin.locator("#triage-detail")
    expect(pane.get_by_role("heading", name="Reports (1 open of 1)")).to_be_visible(timeout=SWAP_TIMEOUT)
    expect(admin.locator("#triage-detail-heading")).to_be_focused()
    expect(pane.locator(".triage-report")).to_contain_text("reporter")
    expect(pane.locator(".triage-comment")).to_have_text(COMMENT)
    assert _same_page(admin), "the detail pane came with a page load"

    # The editor: move the key from Choice 0 to Choice 1, resolve the report with a note, save.
    pane.get_by_role("link", name="Edit question").click()
    expect(admin.get_by_role("heading", name=re.compile("^Edit question"), level=1)).to_be_visible()
    choices = admin.locator("fieldset.editor-choice")
    choices.nth(0).get_by_label("Correct answer").uncheck()
    choices.nth(1).get_by_label("Correct answer").check()
    admin.get_by_label("Resolve all open reports with this edit").check()
    admin.get_by_label("Note to the reporters").fill(NOTE)
    _settled(admin)
    _mark_page(admin)
    admin.get_by_role("button", name="Save changes").click()
    saved = admin.locator("#question-editor-status .alert-success")
    expect(saved).to_contain_text("Saved version 2.", timeout=SWAP_TIMEOUT)
    expect(saved).to_contain_text("1 open report resolved.")
    expect(saved).to_be_focused()
    diff = admin.locator("#version-diff")
    expect(diff.get_by_role("heading", name="Version 2 against version 1")).to_be_visible()
    expect(diff).to_contain_text("The answer key changed")
    expect(diff.locator(".diff-choice")).to_have_count(2)
    expect(admin.get_by_role("heading", name=re.compile(r"^Edit q-\d+ · version 2$"))).to_be_visible()
    assert _same_page(admin), "the save came with a page load"
    [report] = _reports(app, qid)
    assert (report.status, report.resolution_note) == (FeedbackStatus.RESOLVED, NOTE)
    admin.get_by_role("link", name="Back to the question's reports").first.click()
    expect(admin.locator("#triage-detail .triage-report")).to_contain_text("Resolved by triager")
    admin_context.close()

    # 3. The learner's dashboard says so once, with the note; after a reload the notice is gone.
    with page.expect_response(lambda r: r.url.endswith("/reports/seen") and r.ok):  # htmx marks it seen on load
        page.goto(live_url + "/")
    notice = page.locator("#report-resolutions")
    expect(notice.get_by_role("heading", name="An admin answered your report")).to_be_visible()
    expect(notice).to_contain_text("was resolved")
    expect(notice.locator(".resolution-note")).to_have_text(NOTE)
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("#report-resolutions")).to_have_count(0)
    page.goto(live_url + "/reports")
    expect(page.locator(".report-item .resolution-note")).to_have_text(NOTE)

    # The review of the quiz: corrected on <date>, with the key it was scored on and the current one.
    page.goto(review_url)
    item = page.locator(".review-item", has=page.locator(f"#report-{qid}"))
    letter_of = {}
    for choice in item.locator(".review-choices li").all():
        number = re.search(r"Choice (\d)", choice.locator("p").first.inner_text()).group(1)
        letter_of[number] = choice.locator(".choice-letter").inner_text().strip()
    notice = item.locator(".key-changed")
    expect(notice).to_contain_text("This question was corrected on")
    expect(notice).to_contain_text(f"key when scored: {letter_of['0']}")
    expect(notice).to_contain_text(f"the current key is {letter_of['1']}")
    assert errors == []


def test_without_javascript_the_report_is_a_form_page_and_the_admin_resolves_by_plain_post(
        browser: Browser, live_url, app):
    """With JavaScript off the report page sends and returns to the question; the admin resolves from the detail page."""
    exam, questions = _bank(app, "report-nojs")
    gen_user(app, username="nojsreporter")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    _sign_in(page, live_url, "nojsreporter")
    page.goto(f"{live_url}/exams/{exam.slug}")
    page.get_by_label("Number of questions").fill("5")
    page.get_by_role("button", name="Start", exact=True).click()
    expect(page.get_by_role("heading", name="Question 1 of 5")).to_be_visible()
    question_url = page.url
    qid = _on_screen(page)
    page.get_by_role("button", name="Report a problem").click()
    expect(page.get_by_role("heading", name="Report a problem", level=1)).to_be_visible()
    page.get_by_role("radio", name=re.compile(f"^{FeedbackType.UNCLEAR.label}")).check()
    page.get_by_label("Comment").fill("Which protocol is meant?")
    page.get_by_role("button", name="Send report").click()
    expect(page).to_have_url(f"{question_url}#report-{qid}")
    expect(page.get_by_text("Report sent. Thank you.")).to_be_visible()
    expect(page.locator(f"#report-{qid}")).to_contain_text("Reported")
    expect(page.get_by_role("heading", name="Question 1 of 5")).to_be_visible()
    context.close()

    admin_context, admin = _admin_page(browser, live_url, app, "nojsadmin", java_script_enabled=False)
    admin.goto(f"{live_url}/admin/flags")
    admin.locator(f"#queue-row-{qid} .triage-stem").click()
    expect(admin).to_have_url(f"{live_url}/admin/flags/{qid}")
    pane = admin.locator("#triage-detail")
    expect(pane.locator(".triage-comment")).to_have_text("Which protocol is meant?")
    pane.get_by_label("Note to the reporter (optional)").fill("Reworded.")
    pane.get_by_role("button", name="Resolve", exact=True).click()
    expect(admin).to_have_url(f"{live_url}/admin/flags/{qid}#triage-detail")
    expect(admin.get_by_text("Report resolved.")).to_be_visible()
    expect(admin.locator("#triage-detail .triage-report")).to_contain_text("Resolved by nojsadmin")
    [report] = _reports(app, qid)
    assert (report.status, report.resolution_note) == (FeedbackStatus.RESOLVED, "Reworded.")
    admin_context.close()


def _fits(page: Page) -> bool:
    """The page body does not scroll sideways."""
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_phone_layout_of_the_queue_detail_pane_and_editor_keeps_to_the_screen(browser: Browser, live_url, app):
    """At 390 px the queue with its open detail pane, and the editor with a diff, do not scroll sideways."""
    exam, questions = _bank(app, "report-phone", count=3)
    long_stem = "Which of the following " + "configuration " * 30 + "applies?"
    learner = gen_user(app, username="phonereporter")
    for question in questions.values():
        gen_feedback(app, learner, question, comment="A long comment " * 40)
    context, page = _admin_page(browser, live_url, app, "phoneadmin", viewport={"width": 390, "height": 844})
    qid = next(iter(questions))
    page.goto(f"{live_url}/admin/flags?exam={exam.slug}")
    expect(page.locator(".triage-item")).to_have_count(3)
    assert _fits(page), "the queue scrolls sideways at 390 px"
    page.locator(f"#queue-row-{qid} .triage-stem").click()
    expect(page.locator("#triage-detail-heading")).to_be_focused(timeout=SWAP_TIMEOUT)
    assert _fits(page), "the detail pane scrolls sideways at 390 px"
    box = page.locator("#triage-detail").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390

    page.goto(f"{live_url}/admin/questions/{qid}/edit")
    expect(page.get_by_role("button", name="Save changes")).to_be_visible()
    assert _fits(page), "the editor scrolls sideways at 390 px"
    page.get_by_label("Stem").fill(long_stem)
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#version-diff")).to_be_visible(timeout=SWAP_TIMEOUT)
    assert _fits(page), "the editor with its diff scrolls sideways at 390 px"
    context.close()

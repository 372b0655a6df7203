"""axe-core (vendored, test-only) finds no WCAG 2 A/AA violations on the main pages."""

from __future__ import annotations

from datetime import date, timedelta

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.factories import (DEFAULT_PASSWORD, gen_bank, gen_bookmark, gen_exam, gen_matching_question,
                             gen_ordering_question, gen_question, gen_user)
from webapp.models import QuestionSource, QuizMode

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


def _audit_here(page) -> list[dict]:
    """axe on the document as it is now (after an htmx swap, say), without loading it again."""
    page.evaluate(AXE)
    return page.evaluate(RUN_AXE)


def _pbq_study_exam(app):
    """Five questions, so a study session of five holds them all: ordering, matching and three singles."""
    exam = gen_exam(app, slug="a11y-study")
    gen_ordering_question(app, exam, objective="1.1")
    gen_matching_question(app, exam, objective="2.1")
    singles = [gen_question(app, exam, objective="1.2") for _ in range(3)]
    return exam, singles


def test_study_bookmark_and_note_pages_have_no_wcag_violations(a11y_page, live_url, app):
    """Start form with sources, study questions of each kind in each state, summary, bookmarks and note editors pass axe."""
    exam, singles = _pbq_study_exam(app)
    user = gen_user(app, username="a11ystudy")
    page = a11y_page
    findings = {}
    page.goto(live_url + "/auth/login")
    page.get_by_label("Email or username").fill("a11ystudy")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    findings["bookmarks empty"] = _audit(page, live_url + "/bookmarks")

    gen_bookmark(app, user, singles[0], tags=["ports", "review"], notes="SSH is TCP 22.")
    page.goto(f"{live_url}/exams/{exam.slug}")
    page.get_by_label("Source", exact=True).select_option(QuestionSource.BOOKMARKED.value)
    expect(page.get_by_label("Only bookmarks tagged (optional)")).to_be_visible()
    findings["start form, bookmarked source and tag"] = _audit_here(page)
    page.get_by_label("Source", exact=True).select_option(QuestionSource.ALL.value)
    page.get_by_role("radio", name=re.compile(f"^{QuizMode.STUDY.label}")).check()
    page.get_by_label("Number of questions").fill("5")
    page.get_by_role("button", name="Start", exact=True).click()
    expect(page.get_by_role("heading", name="Question 1 of 5")).to_be_visible()
    base = page.url.rsplit("/q/", 1)[0]

    skipped = False
    for number in range(1, 6):
        page.goto(f"{base}/q/{number}")
        kind = ("ordering" if page.locator(".pbq-ordering").count() else
                "matching" if page.locator(".pbq-matching").count() else "single")
        findings[f"study {kind} {number}"] = _audit_here(page)
        if kind == "matching":
            page.get_by_role("button", name="Check answer").click()
            expect(page.locator("#choice-status .is-error")).to_be_visible()
            findings["study matching refused"] = _audit_here(page)
            for service in ("SSH", "HTTPS", "SNMP agent"):
                page.get_by_label(service, exact=True).select_option(index=1)
        elif kind == "single" and not skipped:
            skipped = True
            page.get_by_role("button", name="Skip").click()
            expect(page.locator(f"#skip-note-{number}")).to_be_visible()
            findings[f"study skipped {number}"] = _audit_here(page)
            page.get_by_role("button", name="Show answer").click()
            expect(page.locator(f"#feedback-heading-{number}")).to_have_text("Answer shown")
            findings[f"study shown {number}"] = _audit_here(page)
            continue
        elif kind == "single":
            page.locator(".choice").first.click()
        page.get_by_role("button", name="Check answer").click()
        expect(page.locator(f"#feedback-heading-{number}")).to_be_visible()
        findings[f"study {kind} {number} answered"] = _audit_here(page)
    assert {"study ordering", "study matching", "study single"} <= {" ".join(k.split()[:2]) for k in findings}

    findings["study end, open"] = _audit(page, f"{base}/end")
    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_role("heading", name="Study session summary")).to_be_visible()
    findings["study summary"] = _audit_here(page)
    findings["study history"] = _audit(page, live_url + "/study")

    gen_bookmark(app, user, singles[1], tags=["ports"])
    findings["bookmarks with items"] = _audit(page, live_url + "/bookmarks")
    page.locator(f"#note-{singles[0].id}").get_by_role("button", name="Edit note").click()
    expect(page.get_by_label("Private note")).to_be_focused()
    findings["bookmarks, note editing in place"] = _audit_here(page)
    findings["bookmarks filtered"] = _audit(page, live_url + "/bookmarks?tag=ports")
    findings["bookmarks, no match"] = _audit(page, live_url + f"/bookmarks?exam={exam.slug}&tag=review&objective=2.1")
    findings["note edit page"] = _audit(page, f"{live_url}/notes/{singles[1].id}/edit?next=/bookmarks")
    assert len(findings) == 22
    problems = {where: v for where, v in findings.items() if v}
    assert not problems, problems


def test_report_triage_and_editor_pages_have_no_wcag_violations(browser: Browser, live_url, app):
    """Report form open, My reports, the dashboard notice, the queue, its pane, the editor, its errors and diffs pass axe."""
    from tests.factories import gen_feedback
    from webapp.models import FeedbackStatus
    from webapp.models.base import utcnow

    exam = gen_exam(app, slug="a11y-reports")
    questions = [gen_question(app, exam, objective=code) for code in ("1.1", "1.1", "1.2", "1.2", "2.1")]
    learner = gen_user(app, username="a11yreporter")
    gen_user(app, username="a11yadmin", is_admin=True)
    findings = {}
    learner_context = browser.new_context(bypass_csp=True)
    page = learner_context.new_page()
    _sign_in_as(page, live_url, "a11yreporter")
    findings["my reports, empty"] = _audit(page, live_url + "/reports")
    page.goto(f"{live_url}/exams/{exam.slug}")
    page.get_by_label("Number of questions").fill("5")
    page.get_by_role("button", name="Start", exact=True).click()
    page.wait_for_selector("#quiz-panel")
    reported = int(page.locator(".report-control").get_attribute("id").rsplit("-", 1)[1])
    others = [question for question in questions if question.id != reported]
    page.get_by_role("button", name="Report a problem").click()
    expect(page.get_by_role("button", name="Send report")).to_be_visible()
    findings["quiz, report form open"] = _audit_here(page)
    page.locator(".report-type input").first.check()
    page.get_by_role("button", name="Send report").click()  # "incorrect" without a comment: refused in place
    expect(page.locator(".report-control .field-error")).to_be_visible()
    findings["quiz, report refused"] = _audit_here(page)
    page.get_by_label("Comment").fill("The key is wrong.")
    page.get_by_role("button", name="Send report").click()
    expect(page.locator(".report-control .report-status")).to_have_text("Report sent. Thank you.")
    findings["quiz, reported"] = _audit_here(page)
    findings["report form page"] = _audit(page, f"{live_url}/questions/{others[0].id}/report?next=/")
    for question in others[:3]:
        gen_feedback(app, learner, question, comment="Unclear wording.", feedback_type="unclear")
    gen_feedback(app, learner, others[3], status=FeedbackStatus.RESOLVED, resolution_note="Fixed, thank you.",
                 resolved_at=utcnow())
    findings["my reports, with items"] = _audit(page, live_url + "/reports")
    expect(page.locator(".report-item")).to_have_count(5)
    findings["dashboard, resolution notice"] = _audit(page, live_url + "/")
    expect(page.locator("#report-resolutions .resolution-note")).to_have_text("Fixed, thank you.")
    learner_context.close()

    context = browser.new_context(bypass_csp=True)
    admin = context.new_page()
    _sign_in_as(admin, live_url, "a11yadmin")
    findings["flags, queue"] = _audit(admin, live_url + "/admin/flags")
    expect(admin.locator(".triage-item")).to_have_count(4)
    findings["flags, no match"] = _audit(admin, live_url + "/admin/flags?q=nothing-like-this")
    admin.goto(live_url + "/admin/flags")
    admin.locator(f"#queue-row-{others[0].id} .triage-stem").click()
    expect(admin.locator("#triage-detail-heading")).to_be_focused()
    findings["flags, detail pane in place"] = _audit_here(admin)
    findings["flags, detail page"] = _audit(admin, f"{live_url}/admin/flags/{reported}")
    edit_url = f"{live_url}/admin/questions/{reported}/edit"
    findings["editor"] = _audit(admin, edit_url)
    admin.get_by_label("Stem").fill("")
    admin.locator("fieldset.editor-choice").nth(0).get_by_label("Correct answer").uncheck()
    admin.get_by_role("button", name="Save changes").click()
    expect(admin.locator("#editor-errors")).to_be_visible()
    findings["editor, validation errors"] = _audit_here(admin)
    admin.goto(edit_url)
    admin.get_by_label("Stem").fill("Which port does SSH use by default?")
    admin.get_by_label("Resolve all open reports with this edit").check()
    admin.get_by_role("button", name="Save changes").click()
    expect(admin.locator("#version-diff")).to_be_visible()
    findings["editor, saved with its diff"] = _audit_here(admin)
    findings["version diff page"] = _audit(admin, f"{live_url}/admin/questions/{reported}/versions/2")
    findings["version 1 page"] = _audit(admin, f"{live_url}/admin/questions/{reported}/versions/1")
    context.close()
    assert len(findings) == 16
    problems = {where: v for where, v in findings.items() if v}
    assert not problems, problems


def _sign_in_as(page, live_url: str, username: str) -> None:
    page.goto(live_url + "/auth/login")
    page.get_by_label("Email or username").fill(username)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_url + "/")


def test_goals_form_and_widget_states_have_no_wcag_violations(a11y_page, live_url, app):
    """The goals page (empty, with goals and an exam date, a refused target), the dashboard widget
    without a goal, under way and "goal reached", and the meter pass axe."""
    from tests.factories import gen_study_answer
    from webapp.extensions import db
    from webapp.gamification.services import local_day
    from webapp.models.base import utcnow
    from webapp.models import GoalDay, Question

    exam = gen_bank(app, per_objective=4, slug="a11y-goals")
    user = gen_user(app, username="a11ygoals")
    page = a11y_page
    page.goto(live_url + "/auth/login")
    page.get_by_label("Email or username").fill("a11ygoals")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    findings = {"dashboard, no goal": _audit(page, live_url + "/"), "goals page, empty": _audit(page, live_url + "/goals")}
    questions_form = page.get_by_role("group", name="Questions a day")
    questions_form.get_by_label("Daily target").fill("999")
    questions_form.get_by_role("button", name="Set goal").click()
    expect(page.locator("#goal-target-daily_questions-error")).to_be_visible()
    findings["goals page, refused target"] = _audit_here(page)
    page.get_by_role("group", name="Questions a day").get_by_label("Daily target").fill("5")
    page.get_by_role("group", name="Questions a day").get_by_role("button", name="Set goal").click()
    page.get_by_label("Exam", exact=True).select_option(exam.slug)
    page.get_by_role("textbox", name="Exam date").fill((date.today() + timedelta(days=60)).isoformat())
    page.get_by_role("button", name="Save exam date").click()
    expect(page.get_by_text("Exam date saved.")).to_be_visible()
    findings["goals page, goal and exam date"] = _audit_here(page)
    with app.app_context():
        for question in db.session.query(Question).limit(2).all():
            db.session.expunge(question)
            gen_study_answer(app, user, question, True)
    findings["dashboard, under way"] = _audit(page, live_url + "/")
    with app.app_context():
        db.session.add(GoalDay(user_id=user.id, day=local_day(utcnow(), "UTC")))
        db.session.commit()
    findings["dashboard, goal reached"] = _audit(page, live_url + "/")
    expect(page.locator("#goal-meter")).to_contain_text("Goal reached!")
    assert len(findings) == 6


def test_progress_page_with_data_and_empty_has_no_wcag_violations(a11y_page, live_url, app):
    """/progress with drawn charts, after a period swap, and empty (a new learner) passes axe, as does the dashboard card."""
    from tests.e2e.test_progress import progress_data

    progress_data(app, "a11y-progress", "a11ycharts")
    gen_user(app, username="a11yempty")
    page = a11y_page
    findings = {}
    page.goto(live_url + "/auth/login")
    page.get_by_label("Email or username").fill("a11ycharts")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_url + "/progress")
    expect(page.locator("#chart-scores .js-plotly-plot")).to_be_visible(timeout=15_000)
    page.evaluate(AXE)
    findings["progress"] = page.evaluate(RUN_AXE)
    page.get_by_label("Last 7 days").check()
    expect(page.locator("#chart-scores h2")).to_contain_text("Last 7 days", timeout=15_000)
    expect(page.locator("#chart-scores .js-plotly-plot")).to_be_visible(timeout=15_000)
    findings["progress 7d swapped"] = _audit_here(page)
    findings["dashboard with weak areas"] = _audit(page, live_url + "/")
    page.context.clear_cookies()
    page.goto(live_url + "/auth/login")
    page.get_by_label("Email or username").fill("a11yempty")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    findings["progress empty"] = _audit(page, live_url + "/progress")
    assert len(findings) == 4
    problems = {where: v for where, v in findings.items() if v}
    assert not problems, problems

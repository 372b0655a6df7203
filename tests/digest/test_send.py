"""The weekly digest against a real SMTP server (aiosmtpd): content, headers, exactly once, retries."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.digest.conftest import WEEK
from tests.factories import gen_user
from webapp.digest.services import IsoWeek, send_digests
from webapp.exceptions import ValidationError
from webapp.extensions import db
from webapp.models import DigestLog, User
from webapp.models.base import utcnow
from webapp.models.enums import DigestStatus


def _send(app, week=WEEK, dry_run=False, now=None):
    with app.app_context():
        return send_digests(week, dry_run=dry_run, now=now)


def _log(app, user_id):
    with app.app_context():
        row = db.session.scalar(sa.select(DigestLog).where(DigestLog.user_id == user_id))
        if row is not None:
            db.session.expunge(row)
        return row


def _parts(message):
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(("html",)).get_content()
    return text, html


def test_the_digest_is_multipart_text_and_html_with_the_weeks_figures(app, smtp, learner):
    """One multipart/alternative message: answered 21 (10 the week before), 57.1% (+7.1), 3 goal days, in both parts."""
    report = _send(app)
    assert report.sent == [learner.email] and report.failed == []
    [message] = smtp.to(learner.email)
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["Subject"] == "Your CertQuest week (2026-W10)"
    text, html = _parts(message)
    assert "Questions answered: 21 (the week before: 10)" in text
    assert "Accuracy: 57.1% (+7.1 points on the week before)" in text
    assert "Goal days met: 3 of 7" in text
    assert "<strong>21</strong>" in html and "<strong>57.1%</strong>" in html and "<strong>3</strong> of 7" in html


def test_weak_areas_link_to_the_external_url(app, smtp, learner):
    """The weak objective (1.1 at 25% over 12) is listed with an absolute link built from EXTERNAL_URL."""
    _send(app)
    text, html = _parts(smtp.to(learner.email)[0])
    link = f"https://certquest.example.org/exams/{learner.exam.slug}"
    assert f"1.1 Explain the basics: 25% over 12 answers\n  {link}" in text
    assert f'<a href="{link}">' in html
    assert "https://certquest.example.org/account" in text
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert hrefs and all(href.startswith("https://certquest.example.org/") for href in hrefs)


def test_the_digest_carries_the_top_recommendation(app, smtp, learner):
    """The digest's "Recommended next" is the learner's first recommendation, linked to the dashboard."""
    from webapp.recommendations.services import recommendations

    with app.app_context():
        top = recommendations(db.session.get(User, learner.id))[0]
    _send(app)
    text, html = _parts(smtp.to(learner.email)[0])
    assert "Questions answered" in text
    assert f"{top.title}\n{top.reason}\nhttps://certquest.example.org/" in text
    assert top.title in html and top.reason in html and "Recommended next" in html


def test_list_unsubscribe_headers_follow_rfc_8058(app, smtp, learner):
    """List-Unsubscribe names the external https URL of the token route; List-Unsubscribe-Post is One-Click."""
    _send(app)
    message = smtp.to(learner.email)[0]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    match = re.fullmatch(r"<https://certquest\.example\.org/digest/unsubscribe/([^>]+)>", message["List-Unsubscribe"])
    assert match
    text, _ = _parts(message)
    assert f"https://certquest.example.org/digest/unsubscribe/{match.group(1)}" in text


def test_opted_out_and_inactive_learners_get_nothing(app, smtp, learner):
    """Only opted-in active learners are mailed: the default (off) and a deactivated account get nothing."""
    quiet = gen_user(app, username="quiet")
    gone = gen_user(app, username="gone", digest_opt_in=True, is_active=False)
    report = _send(app)
    assert report.sent == [learner.email]
    assert [message["To"] for message in smtp.messages] == [learner.email]
    assert _log(app, quiet.id) is None and _log(app, gone.id) is None


def test_a_second_run_sends_nothing(app, smtp, learner):
    """The week is logged as sent; running again mails nobody and leaves one row."""
    _send(app)
    again = _send(app)
    assert again.sent == [] and again.skipped == 1
    assert len(smtp.to(learner.email)) == 1
    row = _log(app, learner.id)
    assert row.status == DigestStatus.SENT and row.attempts == 1 and row.sent_at is not None


def test_another_week_is_sent_separately(app, smtp, learner):
    """The log is per ISO week: the next week's run sends again."""
    _send(app)
    _send(app, week=IsoWeek(2026, 11))
    assert [m["Subject"] for m in smtp.to(learner.email)] == ["Your CertQuest week (2026-W10)",
                                                              "Your CertQuest week (2026-W11)"]


def test_two_runs_at_once_send_one(app, smtp, learner):
    """Four threads run the command together: the learner gets exactly one message."""
    for n in range(3):
        gen_user(app, username=f"also{n}", digest_opt_in=True)
    reports, barrier = [], threading.Barrier(4)

    def run():
        barrier.wait()
        reports.append(_send(app))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(reports) == 4
    assert sorted(m["To"] for m in smtp.messages) == sorted([learner.email] + [f"also{n}@example.com" for n in range(3)])
    assert sum(len(r.sent) for r in reports) == 4


def test_a_451_for_one_learner_is_logged_and_retried_while_the_others_go_out(app, smtp, learner, caplog):
    """A refused recipient marks that week failed with the error; the others are sent; the next run retries it."""
    other = gen_user(app, username="other", digest_opt_in=True)
    smtp.refuse.add(learner.email)
    first = _send(app)
    assert first.failed == [learner.email] and first.sent == [other.email]
    failed = _log(app, learner.id)
    assert failed.status == DigestStatus.FAILED and "451" in failed.last_error and failed.attempts == 1
    assert any(record.message == "digest failed" and record.user_id == learner.id for record in caplog.records)
    smtp.refuse.clear()
    second = _send(app)
    assert second.sent == [learner.email] and second.skipped == 1
    assert len(smtp.to(learner.email)) == 1 and len(smtp.to(other.email)) == 1
    retried = _log(app, learner.id)
    assert retried.status == DigestStatus.SENT and retried.attempts == 2 and retried.last_error is None


def test_a_stopped_server_fails_the_run_and_the_next_run_sends(app, smtp, learner):
    """With the SMTP server down the week is marked failed (connection refused); once it is back, it goes out."""
    smtp.stop()
    down = _send(app)
    assert down.failed == [learner.email]
    assert _log(app, learner.id).status == DigestStatus.FAILED
    smtp.start(smtp.port)
    up = _send(app)
    assert up.sent == [learner.email]
    assert len(smtp.to(learner.email)) == 1


def test_a_stale_sending_claim_is_taken_again_but_a_fresh_one_is_not(app, smtp, learner):
    """A `sending` row younger than the claim timeout blocks the week; older, the next run re-claims and sends."""
    with app.app_context():
        db.session.add(DigestLog(user_id=learner.id, iso_week=str(WEEK), status=DigestStatus.SENDING.value,
                                 attempts=1, claimed_at=utcnow()))
        db.session.commit()
    assert _send(app).skipped == 1 and smtp.messages == []
    later = utcnow() + timedelta(minutes=app.config["DIGEST_CLAIM_TIMEOUT_MINUTES"] + 1)
    assert _send(app, now=later).sent == [learner.email]
    assert _log(app, learner.id).attempts == 2 and len(smtp.to(learner.email)) == 1


def test_dry_run_sends_and_writes_nothing(app, smtp, learner):
    """--dry-run reports who would get it, delivers nothing and leaves no log row."""
    report = _send(app, dry_run=True)
    assert report.sent == [learner.email] and "Would send 1" in report.summary()
    assert smtp.messages == [] and _log(app, learner.id) is None


def test_iso_week_parsing_and_the_default_week():
    """YYYY-Www parses (W53 only in long years); the default is the last complete ISO week in UTC."""
    from datetime import datetime, timezone

    assert IsoWeek.parse("2026-W07") == IsoWeek(2026, 7) and str(IsoWeek(2026, 7)) == "2026-W07"
    assert IsoWeek.parse("2020-W53").monday.isoformat() == "2020-12-28"
    for bad in ("2026-W54", "2025-W53", "2026-7", "2026W07", "", "2026-W00"):
        with pytest.raises(ValidationError):
            IsoWeek.parse(bad)
    sunday_night = datetime(2026, 3, 8, 23, 59, tzinfo=timezone.utc)
    assert IsoWeek.last_complete(sunday_night) == IsoWeek(2026, 9)
    assert IsoWeek.last_complete(datetime(2026, 3, 9, 0, 0, tzinfo=timezone.utc)) == IsoWeek(2026, 10)
    assert IsoWeek.last_complete(datetime(2026, 1, 1, 8, tzinfo=timezone.utc)) == IsoWeek(2025, 52)


def test_a_rendering_error_for_one_learner_marks_it_failed_and_the_run_goes_on(app, smtp, learner, monkeypatch):
    """If building one learner's digest raises, their week is failed (not stuck in `sending`) and the others are sent."""
    from webapp.digest import services

    other = gen_user(app, username="fine", digest_opt_in=True)
    real = services.build_digest

    def broken(user, week):
        if user.id == learner.id:
            raise RuntimeError("bad data")
        return real(user, week)

    monkeypatch.setattr(services, "build_digest", broken)
    report = _send(app)
    assert report.failed == [learner.email] and report.sent == [other.email]
    row = _log(app, learner.id)
    assert row.status == DigestStatus.FAILED and "RuntimeError: bad data" in row.last_error
    monkeypatch.setattr(services, "build_digest", real)
    assert _send(app).sent == [learner.email]


def test_the_digest_lists_the_reviews_due_per_exam(app, smtp, learner):
    """With the learner's cards built from their answers (the wrong ones are due a learning step
    later, long past by now), the digest lists the exam's reviews due, linked to its exam page."""
    from tests.factories import gen_learning_rows
    from webapp.learning.due import due_by_exam

    gen_learning_rows(app, learner)
    with app.app_context():
        [item] = due_by_exam(db.session.get(User, learner.id))
    assert item.due > 0
    _send(app)
    text, html = _parts(smtp.to(learner.email)[0])
    link = f"https://certquest.example.org/exams/{learner.exam.slug}"
    assert f"REVIEWS DUE\n- {item.exam.name}: {item.due} reviews due\n  {link}" in text
    assert f'<li><a href="{link}">{item.exam.name}</a>: {item.due} reviews due</li>' in html


def test_no_review_due_leaves_the_section_out(app, smtp, learner):
    """A learner without cards (answers imported, never rebuilt) gets no "Reviews due" section."""
    _send(app)
    text, html = _parts(smtp.to(learner.email)[0])
    assert "Questions answered" in text and "Weak areas" in html
    assert "REVIEWS DUE" not in text and 'id="reviews-due"' not in html

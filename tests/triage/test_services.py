"""The triage rules without HTTP: who is in the queue, filters, sorts, search, pagination, counts by
type, the fixed number of queries per page, the detail, and deciding and bulk-dismissing reports."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import META, gen_exam, gen_feedback, gen_question, gen_question_stats, gen_user
from webapp.exceptions import NotFound, ValidationError
from webapp.extensions import db
from webapp.models import AuditEvent, FeedbackStatus, FeedbackType, Question, QuestionFeedback, QuestionVersion, User
from webapp.models.base import utcnow
from webapp.triage import services
from webapp.triage.services import QueueFilter, QueueSort


def _ids(queue) -> list[int]:
    return [item.question.id for item in queue.items]


def _admin(app) -> User:
    return db.session.get(User, gen_user(app, is_admin=True).id)


def _reporters(app, question, count: int, feedback_type=FeedbackType.INCORRECT, **fields) -> list[int]:
    return [gen_feedback(app, gen_user(app), question, feedback_type=feedback_type, **fields) for _ in range(count)]


def test_queue_holds_reported_questions_with_counts_by_open_type(app, ctx):
    """A question with reports is in the queue with its open reports counted by type; an unreported one is not."""
    exam = gen_exam(app)
    reported, quiet = gen_question(app, exam), gen_question(app, exam)
    _reporters(app, reported, 2, FeedbackType.TYPO)
    _reporters(app, reported, 1, FeedbackType.UNCLEAR)
    gen_feedback(app, gen_user(app), reported, feedback_type=FeedbackType.OTHER, status=FeedbackStatus.RESOLVED)
    queue = services.list_queue(QueueFilter())
    assert _ids(queue) == [reported.id] and quiet.id != reported.id
    item = queue.items[0]
    assert item.counts == {FeedbackType.INCORRECT: 0, FeedbackType.TYPO: 2, FeedbackType.UNCLEAR: 1,
                           FeedbackType.OTHER: 0}
    assert item.open_reports == 3 and item.stats is None and item.latest_report_at is not None


def test_suspect_questions_join_without_a_report(app, ctx):
    """A statistically suspect question joins the default queue with its reasons; an unsuspicious one with stats does not."""
    exam = gen_exam(app)
    suspect, fine = gen_question(app, exam), gen_question(app, exam)
    gen_question_stats(app, suspect, is_suspect=True, suspect_reasons=["Discrimination below 0 (-0.12)"],
                       suspicion_score=2.5, discrimination=-0.12)
    gen_question_stats(app, fine)
    queue = services.list_queue(QueueFilter())
    assert _ids(queue) == [suspect.id] and fine.id not in _ids(queue)
    assert queue.items[0].stats.suspect_reasons == ["Discrimination below 0 (-0.12)"]
    assert queue.items[0].open_reports == 0
    # "Suspect only" keeps it and drops a reported question that is not suspect.
    gen_feedback(app, gen_user(app), fine)
    assert set(_ids(services.list_queue(QueueFilter()))) == {suspect.id, fine.id}
    assert _ids(services.list_queue(QueueFilter(suspect_only=True))) == [suspect.id]
    # A feedback type asks about reports: a suspect question without one stays out.
    assert _ids(services.list_queue(QueueFilter(feedback_type=FeedbackType.INCORRECT))) == [fine.id]


def test_filters_by_exam_type_and_status(app, ctx):
    """The exam, feedback type and status filters each narrow the queue; "any" status covers closed reports."""
    first, second = gen_exam(app), gen_exam(app)
    a, b, c = gen_question(app, first), gen_question(app, second), gen_question(app, first)
    gen_feedback(app, gen_user(app), a, feedback_type=FeedbackType.TYPO)
    gen_feedback(app, gen_user(app), b, feedback_type=FeedbackType.INCORRECT)
    gen_feedback(app, gen_user(app), c, feedback_type=FeedbackType.TYPO, status=FeedbackStatus.DISMISSED)
    assert set(_ids(services.list_queue(QueueFilter()))) == {a.id, b.id}
    assert _ids(services.list_queue(QueueFilter(exam_slug=first.slug))) == [a.id]
    assert _ids(services.list_queue(QueueFilter(feedback_type=FeedbackType.INCORRECT))) == [b.id]
    assert _ids(services.list_queue(QueueFilter(status=FeedbackStatus.DISMISSED))) == [c.id]
    assert _ids(services.list_queue(QueueFilter(status=FeedbackStatus.RESOLVED))) == []
    assert set(_ids(services.list_queue(QueueFilter(status=None)))) == {a.id, b.id, c.id}
    assert set(_ids(services.list_queue(QueueFilter(status=None, feedback_type=FeedbackType.TYPO)))) == {a.id, c.id}


def test_unknown_exam_and_status_are_validation_errors(app, ctx):
    """An exam slug that does not exist is UNKNOWN_EXAM on `exam`; an unknown status is refused on `status`."""
    with pytest.raises(ValidationError) as caught:
        services.list_queue(QueueFilter(exam_slug="no-such-exam"))
    assert caught.value.code == "UNKNOWN_EXAM" and caught.value.field == "exam"
    with pytest.raises(ValidationError) as caught:
        services.parse_status("open")
    assert caught.value.field == "status"
    assert services.parse_status(services.ANY_STATUS) is None and services.parse_status("") == FeedbackStatus.PENDING


def test_search_matches_stem_text_case_insensitively_and_literally(app, ctx):
    """Search is a case-insensitive substring of the stem; `%` and `_` match only themselves."""
    exam = gen_exam(app)
    percent = gen_question(app, exam, stem="Which port is 100% encrypted?")
    underscore = gen_question(app, exam, stem="What does SNMP_TRAP mean?")
    plain = gen_question(app, exam, stem="Which port does SNMP use for traps?")
    for question in (percent, underscore, plain):
        gen_feedback(app, gen_user(app), question)
    assert _ids(services.list_queue(QueueFilter(search="snmp"))) == sorted([underscore.id, plain.id], reverse=True)
    assert _ids(services.list_queue(QueueFilter(search="100%"))) == [percent.id]
    assert _ids(services.list_queue(QueueFilter(search="%"))) == [percent.id]
    assert _ids(services.list_queue(QueueFilter(search="s_mp"))) == []
    assert _ids(services.list_queue(QueueFilter(search="snmp_"))) == [underscore.id]


def test_sorts_by_open_reports_newest_report_and_suspicion(app, ctx):
    """open_reports orders by flag_count, newest by the latest report, suspicion by the score."""
    exam = gen_exam(app)
    many, recent, suspect = gen_question(app, exam), gen_question(app, exam), gen_question(app, exam)
    now = utcnow()
    _reporters(app, many, 3, created_at=now - timedelta(days=3))
    gen_feedback(app, gen_user(app), recent, created_at=now - timedelta(hours=1))
    gen_question_stats(app, suspect, is_suspect=True, suspicion_score=3.0, suspect_reasons=["Facility below 20% (12%)"])
    gen_question_stats(app, many, is_suspect=False, suspicion_score=0.5)
    assert _ids(services.list_queue(QueueFilter(sort=QueueSort.OPEN_REPORTS)))[:2] == [many.id, recent.id]
    assert _ids(services.list_queue(QueueFilter(sort=QueueSort.NEWEST))) == [recent.id, many.id, suspect.id]
    assert _ids(services.list_queue(QueueFilter(sort=QueueSort.SUSPICION))) == [suspect.id, many.id, recent.id]


def test_queue_is_paginated(app, ctx):
    """Pages hold per_page items with the total; past the last page a list is empty, not an error."""
    exam = gen_exam(app)
    questions = [gen_question(app, exam) for _ in range(5)]
    for question in questions:
        gen_feedback(app, gen_user(app), question)
    first = services.list_queue(QueueFilter(), page=1, per_page=2)
    third = services.list_queue(QueueFilter(), page=3, per_page=2)
    assert len(first.items) == 2 and first.page.total == 5 and first.page.pages == 3
    assert len(third.items) == 1 and services.list_queue(QueueFilter(), page=9, per_page=2).items == []
    seen = _ids(first) + _ids(services.list_queue(QueueFilter(), page=2, per_page=2)) + _ids(third)
    assert sorted(seen) == sorted(question.id for question in questions)


def _statements(app, call) -> int:
    count = [0]

    def seen(*_args):
        count[0] += 1

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    return count[0]


def test_a_queue_page_costs_four_queries_however_many_items(app, ctx):
    """No N+1: a page of one item and a page of twelve (with stats and reports) both cost four queries."""
    exam = gen_exam(app)
    first = gen_question(app, exam)
    gen_feedback(app, gen_user(app), first)
    gen_question_stats(app, first)
    db.session.expire_all()
    one = _statements(app, lambda: [item.question.exam.slug + item.question.objective.code
                                    for item in services.list_queue(QueueFilter()).items])
    for _ in range(11):
        question = gen_question(app, exam, objective="2.1")
        gen_feedback(app, gen_user(app), question, feedback_type=FeedbackType.TYPO)
        gen_question_stats(app, question)
    db.session.expire_all()
    twelve = _statements(app, lambda: [item.question.exam.slug + item.question.objective.code
                                       for item in services.list_queue(QueueFilter()).items])
    assert one == twelve == 4


def test_detail_holds_key_reports_stats_and_history(app, ctx):
    """The detail has the choices with the key, every report newest first (a deleted reporter too), the
    pick rates and the versions."""
    exam = gen_exam(app)
    question = gen_question(app, exam)
    now = utcnow()
    named = gen_user(app, username="reporter1")
    gen_feedback(app, named, question, created_at=now - timedelta(days=2))
    gen_feedback(app, None, question, feedback_type=FeedbackType.TYPO, comment=None, created_at=now)
    fresh = db.session.get(Question, question.id)
    key, wrong = fresh.choices[0].id, fresh.choices[1].id
    gen_question_stats(app, question, responses=50, top_group=10, bottom_group=10,
                       choice_counts={str(key): {"all": 30, "top": 9, "bottom": 2},
                                      str(wrong): {"all": 20, "top": 1, "bottom": 8}})
    db.session.add(QuestionVersion(question_id=question.id, version=1, content={"stem": fresh.stem}, origin="import"))
    db.session.commit()
    detail = services.question_detail(question.id)
    assert [choice.is_correct for choice in detail.question.choices][:2] == [True, False]
    assert [report.reporter.username if report.reporter else None for report in detail.reports] == [None, "reporter1"]
    assert detail.rates[key] == services.ChoiceRates(60.0, 90.0, 20.0)
    assert detail.rates[wrong].bottom == 80.0
    assert [version.version for version in detail.versions] == [1] and len(detail.open_reports) == 2


def test_detail_of_a_question_without_anything_and_of_none(app, ctx):
    """A question without reports, stats or history has empty parts; a missing question is 404."""
    question = gen_question(app, gen_exam(app))
    detail = services.question_detail(question.id)
    assert detail.reports == [] and detail.stats is None and detail.rates == {} and detail.versions == []
    with pytest.raises(NotFound):
        services.question_detail(question.id + 1000)


def test_deciding_a_report_records_the_admin_and_recounts_flags(app, ctx):
    """Resolving one of five open "incorrect" reports closes it with admin, note and time, clears the
    withdrawal, and audits before and after."""
    question = gen_question(app, gen_exam(app))
    report_ids = _reporters(app, question, 5)
    assert db.session.get(Question, question.id).withdrawn_at is not None
    admin = _admin(app)
    decided = services.decide_report(admin, report_ids[0], FeedbackStatus.RESOLVED, "  Key fixed.  ", META)
    db.session.expire_all()
    report = db.session.get(QuestionFeedback, decided.id)
    assert report.status == FeedbackStatus.RESOLVED and report.resolved_by == admin.id
    assert report.resolution_note == "Key fixed." and report.resolved_at is not None
    fresh = db.session.get(Question, question.id)
    assert fresh.flag_count == 4 and fresh.is_flagged and fresh.withdrawn_at is None
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.event == "feedback_resolve")).one()
    assert event.user_id == admin.id and event.details["question_id"] == question.id
    assert event.details["before"] == {"status": "pending", "flag_count": 5, "is_flagged": True, "withdrawn": True}
    assert event.details["after"] == {"status": "resolved", "flag_count": 4, "is_flagged": True, "withdrawn": False}


def test_deciding_a_closed_or_missing_report_is_refused(app, ctx):
    """A report already dismissed is a 409 REPORT_CLOSED; a missing one 404; "pending" is not a decision."""
    question = gen_question(app, gen_exam(app))
    report_id = gen_feedback(app, gen_user(app), question)
    admin = _admin(app)
    services.decide_report(admin, report_id, FeedbackStatus.DISMISSED, None, META)
    with pytest.raises(services.ReportClosed) as caught:
        services.decide_report(admin, report_id, FeedbackStatus.RESOLVED, None, META)
    assert caught.value.status == 409 and caught.value.code == "REPORT_CLOSED"
    with pytest.raises(services.ReportNotFound):
        services.decide_report(admin, report_id + 1000, FeedbackStatus.RESOLVED, None, META)
    other = gen_feedback(app, gen_user(app), question)
    with pytest.raises(ValidationError) as caught:
        services.decide_report(admin, other, FeedbackStatus.PENDING, None, META)
    assert caught.value.field == "status"
    with pytest.raises(services.NoteTooLong):
        services.decide_report(admin, other, FeedbackStatus.RESOLVED, "x" * (services.RESOLUTION_NOTE_MAX_LENGTH + 1),
                               META)
    assert db.session.get(QuestionFeedback, other).status == FeedbackStatus.PENDING


def test_bulk_dismiss_closes_every_open_report_of_the_chosen_questions(app, ctx):
    """Bulk dismiss closes all open reports of the chosen questions with the note, clears is_flagged,
    audits once per question, and leaves other questions alone."""
    exam = gen_exam(app)
    flagged, second, untouched = gen_question(app, exam), gen_question(app, exam), gen_question(app, exam)
    _reporters(app, flagged, 3, FeedbackType.TYPO)
    gen_feedback(app, gen_user(app), second)
    gen_feedback(app, gen_user(app), untouched)
    assert db.session.get(Question, flagged.id).is_flagged
    admin = _admin(app)
    result = services.bulk_dismiss(admin, [second.id, flagged.id, flagged.id], "Duplicates of a fixed report.", META)
    assert result == services.BulkResult([flagged.id, second.id], 4)
    db.session.expire_all()
    closed = db.session.scalars(sa.select(QuestionFeedback).where(QuestionFeedback.question_id != untouched.id)).all()
    assert {(r.status, r.resolved_by, r.resolution_note) for r in closed} == {
        (FeedbackStatus.DISMISSED.value, admin.id, "Duplicates of a fixed report.")}
    assert not db.session.get(Question, flagged.id).is_flagged and db.session.get(Question, flagged.id).flag_count == 0
    assert db.session.get(Question, untouched.id).flag_count == 1
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.event == "feedback_dismiss")
                                .order_by(AuditEvent.id)).all()
    assert [e.details["question_id"] for e in events] == [flagged.id, second.id]
    assert events[0].details["before"]["is_flagged"] is True and events[0].details["after"]["flag_count"] == 0
    assert len(events[0].details["report_ids"]) == 3


def test_bulk_dismiss_needs_a_choice(app, ctx):
    """No question chosen is NO_QUESTIONS_CHOSEN on `question_ids`; questions without open reports change nothing."""
    admin = _admin(app)
    with pytest.raises(ValidationError) as caught:
        services.bulk_dismiss(admin, [], "note", META)
    assert caught.value.code == "NO_QUESTIONS_CHOSEN" and caught.value.field == "question_ids"
    quiet = gen_question(app, gen_exam(app))
    assert services.bulk_dismiss(admin, [quiet.id, quiet.id + 1000], None, META) == services.BulkResult([], 0)


def test_report_age_in_words():
    """A report's age reads "today", "1 day ago" or "N days ago"."""
    now = utcnow()
    assert services.age_in_words(now - timedelta(hours=3), now) == "today"
    assert services.age_in_words(now - timedelta(days=1, hours=2), now) == "1 day ago"
    assert services.age_in_words(now - timedelta(days=12), now) == "12 days ago"

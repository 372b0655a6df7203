"""The editing service: the importer's validation, versions, conflicts, diffs, audit, reports and re-grading."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.editor.helpers import report, study_answer, take_quiz, verdicts
from tests.factories import (META, choice_ids, gen_bank, gen_exam, gen_ordering_question, gen_question, gen_user,
                             user_in_db)
from webapp.editor import services
from webapp.exceptions import NotFound, ValidationError
from webapp.extensions import db
from webapp.gamification.services import Drift, recompute_user
from webapp.models import (Answer, AttemptResult, AuditEvent, FeedbackStatus, Question, QuestionFeedback,
                           QuestionVersion, QuizMode, User, XpEvent)
from webapp.quiz import services as quiz
from webapp.quiz.sources import QuestionSource, SourceChoice, restrict_to_source, scope_query


def _admin(app) -> User:
    return user_in_db(app, is_admin=True)


def _errors(excinfo) -> dict[str, str]:
    return {error.field: error.error for error in excinfo.value.errors}


def test_validation_reports_each_field_with_the_importer_rules_and_saves_nothing(app, ctx):
    """No correct choice, an empty stem, a bad exhibit and an unknown objective come back field by
    field in the importer's words, and the question is left exactly as it was."""
    exam = gen_exam(app)
    question = gen_question(app, exam)
    admin = _admin(app)
    choices = [{"id": cid, "correct": False} for cid in choice_ids(question.id) + choice_ids(question.id, False)]
    with pytest.raises(ValidationError) as excinfo:
        services.edit_question(admin, question.id, {"stem": "  ", "choices": choices, "objective": "9.9",
                                                    "exhibit": {"kind": "text", "title": "Log"}}, META)
    errors = _errors(excinfo)
    assert errors["stem"] == "must be non-empty text"
    assert errors["choices"] == "a single-answer question needs exactly 1 correct choice, got 0"
    assert errors["exhibit.text"] == "is required"
    assert errors["objective"] == f"objective 9.9 is not in exam {exam.slug}"
    stored = db.session.get(Question, question.id)
    assert stored.version == 1 and stored.stem == question.stem and len(stored.correct_positions) == 1
    assert db.session.scalar(sa.select(sa.func.count(QuestionVersion.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.event == "question_edit")) == 0


def test_unknown_fields_and_foreign_choice_ids_are_field_errors(app, ctx):
    """A field an edit cannot change and a choice id of another question are refused by name."""
    exam = gen_exam(app)
    question, other = gen_question(app, exam), gen_question(app, exam)
    with pytest.raises(ValidationError) as excinfo:
        services.edit_question(_admin(app), question.id, {"type": "multiple",
                                                          "choices": [{"id": choice_ids(other.id)[0]}]}, META)
    errors = _errors(excinfo)
    assert errors["type"] == "is not a field an edit can change"
    assert errors["choices[0].id"].startswith("is not a choice of this question")


def test_edit_bumps_version_and_records_versions_with_a_baseline(app, ctx):
    """The first edit of a question stored without versions snapshots it as version 1, then saves
    version 2 (origin admin, by the admin); the history lists both, newest first."""
    question = gen_question(app, gen_exam(app), stem="What does DNS resolve?")
    admin = _admin(app)
    result = services.edit_question(admin, question.id, {"stem": "What does DNS translate?"}, META,
                                    expected_version=1)
    assert result.changed and not result.key_changed and result.question.version == 2
    history = services.list_versions(question.id)
    assert [(v.version, v.origin, v.edited_by) for v in history] == [(2, "admin", admin.id), (1, "import", None)]
    assert history[0].content["stem"] == "What does DNS translate?" and history[1].content["stem"] == "What does DNS resolve?"
    assert history[0].content["choices"][0] == {"text": "Choice 0", "correct": True, "rationale": "Reason."}


def test_no_op_edit_writes_no_version(app, ctx):
    """Sending the current content changes nothing: same version, no version row, no audit row."""
    question = gen_question(app, gen_exam(app))
    result = services.edit_question(_admin(app), question.id, {"stem": question.stem, "difficulty": 2}, META)
    assert not result.changed and result.version is None and result.question.version == 1
    assert db.session.scalar(sa.select(sa.func.count(QuestionVersion.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.event == "question_edit")) == 0


def test_stale_expected_version_is_a_conflict_and_loses_nothing(app, ctx):
    """Two admins edit at once: the second, still on version 1, gets VERSION_CONFLICT and the first's text stays."""
    question = gen_question(app, gen_exam(app))
    first, second = _admin(app), _admin(app)
    services.edit_question(first, question.id, {"stem": "First admin's stem?"}, META, expected_version=1)
    with pytest.raises(services.VersionConflict) as excinfo:
        services.edit_question(second, question.id, {"stem": "Second admin's stem?"}, META, expected_version=1)
    assert excinfo.value.status == 409 and excinfo.value.code == "VERSION_CONFLICT"
    assert excinfo.value.extra == {"current_version": 2}
    assert db.session.get(Question, question.id).stem == "First admin's stem?"


def test_missing_question_is_not_found(app, ctx):
    """Editing a question that does not exist is a 404."""
    with pytest.raises(NotFound):
        services.edit_question(_admin(app), 999999, {"stem": "Anything?"}, META)


def test_diff_shows_changed_fields_words_and_choices(app, ctx):
    """The diff of a version lists only what changed: a word diff of the stem and, per choice,
    its text, rationale and correctness."""
    question = gen_question(app, gen_exam(app), stem="Which port does SSH use?")
    ids = choice_ids(question.id) + choice_ids(question.id, False)
    services.edit_question(_admin(app), question.id, {
        "stem": "Which TCP port does SSH use?",
        "choices": [{"id": ids[0], "correct": False}, {"id": ids[1], "correct": True, "text": "Port 22"}]
        + [{"id": cid} for cid in ids[2:]]}, META)
    result = services.diff(question.id, 2)
    assert [change.name for change in result.fields] == ["stem"]
    stem = result.fields[0]
    assert [(part.op, part.text) for part in stem.parts if part.op != "equal"] == [("insert", " TCP")]
    by_index = {change.index: {f.name: (f.before, f.after) for f in change.fields} for change in result.choices}
    assert by_index == {0: {"correct": (True, False)}, 1: {"text": ("Choice 1", "Port 22"), "correct": (False, True)}}
    assert result.previous.version == 1 and result.version.key_changed is True


def test_edit_and_reactivation_are_audited_with_before_and_after(app, ctx):
    """An edit records question_edit with the changed fields before and after; turning an inactive
    question back on also records question_reactivate."""
    question = gen_question(app, gen_exam(app), is_active=False)
    admin = _admin(app)
    services.edit_question(admin, question.id, {"is_active": True, "explanation": "Because DNS maps names."}, META)
    events = {row.event: row for row in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.user_id == admin.id))}
    edit = events["question_edit"].details
    assert edit["question_id"] == question.id and edit["version"] == 2
    assert edit["before"] == {"explanation": "Because.", "is_active": False}
    assert edit["after"] == {"explanation": "Because DNS maps names.", "is_active": None}
    reactivate = events["question_reactivate"].details
    assert reactivate["before"] == {"is_active": False} and reactivate["after"] == {"is_active": True}


def test_resolve_with_edit_closes_reports_and_recounts_flags(app, ctx):
    """"Resolve all open reports with this edit" resolves every open report with the note, clears
    the flag and the withdrawal, and audits feedback_resolve, in the edit's transaction."""
    question = gen_question(app, gen_exam(app))
    app.config["FEEDBACK_FLAG_AT"], app.config["FEEDBACK_WITHDRAW_AT"] = 2, 3
    try:
        ids = [report(gen_user(app).id, question.id) for _ in range(3)]
        assert db.session.get(Question, question.id).withdrawn_at is not None
        admin = _admin(app)
        result = services.edit_question(admin, question.id, {"explanation": "Fixed."}, META,
                                        resolve_reports=True, resolution_note="Key fixed, thanks.")
    finally:
        app.config["FEEDBACK_FLAG_AT"], app.config["FEEDBACK_WITHDRAW_AT"] = 3, 5
    assert result.reports_resolved == 3
    rows = list(db.session.scalars(sa.select(QuestionFeedback).where(QuestionFeedback.id.in_(ids))))
    assert {(r.status, r.resolved_by, r.resolution_note) for r in rows} == {
        (FeedbackStatus.RESOLVED.value, admin.id, "Key fixed, thanks.")}
    stored = db.session.get(Question, question.id)
    assert (stored.flag_count, stored.is_flagged, stored.withdrawn_at) == (0, False, None)
    resolve = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.event == "feedback_resolve")).one()
    assert sorted(resolve.details["report_ids"]) == sorted(ids)


def test_failed_edit_leaves_reports_open(app, ctx):
    """An edit refused by validation resolves nothing either."""
    question = gen_question(app, gen_exam(app))
    report_id = report(gen_user(app).id, question.id)
    with pytest.raises(ValidationError):
        services.edit_question(_admin(app), question.id, {"stem": ""}, META, resolve_reports=True)
    assert db.session.get(QuestionFeedback, report_id).status == FeedbackStatus.PENDING


def test_key_fix_regrades_answers_but_keeps_results_and_xp(app, ctx):
    """After the key moves to the choice a learner picked, their practice, simulation and study
    answers are right; the stored results, XP total and XP ledger are unchanged; the `missed`
    source (their weak spots) no longer holds the question."""
    exam = gen_bank(app, per_objective=2)
    db.session.get(type(exam), exam.id).question_count = 6  # a full simulation is the whole bank
    db.session.commit()
    learner = gen_user(app)
    target = db.session.scalars(sa.select(Question.id).where(Question.exam_id == exam.id).order_by(Question.id)).first()
    old_key, wrong = choice_ids(target), choice_ids(target, False)[:1]
    practice = take_quiz(learner.id, exam.slug, QuizMode.PRACTICE, target, wrong)
    simulation = take_quiz(learner.id, exam.slug, QuizMode.EXAM, target, wrong)
    study_answer(learner.id, exam.slug, target, wrong)
    assert verdicts(target) == {"practice": [False], "exam": [False], "study": [False]}
    bodies = {aid: dict(db.session.get(AttemptResult, aid).body) for aid in (practice, simulation)}
    xp = db.session.get(User, learner.id).xp
    ledger = db.session.execute(sa.select(XpEvent.reason, XpEvent.amount, XpEvent.source)
                                .where(XpEvent.user_id == learner.id).order_by(XpEvent.id)).all()
    awarded = db.session.execute(sa.select(Answer.id, Answer.xp_awarded).where(Answer.user_id == learner.id)
                                 .order_by(Answer.id)).all()
    missed = restrict_to_source(scope_query(db.session.get(type(exam), exam.id), []), learner, exam,
                                SourceChoice(QuestionSource.MISSED))
    assert target in set(db.session.scalars(sa.select(missed.subquery().c.id)))

    result = services.edit_question(_admin(app), target, {
        "choices": [{"id": cid, "correct": cid in wrong} for cid in old_key + choice_ids(target, False)]}, META)
    assert result.key_changed and result.regraded == 3
    db.session.expire_all()
    assert verdicts(target) == {"practice": [True], "exam": [True], "study": [True]}
    assert {aid: db.session.get(AttemptResult, aid).body for aid in (practice, simulation)} == bodies
    assert db.session.get(User, learner.id).xp == xp
    assert db.session.execute(sa.select(XpEvent.reason, XpEvent.amount, XpEvent.source)
                              .where(XpEvent.user_id == learner.id).order_by(XpEvent.id)).all() == ledger
    assert db.session.execute(sa.select(Answer.id, Answer.xp_awarded).where(Answer.user_id == learner.id)
                              .order_by(Answer.id)).all() == awarded
    assert target not in set(db.session.scalars(sa.select(missed.subquery().c.id)))
    # `flask gamification recompute` replays the verdicts as scored, so it undoes none of this.
    drift = Drift()
    recompute_user(db.session.get(User, learner.id), drift)
    db.session.commit()
    assert not drift.any, drift.summary()
    assert db.session.get(User, learner.id).xp == xp


def test_regrade_flips_right_answers_to_wrong_in_bulk(app, ctx, monkeypatch):
    """Answers that matched the old key become wrong, written in batches (one UPDATE per batch)."""
    exam = gen_bank(app, per_objective=2)
    target = db.session.scalars(sa.select(Question.id).where(Question.exam_id == exam.id).order_by(Question.id)).first()
    old_key = choice_ids(target)
    for _ in range(3):
        take_quiz(gen_user(app).id, exam.slug, QuizMode.PRACTICE, target, old_key)
    monkeypatch.setattr(services, "REGRADE_BATCH", 2)
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        new_key = choice_ids(target, False)[:1]
        result = services.edit_question(_admin(app), target, {
            "choices": [{"id": cid, "correct": cid in new_key} for cid in old_key + choice_ids(target, False)]}, META)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert result.regraded == 3
    updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE ANSWERS")]
    assert len(updates) == 2
    db.session.expire_all()
    assert verdicts(target) == {"practice": [False, False, False]}


def test_ordering_reorder_moves_rows_and_regrades(app, ctx):
    """Reordering an ordering question's items by id keeps each item's id with its text, changes the
    key and re-grades: a learner who gave the new order is now right."""
    exam = gen_exam(app)
    question = gen_ordering_question(app, exam)
    for _ in range(4):
        gen_question(app, exam)
    texts = {c.id: c.text for c in db.session.get(Question, question.id).choices}
    ids = list(texts)
    new_order = [ids[1], ids[0], ids[2], ids[3]]
    user = user_in_db(app)
    attempt = quiz.start_quiz(user, quiz.QuizRequest(exam.slug, count=5))
    quiz.save_answer(user, attempt.id, question.id, order=new_order)
    quiz.submit_attempt(user, attempt.id)
    assert verdicts(question.id) == {"practice": [False]}
    result = services.edit_question(_admin(app), question.id, {"choices": [{"id": cid} for cid in new_order]}, META)
    assert result.key_changed and result.regraded == 1
    db.session.expire_all()
    stored = db.session.get(Question, question.id)
    assert [(c.id, c.text) for c in stored.choices] == [(cid, texts[cid]) for cid in new_order]
    assert verdicts(question.id) == {"practice": [True]}

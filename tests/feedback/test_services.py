"""Report rules without HTTP: the flag and withdrawal thresholds, their config keys, what a quiz
draws, closing reports, the resolution notices, and the privacy of reports."""

from __future__ import annotations

import random

import pytest

from tests.factories import META, choice_ids, gen_exam, gen_question, gen_report, gen_token, gen_user, bearer, user_in_db
from webapp.extensions import db
from webapp.feedback import services as feedback
from webapp.models import FeedbackStatus, FeedbackType, Question, QuestionFeedback, User
from webapp.privacy.services import delete_user_account, export_user_data
from webapp.quiz import services as quiz
from webapp.quiz.services import QuizRequest


@pytest.fixture
def exam(app):
    """An exam with six questions, all in objective 1.1."""
    made = gen_exam(app, slug="security")
    for _ in range(6):
        gen_question(app, made)
    return made


def _first_question(app, exam) -> Question:
    with app.app_context():
        return db.session.scalars(db.select(Question).where(Question.exam_id == exam.id).order_by(Question.id)).first()


def _state(app, question_id: int) -> tuple[int, bool, bool]:
    """(flag_count, is_flagged, withdrawn) of a question, read fresh."""
    with app.app_context():
        question = db.session.get(Question, question_id)
        return question.flag_count, question.is_flagged, question.withdrawn_at is not None


def _report_by(app, count: int, question, feedback_type: str = "incorrect", comment: str = "The key is wrong."):
    users = [gen_user(app) for _ in range(count)]
    for user in users:
        gen_report(app, user, question, feedback_type, comment)
    return users


def _close_all(app, question_id: int, status=FeedbackStatus.RESOLVED, note: str | None = "Fixed.") -> None:
    with app.app_context():
        admin = user_in_db(app, is_admin=True)
        feedback.close_reports(question_id, admin, status, note)
        db.session.commit()


def test_flagged_at_three_distinct_learners_not_three_reports_by_one(app, exam):
    """Three reports by one learner keep flag_count 1 and unflagged; three learners flag the question."""
    question = _first_question(app, exam)
    one = gen_user(app)
    for kind in ("typo", "unclear", "typo"):
        gen_report(app, one, question, kind, None)
    assert _state(app, question.id) == (1, False, False)
    _report_by(app, 1, question, "typo")
    assert _state(app, question.id) == (2, False, False)
    _report_by(app, 1, question, "unclear")
    assert _state(app, question.id) == (3, True, False)


def test_withdrawn_at_five_open_incorrect_reports_not_five_of_mixed_types(app, exam):
    """Five learners' mixed reports flag but do not withdraw; five open "incorrect" reports withdraw."""
    question = _first_question(app, exam)
    for kind in ("incorrect", "incorrect", "typo", "unclear", "other"):
        _report_by(app, 1, question, kind)
    assert _state(app, question.id) == (5, True, False)
    _report_by(app, 2, question, "incorrect")
    assert _state(app, question.id) == (7, True, False)
    _report_by(app, 1, question, "incorrect")
    assert _state(app, question.id) == (8, True, True)


def test_changing_a_report_to_another_type_recounts(app, exam):
    """A learner who changes their open "incorrect" report to a typo takes the question back below the withdrawal line."""
    question = _first_question(app, exam)
    users = _report_by(app, 5, question)
    assert _state(app, question.id) == (5, True, True)
    gen_report(app, users[0], question, "typo", None)
    assert _state(app, question.id) == (5, True, False)


def test_a_withdrawn_question_is_left_out_of_new_draws_but_kept_by_a_quiz_in_progress(app, exam):
    """Withdrawal removes the question from a new quiz's draw; a quiz started before keeps it and can answer it."""
    with app.app_context():
        learner = user_in_db(app)
        learner_id = learner.id
        attempt_id = quiz.start_quiz(learner, QuizRequest(exam.slug, count=6), rng=random.Random(1)).id
    question = _first_question(app, exam)
    _report_by(app, 5, question)
    assert _state(app, question.id)[2] is True
    with app.app_context():
        other = user_in_db(app)
        plan = quiz.plan_quiz(other, QuizRequest(exam.slug, count=5))
        drawn = quiz.draw_questions(other, plan, random.Random(2)).question_ids
        kept = quiz.get_attempt(db.session.get(User, learner_id), attempt_id)
        kept_ids = [aq.question_id for aq in kept.questions]
        saved = quiz.save_answer(db.session.get(User, learner_id), attempt_id, question.id,
                                 choice_ids(question.id)[:1]).question_id
    assert len(drawn) == 5 and question.id not in drawn
    assert question.id in kept_ids and saved == question.id


def test_closing_the_reports_un_withdraws_and_unflags(app, exam):
    """close_reports (resolve) clears flag_count, is_flagged and withdrawn_at, so the question is drawn again."""
    question = _first_question(app, exam)
    _report_by(app, 5, question)
    assert _state(app, question.id) == (5, True, True)
    _close_all(app, question.id)
    assert _state(app, question.id) == (0, False, False)
    with app.app_context():
        learner = user_in_db(app)
        drawn = quiz.draw_questions(learner, quiz.plan_quiz(learner, QuizRequest(exam.slug, count=6))).question_ids
    assert question.id in drawn


def test_the_config_keys_move_the_thresholds(app, exam, monkeypatch):
    """FEEDBACK_FLAG_AT=1 flags at the first report; FEEDBACK_WITHDRAW_AT=2 withdraws at the second "incorrect" one."""
    monkeypatch.setitem(app.config, "FEEDBACK_FLAG_AT", 1)
    monkeypatch.setitem(app.config, "FEEDBACK_WITHDRAW_AT", 2)
    question = _first_question(app, exam)
    _report_by(app, 1, question)
    assert _state(app, question.id) == (1, True, False)
    _report_by(app, 1, question)
    assert _state(app, question.id) == (2, True, True)


def test_resolutions_are_noticed_once_with_the_note(app, exam):
    """A resolved report is an unseen resolution with its note until marked seen; another learner's ids are ignored."""
    question = _first_question(app, exam)
    learner, other = gen_user(app), gen_user(app)
    mine = gen_report(app, learner, question)
    theirs = gen_report(app, other, question)
    with app.app_context():
        assert feedback.unseen_resolutions(db.session.get(User, learner.id)) == []
    _close_all(app, question.id, note="Typo fixed, thank you.")
    with app.app_context():
        me = db.session.get(User, learner.id)
        notices = feedback.unseen_resolutions(me)
        assert [(n.id, n.resolution_note) for n in notices] == [(mine, "Typo fixed, thank you.")]
        assert feedback.mark_resolutions_seen(me, [mine, theirs]) == 1
        assert feedback.unseen_resolutions(me) == []
        assert len(feedback.unseen_resolutions(db.session.get(User, other.id))) == 1


def test_the_export_includes_the_learners_reports(app, client, exam):
    """The data export lists the learner's reports under question_reports."""
    question = _first_question(app, exam)
    learner = gen_user(app)
    gen_report(app, learner, question, "unclear", "Which protocol?")
    gen_report(app, gen_user(app), question)
    exported = client.get("/api/v1/users/me/export", headers=bearer(gen_token(app, learner))).get_json()
    reports = exported["question_reports"]
    assert [(r["question_id"], r["feedback_type"], r["comment"]) for r in reports] == [
        (question.id, "unclear", "Which protocol?")]


def test_deleting_the_account_keeps_its_reports_but_they_stop_counting(app, exam):
    """Deletion nulls the reports' user_id and recounts: flag_count drops, the flag and the withdrawal go."""
    question = _first_question(app, exam)
    users = _report_by(app, 5, question)
    assert _state(app, question.id) == (5, True, True)
    with app.app_context():
        delete_user_account(db.session.get(User, users[0].id), META)
    assert _state(app, question.id) == (4, True, False)
    with app.app_context():
        rows = db.session.scalars(db.select(QuestionFeedback).where(QuestionFeedback.question_id == question.id)).all()
        assert len(rows) == 5 and sum(row.user_id is None for row in rows) == 1
        assert all(row.feedback_type == FeedbackType.INCORRECT for row in rows)

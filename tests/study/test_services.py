"""Study-mode rules, without HTTP: starting (sources, counts, one open session), answering,
skipping, showing answers, time, confidence and the summary."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import (choice_ids, gen_bank, gen_exam, gen_matching_question, gen_multiple_question,
                             gen_ordering_question, gen_question, user_in_db)
from tests.study.conftest import answer_for, session_questions
from webapp.exceptions import NotFound, ValidationError
from webapp.extensions import db
from webapp.models import Answer, AttemptQuestion, Confidence, QuestionSource, QuizAttempt, QuizMode, StudySession
from webapp.models.base import utcnow
from webapp.quiz import services as quiz
from webapp.study import services
from webapp.study.services import StudyRequest


def _start(user, exam, **fields) -> StudySession:
    return services.start_session(user, StudyRequest(exam.slug, **{"count": 5, **fields}))


def _answer(user, session, sq, right=True, **extra):
    return services.answer_question(user, session.id, sq.question_id, **answer_for(sq.question_id, right), **extra)


def test_start_with_all_draws_the_count_with_shuffled_choices(app, ctx):
    """Source all: `count` questions of the exam, each with its choices in a stored shuffled order; no quiz attempt."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    session = services.start_session(user, StudyRequest(exam.slug, count=6), rng=random.Random(3))
    questions = session_questions(session.id)
    assert session.question_count == 6 and len(questions) == 6 and session.notice is None
    assert session.source == QuestionSource.ALL and session.is_open
    assert all(sorted(sq.choice_order) == sorted(choice_ids(sq.question_id) + choice_ids(sq.question_id, False))
               for sq in questions)
    assert any(sq.choice_order != sorted(sq.choice_order) for sq in questions)
    assert db.session.scalar(sa.select(sa.func.count(QuizAttempt.id))) == 0


def test_start_with_all_keeps_the_400_on_count(app, ctx):
    """Source all does not shrink: more than the scope holds is a 400 NOT_ENOUGH_QUESTIONS on count."""
    exam = gen_bank(app, per_objective=1)  # 3 questions
    with pytest.raises(ValidationError) as info:
        _start(user_in_db(app), exam)
    assert (info.value.field, info.value.code) == ("count", "NOT_ENOUGH_QUESTIONS")


def test_start_with_missed_shrinks_to_fit_and_says_so(app, ctx):
    """Source missed draws the questions whose latest answer was wrong (a study answer counts), shrinking the count with a notice."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    first = _start(user, exam)
    questions = session_questions(first.id)
    for sq in questions[:2]:
        _answer(user, first, sq, right=False)
    _answer(user, first, questions[2], right=True)
    services.finish_session(user, first.id)
    again = _start(user, exam, count=10, source=QuestionSource.MISSED.value)
    drawn = {sq.question_id for sq in session_questions(again.id)}
    assert drawn == {sq.question_id for sq in questions[:2]}
    assert again.question_count == 2 and again.source == QuestionSource.MISSED
    assert again.notice.startswith("Only 2 questions match “Missed last time” in this selection, so you get 2 instead of")


def test_start_with_unseen_leaves_out_answered_questions(app, ctx):
    """Source unseen never draws a question the learner has answered (in study too)."""
    exam = gen_bank(app, per_objective=2)  # 6 questions
    user = user_in_db(app)
    first = _start(user, exam)
    answered = [sq.question_id for sq in session_questions(first.id)[:4]]
    for sq in session_questions(first.id)[:4]:
        _answer(user, first, sq)
    services.finish_session(user, first.id)
    again = _start(user, exam, source=QuestionSource.UNSEEN.value)
    drawn = [sq.question_id for sq in session_questions(again.id)]
    assert len(drawn) == 2 and not set(drawn) & set(answered)
    assert again.notice == "Only 2 questions match “Never answered” in this selection, so you get 2 instead of 5."


def test_an_empty_source_is_a_400_on_source(app, ctx):
    """A source holding nothing (no question ever missed) is EMPTY_SOURCE on field source."""
    exam = gen_bank(app, per_objective=2)
    with pytest.raises(ValidationError) as info:
        _start(user_in_db(app), exam, source=QuestionSource.MISSED.value)
    assert (info.value.field, info.value.code) == ("source", "EMPTY_SOURCE")


@pytest.mark.parametrize("count", [4, 91])
def test_count_must_be_within_the_quiz_bounds(app, ctx, count):
    """Study counts outside QUIZ_MIN_COUNT..QUIZ_MAX_COUNT (5..90) are refused on count."""
    exam = gen_bank(app, per_objective=4)
    with pytest.raises(ValidationError) as info:
        _start(user_in_db(app), exam, count=count)
    assert info.value.field == "count"


def test_count_bounds_are_inclusive(app, ctx):
    """5 and 90 questions are both accepted."""
    exam = gen_bank(app, per_objective=30)  # 90 questions
    user = user_in_db(app)
    assert _start(user, exam, count=5).question_count == 5
    assert services.start_session(user, StudyRequest(exam.slug, count=90), end_open=True).question_count == 90


def test_objectives_narrow_the_draw(app, ctx):
    """Chosen objectives restrict the questions and are stored on the session."""
    exam = gen_bank(app, per_objective=5)
    session = _start(user_in_db(app), exam, objective_codes=["1.2"])
    assert {sq.question.objective.code for sq in session_questions(session.id)} == {"1.2"}
    assert session.objective_codes == ["1.2"]


def test_one_open_session_at_a_time_next_to_a_quiz(app, ctx):
    """A quiz in progress does not stop a study session, but a second study session is StudyInProgress."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    quiz.start_quiz(user, quiz.QuizRequest(exam.slug, count=5))
    first = _start(user, exam)
    with pytest.raises(services.StudyInProgress) as info:
        _start(user, exam)
    assert info.value.session_id == first.id and info.value.extra == {"study_session_id": first.id}
    assert services.open_session(user).id == first.id


def test_ending_the_open_session_and_starting_the_new_one(app, ctx):
    """With end_open the open session is finished and the new one starts, in one go."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    first = _start(user, exam)
    second = services.start_session(user, StudyRequest(exam.slug, count=5), end_open=True)
    db.session.refresh(first)
    assert first.finished_at is not None and second.is_open
    assert services.open_session(user).id == second.id


def test_a_refused_restart_keeps_the_open_session(app, ctx):
    """If the new session cannot start (empty source), the open one is not ended."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    first = _start(user, exam)
    with pytest.raises(ValidationError):
        services.start_session(user, StudyRequest(exam.slug, count=5, source=QuestionSource.MISSED.value),
                               end_open=True)
    db.session.rollback()
    assert services.open_session(user).id == first.id


def test_concurrent_start_loses_to_the_one_open_index(app, ctx, monkeypatch):
    """When another start wins the race past the open check, the database index refuses the second: StudyInProgress."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    first = _start(user, exam)
    real = services.open_session
    calls = []

    def blind_once(who):
        calls.append(who.id)
        return None if len(calls) == 1 else real(who)

    monkeypatch.setattr(services, "open_session", blind_once)
    with pytest.raises(services.StudyInProgress) as info:
        _start(user, exam)
    assert info.value.session_id == first.id and len(calls) == 2
    assert db.session.scalar(sa.select(sa.func.count(StudySession.id))) == 1


def test_a_single_answer_is_checked_stored_and_written_to_answers(app, ctx):
    """A right single answer: feedback with the key, StudyQuestion updated, one answers row with mode study."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    session = _start(user, exam)
    sq = session_questions(session.id)[0]
    feedback = _answer(user, session, sq, confidence=Confidence.SURE.value)
    assert feedback.is_correct is True and feedback.item.correct_ids == choice_ids(sq.question_id)
    assert feedback.item.explanation == sq.question.explanation
    db.session.refresh(sq)
    assert sq.is_correct and sq.answered_at and sq.response == {"choice_ids": choice_ids(sq.question_id)}
    row = db.session.scalars(sa.select(Answer)).one()
    assert (row.mode, row.study_session_id, row.attempt_id) == (QuizMode.STUDY, session.id, None)
    assert (row.question_id, row.exam_id, row.objective_id) == (sq.question_id, exam.id, sq.question.objective_id)
    assert row.is_correct is True and row.confidence == Confidence.SURE and row.answered_at == sq.answered_at
    assert row.xp_awarded is False


def test_a_wrong_answer_is_marked_wrong(app, ctx):
    """A wrong choice: is_correct false on the feedback, the question and the answers row."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    session = _start(user, exam)
    sq = session_questions(session.id)[0]
    assert _answer(user, session, sq, right=False).is_correct is False
    assert db.session.scalar(sa.select(Answer.is_correct)) is False


def test_a_multiple_answer_must_be_complete(app, ctx):
    """Multiple questions need exactly select_count choices: none or one of two is WRONG_CHOICE_COUNT on choice_ids."""
    exam = gen_exam(app)
    for _ in range(5):
        gen_multiple_question(app, exam)
    user = user_in_db(app)
    session = _start(user, exam)
    sq = session_questions(session.id)[0]
    right = choice_ids(sq.question_id)
    for partial in ([], right[:1]):
        with pytest.raises(ValidationError) as info:
            services.answer_question(user, session.id, sq.question_id, choice_ids=partial)
        assert (info.value.field, info.value.code) == ("choice_ids", "WRONG_CHOICE_COUNT")
    assert services.answer_question(user, session.id, sq.question_id, choice_ids=right).is_correct is True
    assert db.session.scalar(sa.select(sa.func.count(Answer.id))) == 1


def test_a_single_answer_needs_a_choice(app, ctx):
    """An empty single answer is refused on choice_ids and stores nothing."""
    exam = gen_bank(app, per_objective=2)
    user = user_in_db(app)
    session = _start(user, exam)
    sq = session_questions(session.id)[0]
    with pytest.raises(ValidationError) as info:
        services.answer_question(user, session.id, sq.question_id, choice_ids=[])
    assert info.value.field == "choice_ids"
    assert db.session.scalar(sa.select(sa.func.count(Answer.id))) == 0


def test_ordering_and_matching_answers(app, ctx):
    """Ordering: the key's order is right; matching: every item must be matched (an unmatched one is MISSING_ITEM on matches.<id>)."""
    exam = gen_exam(app)
    for _ in range(3):
        gen_ordering_question(app, exam)
        gen_matching_question(app, exam)
    user = user_in_db(app)
    session = _start(user, exam, count=6)
    by_type = {sq.question.type: sq for sq in session_questions(session.id)}
    ordering, matching = by_type["ordering"], by_type["matching"]
    feedback = _answer(user, session, ordering)
    assert feedback.is_correct is True and all(part.is_correct for part in feedback.item.parts)
    matches = answer_for(matching.question_id)["matches"]
    first_item = next(iter(matches))
    with pytest.raises(ValidationError) as info:
        services.answer_question(user, session.id, matching.question_id, matches={**matches, first_item: None})
    assert (info.value.field, info.value.code) == (f"matches.{first_item}", "MISSING_ITEM")
    wrong = _answer(user, session, matching, right=False)
    assert wrong.is_correct is False and not any(part.is_correct for part in wrong.item.parts)


def test_ordering_must_list_every_item(app, ctx):
    """An ordering answer leaving an item out is MISSING_ITEM on order."""
    exam = gen_exam(app)
    for _ in range(5):
        gen_ordering_question(app, exam)
    user = user_in_db(app)
    session = _start(user, exam)
    sq = session_questions(session.id)[0]
    with pytest.raises(ValidationError) as info:
        services.answer_question(user, session.id, sq.question_id, order=answer_for(sq.question_id)["order"][:-1])
    assert (info.value.field, info.value.code) == ("order", "MISSING_ITEM")


def test_answering_twice_returns_the_first_result(app, ctx):
    """A second answer, even a different one, changes nothing and returns the first verdict."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    session = _start(user, exam)
    sq = session_questions(session.id)[0]
    first = _answer(user, session, sq, right=False, confidence=Confidence.GUESSED.value)
    again = _answer(user, session, sq, right=True, confidence=Confidence.SURE.value)
    assert first.is_correct is again.is_correct is False
    assert again.item.selected == first.item.selected and again.sq.confidence == Confidence.GUESSED
    assert db.session.scalar(sa.select(sa.func.count(Answer.id))) == 1


def test_a_question_outside_the_session_is_a_400_on_question_id(app, ctx):
    """Answering, skipping or revealing a question the session did not draw is NOT_IN_SESSION on question_id."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    session = _start(user, exam)
    drawn = {sq.question_id for sq in session_questions(session.id)}
    outsider = gen_question(app, exam)
    assert outsider.id not in drawn
    for call in (services.skip_question, services.reveal_answer):
        with pytest.raises(ValidationError) as info:
            call(user, session.id, outsider.id)
        assert (info.value.field, info.value.code) == ("question_id", "NOT_IN_SESSION")
    with pytest.raises(ValidationError) as info:
        services.answer_question(user, session.id, outsider.id, choice_ids=choice_ids(outsider.id))
    assert info.value.field == "question_id"


def test_skipping_writes_no_answer_and_the_question_may_still_be_answered(app, ctx):
    """A skip is not an answer; a skipped question whose answer was not shown can be answered later."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    session = _start(user, exam)
    sq = session_questions(session.id)[0]
    skipped = services.skip_question(user, session.id, sq.question_id)
    assert skipped.skipped_at is not None and services.feedback_for(skipped) is None
    assert db.session.scalar(sa.select(sa.func.count(Answer.id))) == 0
    assert services.progress(services.with_questions(session)).skipped == 1
    assert _answer(user, session, sq).is_correct is True
    figures = services.progress(services.with_questions(session))
    assert (figures.answered, figures.skipped) == (1, 0)


def test_show_answer_counts_as_skipped_and_closes_the_question(app, ctx):
    """Show answer gives the feedback without a verdict, writes no answer, and the question can no longer be answered."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    session = _start(user, exam)
    sq = session_questions(session.id)[0]
    services.skip_question(user, session.id, sq.question_id)
    feedback = services.reveal_answer(user, session.id, sq.question_id)
    assert feedback.is_correct is None and feedback.item.correct_ids == choice_ids(sq.question_id)
    with pytest.raises(services.AnswerShown):
        _answer(user, session, sq)
    assert db.session.scalar(sa.select(sa.func.count(Answer.id))) == 0
    figures = services.progress(services.with_questions(session))
    assert (figures.answered, figures.skipped) == (0, 1)


def test_finish_gives_the_summary_and_is_idempotent(app, ctx):
    """Finishing records the end once; the summary counts viewed, answered, right and skipped; a finished session takes no answer."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    session = _start(user, exam)
    questions = session_questions(session.id)
    services.visit_question(user, session.id, 0)
    _answer(user, session, questions[0], right=True)
    _answer(user, session, questions[1], right=False)
    services.skip_question(user, session.id, questions[2].question_id)
    done = services.finish_session(user, session.id)
    ended = done.finished_at
    assert ended is not None
    again = services.finish_session(user, session.id, now=utcnow() + timedelta(hours=1))
    assert again.finished_at == ended
    figures = services.progress(services.with_questions(again))
    assert (figures.total, figures.viewed, figures.answered, figures.correct, figures.skipped) == (5, 3, 2, 1, 1)
    assert again.questions_viewed == 3
    with pytest.raises(services.StudyClosed):
        _answer(user, session, questions[3])
    with pytest.raises(services.StudyClosed):
        services.skip_question(user, session.id, questions[3].question_id)


def test_time_is_credited_per_question_and_capped(app, ctx):
    """Time since the last action goes to the question acted on, at most QUIZ_MAX_SECONDS_PER_ACTION per action."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    start = utcnow() - timedelta(hours=2)
    session = services.start_session(user, StudyRequest(exam.slug, count=5), now=start)
    first, second = session_questions(session.id)[:2]
    services.visit_question(user, session.id, 0, now=start)
    _answer(user, session, first, now=start + timedelta(seconds=30))
    services.visit_question(user, session.id, 1, now=start + timedelta(seconds=50))
    _answer(user, session, second, now=start + timedelta(seconds=5000))
    db.session.refresh(first)
    db.session.refresh(second)
    cap = app.config["QUIZ_MAX_SECONDS_PER_ACTION"]
    assert first.time_spent_ms == 50_000  # 30 s to answer, 20 s reading the explanation
    assert second.time_spent_ms == cap * 1000
    rows = dict(db.session.execute(sa.select(Answer.question_id, Answer.time_spent_seconds)).all())
    assert rows == {first.question_id: 30, second.question_id: cap}
    db.session.refresh(session)
    assert session.time_spent_seconds == 50 + cap


def test_confidence_is_stored_and_checked(app, ctx):
    """Confidence is optional, stored on the question and the answers row; an unknown value is a 400 on confidence."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    session = _start(user, exam)
    first, second = session_questions(session.id)[:2]
    with pytest.raises(ValidationError) as info:
        _answer(user, session, first, confidence="certain")
    assert info.value.field == "confidence"
    _answer(user, session, first, confidence=Confidence.UNSURE.value)
    _answer(user, session, second)
    db.session.refresh(first)
    assert first.confidence == Confidence.UNSURE
    rows = dict(db.session.execute(sa.select(Answer.question_id, Answer.confidence)).all())
    assert rows == {first.question_id: Confidence.UNSURE, second.question_id: None}


def test_another_learners_session_is_not_found(app, ctx):
    """Every call on someone else's session is a 404."""
    exam = gen_bank(app, per_objective=4)
    owner, other = user_in_db(app), user_in_db(app)
    session = _start(owner, exam)
    sq = session_questions(session.id)[0]
    for call in (lambda: services.get_session(other, session.id),
                 lambda: services.skip_question(other, session.id, sq.question_id),
                 lambda: services.finish_session(other, session.id),
                 lambda: _answer(other, session, sq)):
        with pytest.raises(NotFound):
            call()
    assert services.open_session(owner).id == session.id


def test_study_writes_nothing_to_quiz_tables(app, ctx):
    """A full study session leaves quiz_attempts and attempt_questions empty."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    session = _start(user, exam)
    for sq in session_questions(session.id):
        _answer(user, session, sq)
    services.finish_session(user, session.id)
    assert db.session.scalar(sa.select(sa.func.count(Answer.id))) == 5
    assert db.session.scalar(sa.select(sa.func.count(QuizAttempt.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(AttemptQuestion.id))) == 0


def test_study_answers_are_validated_by_the_quiz_rules(app, ctx):
    """A choice of another question is INVALID_CHOICE and an ordering field on a choice question WRONG_ANSWER_SHAPE, as in quizzes."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    session = _start(user, exam)
    first, second = session_questions(session.id)[:2]
    with pytest.raises(ValidationError) as info:
        services.answer_question(user, session.id, first.question_id, choice_ids=choice_ids(second.question_id))
    assert info.value.code == "INVALID_CHOICE"
    with pytest.raises(ValidationError) as info:
        services.answer_question(user, session.id, first.question_id, order=[1, 2])
    assert info.value.code == "WRONG_ANSWER_SHAPE"


def test_a_study_draw_leaves_out_the_questions_of_the_quiz_in_progress(app, ctx):
    """With a quiz open, a study session never draws that quiz's questions (their keys would show)."""
    exam = gen_bank(app, per_objective=2)  # 6 questions
    user = user_in_db(app)
    attempt = quiz.start_quiz(user, quiz.QuizRequest(exam.slug, count=5))
    in_quiz = {aq.question_id for aq in attempt.questions}
    session = services.start_session(user, StudyRequest(exam.slug, count=5, source=QuestionSource.UNSEEN))
    drawn = {sq.question_id for sq in session_questions(session.id)}
    assert len(drawn) == 1 and drawn.isdisjoint(in_quiz)


def test_study_will_not_show_the_key_of_a_question_in_the_quiz_in_progress(app, ctx):
    """A session opened before a quiz refuses to answer or reveal a question the quiz now holds (409), and allows it once the quiz is submitted."""
    exam = gen_bank(app, per_objective=2)  # 6 questions
    user = user_in_db(app)
    session = services.start_session(user, StudyRequest(exam.slug, count=6))
    attempt = quiz.start_quiz(user, quiz.QuizRequest(exam.slug, count=5))
    shared = [sq for sq in session_questions(session.id)
              if sq.question_id in {aq.question_id for aq in attempt.questions}]
    with pytest.raises(services.InOpenQuiz) as refused:
        _answer(user, session, shared[0])
    assert refused.value.status == 409 and refused.value.code == "QUESTION_IN_OPEN_QUIZ"
    with pytest.raises(services.InOpenQuiz):
        services.reveal_answer(user, session.id, shared[1].question_id)
    assert db.session.scalar(sa.select(sa.func.count(Answer.id)).where(Answer.study_session_id == session.id)) == 0
    quiz.submit_attempt(user, attempt.id)
    assert _answer(user, session, shared[0]).is_correct is True

"""Question sources (all, unseen, missed, bookmarked, marked) in practice quizzes: what each
holds, how it combines with objectives, shrinking with a notice, and the errors, through the
service, the JSON API and the exam page's start form."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import (bearer, choice_ids, gen_bank, gen_bookmark, gen_exam, gen_question, gen_study_answer,
                             gen_token, gen_user, user_in_db)
from webapp.exceptions import ValidationError
from webapp.extensions import db
from webapp.models import AttemptQuestion, Question, QuestionSource, QuizAttempt, QuizMode, User
from webapp.models.base import utcnow
from webapp.quiz import services
from webapp.quiz.services import QuizRequest
from webapp.quiz.sources import EmptySource, bookmark_tag_names




def _ids(exam, objective: str | None = None) -> list[int]:
    """Question ids of the exam (one objective's when given), in id order; inside an app context."""
    query = sa.select(Question.id).where(Question.exam_id == exam.id).order_by(Question.id)
    if objective:
        query = query.where(Question.objective.has(code=objective))
    return list(db.session.scalars(query))


def _question(question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    db.session.expunge(question)
    return question


def _drawn(user, exam, source, count=90, objectives=None, tag=None) -> set[int]:
    """The question ids a practice start with this source would draw (the start's own plan and draw)."""
    preview = services.preview_draw(user, QuizRequest(exam.slug, count=count, objective_codes=objectives,
                                                      source=source, tag=tag))
    return set(preview.draw.question_ids)


def _answer_and_submit(user, attempt, correct: set[int] = frozenset(), wrong: set[int] = frozenset()) -> None:
    for aq in attempt.questions:
        if aq.question_id in correct or aq.question_id in wrong:
            services.save_answer(user, attempt.id, aq.question_id,
                                 choice_ids(aq.question_id, correct=aq.question_id in correct)[:1])
    services.submit_attempt(user, attempt.id)


def test_unseen_excludes_questions_answered_in_any_mode(app, ctx):
    """`unseen` leaves out questions answered in a scored quiz and in study, and narrows to objectives."""
    exam = gen_bank(app, per_objective=5)
    user = user_in_db(app)
    quiz = services.start_quiz(user, QuizRequest(exam.slug, count=5, objective_codes=["1.2"]))
    _answer_and_submit(user, quiz)  # answers rows (all wrong: unanswered) for every 1.2 question
    studied = _ids(exam, "1.1")[0]
    gen_study_answer(app, user, _question(studied), is_correct=True)
    expected = set(_ids(exam)) - set(_ids(exam, "1.2")) - {studied}
    assert _drawn(user, exam, QuestionSource.UNSEEN) == expected and len(expected) == 9
    assert _drawn(user, exam, QuestionSource.UNSEEN, objectives=["1.1"]) == set(_ids(exam, "1.1")) - {studied}
    with pytest.raises(EmptySource):
        _drawn(user, exam, QuestionSource.UNSEEN, objectives=["1.2"])


def test_missed_follows_the_latest_answer_with_ties_to_the_later_row(app, ctx):
    """`missed` is the latest answer per question: wrong then right is not missed, right then wrong is;
    equal answered_at goes to the row written later."""
    exam = gen_bank(app, per_objective=3)
    user = user_in_db(app)
    q = [_question(qid) for qid in _ids(exam)[:6]]
    earlier, later = utcnow() - timedelta(days=2), utcnow() - timedelta(days=1)
    gen_study_answer(app, user, q[0], False, earlier)
    gen_study_answer(app, user, q[0], True, later)       # wrong then right: not missed
    gen_study_answer(app, user, q[1], True, earlier)
    gen_study_answer(app, user, q[1], False, later)      # right then wrong: missed
    gen_study_answer(app, user, q[2], False, later)      # only wrong: missed
    gen_study_answer(app, user, q[3], True, later)       # only right: not missed
    gen_study_answer(app, user, q[4], False, later)
    gen_study_answer(app, user, q[4], True, later)       # tie, the right one written later: not missed
    gen_study_answer(app, user, q[5], True, later)
    gen_study_answer(app, user, q[5], False, later)      # tie, the wrong one written later: missed
    assert _drawn(user, exam, QuestionSource.MISSED) == {q[1].id, q[2].id, q[5].id}


def test_missed_takes_wrong_and_unanswered_quiz_answers_and_combines_with_objectives(app, ctx):
    """A scored quiz's wrong and unanswered questions are missed, its right ones not; objectives narrow it."""
    exam = gen_bank(app, per_objective=2)
    user = user_in_db(app)
    quiz = services.start_quiz(user, QuizRequest(exam.slug, count=6))
    right, wrong = {quiz.questions[0].question_id}, {quiz.questions[1].question_id}
    _answer_and_submit(user, quiz, correct=right, wrong=wrong)
    everything = set(_ids(exam))
    assert _drawn(user, exam, QuestionSource.MISSED) == everything - right
    in_21 = set(_ids(exam, "2.1"))
    assert _drawn(user, exam, QuestionSource.MISSED, objectives=["2.1"]) == in_21 - right


def test_bookmarked_with_and_without_a_tag_ignoring_case(app, ctx):
    """`bookmarked` holds the learner's bookmarks in this exam; a tag narrows them, whatever its case."""
    exam = gen_bank(app, per_objective=2)
    other_exam = gen_bank(app, per_objective=1, slug="other")
    user = user_in_db(app)
    a, b, c = (_question(qid) for qid in _ids(exam)[:3])
    gen_bookmark(app, user, a, tags=("VPN", "ports"))
    gen_bookmark(app, user, b, tags=("vpn",))
    gen_bookmark(app, user, c)
    gen_bookmark(app, user, _question(_ids(other_exam)[0]), tags=("vpn",))
    assert _drawn(user, exam, QuestionSource.BOOKMARKED) == {a.id, b.id, c.id}
    assert _drawn(user, exam, QuestionSource.BOOKMARKED, tag="Vpn") == {a.id, b.id}
    assert _drawn(user, exam, QuestionSource.BOOKMARKED, tag="  PORTS ") == {a.id}
    with pytest.raises(EmptySource) as info:
        _drawn(user, exam, QuestionSource.BOOKMARKED, tag="dns")
    assert "“dns”" in info.value.message
    assert bookmark_tag_names(user.id, exam.id) == ["ports", "VPN"]


def test_marked_comes_from_completed_quizzes_and_simulations_only(app, ctx):
    """`marked` holds questions marked in the learner's finished practice quizzes and simulations of
    this exam, never those marked in an open or abandoned quiz, or by someone else."""
    exam = gen_bank(app, per_objective=36)  # enough for a simulation (54 + 36)
    user, other = user_in_db(app), user_in_db(app)
    simulation = services.start_quiz(user, QuizRequest(exam.slug, mode=QuizMode.EXAM))
    in_11 = set(_ids(exam, "1.1"))
    sim_marked = next(aq for aq in simulation.questions if aq.question_id in in_11)
    services.set_marked(user, simulation.id, sim_marked.position, True)
    services.submit_attempt(user, simulation.id)
    practice = services.start_quiz(user, QuizRequest(exam.slug, count=5, objective_codes=["1.1"]))
    practice_marked = next(aq for aq in practice.questions if aq.question_id != sim_marked.question_id)
    services.set_marked(user, practice.id, practice_marked.position, True)
    services.submit_attempt(user, practice.id)
    abandoned = services.start_quiz(user, QuizRequest(exam.slug, count=5, objective_codes=["1.2"]))
    services.set_marked(user, abandoned.id, 0, True)
    services.abandon_attempt(user, abandoned.id)
    theirs = services.start_quiz(other, QuizRequest(exam.slug, count=5, objective_codes=["2.1"]))
    services.set_marked(other, theirs.id, 0, True)
    services.submit_attempt(other, theirs.id)
    still_open = services.start_quiz(user, QuizRequest(exam.slug, count=5, objective_codes=["2.1"]))
    services.set_marked(user, still_open.id, 0, True)
    expected = {sim_marked.question_id, practice_marked.question_id}
    assert _drawn(user, exam, QuestionSource.MARKED) == expected
    assert _drawn(other, exam, QuestionSource.MARKED) == {theirs.questions[0].question_id}
    with pytest.raises(EmptySource):
        _drawn(user, exam, QuestionSource.MARKED, objectives=["1.2", "2.1"])


def test_inactive_questions_are_never_drawn_from_any_source(app, ctx):
    """A retired question that is bookmarked, missed and unseen is in no source's draw."""
    exam = gen_bank(app, per_objective=2)
    user = user_in_db(app)
    retired = gen_question(app, exam, objective="1.1")
    answered = gen_question(app, exam, objective="1.1", is_active=False)
    gen_bookmark(app, user, retired)  # bookmarked while active, retired after
    db.session.get(Question, retired.id).is_active = False
    db.session.commit()
    gen_study_answer(app, user, answered, is_correct=False)
    live = _question(_ids(exam, "1.1")[0])
    gen_bookmark(app, user, live)
    gen_study_answer(app, user, live, is_correct=False)
    assert _drawn(user, exam, QuestionSource.BOOKMARKED) == {live.id}
    assert _drawn(user, exam, QuestionSource.MISSED) == {live.id}
    unseen = _drawn(user, exam, QuestionSource.UNSEEN)
    assert len(unseen) == 5 and {retired.id, answered.id, live.id}.isdisjoint(unseen)
    assert _drawn(user, exam, QuestionSource.ALL, count=6) == set(_ids(exam)) - {retired.id, answered.id}


def test_another_learners_answers_and_bookmarks_never_leak_in(app, ctx):
    """Someone else's wrong answers, bookmarks and history change nothing in my sources."""
    exam = gen_bank(app, per_objective=2)
    mine, theirs = user_in_db(app), user_in_db(app)
    q = [_question(qid) for qid in _ids(exam)[:2]]
    gen_study_answer(app, theirs, q[0], is_correct=False)
    gen_bookmark(app, theirs, q[1], tags=("vpn",))
    gen_bookmark(app, mine, q[0])
    assert _drawn(mine, exam, QuestionSource.UNSEEN) == set(_ids(exam))
    assert _drawn(mine, exam, QuestionSource.BOOKMARKED) == {q[0].id}
    with pytest.raises(EmptySource):
        _drawn(mine, exam, QuestionSource.MISSED)
    with pytest.raises(EmptySource):
        _drawn(mine, exam, QuestionSource.BOOKMARKED, tag="vpn")
    assert bookmark_tag_names(mine.id, exam.id) == [] and bookmark_tag_names(theirs.id, exam.id) == ["vpn"]


def test_a_small_source_shrinks_the_quiz_below_the_minimum_with_a_notice_and_less_time(app, ctx):
    """4 missed questions and 30 asked: the quiz has 4 (under QUIZ_MIN_COUNT), says so, and is timed for 4."""
    exam = gen_bank(app, per_objective=3)
    user = user_in_db(app)
    missed = _ids(exam)[:4]
    for qid in missed:
        gen_study_answer(app, user, _question(qid), is_correct=False)
    attempt = services.start_quiz(user, QuizRequest(exam.slug, count=30, source=QuestionSource.MISSED))
    assert 4 < app.config["QUIZ_MIN_COUNT"] and attempt.question_count == 4
    assert sorted(aq.question_id for aq in attempt.questions) == missed
    assert attempt.notice == "Only 4 questions match “Missed last time” in this selection, so you get 4 instead of 30."
    assert attempt.time_limit_seconds == 4 * app.config["QUIZ_SECONDS_PER_QUESTION"]
    assert attempt.expires_at == attempt.started_at + timedelta(seconds=attempt.time_limit_seconds)
    stored = db.session.get(QuizAttempt, attempt.id)
    assert (stored.source, stored.source_tag, stored.question_count) == (QuestionSource.MISSED.value, None, 4)


def test_a_source_holding_enough_draws_the_count_asked_without_a_notice(app, ctx):
    """A source with more questions than asked gives exactly the count, and no notice."""
    exam = gen_bank(app, per_objective=3)
    user = user_in_db(app)
    attempt = services.start_quiz(user, QuizRequest(exam.slug, count=5, source=QuestionSource.UNSEEN))
    assert attempt.question_count == 5 and attempt.notice is None
    assert attempt.time_limit_seconds == 5 * app.config["QUIZ_SECONDS_PER_QUESTION"]


def test_an_empty_source_is_a_400_on_source_and_opens_nothing(app, ctx):
    """No missed question: EMPTY_SOURCE on field `source` with a plain message, and no attempt is written."""
    exam = gen_bank(app, per_objective=3)
    user = user_in_db(app)
    with pytest.raises(EmptySource) as info:
        services.start_quiz(user, QuizRequest(exam.slug, count=10, source=QuestionSource.MISSED))
    error = info.value
    assert (error.status, error.code, error.field) == (400, "EMPTY_SOURCE", "source")
    assert error.message.startswith("Nothing to retry")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QuizAttempt)) == 0


def test_all_keeps_not_enough_questions_on_count(app, ctx):
    """The `all` source does not shrink: too few questions is NOT_ENOUGH_QUESTIONS on `count`."""
    exam = gen_bank(app, per_objective=2)
    with pytest.raises(ValidationError) as info:
        services.start_quiz(user_in_db(app), QuizRequest(exam.slug, count=7, source=QuestionSource.ALL))
    assert (info.value.code, info.value.field) == ("NOT_ENOUGH_QUESTIONS", "count")


@pytest.mark.parametrize("source, tag, code, field", [
    ("everything", None, "UNKNOWN_SOURCE", "source"),
    (QuestionSource.MISSED, "vpn", "INVALID_TAG", "tag"),
    (QuestionSource.BOOKMARKED, "x" * 31, "INVALID_TAG", "tag"),
])
def test_bad_source_or_tag_is_a_400_naming_the_field(app, ctx, source, tag, code, field):
    """An unknown source, a tag with a source other than bookmarked, or an overlong tag are 400s."""
    exam = gen_bank(app, per_objective=2)
    with pytest.raises(ValidationError) as info:
        services.start_quiz(user_in_db(app), QuizRequest(exam.slug, count=5, source=source, tag=tag))
    assert (info.value.code, info.value.field) == (code, field)


def test_a_simulation_takes_only_the_all_source(app, ctx):
    """A simulation with any other source is SOURCE_NOT_ALLOWED on `source`; with `all` it starts."""
    exam = gen_bank(app, per_objective=36)
    user = user_in_db(app)
    with pytest.raises(ValidationError) as info:
        services.start_quiz(user, QuizRequest(exam.slug, mode=QuizMode.EXAM, source=QuestionSource.UNSEEN))
    assert (info.value.code, info.value.field) == ("SOURCE_NOT_ALLOWED", "source")
    attempt = services.start_quiz(user, QuizRequest(exam.slug, mode=QuizMode.EXAM, source=QuestionSource.ALL))
    assert attempt.question_count == 90 and attempt.source == QuestionSource.ALL.value


# The JSON API


@pytest.fixture
def learner(app):
    user = gen_user(app, username="sourcer")
    return user, bearer(gen_token(app, user))


def test_api_start_from_a_shrunk_source_reports_count_source_tag_and_notice(client, app, learner):
    """POST /api/v1/quizzes with a bookmarked tag: 201 with question_count, source, tag and notice."""
    exam = gen_bank(app, per_objective=2)
    with app.app_context():
        first_two = [_question(qid) for qid in _ids(exam)[:2]]
    for question in first_two:
        gen_bookmark(app, learner[0], question, tags=("Ports",))
    response = client.post("/api/v1/quizzes", headers=learner[1], json={
        "exam_type": exam.slug, "count": 10, "source": "bookmarked", "tag": "ports"})
    body = response.get_json()
    assert response.status_code == 201
    assert (body["question_count"], body["source"], body["tag"]) == (2, "bookmarked", "ports")
    assert body["notice"].startswith("Only 2 questions match “Bookmarked” with the tag “ports”")
    assert len(body["questions"]) == 2 and body["time_limit_seconds"] == 2 * app.config["QUIZ_SECONDS_PER_QUESTION"]
    again = client.get(f"/api/v1/quizzes/{body['id']}", headers=learner[1]).get_json()
    assert again["notice"] is None and again["source"] == "bookmarked" and again["question_count"] == 2


def test_api_default_source_is_all_without_a_notice(client, app, learner):
    """Without `source` the quiz draws from all questions and says nothing."""
    exam = gen_bank(app, per_objective=2)
    body = client.post("/api/v1/quizzes", headers=learner[1], json={"exam_type": exam.slug, "count": 5}).get_json()
    assert (body["source"], body["tag"], body["notice"], body["question_count"]) == ("all", None, None, 5)


@pytest.mark.parametrize("payload, code, field", [
    ({"source": "missed"}, "EMPTY_SOURCE", "source"),
    ({"source": "everything"}, "VALIDATION_ERROR", "source"),
    ({"source": "missed", "tag": "vpn"}, "INVALID_TAG", "tag"),
    ({"mode": "exam", "source": "marked"}, "SOURCE_NOT_ALLOWED", "source"),
    ({"count": 7}, "NOT_ENOUGH_QUESTIONS", "count"),
])
def test_api_source_errors_are_400s_with_code_and_field(client, app, learner, payload, code, field):
    """Empty, unknown and simulation sources, a misplaced tag and a too-small bank are 400s naming the field."""
    exam = gen_bank(app, per_objective=2)
    response = client.post("/api/v1/quizzes", headers=learner[1], json={"exam_type": exam.slug, "count": 5,
                                                                         **payload})
    body = response.get_json()
    assert response.status_code == 400 and (body["code"], body["field"]) == (code, field), body


# The exam page


def _start_form(client, slug: str, **fields):
    return client.post("/quizzes", data={"exam": slug, "mode": "practice", "count": "10", "timed": "y", **fields})


def test_start_form_groups_the_source_and_tag_under_questions_from(client, app, signed_in):
    """The exam page's start form has a "Questions from" group: the source menu with every source,
    its help, the tag field (a plain input), and the learner's tags as a datalist."""
    exam = gen_bank(app, per_objective=2)
    with app.app_context():
        question = _question(_ids(exam)[0])
    gen_bookmark(app, signed_in, question, tags=("Subnetting",))
    html = client.get(f"/exams/{exam.slug}").get_data(as_text=True)
    group = re.search(r'<fieldset class="source-choice" id="source-choice".*?</fieldset>', html, re.S).group(0)
    assert "<legend>Questions from</legend>" in group and 'data-off-for-mode="exam"' in group
    menu = re.search(r'<select[^>]*name="source".*?</select>', group, re.S).group(0)
    assert re.findall(r'<option (?:selected )?value="(\w+)"', menu) == [source.value for source in QuestionSource]
    assert re.search(r'<input[^>]*list="bookmark-tag-options"[^>]*name="tag"', group)
    assert '<datalist id="bookmark-tag-options">' in group and '<option value="Subnetting">' in group
    assert "Exam simulations always draw from all questions" in group and "What each source holds" in group
    assert "<dt>All questions</dt>" in group and "<dt>Marked for review</dt>" in group
    assert 'src="/static/js/start.js"' in html


def test_start_form_without_tags_has_no_datalist(client, app, signed_in):
    """A learner with no tagged bookmarks gets the plain tag input and no empty datalist."""
    exam = gen_bank(app, per_objective=2)
    html = client.get(f"/exams/{exam.slug}").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="tag"', html) and "<datalist" not in html


def test_browser_empty_source_shows_the_reason_next_to_the_source_field(client, app, signed_in):
    """An empty source re-renders the exam page (400, not an error page) with the message beside the source menu."""
    exam = gen_bank(app, per_objective=2)
    response = _start_form(client, exam.slug, source="missed")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Start a quiz" in html
    error = re.search(r'<p class="field-error" id="source-error">(.*?)</p>', html, re.S)
    assert error and "Nothing to retry" in error.group(1)
    assert re.search(r'<select[^>]*aria-invalid="true"[^>]*name="source"', html)


@pytest.mark.parametrize("fields, field", [
    ({"source": "missed", "tag": "vpn"}, "tag"),
    ({"mode": "exam", "source": "unseen"}, "source"),
    ({"source": "everything"}, "source"),
])
def test_browser_source_mistakes_come_back_next_to_their_field(client, app, signed_in, fields, field):
    """A tag with another source, a simulation with a source, or an unknown source: 400 with the reason at the field."""
    exam = gen_bank(app, per_objective=2)
    response = _start_form(client, exam.slug, **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Start a quiz" in html
    assert re.search(rf'<p class="field-error" id="{field}-error">\s*\S', html)


def test_browser_flashes_the_notice_after_a_shrunk_start(client, app, signed_in):
    """Starting from a source with 3 questions lands on question 1 of 3 with the notice shown once."""
    exam = gen_bank(app, per_objective=2)
    with app.app_context():
        for qid in _ids(exam)[:3]:
            gen_study_answer(app, signed_in, _question(qid), is_correct=False)
    response = _start_form(client, exam.slug, source="missed")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Only 3 questions match “Missed last time” in this selection, so you get 3 instead of 10." in page
    assert page.count('class="nav-cell') == 3
    assert "Only 3 questions" not in client.get(response.headers["Location"]).get_data(as_text=True)


def test_marking_in_a_browser_simulation_feeds_the_marked_source(client, app, signed_in):
    """Marking works in a simulation as in practice, and a submitted simulation's marks feed `marked`."""
    exam = gen_bank(app, per_objective=36)
    response = _start_form(client, exam.slug, mode="exam", source="all")
    assert response.status_code == 302
    with app.app_context():
        attempt = db.session.scalar(sa.select(QuizAttempt).where(QuizAttempt.user_id == signed_in.id))
        attempt_id, mode = attempt.id, attempt.mode
    assert mode == QuizMode.EXAM.value
    client.post(f"/quizzes/{attempt_id}/q/2/mark", data={"marked": "1"})
    client.post(f"/quizzes/{attempt_id}/submit")
    with app.app_context():
        marked = db.session.scalar(sa.select(AttemptQuestion.question_id).where(
            AttemptQuestion.attempt_id == attempt_id, AttemptQuestion.marked.is_(True)))
        user = db.session.get(User, signed_in.id)
        assert _drawn(user, exam, QuestionSource.MARKED, count=5) == {marked}
    response = _start_form(client, exam.slug, source="marked")
    assert response.status_code == 302


def test_tags_offered_are_those_of_this_exam_only(app, ctx):
    """bookmark_tag_names lists one spelling per tag, for bookmarks of this exam's questions only."""
    exam = gen_bank(app, per_objective=1)
    elsewhere = gen_exam(app, slug="elsewhere")
    user = user_in_db(app)
    first, second = (_question(qid) for qid in _ids(exam)[:2])
    gen_bookmark(app, user, first, tags=("DNS", "dhcp"))
    gen_bookmark(app, user, second, tags=("dns",))
    gen_bookmark(app, user, gen_question(app, elsewhere, objective="1.1"), tags=("cloud",))
    names = bookmark_tag_names(user.id, exam.id)
    assert [name.casefold() for name in names] == ["dhcp", "dns"] and len(names) == 2


@pytest.mark.parametrize("per_objective, count, objectives, advice", [
    (2, 10, None, "Only 6 active questions match; choose 6 or fewer."),
    (2, 5, ["1.1"], "Only 2 active questions match; choose more objectives (a quiz has at least 5 questions)."),
    (1, 5, None, "Only 3 active questions match; a quiz needs at least 5, or choose another source."),
])
def test_not_enough_questions_never_advises_a_count_below_the_minimum(app, ctx, per_objective, count, objectives,
                                                                        advice):
    """Too few questions for `all`: the advice is a smaller count only when that count is allowed."""
    exam = gen_bank(app, per_objective=per_objective)
    with pytest.raises(ValidationError) as info:
        services.start_quiz(user_in_db(app), QuizRequest(exam.slug, count=count, objective_codes=objectives))
    assert info.value.message == advice and info.value.code == "NOT_ENOUGH_QUESTIONS"

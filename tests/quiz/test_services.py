"""Quiz engine rules: draws, shuffles, deadlines, scoring and idempotent submission."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import (choice_ids, gen_bank, gen_exam, gen_matching_question, gen_multiple_question,
                             gen_ordering_question, gen_question, pbq_key, user_in_db)
from webapp.exceptions import NotFound, ValidationError
from webapp.extensions import db
from webapp.models import Answer, AttemptQuestion, AttemptResult, QuizAttempt, QuizMode
from webapp.models.base import utcnow
from webapp.quiz import services
from webapp.quiz.services import QuizRequest

BLUEPRINT_WEIGHTS = {
    "security": ([12, 22, 18, 28, 20], [11, 20, 16, 25, 18]),
    "network": ([23, 20, 19, 14, 24], None),
    "aplus-core1": ([13, 23, 25, 11, 28], None),
    "aplus-core2": ([28, 28, 23, 21], None),
}




_correct_ids = choice_ids


def _wrong_id(question_id: int) -> int:
    return choice_ids(question_id, correct=False)[0]


@pytest.mark.parametrize("slug", list(BLUEPRINT_WEIGHTS))
def test_largest_remainder_matches_official_weights(slug):
    """Each exam's 90-question split sums to 90 and stays within one of the exact quota."""
    weights, expected = BLUEPRINT_WEIGHTS[slug]
    counts = services.largest_remainder(weights, 90)
    assert sum(counts) == 90
    for weight, count in zip(weights, counts):
        assert abs(count - 90 * weight / 100) < 1
    if expected:
        assert counts == expected


def test_security_split_is_the_documented_one():
    """Security+ 90 questions split 11/20/16/25/18 exactly as the issue states."""
    assert services.largest_remainder([12, 22, 18, 28, 20], 90) == [11, 20, 16, 25, 18]


def test_simulation_draw_follows_domain_weights(app, ctx):
    """An exam simulation draws each domain's share by largest remainder (demo: 60/40 of 90 → 54/36)."""
    exam = gen_bank(app, per_objective=36)
    user = user_in_db(app)
    attempt = services.start_quiz(user, QuizRequest(exam.slug, mode="exam"))
    domains = [aq.question.objective.domain.number for aq in attempt.questions]
    assert len(domains) == 90 and domains.count("1.0") == 54 and domains.count("2.0") == 36
    assert attempt.time_limit_seconds == 90 * 60 and attempt.objective_codes is None


def test_practice_uses_only_active_questions_and_chosen_objectives(app, ctx):
    """Inactive questions are never drawn; an objective filter restricts the pool."""
    exam = gen_bank(app, per_objective=5)
    gen_question(app, exam, objective="1.1", is_active=False, external_id="inactive-1")
    attempt = services.start_quiz(user_in_db(app), QuizRequest(exam.slug, count=5, objective_codes=["1.2"]))
    codes = {aq.question.objective.code for aq in attempt.questions}
    assert codes == {"1.2"}
    assert all(aq.question.is_active for aq in attempt.questions)


def test_not_enough_questions_is_a_clear_400(app, ctx):
    """Asking for more questions than the bank holds is refused on field count, not shortened."""
    exam = gen_bank(app, per_objective=2)
    with pytest.raises(ValidationError) as info:
        services.start_quiz(user_in_db(app), QuizRequest(exam.slug, count=10))
    assert info.value.field == "count"


@pytest.mark.parametrize("count", [4, 91])
def test_count_must_be_between_5_and_90(app, ctx, count):
    """Practice counts outside 5..90 are refused."""
    exam = gen_bank(app, per_objective=4)
    with pytest.raises(ValidationError) as info:
        services.start_quiz(user_in_db(app), QuizRequest(exam.slug, count=count))
    assert info.value.field == "count"


def test_unknown_objective_is_refused(app, ctx):
    """An objective code the exam does not have is a validation error on `domains`."""
    exam = gen_bank(app, per_objective=4)
    with pytest.raises(ValidationError) as info:
        services.start_quiz(user_in_db(app), QuizRequest(exam.slug, count=5, objective_codes=["9.9"]))
    assert info.value.field == "domains"


def test_unseen_questions_come_first_then_oldest(app, ctx):
    """After answering some questions, a new draw prefers unseen ones, then the longest-ago answered."""
    exam = gen_bank(app, per_objective=2)  # 6 questions
    user = user_in_db(app)
    first = services.start_quiz(user, QuizRequest(exam.slug, count=5))
    seen = {aq.question_id for aq in first.questions}
    services.submit_attempt(user, first.id)
    second = services.start_quiz(user, QuizRequest(exam.slug, count=5))
    drawn = [aq.question_id for aq in second.questions]
    never_seen = set(db.session.scalars(sa.text("SELECT id FROM questions"))) - seen
    assert len(never_seen) == 1
    assert drawn[0] in never_seen  # the one unseen question is drawn first


def test_oldest_answered_preferred(app, ctx):
    """Among seen questions, the one answered longest ago is drawn first."""
    exam = gen_bank(app, per_objective=2)
    user = user_in_db(app)
    ids = sorted(db.session.scalars(sa.text("SELECT id FROM questions")))
    attempt = services.start_quiz(user, QuizRequest(exam.slug, count=6))
    services.submit_attempt(user, attempt.id)
    base = utcnow() - timedelta(days=10)
    for offset, qid in enumerate(ids):  # ids[0] answered longest ago
        db.session.execute(sa.update(Answer).where(Answer.question_id == qid)
                           .values(answered_at=base + timedelta(hours=offset)))
    db.session.commit()
    again = services.start_quiz(user, QuizRequest(exam.slug, count=5))
    assert [aq.question_id for aq in again.questions] == ids[:5]


def test_choice_order_is_shuffled_and_stable(app, ctx):
    """Choice order is shuffled per attempt, stored, and the same on every reload."""
    exam = gen_bank(app, per_objective=10)
    user = user_in_db(app)
    attempt = services.start_quiz(user, QuizRequest(exam.slug, count=20), rng=random.Random(7))
    orders = [list(aq.choice_order) for aq in attempt.questions]
    natural = [sorted(o) for o in orders]
    assert orders != natural  # at least one question is shuffled
    db.session.expire_all()
    reloaded = services.get_attempt(user, attempt.id)
    assert [list(aq.choice_order) for aq in reloaded.questions] == orders
    assert [[c.id for c in services.shown_choices(aq)] for aq in reloaded.questions] == orders


def test_one_quiz_in_progress_per_user(app, ctx):
    """Starting a second quiz raises QuizInProgress carrying the open quiz's id."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    first = services.start_quiz(user, QuizRequest(exam.slug, count=5))
    with pytest.raises(services.QuizInProgress) as info:
        services.start_quiz(user, QuizRequest(exam.slug, count=5))
    assert info.value.quiz_id == first.id and info.value.extra == {"quiz_id": first.id}


def test_database_enforces_one_in_progress(app, ctx):
    """The partial unique index refuses a second in-progress row even if Python checks are skipped."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    services.start_quiz(user, QuizRequest(exam.slug, count=5))
    db.session.add(QuizAttempt(user_id=user.id, exam_id=exam.id, mode="practice", status="in_progress",
                               question_count=5))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_answer_after_deadline_is_refused_and_attempt_scored(app, ctx):
    """Past the deadline a save is refused with ATTEMPT_CLOSED and the attempt is scored automatically."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    attempt = services.start_quiz(user, QuizRequest(exam.slug, count=5))
    first = attempt.questions[0]
    later = attempt.expires_at + timedelta(seconds=1)
    with pytest.raises(services.AttemptClosed):
        services.save_answer(user, attempt.id, first.question_id, _correct_ids(first.question_id), now=later)
    result = db.session.get(AttemptResult, attempt.id)
    assert result is not None and result.correct == 0 and result.total == 5
    assert result.time_used_seconds == attempt.time_limit_seconds


def test_expired_attempt_counts_unanswered_wrong(app, ctx):
    """Answered questions keep their credit; unanswered ones count wrong when time runs out."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    attempt = services.start_quiz(user, QuizRequest(exam.slug, count=5))
    for aq in attempt.questions[:2]:
        services.save_answer(user, attempt.id, aq.question_id, _correct_ids(aq.question_id))
    later = attempt.expires_at + timedelta(minutes=5)
    reloaded = services.get_attempt(user, attempt.id, now=later)
    assert reloaded.status == "completed"
    body = services.stored_result(attempt.id)
    assert body["correct"] == 2 and body["total"] == 5 and body["score_percent"] == 40.0


def test_untimed_practice_has_no_deadline(app, ctx):
    """An untimed practice quiz has no time limit and no deadline."""
    exam = gen_bank(app, per_objective=4)
    attempt = services.start_quiz(user_in_db(app), QuizRequest(exam.slug, count=5, timed=False))
    assert attempt.expires_at is None and attempt.time_limit_seconds is None and attempt.timed is False


def test_timed_practice_gets_72_seconds_per_question(app, ctx):
    """The default pace is the real exam's: 72 seconds a question."""
    exam = gen_bank(app, per_objective=4)
    attempt = services.start_quiz(user_in_db(app), QuizRequest(exam.slug, count=10))
    assert attempt.time_limit_seconds == 720
    assert (attempt.expires_at - attempt.started_at) == timedelta(seconds=720)


def test_multiple_answer_scoring_needs_the_exact_set(app, ctx):
    """A multiple-answer question is correct only with exactly the right choices."""
    exam = gen_exam(app, slug="multi")
    for _ in range(5):
        gen_multiple_question(app, exam, objective="2.1")
    user = user_in_db(app)
    attempt = services.start_quiz(user, QuizRequest(exam.slug, count=5))
    q = [aq.question_id for aq in attempt.questions]
    services.save_answer(user, attempt.id, q[0], _correct_ids(q[0]))                      # exact: right
    services.save_answer(user, attempt.id, q[1], _correct_ids(q[1])[:1])                  # partial: wrong
    services.save_answer(user, attempt.id, q[2], [_correct_ids(q[2])[0], _wrong_id(q[2])])  # mixed: wrong
    body = services.submit_attempt(user, attempt.id)
    verdicts = {r["question_id"]: r["is_correct"] for r in body["review"]}
    assert verdicts[q[0]] is True and verdicts[q[1]] is False and verdicts[q[2]] is False


def test_save_rejects_foreign_choice_and_too_many(app, ctx):
    """A choice from another question, or more choices than select_count, is refused."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    attempt = services.start_quiz(user, QuizRequest(exam.slug, count=5))
    a, b = attempt.questions[0], attempt.questions[1]
    with pytest.raises(ValidationError) as info:
        services.save_answer(user, attempt.id, a.question_id, [b.choice_order[0]])
    assert info.value.code == "INVALID_CHOICE"
    with pytest.raises(ValidationError) as info:
        services.save_answer(user, attempt.id, a.question_id, a.choice_order[:2])
    assert info.value.code == "WRONG_CHOICE_COUNT"


def test_another_users_attempt_is_not_found(app, ctx):
    """Attempts are private: another user gets NotFound."""
    exam = gen_bank(app, per_objective=4)
    owner, other = user_in_db(app), user_in_db(app)
    attempt = services.start_quiz(owner, QuizRequest(exam.slug, count=5))
    with pytest.raises(NotFound):
        services.get_attempt(other, attempt.id)


@pytest.mark.parametrize("percent,scaled", [(0, 100), (50, 500), (81.25, 750), (77.5, 720), (100, 900), (75, 700)])
def test_scaled_score_mapping(percent, scaled):
    """Raw percent maps linearly onto 100–900."""
    assert services.scaled_score(percent) == scaled


def test_exam_simulation_result_has_scaled_score_and_pass(app, ctx):
    """A simulation reports a scaled score, pass/fail against the exam's mark and time used."""
    exam = gen_bank(app, per_objective=36)
    user = user_in_db(app)
    attempt = services.start_quiz(user, QuizRequest(exam.slug, mode="exam"))
    for aq in attempt.questions:
        services.save_answer(user, attempt.id, aq.question_id, _correct_ids(aq.question_id))
    body = services.submit_attempt(user, attempt.id, now=attempt.started_at + timedelta(minutes=30))
    assert body["scaled_score"] == 900 and body["passed"] is True
    assert body["time_used_seconds"] == 1800
    assert {d["number"] for d in body["exam_domains"]} == {"1.0", "2.0"}
    assert sum(d["total"] for d in body["domains"]) == 90


def test_submit_is_idempotent_and_answers_recorded_once(app, ctx):
    """Submitting twice returns the identical body and writes one result and one set of answers."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    attempt = services.start_quiz(user, QuizRequest(exam.slug, count=5))
    first = services.submit_attempt(user, attempt.id)
    second = services.submit_attempt(user, attempt.id)
    assert first == second
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AttemptResult)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 5


def test_result_table_refuses_a_second_result(app, ctx):
    """The attempt id is the result's primary key: a second row for it cannot be stored."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    attempt = services.start_quiz(user, QuizRequest(exam.slug, count=5))
    body = services.submit_attempt(user, attempt.id)
    db.session.add(AttemptResult(attempt_id=attempt.id, user_id=user.id, correct=0, total=5, score_percent=0,
                                 time_used_seconds=0, body=body))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_abandon_awards_nothing_and_keeps_answers_out_of_history(app, ctx):
    """An abandoned quiz stores no result and no answers; it cannot be submitted afterwards."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    attempt = services.start_quiz(user, QuizRequest(exam.slug, count=5))
    aq = attempt.questions[0]
    services.save_answer(user, attempt.id, aq.question_id, _correct_ids(aq.question_id))
    services.abandon_attempt(user, attempt.id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0
    with pytest.raises(services.AttemptClosed):
        services.submit_attempt(user, attempt.id)
    services.start_quiz(user, QuizRequest(exam.slug, count=5))  # a new one may start


def test_review_filters(app, ctx):
    """Review lists all questions, only wrong ones, or only marked ones."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    attempt = services.start_quiz(user, QuizRequest(exam.slug, count=5))
    first = attempt.questions[0]
    services.save_answer(user, attempt.id, first.question_id, _correct_ids(first.question_id), marked=True)
    services.submit_attempt(user, attempt.id)
    assert len(services.review_items(user, attempt.id, "all")[1]) == 5
    assert len(services.review_items(user, attempt.id, "wrong")[1]) == 4
    marked = services.review_items(user, attempt.id, "marked")[1]
    assert [item.question.id for item in marked] == [first.question_id]


def test_time_spent_is_credited_per_question(app, ctx):
    """Time between actions is credited to the question being answered."""
    exam = gen_bank(app, per_objective=4)
    user = user_in_db(app)
    start = utcnow()
    attempt = services.start_quiz(user, QuizRequest(exam.slug, count=5), now=start)
    aq = attempt.questions[0]
    services.save_answer(user, attempt.id, aq.question_id, _correct_ids(aq.question_id),
                         now=start + timedelta(seconds=42))
    db.session.refresh(aq)
    assert aq.time_spent_ms == 42_000
    services.submit_attempt(user, attempt.id, now=start + timedelta(seconds=60))
    spent = db.session.scalar(sa.select(Answer.time_spent_seconds).where(Answer.question_id == aq.question_id))
    assert spent == 42


def _pbq_attempt(app):
    """A learner in a five-question practice quiz: one ordering, one matching and three single questions
    (left unanswered)."""
    exam = gen_exam(app)
    ordering = gen_ordering_question(app, exam, objective="1.1")
    matching = gen_matching_question(app, exam, objective="2.1")
    for _ in range(3):
        gen_question(app, exam, objective="1.2")
    user = user_in_db(app)
    attempt = services.start_quiz(user, QuizRequest(exam.slug, count=5))
    return user, attempt, ordering.id, matching.id


@pytest.mark.parametrize(("answer", "field", "code"), [
    ({"order": {"first": 1}}, "order", "WRONG_ANSWER_SHAPE"),
    ({"matches": {}}, "matches", "WRONG_ANSWER_SHAPE"),
    ({"choice_ids": []}, "choice_ids", "WRONG_ANSWER_SHAPE"),
    ({"order": "missing"}, "order", "MISSING_ITEM"),
    ({"order": "duplicate"}, "order", "DUPLICATE_ITEM"),
    ({"order": "foreign"}, "order", "INVALID_ITEM"),
])
def test_ordering_answer_is_checked_item_by_item(app, ctx, answer, field, code):
    """An ordering answer must list every item once and nothing else, and only as `order`."""
    user, attempt, ordering, matching = _pbq_attempt(app)
    items = pbq_key(ordering)["order"]
    foreign = int(next(iter(pbq_key(matching)["matches"])))
    shapes = {"missing": items[:-1], "duplicate": items[:-1] + items[:1], "foreign": items[:-1] + [foreign]}
    kwargs = {name: shapes.get(value, value) if isinstance(value, str) else value for name, value in answer.items()}
    with pytest.raises(ValidationError) as info:
        services.save_answer(user, attempt.id, ordering, **kwargs)
    assert (info.value.field, info.value.code) == (field, code)
    assert db.session.scalar(sa.select(AttemptQuestion.response).where(AttemptQuestion.question_id == ordering)) is None


def test_matching_answer_is_checked_item_by_item(app, ctx):
    """A matching answer names every item of the question once, each with one of its targets or null."""
    user, attempt, ordering, matching = _pbq_attempt(app)
    key = pbq_key(matching)["matches"]
    foreign = pbq_key(ordering)["order"][0]
    cases = [({"order": list(map(int, key))}, "order", "WRONG_ANSWER_SHAPE"),
             ({"matches": [0, 1, 4]}, "matches", "WRONG_ANSWER_SHAPE"),
             ({"matches": dict(list(key.items())[:2])}, "matches", "MISSING_ITEM"),
             ({"matches": {**key, str(foreign): 0}}, "matches", "INVALID_ITEM"),
             ({"matches": {**key, next(iter(key)): 5}}, f"matches.{next(iter(key))}", "INVALID_TARGET")]
    for kwargs, field, code in cases:
        with pytest.raises(ValidationError) as info:
            services.save_answer(user, attempt.id, matching, **kwargs)
        assert (info.value.field, info.value.code) == (field, code), kwargs
    partial = {**key, next(iter(key)): None}
    saved = services.save_answer(user, attempt.id, matching, matches=partial)
    assert saved.response == {"matches": {item: partial[item] for item in map(str, saved.choice_order)}}
    assert saved.is_answered and saved.answered_at is not None


def test_ordering_and_matching_score_all_or_nothing_with_item_verdicts(app, ctx):
    """One misplaced item or one wrong match makes the question wrong; the review says which items were right."""
    user, attempt, ordering, matching = _pbq_attempt(app)
    order = pbq_key(ordering)["order"]
    swapped = [order[1], order[0]] + order[2:]
    matches = pbq_key(matching)["matches"]
    first = next(iter(matches))
    services.save_answer(user, attempt.id, ordering, order=swapped)
    services.save_answer(user, attempt.id, matching, matches={**matches, first: 2})
    body = services.submit_attempt(user, attempt.id)
    assert (body["correct"], body["total"]) == (0, 5)
    review = {entry["question_id"]: entry for entry in body["review"]}
    assert review[ordering]["order"] == swapped and review[ordering]["correct_order"] == order
    assert [item["is_correct"] for item in review[ordering]["items"]] == [False, False, True, True]
    assert review[matching]["correct_matches"] == matches
    assert {str(item["id"]): item["is_correct"] for item in review[matching]["items"]} == {
        item: item != first for item in matches}
    _, items = services.review_items(user, attempt.id)
    by_question = {item.question.id: item for item in items}
    assert [(part.given, part.expected, part.is_correct) for part in by_question[ordering].parts] == [
        ("1", "2", False), ("2", "1", False), ("3", "3", True), ("4", "4", True)]
    assert [(part.item.text, part.given, part.expected) for part in by_question[matching].parts] == [
        ("SSH", "UDP 53", "TCP 22"), ("HTTPS", "TCP 443", "TCP 443"), ("SNMP agent", "UDP 161", "UDP 161")]
    assert not any(item.key_changed for item in items)


def test_entirely_right_ordering_and_matching_count_and_unanswered_do_not(app, ctx):
    """A fully right order and fully right matches score; an untouched ordering item is unanswered and wrong."""
    user, attempt, ordering, matching = _pbq_attempt(app)
    services.save_answer(user, attempt.id, ordering, order=pbq_key(ordering)["order"])
    services.save_answer(user, attempt.id, matching, matches=pbq_key(matching)["matches"])
    body = services.submit_attempt(user, attempt.id)
    assert (body["correct"], body["total"]) == (2, 5)
    assert db.session.get(AttemptResult, attempt.id).answered == 2
    user, attempt, ordering, matching = _pbq_attempt(app)
    body = services.submit_attempt(user, attempt.id)
    assert body["correct"] == 0 and db.session.get(AttemptResult, attempt.id).answered == 0
    review = {entry["question_id"]: entry for entry in body["review"]}
    assert (review[ordering]["order"], review[matching]["matches"]) == (None, None)


def test_order_from_position_menus_moves_the_changed_item():
    """Changing one position menu moves that item and closes up the rest; two moved onto one place is refused."""
    assert services.order_from_positions([10, 11, 12, 13], {10: 0, 11: 1, 12: 2, 13: 0}) == [13, 10, 11, 12]
    assert services.order_from_positions([10, 11, 12, 13], {10: 3, 11: 1, 12: 2, 13: 3}) == [11, 12, 13, 10]
    assert services.order_from_positions([10, 11, 12, 13], {10: 0, 11: 1, 12: 2, 13: 3}) == [10, 11, 12, 13]
    with pytest.raises(ValidationError) as info:
        services.order_from_positions([10, 11, 12, 13], {10: 2, 11: 2, 12: 2, 13: 3})
    assert info.value.field == "order"


def test_simulation_opens_with_three_to_five_pbqs_within_the_domain_shares(app, ctx):
    """A simulation puts 3-5 ordering/matching questions first, spread over domains, each domain keeping its share."""
    exam = gen_bank(app, per_objective=36, pbq_per_objective=4)
    for seed in range(4):
        user = user_in_db(app)
        attempt = services.start_quiz(user, QuizRequest(exam.slug, mode=QuizMode.EXAM), rng=random.Random(seed))
        kinds = [aq.question.is_pbq for aq in attempt.questions]
        leading = kinds.index(False)
        assert 3 <= leading <= 5 and not any(kinds[leading:]), kinds[:8]
        domains = [aq.question.objective.domain.number for aq in attempt.questions]
        assert (len(domains), domains.count("1.0"), domains.count("2.0")) == (90, 54, 36)
        pbq_domains = domains[:leading]
        assert "1.0" in pbq_domains and (leading < 4 or "2.0" in pbq_domains), pbq_domains
        services.abandon_attempt(user, attempt.id)


def test_simulation_without_enough_pbqs_takes_what_there_is_and_practice_mixes_them(app, ctx):
    """With two PBQs in the bank a simulation opens with those two; a practice quiz does not put them first."""
    exam = gen_bank(app, per_objective=36)
    gen_ordering_question(app, exam, objective="2.1")
    gen_matching_question(app, exam, objective="2.1")
    user = user_in_db(app)
    attempt = services.start_quiz(user, QuizRequest(exam.slug, mode=QuizMode.EXAM), rng=random.Random(1))
    assert [aq.question.is_pbq for aq in attempt.questions[:3]] == [True, True, False]
    assert sum(aq.question.is_pbq for aq in attempt.questions) == 2
    services.abandon_attempt(user, attempt.id)
    none = gen_bank(app, per_objective=36, slug="plain")
    attempt = services.start_quiz(user_in_db(app), QuizRequest(none.slug, mode=QuizMode.EXAM))
    assert not any(aq.question.is_pbq for aq in attempt.questions) and len(attempt.questions) == 90


def test_spread_keeps_each_domain_within_its_pbq_capacity():
    """The PBQ split follows the shares and moves what a domain cannot hold to the others."""
    assert services._spread([54, 36], [4, 4], 5) == [3, 2]
    assert services._spread([54, 36], [1, 4], 4) == [1, 3]
    assert services._spread([11, 20, 16, 25, 18], [0, 0, 0, 0, 2], 3) == [0, 0, 0, 0, 2]

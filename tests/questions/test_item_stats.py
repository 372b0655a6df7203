"""Item statistics (`flask questions item-stats`): the formulas on hand-computed cases, the
first-attempt rule, the suspect rules and their 30-response floor, the planted bad key of the
bench generator, and the command."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from datetime import timedelta

import pytest
import sqlalchemy as sa

from config import ROOT
from tests.factories import (choice_ids, gen_exam, gen_multiple_question, gen_ordering_question, gen_question,
                             gen_scored_attempt, gen_study_answer, gen_user, pbq_key)
from webapp.extensions import db
from webapp.models import AttemptStatus, Question, QuestionStats, QuizMode
from webapp.models.base import utcnow
from webapp.questions import item_stats
from webapp.questions.item_stats import MIN_RESPONSES, compute_item_stats, group_size

FILLERS = 4
START = utcnow() - timedelta(days=10)


@pytest.fixture
def quiz(app):
    """An exam with the question under study (single answer, A is the key) and four fillers."""
    exam = gen_exam(app)
    target = gen_question(app, exam)
    fillers = [gen_question(app, exam) for _ in range(FILLERS)]
    with app.app_context():
        choices = choice_ids(target.id) + choice_ids(target.id, correct=False)  # A (key), B, C, D
    return {"exam": exam, "target": target, "fillers": fillers, "choices": choices}


def take(app, quiz, pick: int, fillers_right: int, seconds: float = 30, user=None, **attempt) -> int:
    """One learner's attempt: the target answered with choice `pick` (0 = A, the key), then the
    fillers, the first `fillers_right` of them right; returns the attempt id."""
    user = user or gen_user(app)
    items = [{"question_id": quiz["target"].id, "selected": [quiz["choices"][pick]], "correct": pick == 0,
              "seconds": seconds}]
    items += [{"question_id": f.id, "correct": i < fillers_right} for i, f in enumerate(quiz["fillers"])]
    return gen_scored_attempt(app, user, quiz["exam"], items, **attempt)


def stats_of(app, question_id: int) -> QuestionStats:
    """Run the computation and return the question's row."""
    with app.app_context():
        compute_item_stats()
        row = db.session.get(QuestionStats, question_id)
        db.session.expunge(row)
        return row


def letter_counts(quiz, row: QuestionStats, group: str) -> list[int]:
    """A, B, C, D counts of one group (all, top, bottom)."""
    return [row.choice_counts[str(cid)][group] for cid in quiz["choices"]]


def test_facility_discrimination_and_median_match_a_hand_calculation(app, quiz):
    """Five learners: facility 60, median time 30 s, and the point-biserial r of the item with the
    rest of the attempt equals the hand-computed 0.2 / sqrt(6.24)."""
    # (pick, fillers right, seconds): item scores x = 1 1 0 0 1; the rest of each attempt is
    # fillers right / 4, i.e. y = 4 3 3 2 0 in quarters (r does not depend on the scale).
    # By hand: mean x 0.6, mean y 2.4; sum dx*dy = .64 + .24 - .36 + .24 - .96 = -0.2,
    # sum dx^2 = 1.2, sum dy^2 = 9.2, so r = -0.2 / sqrt(1.2 * 9.2) = -0.0602.
    plan = [(0, 4, 10), (0, 3, 50), (1, 3, 20), (2, 2, 40), (0, 0, 30)]
    for pick, right, seconds in plan:
        take(app, quiz, pick, right, seconds)
    row = stats_of(app, quiz["target"].id)
    xs, ys = [1, 1, 0, 0, 1], [4, 3, 3, 2, 0]
    mx, my = sum(xs) / 5, sum(ys) / 5
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    assert (round(sxy, 9), round(sxx, 9), round(syy, 9)) == (-0.2, 1.2, 9.2)
    assert row.responses == 5
    assert row.facility == 60.0
    assert row.discrimination == pytest.approx(-0.2 / math.sqrt(1.2 * 9.2), abs=1e-4)
    assert row.median_seconds == 30.0
    assert letter_counts(quiz, row, "all") == [3, 1, 1, 0]


def test_point_biserial_is_none_without_variance(app, quiz):
    """Everyone right (no variance in the item) leaves the discrimination undefined (None)."""
    for right in (0, 2, 4):
        take(app, quiz, 0, right)
    row = stats_of(app, quiz["target"].id)
    assert row.responses == 3 and row.facility == 100.0
    assert row.discrimination is None
    assert item_stats.point_biserial([(1, 0.5), (0, 0.5)]) is None


def test_top_and_bottom_27_percent_groups_count_choices(app, quiz):
    """Ten learners: groups of round(2.7) = 3 by attempt score, ties broken by the earlier
    attempt; the choice counts of each group are the picks of exactly those learners."""
    # Attempt scores (item + fillers, out of 5), in attempt-id order:
    # 5/5 A, 4/5 B, 4/5 B, 4/5 C (ties: the earlier two join the top), 3/5 A, 2/5 A,
    # 1/5 D, 1/5 C, 1/5 B, 0/5 B (bottom: the last three in rank order).
    plan = [(0, 4), (1, 4), (1, 4), (2, 4), (0, 2), (0, 1), (3, 1), (2, 1), (1, 1), (1, 0)]
    for pick, right in plan:
        take(app, quiz, pick, right)
    row = stats_of(app, quiz["target"].id)
    assert group_size(10) == 3 and group_size(30) == 8 and group_size(2) == 1 and group_size(1) == 0
    assert (row.top_group, row.bottom_group) == (3, 3)
    assert letter_counts(quiz, row, "top") == [1, 2, 0, 0]
    assert letter_counts(quiz, row, "bottom") == [0, 2, 1, 0]
    assert letter_counts(quiz, row, "all") == [3, 4, 2, 1]


def test_only_each_learners_first_completed_scored_attempt_counts(app, quiz):
    """The first response is the earliest submitted completed practice/simulation attempt (ties on
    submission time: the lower attempt id); later attempts, attempts submitted later despite a
    lower id, in-progress and abandoned attempts, study-mode attempts and study answers do not count."""
    learner = gen_user(app)
    # Created first (lower id) but submitted later: not the first.
    take(app, quiz, 1, 4, user=learner, finished_at=START + timedelta(days=2))
    take(app, quiz, 0, 4, user=learner, finished_at=START + timedelta(days=1))  # the first: right
    take(app, quiz, 2, 4, user=learner, finished_at=START + timedelta(days=3), mode=QuizMode.EXAM.value)
    other = gen_user(app)
    take(app, quiz, 0, 0, user=other, finished_at=START, status=AttemptStatus.ABANDONED.value)
    take(app, quiz, 0, 0, user=other, finished_at=START, mode=QuizMode.STUDY.value)
    gen_study_answer(app, other, quiz["target"], True, answered_at=START)
    take(app, quiz, 3, 0, user=other, finished_at=START + timedelta(days=5))  # the first: wrong (D)
    take(app, quiz, 0, 0, user=other, finished_at=START + timedelta(days=5))
    take(app, quiz, 0, 0, user=other, status=AttemptStatus.IN_PROGRESS.value)
    row = stats_of(app, quiz["target"].id)
    assert row.responses == 2
    assert row.facility == 50.0
    assert letter_counts(quiz, row, "all") == [1, 0, 0, 1]


def suspect_plan_discrimination(n: int) -> list[tuple[int, int]]:
    """Strong learners miss the item more than weak ones, but spread over three distractors, so
    no single distractor beats the key in the top group: only the discrimination rule fires."""
    strong = [(0, 4)] * 4 + [((i % 3) + 1, 4) for i in range(12)]  # 4 right, 12 wrong over B, C, D
    weak = [(0, 0)] * 20 + [(1, 0), (2, 0), (1, 0), (2, 0)]
    return (strong + weak)[:n]


def test_negative_discrimination_is_suspect(app, quiz):
    """40 responses where the stronger learners miss the item: marked suspect for its discrimination
    alone, with the figure in the reason and a score of 1 + |r|."""
    for pick, right in suspect_plan_discrimination(40):
        take(app, quiz, pick, right)
    row = stats_of(app, quiz["target"].id)
    assert row.responses == 40 and row.facility == 60.0
    assert row.discrimination < 0
    assert row.is_suspect
    assert row.suspect_reasons == [f"Discrimination {row.discrimination:.2f} is below 0: learners who score well on "
                                   "the rest of the quiz get it wrong more often"]
    assert row.suspicion_score == pytest.approx(1 - row.discrimination, abs=1e-3)


def test_distractor_beating_the_key_in_the_top_group_is_suspect(app, quiz):
    """The top 11 of 40 pick distractor B 7 times and the key 4 times: suspect for that alone,
    with both counts in the reason."""
    plan = [(0, 4)] * 4 + [(1, 4)] * 7 + [(0, 0)] * 8 + [(2, 0), (3, 0)] * 10 + [(1, 0)]
    for pick, right in plan:
        take(app, quiz, pick, right)
    row = stats_of(app, quiz["target"].id)
    assert row.responses == 40 and row.top_group == 11
    assert letter_counts(quiz, row, "top") == [4, 7, 0, 0]
    assert row.discrimination > 0 and 20 <= row.facility <= 95
    assert row.suspect_reasons == ["Distractor B was picked by 7 of the top 11 scorers, the key A by 4"]
    assert row.suspicion_score == pytest.approx(1 + 3 / 11, abs=1e-3)


def test_low_facility_is_suspect(app, quiz):
    """6 right out of 40 (15%): suspect for facility alone."""
    plan = [(0, 4)] * 6 + [((i % 3) + 1, 2) for i in range(34)]
    for pick, right in plan:
        take(app, quiz, pick, right)
    row = stats_of(app, quiz["target"].id)
    assert row.facility == 15.0 and row.discrimination > 0
    assert row.suspect_reasons == ["Facility 15.0% is below 20%"]
    assert row.suspicion_score == pytest.approx(1.25)


def test_high_facility_is_suspect(app, quiz):
    """39 right out of 40 (97.5%): suspect for facility alone."""
    plan = [(0, i % 5) for i in range(39)] + [(1, 0)]
    for pick, right in plan:
        take(app, quiz, pick, right)
    row = stats_of(app, quiz["target"].id)
    assert row.facility == 97.5 and row.discrimination > 0
    assert row.suspect_reasons == ["Facility 97.5% is above 95%"]
    assert row.suspicion_score == pytest.approx(1.5)


def test_no_rule_fires_under_30_responses(app, quiz):
    """29 responses shaped like the negative-discrimination case: statistics written, nothing suspect."""
    for pick, right in suspect_plan_discrimination(MIN_RESPONSES - 1):
        take(app, quiz, pick, right)
    row = stats_of(app, quiz["target"].id)
    assert row.responses == MIN_RESPONSES - 1
    assert row.discrimination < 0
    assert (row.is_suspect, row.suspect_reasons, row.suspicion_score) == (False, [], 0.0)


def test_multiple_answer_wrong_choice_beating_a_correct_one_is_suspect(app):
    """Multi-select (A and B correct): the top group picks wrong C more often than correct B."""
    exam = gen_exam(app)
    question = gen_multiple_question(app, exam)
    fillers = [gen_question(app, exam) for _ in range(FILLERS)]
    with app.app_context():
        a, b = choice_ids(question.id)
        c, d, e = choice_ids(question.id, correct=False)
    for index in range(40):
        strong = index < 20  # 5 right (A+B), 15 with wrong C instead of B
        picked = ([a, c] if index % 4 else [a, b]) if strong else [d, e]
        right = 4 if strong else index % 3
        items = [{"question_id": question.id, "selected": picked, "correct": picked == [a, b]}]
        items += [{"question_id": f.id, "correct": i < right} for i, f in enumerate(fillers)]
        gen_scored_attempt(app, gen_user(app), exam, items)
    row = stats_of(app, question.id)
    top = {cid: row.choice_counts[str(cid)]["top"] for cid in (a, b, c)}
    assert row.top_group == 11
    assert (top[a], top[b], top[c]) == (11, 5, 6)
    assert f"Distractor C was picked by {top[c]} of the top 11 scorers, correct choice B by {top[b]}" \
        in row.suspect_reasons


def test_ordering_items_count_the_items_placed_correctly(app):
    """An ordering question's counts are per item: how many placed it in its right position."""
    exam = gen_exam(app)
    question = gen_ordering_question(app, exam, count=3)
    with app.app_context():
        key = pbq_key(question.id)["order"]
    answers = [key, [key[0], key[2], key[1]], list(reversed(key))]
    for order in answers:
        gen_scored_attempt(app, gen_user(app), exam, [{"question_id": question.id, "response": {"order": order},
                                                       "correct": order == key}])
    row = stats_of(app, question.id)
    assert row.responses == 3 and row.facility == pytest.approx(33.33)
    assert [row.choice_counts[str(item)]["all"] for item in key] == [2, 2, 1]


def test_questions_without_responses_get_an_empty_row(app, quiz):
    """Every question gets a row; one nobody answered has 0 responses and no figures."""
    take(app, quiz, 0, 4)
    row = stats_of(app, quiz["fillers"][0].id)
    idle = gen_question(app, quiz["exam"])
    with app.app_context():
        compute_item_stats()
        empty = db.session.get(QuestionStats, idle.id)
        assert (empty.responses, empty.facility, empty.discrimination, empty.is_suspect) == (0, None, None, False)
    assert row.responses == 1


def test_command_prints_its_summary_and_reruns_update_rows(app, quiz):
    """`flask questions item-stats` prints the summary; a second run updates the same rows
    (one per question, no duplicates) with the new figures."""
    for pick, right in [(0, 4), (1, 0)]:
        take(app, quiz, pick, right)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["questions", "item-stats"])
    assert first.exit_code == 0, first.output
    assert re.search(r"Item statistics: 5 questions, 10 first responses, \d+ suspect, in [\d.]+s", first.output)
    take(app, quiz, 0, 2)
    second = runner.invoke(args=["questions", "item-stats"])
    assert "5 questions, 15 first responses" in second.output
    with app.app_context():
        rows = db.session.execute(sa.select(QuestionStats.question_id, QuestionStats.responses)).all()
        assert len(rows) == 5 == db.session.scalar(sa.select(sa.func.count()).select_from(Question))
        assert dict(rows)[quiz["target"].id] == 3


def test_the_planted_bad_key_of_the_bench_generator_is_flagged(app):
    """A small data set from bench/generate_data.py (its planted wrong key on): item-stats marks
    the planted question suspect, as the most suspect question of the bank."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # the generator writes through its own connections
    proc = subprocess.run([sys.executable, "bench/generate_data.py", "--database-url", url, "--users", "1500",
                           "--answers", "40000", "--heavy-answers", "600", "--no-gamification"],
                          cwd=ROOT, capture_output=True, text=True, check=False, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    planted = re.search(r"planted bad key: question \d+ \((?P<external_id>[^)]+)\)", proc.stdout)
    assert planted, proc.stdout[-2000:]
    with app.app_context():
        compute_item_stats()
        question_id = db.session.scalar(sa.select(Question.id).where(
            Question.external_id == planted["external_id"]))
        row = db.session.get(QuestionStats, question_id)
        single_ranks = db.session.scalars(
            sa.select(QuestionStats.question_id).join(Question, Question.id == QuestionStats.question_id)
            .where(Question.type == "single").order_by(QuestionStats.suspicion_score.desc())).all()
    assert row.responses >= MIN_RESPONSES
    assert row.is_suspect
    assert any(reason.startswith("Distractor") for reason in row.suspect_reasons), row.suspect_reasons
    assert single_ranks[0] == question_id

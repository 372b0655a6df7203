"""Readiness maths on hand-computed cases: the pass mark per exam, certain learners, an exact
beta-binomial computation of the pass probability, the interval, stability and `missing`."""

from __future__ import annotations

import math
from datetime import datetime, timezone

import numpy as np
import pytest
import sqlalchemy as sa

from tests.factories import gen_bank, gen_exam, gen_learning_rows, gen_study_answers, gen_user
from webapp.extensions import db
from webapp.learning.readiness import pass_mark, readiness, simulate
from webapp.models import Exam, Question
from tests.learning.helpers import questions_by_objective, with_learning

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
SCALE = (100, 900)


@pytest.mark.parametrize(("passing", "raw"), [(750, 74), (720, 70), (700, 68), (675, 65)])
def test_the_pass_mark_is_the_least_raw_score_that_scales_to_the_passing_score(app, passing, raw):
    """Out of 90, linear 100-900: 74 for 750 (73 scales to 749), 70 for 720, 68 for 700, 65 for 675."""
    exam = gen_exam(app)
    with app.app_context():
        fresh = db.session.get(Exam, exam.id)
        fresh.passing_score = passing
        assert pass_mark(fresh) == raw
    assert round(100 + 800 * (raw - 1) / 90) < passing <= round(100 + 800 * raw / 90)


@pytest.mark.parametrize(("accuracy", "expected"), [(0.97, 1.0), (0.5, 0.0)])
def test_a_certain_learner_passes_surely_or_never(accuracy, expected):
    """A posterior of a million answers at 97% passes a 74/90 exam almost surely; at 50%, almost never."""
    n = 1e6
    passed, interval, score, _score_interval = simulate(
        np.array([n * accuracy] * 2), np.array([n * (1 - accuracy)] * 2), np.array([54, 36]), 74, 10000, 0.8,
        np.random.default_rng(1), SCALE)
    assert passed == pytest.approx(expected, abs=0.01)
    assert interval[0] <= passed <= interval[1]
    assert score == pytest.approx(100 + 800 * accuracy, abs=2)


def _beta_binomial(n: int, a: float, b: float) -> list[float]:
    """P(k right of n) when the accuracy is Beta(a, b)."""
    def log_beta(x, y):
        return math.lgamma(x) + math.lgamma(y) - math.lgamma(x + y)
    return [math.exp(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
                     + log_beta(k + a, n - k + b) - log_beta(a, b)) for k in range(n + 1)]


def _exact_raw_distribution(domains: list[tuple[int, float, float]]) -> list[float]:
    """The distribution of the raw score: the convolution of each domain's beta-binomial."""
    total = [1.0]
    for n, a, b in domains:
        pmf = _beta_binomial(n, a, b)
        result = [0.0] * (len(total) + n)
        for i, p in enumerate(total):
            for k, q in enumerate(pmf):
                result[i + k] += p * q
        total = result
    return total



@pytest.fixture
def ready_learner(app):
    """All answered at NOW: 1.1 16 of 20 right (domain 1.0: Beta(17, 5)), 2.1 12 of 15 (2.0: Beta(13, 4))."""
    exam = gen_bank(app, per_objective=4)
    user = gen_user(app, username="ready")
    questions = questions_by_objective(app, exam)
    gen_study_answers(app, user, questions["1.1"][0], [True] * 16 + [False] * 4, answered_at=NOW)
    gen_study_answers(app, user, questions["2.1"][0], [True] * 12 + [False] * 3, answered_at=NOW)
    gen_learning_rows(app, user)
    return exam, user


def test_the_pass_probability_matches_the_exact_beta_binomial_sum(app, ready_learner, monkeypatch):
    """16 of 20 right on 1.0 and 12 of 15 on 2.0 under the learner's prior (2 answers at 29/37),
    each moved by the learning term of its answers (20 and 15, all now): 54 questions at
    Beta(16 + 58/37, 4 + 16/37) and 36 at Beta(12 + 58/37, 3 + 16/37) so moved, pass at 74: the
    simulation (40,000 draws here: Monte Carlo standard error 0.0025) is within 0.01 of the exact
    beta-binomial sum."""
    exam, user = ready_learner
    monkeypatch.setitem(app.config, "READINESS_SIMULATIONS", 40000)
    pa, pb = 2 * 29 / 37, 2 * 8 / 37
    first, second = with_learning(16 + pa, 4 + pb, 20), with_learning(12 + pa, 3 + pb, 15)
    distribution = _exact_raw_distribution([(54, *first), (36, *second)])
    assert sum(distribution) == pytest.approx(1.0, abs=1e-9)
    exact = sum(distribution[74:])
    mean_raw = sum(k * p for k, p in enumerate(distribution))
    with app.app_context():
        result = readiness(user.id, db.session.get(Exam, exam.id), NOW)
    assert 0.05 < exact < 0.95  # a case where the maths matters, not a certain one
    assert result.pass_probability == pytest.approx(exact, abs=0.01)
    assert result.expected_scaled_score == pytest.approx(100 + 800 * mean_raw / 90, abs=3)
    assert result.interval[0] <= result.pass_probability <= result.interval[1]
    assert result.scaled_interval[0] <= result.expected_scaled_score <= result.scaled_interval[1]
    assert [(b.domain, b.questions, b.answers, b.correct) for b in result.basis] == [("1.0", 54, 20, 16),
                                                                                    ("2.0", 36, 15, 12)]
    assert result.missing == []


def test_readiness_is_stable_between_calls(app, ready_learner):
    """Two calls with the same answers give the same figures (the draws are seeded from the learner's answers)."""
    exam, user = ready_learner
    with app.app_context():
        fresh = db.session.get(Exam, exam.id)
        first, second = readiness(user.id, fresh, NOW), readiness(user.id, fresh, NOW)
    assert (first.pass_probability, first.interval, first.expected_scaled_score, first.scaled_interval) == (
        second.pass_probability, second.interval, second.expected_scaled_score, second.scaled_interval)


def test_missing_lists_exactly_the_short_domains(app):
    """14 answers on 2.0 (one short) and 15 on 1.0: missing is 2.0 needing 1, and no estimate is made."""
    exam = gen_bank(app, per_objective=4)
    user = gen_user(app, username="short")
    questions = questions_by_objective(app, exam)
    gen_study_answers(app, user, questions["1.2"][0], [True] * 15, answered_at=NOW)
    gen_study_answers(app, user, questions["2.1"][0], [True] * 14, answered_at=NOW)
    gen_learning_rows(app, user)
    with app.app_context():
        result = readiness(user.id, db.session.get(Exam, exam.id), NOW)
    assert [(b.domain, b.needed) for b in result.missing] == [("2.0", 1)]
    assert (result.pass_probability, result.interval, result.expected_scaled_score) == (None, None, None)
    assert [b.needed for b in result.basis] == [0, 1]

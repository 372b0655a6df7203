"""The small, seeded calibration check (docs/LEARNING.md, "Calibration"): synthetic learners study
and practise through the services, readiness is read just before an exam simulation, and the
predictions are scored against what happened.

It runs bench/calibration.py's own simulation (the same learners, the same services) on a
compact exam: the demo blueprint's two domains and a 10-question simulation, with lighter
practice: 100 learners are about 5,000 service calls, about a minute of CPU on SQLite (slow for
a test, but the check needs that many learners). The full benchmark (2,000 learners on the
bundled Security+ bank) is `python bench/calibration.py`.

No bound on the expected calibration error here: with 100 learners and a 10-question exam the
sampling noise alone gives an ECE of about 0.15 (the report's oracle, which predicts from the
learners' true accuracies, scores that), so a bound loose enough to pass would catch nothing.
The Brier score against the baseline is the stable check, with two of the model's own: the
learning rate the practice answers show agrees with MASTERY_LEARNING_RATE, and the posterior mean
keeps up with the learners' true accuracy (the lag the learning term removes).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bench.calibration import Report, Scores, World, learning_curve, simulate
from tests.factories import gen_bank
from webapp.extensions import db
from webapp.models import Exam, User

LEARNERS = 100
SEED = 1515
# Lighter practice than the benchmark's world (the exam is a ninth of the size); the learners'
# truth (ability, learning, forgetting) is the same.
SMALL_WORLD = World(volume_low=10, volume_high=40, study_counts=(10, 10), practice_counts=(10, 15),
                    final_counts=(10,))


@pytest.fixture(scope="module")
def report(app) -> Report:
    """The small calibration run, once for the module."""
    exam = gen_bank(app, per_objective=12, multiple_per_objective=2, pbq_per_objective=2, slug="calibration")
    with app.app_context():
        db.session.execute(sa.update(Exam).where(Exam.id == exam.id).values(question_count=10, duration_minutes=10))
        db.session.commit()
        first = (db.session.scalar(sa.select(sa.func.max(User.id))) or 0) + 1
        return Report(simulate(list(range(LEARNERS)), SEED, exam.slug, first, SMALL_WORLD))


def test_the_small_calibration_gives_every_learner_an_estimate_and_beats_the_baseline(report):
    """Every learner reaches READINESS_MIN_ANSWERS per domain, the outcomes are mixed, and the
    Brier score beats "the last practice score passes"."""
    assert len(report.counted) == LEARNERS
    assert 0.15 < sum(o.passed for o in report.counted) / LEARNERS < 0.85
    assert report.model.brier < report.baseline.brier, report.lines()


def test_the_small_calibration_learns_as_the_model_assumes_and_the_estimate_keeps_up(app, report):
    """The practice answers' learning curve (fixed-effects logit on ln(1 + earlier answers)) is
    within 3 standard errors of MASTERY_LEARNING_RATE, and the posterior mean is within 2 points
    of the true accuracy on average (without the learning term it trails by about 2.4)."""
    rate, error, groups = learning_curve(report.counted)
    assert groups >= LEARNERS and 0 < error < 0.1
    assert abs(rate - app.config["MASTERY_LEARNING_RATE"]) < 3 * error, (rate, error)
    bias = sum(o.posterior_bias for o in report.counted) / len(report.counted)
    assert abs(bias) < 0.02, report.lines()
    assert sum(o.learning_term for o in report.counted) > 0


def test_the_scores_are_the_hand_computed_ones():
    """Reliability bins, ECE (bins weighted by size) and Brier on four hand-computed predictions."""
    scores = Scores.of([0.05, 0.15, 0.12, 0.95], [False, True, False, True])
    low_bin, second_bin, top_bin = scores.bins[0], scores.bins[1], scores.bins[9]
    assert (low_bin.n, second_bin.n, top_bin.n) == (1, 2, 1)
    assert second_bin.mean_predicted == pytest.approx(0.135) and second_bin.pass_rate == 0.5
    # |0.05 - 0| * 1/4 + |0.135 - 0.5| * 2/4 + |0.95 - 1| * 1/4
    assert scores.ece == pytest.approx(0.05 / 4 + 0.365 / 2 + 0.05 / 4)
    assert scores.brier == pytest.approx((0.05 ** 2 + 0.85 ** 2 + 0.12 ** 2 + 0.05 ** 2) / 4)

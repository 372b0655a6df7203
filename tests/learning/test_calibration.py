"""The small, seeded calibration check (docs/LEARNING.md, "Calibration"): synthetic learners study
and practise through the services, readiness is read just before an exam simulation, and the
predictions must be calibrated within loose bounds and beat the naive baseline.

It runs bench/calibration.py's own simulation on a compact exam (two domains, a 10-question
simulation, READINESS_MIN_ANSWERS lowered to 5), so 150 learners fit in about half a minute; the
full benchmark (2,000 learners on the bundled Security+ bank) is `python bench/calibration.py`.
"""

from __future__ import annotations

import sqlalchemy as sa

from bench.calibration import Report, World, simulate
from tests.factories import gen_bank
from webapp.extensions import db
from webapp.models import Exam, User

LEARNERS = 150
SEED = 1515
# Fewer answers than the benchmark's world (the exam is a ninth of the size); the learners' truth
# (ability, learning, forgetting) is the same.
SMALL_WORLD = World(volume_low=5, volume_high=40, study_counts=(5, 10), practice_counts=(5, 10),
                    final_counts=(10,))
ECE_BOUND = 0.12


def _compact_exam(app) -> Exam:
    """The demo blueprint (60/40) with single, multiple, ordering and matching questions, and a
    10-question, 10-minute simulation passed at 750."""
    exam = gen_bank(app, per_objective=8, multiple_per_objective=2, pbq_per_objective=2, slug="calibration")
    with app.app_context():
        db.session.execute(sa.update(Exam).where(Exam.id == exam.id).values(question_count=10, duration_minutes=10))
        db.session.commit()
    return exam


def test_a_small_seeded_calibration_is_calibrated_and_beats_the_baseline(app, monkeypatch):
    """150 learners: every one gets an estimate, the ECE is at most 0.12 and the Brier score beats
    "the last practice score passes"."""
    exam = _compact_exam(app)
    monkeypatch.setitem(app.config, "READINESS_MIN_ANSWERS", 5)
    with app.app_context():
        first = (db.session.scalar(sa.select(sa.func.max(User.id))) or 0) + 1
        outcomes = simulate(list(range(LEARNERS)), SEED, exam.slug, first, SMALL_WORLD)
    report = Report(outcomes)
    print("\n".join(report.lines()))
    assert len(report.counted) == LEARNERS
    assert 0.15 < sum(o.passed for o in report.counted) / LEARNERS < 0.85  # predictions have something to sort
    assert report.model.ece <= ECE_BOUND, report.lines()
    assert report.model.brier < report.baseline.brier, report.lines()

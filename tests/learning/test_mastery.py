"""Mastery per objective: the decayed Beta posterior's stored sums against the formula computed by
hand, answers out of order, stored equal to rebuilt, the prior alone, and the display memo."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from tests.factories import gen_bank, gen_learning_rows, gen_study_answers, gen_user
from webapp.extensions import db
from webapp.learning import display, mastery
from webapp.learning.reviews import AnswerFact
from webapp.learning.services import facts_of, record_answers
from webapp.models import Answer, Exam, Objective, ObjectiveMastery, Question, User
from tests.learning.helpers import with_learning

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
HALF_LIFE = 30.0  # MASTERY_HALF_LIFE_DAYS


@pytest.fixture
def bank(app):
    """The demo exam (objectives 1.1, 1.2, 2.1, four questions each) and a learner."""
    exam = gen_bank(app, per_objective=4)
    user = gen_user(app, username="learner")
    with app.app_context():
        question = db.session.scalars(sa.select(Question).join(Objective).where(Objective.code == "1.1")
                                      .order_by(Question.id)).first()
        db.session.expunge(question)
    return exam, user, question


def _facts(question, outcomes_at) -> list[AnswerFact]:
    return [AnswerFact(1000 + n, question.id, question.exam_id, question.objective_id, right, None, 30, when)
            for n, (right, when) in enumerate(outcomes_at)]


def _row(user, question) -> ObjectiveMastery:
    return db.session.get(ObjectiveMastery, (user.id, question.objective_id))


# Right at T0, wrong at T0 + 10 days, right at T0 + 40 days: as of T0 + 40 the weights are
# 2^(-40/30), 2^(-30/30) and 1.
ANSWERS = [(True, T0), (False, T0 + timedelta(days=10)), (True, T0 + timedelta(days=40))]
W = [2 ** (-40 / HALF_LIFE), 2 ** (-30 / HALF_LIFE), 1.0]


def test_the_stored_decayed_sums_equal_the_formula(app, ctx, bank):
    """Three answers on known dates leave weighted sums 2^(-40/30) + 1/2 + 1 and 2^(-40/30) + 1, as of the last."""
    exam, user, question = bank
    mastery.record_mastery(user.id, exam.id, _facts(question, ANSWERS))
    db.session.commit()
    row = _row(user, question)
    assert row.as_of == T0 + timedelta(days=40)
    assert row.weighted_answers == pytest.approx(sum(W), rel=1e-12)
    assert row.weighted_correct == pytest.approx(W[0] + W[2], rel=1e-12)
    assert (row.answers, row.correct) == (3, 2)


def test_answers_recorded_out_of_order_give_the_same_sums(app, ctx, bank):
    """The latest answer first, then the two earlier ones, one call each: the same sums, as of the latest."""
    exam, user, question = bank
    facts = _facts(question, ANSWERS)
    for fact in (facts[2], facts[0], facts[1]):
        mastery.record_mastery(user.id, exam.id, [fact])
    db.session.commit()
    row = _row(user, question)
    assert row.as_of == T0 + timedelta(days=40)
    assert (row.weighted_answers, row.weighted_correct) == (pytest.approx(sum(W), rel=1e-12),
                                                            pytest.approx(W[0] + W[2], rel=1e-12))


def test_the_posterior_read_later_decays_the_evidence(app, ctx, bank):
    """Read 30 days after the last answer, the evidence halves; the prior is the learner's own:
    2 pseudo-answers at (1 + right) / (2 + total) over the exam, here this one objective; the
    learning term of 3 answers, 0.14 x (ln 4 - ln(3!) / 3) logits, has halved too."""
    exam, user, question = bank
    mastery.record_mastery(user.id, exam.id, _facts(question, ANSWERS))
    db.session.commit()
    later = T0 + timedelta(days=70)
    posterior = mastery.objective_posteriors(user.id, exam.id, later)[question.objective_id]
    right, total = (W[0] + W[2]) / 2, sum(W) / 2
    level = (1 + right) / (2 + total)
    alpha, beta = 2 * level + right, 2 * (1 - level) + (total - right)
    shift = 0.14 * (math.log(4) - math.log(6) / 3) / 2
    mean = 1 / (1 + math.exp(-(math.log(alpha / beta) + shift)))
    assert posterior.alpha == pytest.approx((alpha + beta) * mean, rel=1e-12)
    assert posterior.beta == pytest.approx((alpha + beta) * (1 - mean), rel=1e-12)
    assert (posterior.alpha, posterior.beta) == pytest.approx(with_learning(alpha, beta, 3, 30.0), rel=1e-12)
    assert posterior.weighted_answers == pytest.approx(total, rel=1e-12)
    assert posterior.weighted_correct == pytest.approx(right, rel=1e-12)


def test_the_stored_rows_equal_a_rebuild_from_the_answers(app, bank):
    """Answers recorded as they are stored, on two objectives and out of order, equal `rebuild`'s rows."""
    exam, user, question = bank
    with app.app_context():
        other = db.session.scalars(sa.select(Question).join(Objective).where(Objective.code == "2.1")).first()
        db.session.expunge(other)
    for q, outcomes, when in ((question, [True, False], T0 + timedelta(days=5)), (other, [False], T0),
                              (question, [True], T0)):
        gen_study_answers(app, user, q, outcomes, answered_at=when)
        with app.app_context():
            latest = sa.select(Answer).where(Answer.user_id == user.id).order_by(Answer.id.desc()).limit(len(outcomes))
            record_answers(user.id, exam.id, facts_of(sa.select(Answer).where(Answer.id.in_(
                latest.with_only_columns(Answer.id).scalar_subquery()))))
            db.session.commit()

    def rows():
        with app.app_context():
            return sorted((r.objective_id, round(r.weighted_answers, 12), round(r.weighted_correct, 12), r.as_of,
                           r.answers, r.correct) for r in db.session.scalars(sa.select(ObjectiveMastery)))

    stored = rows()
    gen_learning_rows(app, user)
    assert rows() == stored and len(stored) == 2


def test_nothing_answered_is_the_prior_alone(app, ctx, bank):
    """With no answer every objective shows Beta(1, 1): mean 0.5, interval 0.1-0.9, P(mastered) 0.2, not mastered."""
    exam, user, _question = bank
    result = mastery.exam_mastery(user.id, exam.id, T0)
    assert [o.domain for o in result.objectives] == ["1.1", "1.2", "2.1"]
    for item in result.objectives:
        assert (item.answers, item.mastery, item.mastered) == (0, 0.5, False)
        assert item.interval == (pytest.approx(0.1), pytest.approx(0.9))
        assert item.p_mastered == pytest.approx(0.2)
    assert (result.mastered, result.target, result.confidence) == (0, 0.8, 0.9)


def test_many_right_answers_make_an_objective_mastered(app, ctx, bank):
    """40 right answers today: the learner's prior is 2 answers at 41/42, so the evidence is
    Beta(40 + 82/42, 2/42), moved by the learning term of 40 answers; P(accuracy >= 0.8) > 0.9
    (scipy's survival function), mastered."""
    from scipy import stats

    exam, user, question = bank
    mastery.record_mastery(user.id, exam.id, _facts(question, [(True, T0)] * 40))
    db.session.commit()
    first = mastery.exam_mastery(user.id, exam.id, T0).objectives[0]
    alpha, beta = with_learning(40 + 82 / 42, 2 / 42, 40)
    assert first.mastery == pytest.approx(alpha / (alpha + beta), rel=1e-12) and first.mastery > 40.5 / 42
    assert first.p_mastered == pytest.approx(stats.beta.sf(0.8, alpha, beta), abs=1e-9)
    assert first.mastered is True and first.interval[0] < first.mastery < first.interval[1]


def test_the_display_memo_recomputes_after_an_answer(app, ctx, bank, monkeypatch):
    """The pages' mastery is computed once while the rows are unchanged, and again once an answer lands."""
    exam, user, question = bank
    mastery.record_mastery(user.id, exam.id, _facts(question, [(True, T0)]))
    db.session.commit()
    calls = []
    real = display.exam_mastery
    monkeypatch.setattr(display, "exam_mastery", lambda *args: calls.append(args) or real(*args))
    viewer, fresh = db.session.get(User, user.id), db.session.get(Exam, exam.id)
    first = display.mastery_for(viewer, fresh)
    assert display.mastery_for(viewer, fresh) == first and len(calls) == 1
    mastery.record_mastery(user.id, exam.id, _facts(question, [(False, T0 + timedelta(hours=1))]))
    db.session.commit()
    assert display.mastery_for(viewer, fresh).objectives[0].answers == 2 and len(calls) == 2


def test_an_unanswered_objective_leans_towards_the_learners_own_level(app, ctx, bank):
    """A learner right 18 of 20 times on 1.1 has, on an objective never answered, the prior at
    their level ((1 + 18) / (2 + 20)), 2 answers strong; a learner with no answer has Beta(1, 1)."""
    exam, user, question = bank
    mastery.record_mastery(user.id, exam.id, _facts(question, [(True, T0)] * 18 + [(False, T0)] * 2))
    db.session.commit()
    posteriors = mastery.objective_posteriors(user.id, exam.id, T0)
    assert posteriors.prior == pytest.approx((2 * 19 / 22, 2 * 3 / 22), rel=1e-12)
    others = [view for view in mastery.exam_mastery(user.id, exam.id, T0).objectives if view.answers == 0]
    assert others and all(view.mastery == pytest.approx(19 / 22) for view in others)
    newcomer = gen_user(app)
    assert mastery.objective_posteriors(newcomer.id, exam.id, T0).blank().alpha == pytest.approx(1.0)


def test_an_update_touches_only_its_own_learners_row(app, ctx, bank):
    """Two learners on the same objective: a second answer of one moves that learner's row only."""
    exam, user, question = bank
    other = gen_user(app, username="neighbour")
    mastery.record_mastery(user.id, exam.id, _facts(question, [(True, T0)]))
    mastery.record_mastery(other.id, exam.id, _facts(question, [(False, T0)]))
    db.session.commit()
    mastery.record_mastery(user.id, exam.id, _facts(question, [(True, T0 + timedelta(days=1))]))
    db.session.commit()
    mine, theirs = _row(user, question), _row(other, question)
    assert (mine.answers, mine.correct) == (2, 2)
    assert (theirs.answers, theirs.correct, theirs.weighted_correct, theirs.as_of) == (1, 0, 0.0, T0)


def test_the_learning_lag_is_the_power_law_gap_computed_by_hand():
    """ln(1 + n) - ln(n!) / n: 0 with no answer, ln 2 after one, ln 3 - ln(2) / 2 after two, 1 - 0.0034 after 1,000."""
    assert mastery.learning_lag(0) == 0.0
    assert mastery.learning_lag(1) == pytest.approx(math.log(2), rel=1e-12)
    assert mastery.learning_lag(2) == pytest.approx(math.log(3) - math.log(2) / 2, rel=1e-12)
    assert mastery.learning_lag(1000) == pytest.approx(1 - 0.0034, abs=1e-4)


def test_a_domain_takes_the_learning_term_of_all_its_answers_from_its_latest(app, ctx, bank):
    """1.1: 3 of 4 right at T0; 1.2: 1 of 2 right at T0 + 6 days; read at T0 + 12: domain 1.0 pools
    the decayed evidence on its prior and moves it by the learning term of its 6 answers, faded by
    the 6 days since its latest answer; objective 1.1 by that of its own 4, faded by 12 days."""
    exam, user, question = bank
    with app.app_context():
        sibling = db.session.scalars(sa.select(Question).join(Objective).where(Objective.code == "1.2")).first()
        domain_id = db.session.get(Objective, question.objective_id).domain_id
        db.session.expunge(sibling)
    later = T0 + timedelta(days=6)
    mastery.record_mastery(user.id, exam.id, _facts(question, [(True, T0)] * 3 + [(False, T0)]))
    mastery.record_mastery(user.id, exam.id, _facts(sibling, [(True, later), (False, later)]))
    db.session.commit()
    read = T0 + timedelta(days=12)
    old, new = 2 ** (-12 / HALF_LIFE), 2 ** (-6 / HALF_LIFE)
    right, total = 3 * old + new, 4 * old + 2 * new
    level = (1 + right) / (2 + total)
    pa, pb = 2 * level, 2 * (1 - level)
    domain = mastery.domain_posteriors(user.id, exam.id, read)[domain_id]
    assert (domain.alpha, domain.beta) == pytest.approx(with_learning(pa + right, pb + total - right, 6, 6.0),
                                                        rel=1e-12)
    assert (domain.answers, domain.correct, domain.last_answer) == (6, 4, later)
    objective = mastery.objective_posteriors(user.id, exam.id, read)[question.objective_id]
    assert (objective.alpha, objective.beta) == pytest.approx(
        with_learning(pa + 3 * old, pb + old, 4, 12.0), rel=1e-12)

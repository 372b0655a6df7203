"""Mastery per objective: a Beta posterior over the learner's accuracy now (docs/LEARNING.md).

The model. An answer given `age` days ago counts with weight w = 2^(-age / MASTERY_HALF_LIFE_DAYS).
The evidence on an objective is Beta(a + sum(w * right), b + sum(w * wrong)). Its prior (a, b)
is the learner's own (`learner_prior`): MASTERY_PRIOR_STRENGTH pseudo-answers at the learner's
recent accuracy over the whole exam (itself under the MASTERY_PRIOR hyperprior), so a thinly
answered objective leans towards how this learner does elsewhere, not towards 50%. Old answers
fade, so a learner who has improved (or forgotten) is judged on what they do now, and the
interval widens again when an objective is left alone.

Learning. Every answer teaches, so the answers show the learner as they were while answering,
a little behind where they are after them. On the power law of practice (logit accuracy rising
by MASTERY_LEARNING_RATE x ln(1 + answers so far), the Additive Factors Model's learning curve
with a log opportunity count), n answers average the learner at opportunities 0 to n - 1 while
they now stand at n: `learning_lag` = ln(1 + n) - ln(n!) / n of those units (0.69 after one
answer, 0.91 after 15, tending to 1). The posterior's mean moves up by MASTERY_LEARNING_RATE x
that many logits, its strength (alpha + beta, how much is known) unchanged, and the move fades
with the same half-life as the evidence from the last answer behind it (what practice taught is
forgotten when practice stops). The counts and the last answer are stored, so this is read-side
only: the stored rows are unchanged.

Storage. `objective_mastery` keeps the weighted sums as of `as_of` (the latest answer). Because
the decay is exponential, a later read multiplies both sums by 2^(-(now - as_of) / half-life) and
gets exactly the live figure; an answer adds its weight relative to `as_of` (earlier or later).
So each answer updates one row per objective, in the answer's own transaction, and a page reads
a handful of rows instead of the learner's history. `rebuild` recomputes the rows from `answers`.

"Mastered" means P(accuracy >= MASTERY_TARGET) >= MASTERY_CONFIDENCE under the posterior.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from webapp.analytics.stats import beta_cdf, beta_interval
from webapp.database import per_request, upsert_known
from webapp.extensions import db
from webapp.learning.reviews import AnswerFact
from webapp.models import Answer, Domain, Objective, ObjectiveMastery
from webapp.models.base import utcnow

SECONDS_PER_DAY = 86400.0


def decay(since: datetime, until: datetime, half_life_days: float) -> float:
    """The weight factor 2^(-(until - since) / half-life), at most 1 (a clock read backwards
    never grows a weight)."""
    days = max((until - since).total_seconds() / SECONDS_PER_DAY, 0.0)
    return 2.0 ** (-days / half_life_days)


@dataclass
class _Sums:
    weighted_answers: float
    weighted_correct: float
    as_of: datetime
    answers: int
    correct: int

    def add(self, right: bool, when: datetime, half_life: float) -> None:
        """Add one answer at `when`, moving `as_of` forward when the answer is later."""
        if when > self.as_of:
            factor = decay(self.as_of, when, half_life)
            self.weighted_answers *= factor
            self.weighted_correct *= factor
            self.as_of = when
            weight = 1.0
        else:
            weight = decay(when, self.as_of, half_life)
        self.weighted_answers += weight
        self.weighted_correct += weight * right
        self.answers += 1
        self.correct += right


def _half_life() -> float:
    return float(current_app.config["MASTERY_HALF_LIFE_DAYS"])


def record_mastery(user_id: int, exam_id: int, facts: list[AnswerFact]) -> None:
    """Add newly stored answers to the learner's objective rows (the caller commits)."""
    if not facts:
        return
    half_life = _half_life()
    objective_ids = sorted({f.objective_id for f in facts})
    # Plain rows, not ObjectiveMastery objects: only their sums are read.
    rows = {row.objective_id: row for row in db.session.execute(
        sa.select(*ObjectiveMastery.__table__.c).where(ObjectiveMastery.user_id == user_id,
                                                       ObjectiveMastery.objective_id.in_(objective_ids))
        .with_for_update())}
    sums = {oid: _Sums(r.weighted_answers, r.weighted_correct, r.as_of, r.answers, r.correct)
            for oid, r in rows.items()}
    for fact in facts:
        entry = sums.get(fact.objective_id)
        if entry is None:
            entry = sums[fact.objective_id] = _Sums(0.0, 0.0, fact.answered_at, 0, 0)
        entry.add(fact.is_correct, fact.answered_at, half_life)
    values = [{"user_id": user_id, "objective_id": oid, "exam_id": exam_id, **vars(s)} for oid, s in sums.items()]
    upsert_known(ObjectiveMastery, ("user_id", "objective_id"), values, {(user_id, oid) for oid in rows})


def rebuild(user_ids: list[int] | None = None, objective_ids: list[int] | None = None) -> int:
    """Recompute the mastery rows in scope from `answers`. Idempotent; the caller commits.
    Returns the number of rows written."""
    where_rows, where_answers = [], []
    if user_ids is not None:
        where_rows.append(ObjectiveMastery.user_id.in_(user_ids))
        where_answers.append(Answer.user_id.in_(user_ids))
    if objective_ids is not None:
        where_rows.append(ObjectiveMastery.objective_id.in_(objective_ids))
        where_answers.append(Answer.objective_id.in_(objective_ids))
    db.session.execute(sa.delete(ObjectiveMastery).where(*where_rows))
    half_life = _half_life()
    sums: dict[tuple[int, int, int], _Sums] = {}
    rows = db.session.execute(sa.select(Answer.user_id, Answer.exam_id, Answer.objective_id, Answer.is_correct,
                                        Answer.answered_at).where(*where_answers)
                              .execution_options(yield_per=5000))
    for user_id, exam_id, objective_id, right, when in rows:
        key = (user_id, exam_id, objective_id)
        entry = sums.get(key)
        if entry is None:
            entry = sums[key] = _Sums(0.0, 0.0, when, 0, 0)
        entry.add(bool(right), when, half_life)
    values = [{"user_id": u, "exam_id": e, "objective_id": o, **vars(s)} for (u, e, o), s in sums.items()]
    for start in range(0, len(values), 5000):
        db.session.execute(sa.insert(ObjectiveMastery), values[start:start + 5000])
    return len(values)


# -- reading the posteriors --------------------------------------------------------------------


@dataclass(frozen=True)
class Posterior:
    """Beta(alpha, beta) over an accuracy now (the learning term included), with the evidence behind it."""

    alpha: float
    beta: float
    answers: int
    correct: int
    weighted_answers: float  # the effective number of answers after the decay
    weighted_correct: float = 0.0  # the decayed right answers among them
    last_answer: datetime | None = None  # the latest answer behind it

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)


def prior() -> tuple[float, float]:
    a0, b0 = current_app.config["MASTERY_PRIOR"]
    return float(a0), float(b0)


class Posteriors(dict):
    """Posterior per objective id, with the learner's own prior (`prior`) for the rest."""

    prior: tuple[float, float] = (1.0, 1.0)
    now: datetime | None = None  # when the posteriors were read

    def blank(self) -> Posterior:
        """The posterior of an objective or domain with no answer: the learner's prior alone."""
        return Posterior(self.prior[0], self.prior[1], 0, 0, 0.0)


def learner_prior(right: float, total: float) -> tuple[float, float]:
    """The prior of each of a learner's objectives and domains in one exam: Beta with mean the
    learner's own recent accuracy over the whole exam (right / total, decayed, under the
    MASTERY_PRIOR hyperprior) and MASTERY_PRIOR_STRENGTH pseudo-answers of weight. A learner's
    domains are alike, so an objective with few answers is pulled towards the learner's level
    rather than towards 50%. With no answer it is Beta(1, 1) at the defaults."""
    a0, b0 = prior()
    strength = float(current_app.config["MASTERY_PRIOR_STRENGTH"])
    mean = (a0 + right) / (a0 + b0 + total)
    return strength * mean, strength * (1.0 - mean)


def learning_lag(answers: int) -> float:
    """How far past its answers, in units of ln(1 + answers), a learner stands after `answers`
    answers on the power law of practice: ln(1 + n) - ln(n!) / n (the opportunity they are at,
    less the mean of the opportunities the answers were given at); 0 with no answer."""
    if answers <= 0:
        return 0.0
    return math.log1p(answers) - math.lgamma(answers + 1) / answers


def learning_shift(answers: int, last_answer: datetime | None, now: datetime) -> float:
    """The learning term in logits: MASTERY_LEARNING_RATE x learning_lag(answers), faded by the
    recency decay since the last answer."""
    if answers <= 0 or last_answer is None:
        return 0.0
    rate = float(current_app.config["MASTERY_LEARNING_RATE"])
    return rate * learning_lag(answers) * decay(last_answer, now, _half_life())


def posterior_of(prior_ab: tuple[float, float], right: float, total: float, answers: int, correct: int,
                 last_answer: datetime | None, now: datetime) -> Posterior:
    """The posterior on decayed evidence (`right` of `total`) over `prior_ab`, its mean moved by the
    learning term (`learning_shift`) on the logit scale with its strength alpha + beta kept."""
    alpha, beta = prior_ab[0] + right, prior_ab[1] + (total - right)
    shift = learning_shift(answers, last_answer, now)
    if shift and alpha > 0 and beta > 0:  # (a zero-strength prior could leave one side empty)
        strength = alpha + beta
        logit = math.log(alpha / beta) + shift
        mean = 1.0 / (1.0 + math.exp(-logit))
        alpha, beta = strength * mean, strength * (1.0 - mean)
    return Posterior(alpha, beta, answers, correct, total, right, last_answer)


def objective_posteriors(user_id: int, exam_id: int, now: datetime | None = None) -> Posteriors:
    """The learner's posterior per objective of the exam they have answered, as of `now` (read
    once per page when `now` is not given: the readiness, its focus and the mastery bars of one
    exam share one read, at the instant of the first)."""
    if now is not None:
        return _objective_posteriors(user_id, exam_id, now)
    return per_request(f"posteriors:{user_id}:{exam_id}", lambda: _objective_posteriors(user_id, exam_id, utcnow()))


def _objective_posteriors(user_id: int, exam_id: int, now: datetime) -> Posteriors:
    half_life = _half_life()
    evidence = []
    m = ObjectiveMastery
    for objective_id, weighted_correct, weighted_answers, answers, correct, as_of in db.session.execute(
            sa.select(m.objective_id, m.weighted_correct, m.weighted_answers, m.answers, m.correct, m.as_of)
            .where(m.user_id == user_id, m.exam_id == exam_id)):
        factor = decay(as_of, now, half_life)
        evidence.append((objective_id, weighted_correct * factor, weighted_answers * factor, answers, correct, as_of))
    found = Posteriors()
    found.prior = learner_prior(sum(e[1] for e in evidence), sum(e[2] for e in evidence))
    found.now = now
    for objective_id, right, total, answers, correct, as_of in evidence:
        found[objective_id] = posterior_of(found.prior, right, total, answers, correct, as_of, now)
    return found


def pooled(posteriors: list[Posterior], base: tuple[float, float], now: datetime) -> Posterior:
    """One posterior over several objectives' answers (a domain): their evidence added to one
    prior, `base` (the prior each of them was built on), with the learning term of all of them."""
    last = max((p.last_answer for p in posteriors if p.last_answer is not None), default=None)
    return posterior_of(base, sum(p.weighted_correct for p in posteriors), sum(p.weighted_answers for p in posteriors),
                        sum(p.answers for p in posteriors), sum(p.correct for p in posteriors), last, now)


# -- mastery as shown --------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectiveMasteryView:
    domain: str  # the objective code, "2.3"
    domain_name: str
    exam_domain: str  # "2.0"
    answers: int
    correct: int
    effective_answers: float  # the decayed weight of the answers
    mastery: float  # the posterior mean accuracy, 0-1
    interval: tuple[float, float]  # the MASTERY_INTERVAL credible interval, 0-1
    p_mastered: float  # P(accuracy >= MASTERY_TARGET)
    mastered: bool


@dataclass(frozen=True)
class ExamMastery:
    exam_id: int
    objectives: list[ObjectiveMasteryView]  # every objective of the exam, in code order
    mastered: int  # how many are mastered
    target: float
    confidence: float
    interval: float  # the mass of each objective's credible interval (MASTERY_INTERVAL)


def _code_key(code: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in code.split("."))


def view_of(posterior: Posterior) -> tuple[float, tuple[float, float], float, bool]:
    """Mean, credible interval, P(accuracy >= target) and mastered, from config."""
    config = current_app.config
    target, confidence = config["MASTERY_TARGET"], config["MASTERY_CONFIDENCE"]
    low, high = beta_interval(posterior.alpha, posterior.beta, config["MASTERY_INTERVAL"])
    p_mastered = 1.0 - beta_cdf(target, posterior.alpha, posterior.beta)
    return posterior.mean, (low, high), p_mastered, p_mastered >= confidence


def exam_mastery(user_id: int, exam_id: int, now: datetime | None = None) -> ExamMastery:
    """Mastery of every objective of the exam (the learner's prior alone where nothing is answered yet)."""
    posteriors = objective_posteriors(user_id, exam_id, now)
    blank = posteriors.blank()
    views = []
    for objective_id, code, title, number in db.session.execute(
            sa.select(Objective.id, Objective.code, Objective.title, Domain.number)
            .join(Domain, Domain.id == Objective.domain_id).where(Objective.exam_id == exam_id)):
        posterior = posteriors.get(objective_id, blank)
        mean, interval, p_mastered, mastered = view_of(posterior)
        views.append(ObjectiveMasteryView(code, title, number, posterior.answers, posterior.correct,
                                          posterior.weighted_answers, mean, interval, p_mastered, mastered))
    views.sort(key=lambda v: _code_key(v.domain))
    config = current_app.config
    return ExamMastery(exam_id, views, sum(v.mastered for v in views), config["MASTERY_TARGET"],
                       config["MASTERY_CONFIDENCE"], config["MASTERY_INTERVAL"])


def domain_posteriors(user_id: int, exam_id: int, now: datetime | None = None) -> dict[int, Posterior]:
    """The learner's posterior per 1.0-level domain of the exam (keyed by domain id), pooling its
    objectives; a domain with no answer has the learner's prior alone."""
    posteriors = objective_posteriors(user_id, exam_id, now)
    by_domain: dict[int, list[Posterior]] = defaultdict(list)
    domain_ids = []
    for objective_id, domain_id in db.session.execute(
            sa.select(Objective.id, Objective.domain_id).where(Objective.exam_id == exam_id)):
        domain_ids.append(domain_id)
        if objective_id in posteriors:
            by_domain[domain_id].append(posteriors[objective_id])
    return {domain_id: pooled(by_domain.get(domain_id, []), posteriors.prior, posteriors.now)
            for domain_id in dict.fromkeys(domain_ids)}

"""Readiness: the probability of passing the exam today, with an interval (docs/LEARNING.md).

The method, vectorised with numpy (no Python loop over the simulated exams):

1. Each 1.0-level domain's accuracy has a Beta posterior (webapp/learning/mastery.py: the
   decayed answers of its objectives, one prior, and the learning term of the domain's answers:
   the learner now stands a little past the answers that taught them).
2. READINESS_SIMULATIONS times: draw every domain's accuracy from its posterior, then the number
   right out of the domain's share of the exam's questions (Binomial). The shares are the app's
   own simulation blueprint: the exam's question count split by the domain weights with the
   largest-remainder rule (`largest_remainder`, as `_draw_simulation` uses).
3. Each simulated raw score goes through the app's raw-to-scaled mapping (`scaled_score`) and
   passes at the exam's passing score.

`pass_probability` is the share of simulated exams passed. Its interval shows how much of that is
still unknown about the learner: for each accuracy draw, the chance of passing with exactly that
accuracy (the sum of the domains' binomials, by the normal approximation with a continuity
correction), and the READINESS_INTERVAL central interval of those chances. `expected_scaled_score`
is the mean simulated scaled score, with the same central interval of the simulated scores.

No estimate is given until every domain has READINESS_MIN_ANSWERS answers: `missing` says which
lack them. The draws are seeded from the learner, the exam and their answer count, so the
figure is stable between page loads and moves only when the learner answers.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import sqlalchemy as sa
from flask import current_app

from webapp.extensions import db
from webapp.learning.mastery import Posterior, domain_posteriors
from webapp.models import Domain, Exam
from webapp.quiz.services import largest_remainder, scaled_score


@dataclass(frozen=True)
class DomainBasis:
    domain: str  # "2.0"
    domain_name: str
    weight_percent: int
    questions: int  # the domain's share of a simulated exam
    answers: int  # the learner's answers on the domain's objectives
    correct: int
    effective_answers: float  # after the recency decay
    accuracy: float  # posterior mean, 0-1
    needed: int  # answers still needed before an estimate (0 once enough)


@dataclass(frozen=True)
class Readiness:
    exam: Exam
    basis: list[DomainBasis]
    missing: list[DomainBasis]  # the domains with too few answers; empty when estimated
    min_answers: int
    pass_probability: float | None  # 0-1; None until every domain has enough answers
    interval: tuple[float, float] | None
    expected_scaled_score: int | None
    scaled_interval: tuple[int, int] | None
    passing_score: int
    holding_back: list[DomainBasis]  # the domains that cost the most, worst first (at most 2)


def pass_mark(exam: Exam) -> int:
    """The least raw score (out of the exam's question count) that scales to the passing score."""
    for raw in range(exam.question_count + 1):
        if scaled_score(100.0 * raw / exam.question_count) >= exam.passing_score:
            return raw
    return exam.question_count + 1


def _seed(user_id: int, exam_id: int, answers: int) -> int:
    digest = hashlib.sha256(f"readiness:{user_id}:{exam_id}:{answers}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def simulate(alphas: np.ndarray, betas: np.ndarray, questions: np.ndarray, cut: int, draws: int,
             width: float, rng: np.random.Generator, scale: tuple[int, int]) -> tuple[float, tuple[float, float],
                                                                                     float, tuple[float, float]]:
    """The readiness maths on arrays (one entry per domain): pass probability and its interval,
    mean scaled score and its interval. `cut` is the raw pass mark."""
    accuracy = rng.beta(alphas, betas, size=(draws, len(alphas)))
    raw = rng.binomial(questions, accuracy).sum(axis=1)
    total = int(questions.sum())
    low_scale, high_scale = scale
    scaled = np.rint(low_scale + (high_scale - low_scale) * raw / total)
    passed = float((raw >= cut).mean())
    # The chance of passing at each drawn accuracy: normal approximation of the sum of binomials.
    mean = accuracy @ questions
    sd = np.sqrt((accuracy * (1 - accuracy)) @ questions)
    z = (mean - (cut - 0.5)) / np.maximum(sd, 1e-9)
    conditional = 0.5 * (1 + _erf(z / math.sqrt(2)))
    tail = (1 - width) / 2
    low, high = np.quantile(conditional, [tail, 1 - tail])
    score_low, score_high = np.quantile(scaled, [tail, 1 - tail])
    return (passed, (min(float(low), passed), max(float(high), passed)), float(scaled.mean()),
            (float(score_low), float(score_high)))


def _erf(x: np.ndarray) -> np.ndarray:
    """erf on an array (Abramowitz and Stegun 7.1.26, |error| < 1.5e-7): numpy has no erf."""
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-x * x))


def readiness(user_id: int, exam: Exam, now: datetime | None = None) -> Readiness:
    """The learner's readiness for `exam` now (see the module docstring)."""
    config = current_app.config
    minimum = int(config["READINESS_MIN_ANSWERS"])
    domains = list(db.session.scalars(sa.select(Domain).where(Domain.exam_id == exam.id).order_by(Domain.position)))
    shares = largest_remainder([d.weight_percent for d in domains], exam.question_count)
    posteriors = domain_posteriors(user_id, exam.id, now)
    basis = []
    for domain, share in zip(domains, shares):
        p: Posterior = posteriors[domain.id]
        basis.append(DomainBasis(domain.number, domain.name, domain.weight_percent, share, p.answers, p.correct,
                                 round(p.weighted_answers, 1), p.mean, max(0, minimum - p.answers)))
    missing = [b for b in basis if b.needed]
    # What holds it back: each domain's expected shortfall against a perfect score, weighted by its share.
    holding_back = sorted((b for b in basis if b.accuracy < config["MASTERY_TARGET"]),
                          key=lambda b: -(b.questions * (1 - b.accuracy)))[:2]
    if missing or not domains:
        return Readiness(exam, basis, missing, minimum, None, None, None, None, exam.passing_score, holding_back)
    rng = np.random.default_rng(_seed(user_id, exam.id, sum(b.answers for b in basis)))
    passed, interval, score, score_interval = simulate(
        np.array([posteriors[d.id].alpha for d in domains]), np.array([posteriors[d.id].beta for d in domains]),
        np.array(shares), pass_mark(exam), int(config["READINESS_SIMULATIONS"]), config["READINESS_INTERVAL"], rng,
        Exam.SCORE_SCALE)
    return Readiness(exam, basis, [], minimum, passed, interval, int(round(score)),
                     (int(score_interval[0]), int(score_interval[1])), exam.passing_score, holding_back)

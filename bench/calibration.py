"""Calibration of the pass probability: does "70% likely to pass" pass 70% of the time?

Synthetic learners study and practise through the app's own services, then sit one full exam
simulation taken as "the real exam". Just before it, `webapp.learning.readiness.readiness` is
asked for the pass probability; the outcome is that simulation's `passed`. Over thousands of
learners the predictions are binned and compared with what happened (docs/LEARNING.md,
"Calibration").

The synthetic world (`World`, all numbers fixed before any run and not fitted to the results):

- Each learner has a base ability (logit scale, Normal(WORLD.ability_mean, ability_sd)), an
  offset per 1.0-level domain (Normal(0, domain_sd)), a learning rate and a forgetting rate
  (both log-normal). Its true accuracy on a domain is logistic(ability + offset + gain), where
  `gain` is what practice on that domain has built up: every answer there adds
  learning_rate * (1 - gain / gain_ceiling), and between answers the gain decays by
  exp(-forgetting_rate * days). So accuracy rises with practice on the domain and falls with
  days without it.
- Practice volume is log-uniform between volume_low and volume_high answers (some barely reach
  the minimum, some practise a lot), in study sessions (`webapp.study.services`: start_session,
  answer_question with a confidence rating, finish_session) and practice quizzes
  (`webapp.quiz.services`: start_quiz, save_answer exactly as PUT /api/v1/quizzes/<id>/answers
  calls it, submit_attempt), some focused on one domain's objectives, on simulated days
  (every service gets `now=`). A domain still short of READINESS_MIN_ANSWERS gets a focused
  practice quiz; the last activity is a practice quiz over the whole exam.
- Some days later (0 to exam_gap_days) the learner takes the real exam: a 90-question exam
  simulation, every question answered with the learner's true accuracy on its domain at that
  moment (right: the key; wrong: a wrong selection, a wrong order or a wrong match).
- The naive baseline predicts a pass (1) when the last practice quiz scaled to the passing
  score or more, a fail (0) otherwise.

Every learner's behaviour is drawn from its own random streams (seed, learner number), and its
user id is fixed by its number, so a run is the same whatever the number of worker processes.

Report: the reliability table (10 bins of predicted probability: n, mean predicted, actual pass
rate), the expected calibration error (bins weighted by size), the Brier score, the same for
the baseline, diagnostics (the "oracle" probability from the true accuracies, the posterior's
bias split into the prior and learning term and the evidence's lag, the bias by practice volume
and by days to the exam, and the learning curve of the practice answers, `learning_curve`, the
estimate behind MASTERY_LEARNING_RATE) and the run time. Targets: ECE <= 0.05, every bin with >= 50 learners within 8 points,
Brier better than the baseline's.

Usage: python bench/calibration.py [--learners 2000] [--seed 1501] [--database URL]
                                   [--workers 2] [--exam security] [--record FILE]
       python bench/calibration.py --report-only FILE   (the report of a recorded, perhaps unfinished, run)
Without --database each worker runs on its own temporary SQLite file (a copy of one migrated
database holding the bundled bank). A SQLite URL is used the same way (the file is the template;
the workers write copies beside it). A PostgreSQL URL is migrated, the bank loaded if empty, and
the workers share it; the synthetic users get ids above the existing ones.
Exit status: 0 all targets met, 1 a target missed, 2 the benchmark could not run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sys
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from webapp.models import Confidence, QuizMode  # noqa: E402

# The order of World.confidence_right / confidence_wrong.
CONFIDENCES = (Confidence.SURE, Confidence.UNSURE, Confidence.GUESSED)
DEFAULT_LEARNERS = 2000
DEFAULT_SEED = 1501
DEFAULT_EXAM = "security"
BINS = 10
# The targets of issue 15.
TARGET_ECE = 0.05
TARGET_BIN_GAP = 0.08
TARGET_BIN_MIN = 50
# The simulated calendar starts here (a Monday, UTC); each learner starts within START_SPREAD_DAYS.
EPOCH = datetime(2025, 1, 6, tzinfo=timezone.utc)
START_SPREAD_DAYS = 60


@dataclass(frozen=True)
class World:
    """The synthetic world's parameters (see the module docstring)."""

    ability_mean: float = 1.1  # logit: logistic(1.1) = 0.75 before any practice
    ability_sd: float = 0.8
    domain_sd: float = 0.4
    learning_rate_median: float = 0.015  # logit gained per answer on the domain, at first
    learning_rate_sigma: float = 0.5
    gain_ceiling: float = 1.5  # practice adds at most this much (logit)
    forgetting_rate_median: float = 0.02  # per day: the gain's half-life is ~35 days
    forgetting_rate_sigma: float = 0.5
    volume_low: int = 30  # planned practice answers, log-uniform between these
    volume_high: int = 250
    study_share: float = 0.25  # the share of activities that are study sessions
    study_counts: tuple[int, int] = (10, 25)  # a study session's questions, uniform between these
    practice_counts: tuple[int, ...] = (10, 15, 20, 25, 30, 40)  # a practice quiz's, one of these
    final_counts: tuple[int, ...] = (20, 30, 40)  # the last practice quiz's, one of these
    focused_share: float = 0.3  # the share of practice quizzes focused on one domain
    same_day_share: float = 0.2  # the chance the next activity is on the same day
    max_gap_days: int = 4  # otherwise 1 to this many days later
    exam_gap_days: int = 14  # the exam is 0 to this many days after the last practice
    seconds_per_answer: tuple[int, int] = (25, 85)
    # P(sure, unsure, guessed) for a right and for a wrong answer.
    confidence_right: tuple[float, float, float] = (0.6, 0.3, 0.1)
    confidence_wrong: tuple[float, float, float] = (0.2, 0.4, 0.4)


WORLD = World()


def logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# -- the bank as the learners see it -----------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """What a learner needs to answer one question right or wrong."""

    kind: str
    domain: int  # index of the 1.0-level domain, by position
    choice_ids: tuple[int, ...]
    correct_ids: tuple[int, ...]
    select_count: int
    key: dict | None  # ordering / matching key (Question.pbq_key)
    targets: int  # matching: how many targets


@dataclass(frozen=True)
class Bank:
    exam_slug: str
    exam_id: int
    domain_numbers: tuple[str, ...]
    domain_objectives: tuple[tuple[str, ...], ...]  # objective codes per domain
    shares: tuple[int, ...]  # the domain's questions in a simulation
    cut: int  # the raw pass mark
    items: dict[int, Item]


def read_bank(exam_slug: str) -> Bank:
    """The exam's domains, objectives and active questions with their keys (app context needed)."""
    from webapp.extensions import db
    from webapp.learning.readiness import pass_mark
    from webapp.models import Domain, Exam, Objective, Question
    from webapp.quiz.services import largest_remainder

    exam = db.session.scalar(sa.select(Exam).where(Exam.slug == exam_slug))
    if exam is None:
        raise SystemExit(f"no exam {exam_slug!r} in the database")
    domains = list(db.session.scalars(sa.select(Domain).where(Domain.exam_id == exam.id).order_by(Domain.position)))
    index = {d.id: i for i, d in enumerate(domains)}
    objectives: list[list[str]] = [[] for _ in domains]
    domain_of = {}
    for objective in db.session.scalars(sa.select(Objective).where(Objective.exam_id == exam.id)):
        objectives[index[objective.domain_id]].append(objective.code)
        domain_of[objective.id] = index[objective.domain_id]
    items = {}
    for question in db.session.scalars(sa.select(Question).where(Question.exam_id == exam.id,
                                                                 Question.is_active.is_(True))):
        items[question.id] = Item(question.type, domain_of[question.objective_id],
                                  tuple(c.id for c in question.choices),
                                  tuple(c.id for c in question.choices if c.is_correct), question.select_count,
                                  question.pbq_key if question.is_pbq else None, len(question.targets or []))
    shares = largest_remainder([d.weight_percent for d in domains], exam.question_count)
    return Bank(exam.slug, exam.id, tuple(d.number for d in domains), tuple(tuple(sorted(o)) for o in objectives),
                tuple(shares), pass_mark(exam), items)


def answer_for(item: Item, right: bool, rng: random.Random) -> dict:
    """The service arguments of a right or a wrong answer to `item`."""
    if item.kind == "ordering":
        order = list(item.key["order"])
        if not right:
            i, j = rng.sample(range(len(order)), 2)
            order[i], order[j] = order[j], order[i]
        return {"order": order}
    if item.kind == "matching":
        matches = dict(item.key["matches"])
        if not right:
            moved = rng.choice(sorted(matches))
            matches[moved] = rng.choice([t for t in range(item.targets) if t != matches[moved]])
        return {"matches": matches}
    chosen = list(item.correct_ids)
    if not right:
        wrong = [c for c in item.choice_ids if c not in item.correct_ids]
        if item.select_count == 1:
            chosen = [rng.choice(wrong)]
        else:
            chosen.remove(rng.choice(chosen))
            chosen.append(rng.choice(wrong))
    return {"choice_ids": chosen}


# -- one learner ---------------------------------------------------------------------------------


@dataclass
class Learner:
    """A synthetic learner's hidden truth, changing as it practises and forgets."""

    number: int
    ability: float
    offsets: list[float]
    learning_rate: float
    forgetting_rate: float
    volume: int
    gains: list[float]
    clock: list[datetime]  # when each domain's gain was last brought up to date

    @classmethod
    def draw(cls, number: int, domains: int, rng: random.Random, world: World = WORLD) -> Learner:
        volume = int(round(math.exp(rng.uniform(math.log(world.volume_low), math.log(world.volume_high)))))
        return cls(number, rng.gauss(world.ability_mean, world.ability_sd),
                   [rng.gauss(0.0, world.domain_sd) for _ in range(domains)],
                   world.learning_rate_median * math.exp(rng.gauss(0.0, world.learning_rate_sigma)),
                   world.forgetting_rate_median * math.exp(rng.gauss(0.0, world.forgetting_rate_sigma)),
                   volume, [0.0] * domains, [EPOCH] * domains)

    def _forget(self, domain: int, now: datetime) -> None:
        days = max((now - self.clock[domain]).total_seconds() / 86400.0, 0.0)
        self.gains[domain] *= math.exp(-self.forgetting_rate * days)
        self.clock[domain] = now

    def accuracy(self, domain: int, now: datetime) -> float:
        """The true chance of answering a question of `domain` right at `now`."""
        self._forget(domain, now)
        return logistic(self.ability + self.offsets[domain] + self.gains[domain])

    def practise(self, domain: int, now: datetime, world: World = WORLD) -> None:
        """One answer's worth of practice on `domain` (right or wrong, it teaches)."""
        self._forget(domain, now)
        self.gains[domain] += self.learning_rate * (1.0 - self.gains[domain] / world.gain_ceiling)


@dataclass(frozen=True)
class Outcome:
    """One learner's prediction and what happened."""

    number: int
    predicted: float | None  # None: readiness had `missing`
    passed: bool
    baseline: bool  # the last practice quiz scaled to the passing score
    oracle: float  # P(pass) from the true accuracies at the exam
    answers: int  # practice and study answers before the exam
    posterior_bias: float  # mean over domains of (posterior mean - true accuracy)
    prior_pull: float  # the part the prior and the learning term make: posterior mean - decayed share right
    lag: float  # the rest: decayed share right - true accuracy (learning and forgetting)
    exam_gap_days: int
    # Per domain (by position), for the diagnostics: the true accuracy at the exam, the posterior
    # mean readiness used, and the answers behind it. Empty in records made before they existed.
    truth: list[float] = field(default_factory=list)
    estimate: list[float] = field(default_factory=list)
    domain_answers: list[int] = field(default_factory=list)
    exam_at: str = ""
    learning_term: float = 0.0  # the part of prior_pull the learning term makes (its mean over domains)
    # Per domain, the practice answers in order ("1" right, "0" wrong): the learning curve's data.
    sequences: list[str] = field(default_factory=list)


def _plan(learner: Learner, bank: Bank, rng: random.Random, world: World) -> list[tuple[str, int, int | None, float]]:
    """The learner's activities before the top-up: (kind, count, focused domain or None, day offset)."""
    activities = []
    planned, day = 0, 0.0
    while planned < learner.volume:
        if activities:
            day += 0.1 if rng.random() < world.same_day_share else rng.randint(1, world.max_gap_days)
        if rng.random() < world.study_share:
            kind, count = QuizMode.STUDY, rng.randint(*world.study_counts)
        else:
            kind, count = QuizMode.PRACTICE, rng.choice(world.practice_counts)
        focus = rng.randrange(len(bank.shares)) if kind == QuizMode.PRACTICE and rng.random() < world.focused_share else None
        activities.append((kind, count, focus, day))
        planned += count
    return activities


class Simulation:
    """Runs learners through the services of the app whose context is active."""

    def __init__(self, bank: Bank, seed: int, first_user_id: int, world: World = WORLD) -> None:
        self.bank, self.seed, self.first_user_id, self.world = bank, seed, first_user_id, world

    def _rng(self, number: int, stream: str) -> random.Random:
        return random.Random(f"calibration:{self.seed}:{number}:{stream}")

    def _user(self, number: int, created: datetime):
        from webapp.extensions import db
        from webapp.models import User

        user_id = self.first_user_id + number
        user = User(id=user_id, username=f"cal{self.seed}-{number}"[:32], email=f"cal{self.seed}-{number}@calibration.test",
                    password_hash="!calibration: no sign-in", created_at=created, xp_reached_at=created)
        db.session.add(user)
        db.session.commit()
        return user

    def run(self, number: int) -> Outcome:
        """One learner from its first study day to the real exam."""
        from flask import current_app

        from webapp.learning.readiness import readiness
        from webapp.models import Exam
        from webapp.extensions import db

        world, bank = self.world, self.bank
        minimum = int(current_app.config["READINESS_MIN_ANSWERS"])
        learner = Learner.draw(number, len(bank.shares), self._rng(number, "learner"), world)
        behaviour, draws = self._rng(number, "behaviour"), self._rng(number, "draws")
        start = EPOCH + timedelta(days=behaviour.randrange(START_SPREAD_DAYS), hours=18)
        user = self._user(number, start - timedelta(days=1))
        counts = [0] * len(bank.shares)
        self._sequences = [[] for _ in bank.shares]
        now = start
        activities = _plan(learner, bank, behaviour, world)
        last_score = None
        for kind, count, focus, day in activities:
            now = max(now, start + timedelta(days=day)) + timedelta(minutes=5)
            if kind == QuizMode.STUDY:
                now = self._study(user, learner, count, now, behaviour, draws, counts)
            else:
                now, last_score = self._practice(user, learner, count, focus, now, behaviour, draws, counts)
        while True:  # the minimum in every domain, then a last practice quiz over the whole exam
            short = [(counts[d] - minimum, d) for d in range(len(counts)) if counts[d] < minimum]
            if not short:
                break
            _, domain = min(short)
            now += timedelta(hours=behaviour.choice((2, 24, 48)))
            now, last_score = self._practice(user, learner, max(5, minimum - counts[domain]), domain, now, behaviour,
                                             draws, counts)
        now += timedelta(hours=behaviour.choice((2, 24)))
        now, last_score = self._practice(user, learner, behaviour.choice(world.final_counts), None, now, behaviour,
                                         draws, counts)
        gap = behaviour.randint(0, world.exam_gap_days)
        exam_at = now + timedelta(days=gap, hours=2)
        exam = db.session.get(Exam, bank.exam_id)
        estimate = readiness(user.id, exam, exam_at)
        truth = [learner.accuracy(d, exam_at) for d in range(len(bank.shares))]
        # The decayed share right behind each posterior mean: its evidence without the learner's prior.
        from webapp.learning.mastery import domain_posteriors, objective_posteriors

        base_a, base_b = objective_posteriors(user.id, exam.id, exam_at).prior
        posteriors = domain_posteriors(user.id, exam.id, exam_at)
        pulls = [p.mean - p.weighted_correct / p.weighted_answers if p.weighted_answers else 0.0
                 for p in posteriors.values()]
        # The learning term: the posterior mean less the mean of the same evidence without it.
        terms = [p.mean - (base_a + p.weighted_correct) / (base_a + base_b + p.weighted_answers)
                 for p in posteriors.values()]
        bias = float(np.mean([b.accuracy - t for b, t in zip(estimate.basis, truth)]))
        pull = float(np.mean(pulls))
        passed = self._exam(user, learner, exam_at, behaviour, draws)
        return Outcome(number, None if estimate.missing else estimate.pass_probability, passed,
                       last_score is not None and last_score >= exam.passing_score, oracle_pass(truth, bank),
                       sum(counts), bias, pull, bias - pull, gap, [round(t, 5) for t in truth],
                       [round(b.accuracy, 5) for b in estimate.basis], [b.answers for b in estimate.basis],
                       exam_at.isoformat(), float(np.mean(terms)), ["".join(seq) for seq in self._sequences])

    def _answer(self, learner: Learner, item: Item, now: datetime, behaviour: random.Random,
                learn: bool) -> tuple[dict, str, bool]:
        right = behaviour.random() < learner.accuracy(item.domain, now)
        weights = self.world.confidence_right if right else self.world.confidence_wrong
        confidence = behaviour.choices(CONFIDENCES, weights)[0].value
        if learn:
            learner.practise(item.domain, now, self.world)
            self._sequences[item.domain].append("1" if right else "0")
        return answer_for(item, right, behaviour), confidence, right

    def _pace(self, now: datetime, behaviour: random.Random, most: float | None = None) -> datetime:
        seconds = behaviour.randint(*self.world.seconds_per_answer)
        return now + timedelta(seconds=min(seconds, most) if most else seconds)

    def _study(self, user, learner: Learner, count: int, now: datetime, behaviour: random.Random,
               draws: random.Random, counts: list[int]) -> datetime:
        from webapp.extensions import db
        from webapp.models import StudyQuestion
        from webapp.study import services as study

        session = study.start_session(user, study.StudyRequest(self.bank.exam_slug, count=count), now=now, rng=draws)
        question_ids = list(db.session.scalars(sa.select(StudyQuestion.question_id)
                                               .where(StudyQuestion.session_id == session.id)
                                               .order_by(StudyQuestion.position)))
        for question_id in question_ids:
            now = self._pace(now, behaviour)
            item = self.bank.items[question_id]
            answer, confidence, _ = self._answer(learner, item, now, behaviour, learn=True)
            study.answer_question(user, session.id, question_id, confidence=confidence, now=now, **answer)
            counts[item.domain] += 1
        study.finish_session(user, session.id, now=now)
        return now

    def _quiz(self, user, learner: Learner, request, now: datetime, behaviour: random.Random,
              draws: random.Random, counts: list[int] | None) -> tuple[datetime, dict]:
        """Start, answer every question (as the API saves them) and submit; `counts` None: the exam."""
        from webapp.extensions import db
        from webapp.models import AttemptQuestion
        from webapp.quiz import services as quiz

        attempt = quiz.start_quiz(user, request, now=now, rng=draws)
        question_ids = list(db.session.scalars(sa.select(AttemptQuestion.question_id)
                                               .where(AttemptQuestion.attempt_id == attempt.id)
                                               .order_by(AttemptQuestion.position)))
        practice = counts is not None
        # A learner keeps to the time limit (the server would close the attempt at its deadline).
        most = 0.9 * attempt.time_limit_seconds / len(question_ids) if attempt.time_limit_seconds else None
        for question_id in question_ids:
            now = self._pace(now, behaviour, most)
            item = self.bank.items[question_id]
            answer, confidence, _ = self._answer(learner, item, now, behaviour, learn=practice)
            quiz.save_answer(user, attempt.id, question_id, answer.get("choice_ids"), None, require_complete=True,
                             now=now, order=answer.get("order"), matches=answer.get("matches"),
                             confidence=confidence if practice else quiz.UNCHANGED)
            if practice:
                counts[item.domain] += 1
        now += timedelta(seconds=5)
        return now, quiz.submit_attempt(user, attempt.id, now=now)

    def _practice(self, user, learner: Learner, count: int, focus: int | None, now: datetime,
                  behaviour: random.Random, draws: random.Random, counts: list[int]) -> tuple[datetime, int]:
        from webapp.quiz.services import QuizRequest, scaled_score

        codes = list(self.bank.domain_objectives[focus]) if focus is not None else None
        now, body = self._quiz(user, learner, QuizRequest(self.bank.exam_slug, count=count, objective_codes=codes),
                               now, behaviour, draws, counts)
        return now, scaled_score(body["score_percent"])

    def _exam(self, user, learner: Learner, now: datetime, behaviour: random.Random, draws: random.Random) -> bool:
        from webapp.quiz.services import QuizRequest

        _, body = self._quiz(user, learner, QuizRequest(self.bank.exam_slug, mode=QuizMode.EXAM), now, behaviour,
                             draws, None)
        return bool(body["passed"])


def oracle_pass(accuracies: list[float], bank: Bank) -> float:
    """P(raw score >= the pass mark) with the true accuracies: the domains' binomials convolved."""
    distribution = np.array([1.0])
    for accuracy, n in zip(accuracies, bank.shares):
        k = np.arange(n + 1)
        pmf = np.array([math.comb(n, int(i)) for i in k], dtype=float) * accuracy ** k * (1 - accuracy) ** (n - k)
        distribution = np.convolve(distribution, pmf)
    return float(distribution[bank.cut:].sum())


def simulate(numbers: list[int], seed: int, exam_slug: str = DEFAULT_EXAM, first_user_id: int = 1,
             world: World = WORLD, record: Path | None = None) -> list[Outcome]:
    """Run the learners `numbers` in the active app context (its database holds the bank).
    `record`: append each outcome to this JSON-lines file as it comes (a long run can be read
    before it ends: --report-only)."""
    bank = read_bank(exam_slug)
    simulation = Simulation(bank, seed, first_user_id, world)
    outcomes = []
    for number in numbers:
        outcomes.append(simulation.run(number))
        if record is not None:
            with record.open("a") as out:
                out.write(json.dumps(asdict(outcomes[-1])) + "\n")
    return outcomes


def read_outcomes(path: Path) -> list[Outcome]:
    """The outcomes a run recorded (see `simulate`)."""
    return [Outcome(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()]


# -- the report ----------------------------------------------------------------------------------


def learning_curve(outcomes: list[Outcome], iterations: int = 30) -> tuple[float, float, int] | None:
    """The learning rate in the practice answers, estimated without the exams: the fixed-effects
    logistic regression logit P(right) = a(learner, domain) + rate * ln(1 + earlier answers on the
    domain), the learning curve behind MASTERY_LEARNING_RATE. Returns (rate, its standard error,
    learner-domains used): those with 3 or more answers, not all right or all wrong (the others
    say nothing about the slope). None when there are none (records made before `sequences`)."""
    group, x, y = [], [], []
    groups = 0
    for outcome in outcomes:
        for sequence in outcome.sequences:
            if len(sequence) < 3 or len(set(sequence)) < 2:
                continue
            group.extend([groups] * len(sequence))
            groups += 1
            x.extend(math.log1p(j) for j in range(len(sequence)))
            y.extend(1.0 if c == "1" else 0.0 for c in sequence)
    if not group:
        return None
    g, x, y = np.array(group), np.array(x), np.array(y)
    intercepts, rate = np.zeros(groups), 0.0
    for _ in range(iterations):
        for _ in range(3):  # Newton steps on each intercept, the rate fixed
            p = 1.0 / (1.0 + np.exp(-(intercepts[g] + rate * x)))
            step = np.bincount(g, y - p, groups) / np.maximum(np.bincount(g, p * (1 - p), groups), 1e-12)
            intercepts += np.clip(step, -2.0, 2.0)
        p = 1.0 / (1.0 + np.exp(-(intercepts[g] + rate * x)))
        w = p * (1 - p)  # a Newton step on the rate, profiled over the intercepts
        centred = x - (np.bincount(g, w * x, groups) / np.maximum(np.bincount(g, w, groups), 1e-12))[g]
        information = float((w * centred * centred).sum())
        rate += float(((y - p) * centred).sum()) / information
    return rate, 1.0 / math.sqrt(information), groups


def _split(values: np.ndarray, by: np.ndarray, edges: list[float]) -> str:
    """Mean of `values` in the ranges of `by` cut at `edges`."""
    parts, low = [], -math.inf
    for high in [*edges, math.inf]:
        mask = (by >= low) & (by < high)
        label = (f"< {high:g}" if low == -math.inf else f">= {low:g}" if high == math.inf else f"{low:g}-{high:g}")
        parts.append(f"{label}: {values[mask].mean():+.4f} (n {int(mask.sum())})" if mask.any() else f"{label}: -")
        low = high
    return ", ".join(parts)


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    n: int
    mean_predicted: float | None
    pass_rate: float | None

    @property
    def gap(self) -> float | None:
        return None if not self.n else abs(self.mean_predicted - self.pass_rate)


@dataclass(frozen=True)
class Scores:
    """Reliability table, expected calibration error and Brier score of one predictor."""

    bins: list[Bin]
    ece: float
    brier: float

    @classmethod
    def of(cls, predicted: list[float], outcome: list[bool]) -> Scores:
        p, y = np.array(predicted, dtype=float), np.array(outcome, dtype=float)
        index = np.minimum((p * BINS).astype(int), BINS - 1)
        bins = []
        for b in range(BINS):
            mask = index == b
            n = int(mask.sum())
            bins.append(Bin(b / BINS, (b + 1) / BINS, n, float(p[mask].mean()) if n else None,
                            float(y[mask].mean()) if n else None))
        ece = sum(bin.n * bin.gap for bin in bins if bin.n) / len(p)
        return cls(bins, float(ece), float(np.mean((p - y) ** 2)))


@dataclass
class Report:
    outcomes: list[Outcome]
    seconds: float = 0.0
    workers: int = 1
    counted: list[Outcome] = field(init=False)
    model: Scores = field(init=False)
    baseline: Scores = field(init=False)
    oracle: Scores = field(init=False)

    def __post_init__(self) -> None:
        self.counted = [o for o in self.outcomes if o.predicted is not None]
        passed = [o.passed for o in self.counted]
        self.model = Scores.of([o.predicted for o in self.counted], passed)
        self.baseline = Scores.of([float(o.baseline) for o in self.counted], passed)
        self.oracle = Scores.of([o.oracle for o in self.counted], passed)

    @property
    def failures(self) -> list[str]:
        """The targets missed (empty when all are met)."""
        missed = []
        if self.model.ece > TARGET_ECE:
            missed.append(f"ECE {self.model.ece:.3f} > {TARGET_ECE}")
        for bin in self.model.bins:
            if bin.n >= TARGET_BIN_MIN and bin.gap > TARGET_BIN_GAP:
                missed.append(f"bin {bin.low:.1f}-{bin.high:.1f} off by {bin.gap:.3f}")
        if self.model.brier >= self.baseline.brier:
            missed.append(f"Brier {self.model.brier:.4f} not below the baseline's {self.baseline.brier:.4f}")
        return missed

    def lines(self) -> list[str]:
        counted = self.counted
        out = [f"learners: {len(self.outcomes)}, estimated (no `missing`): {len(counted)}, "
               f"passed the real exam: {sum(o.passed for o in counted)}",
               f"answers before the exam: median {int(np.median([o.answers for o in counted]))}, "
               f"min {min(o.answers for o in counted)}, max {max(o.answers for o in counted)}",
               "", "reliability (predicted pass probability):",
               f"  {'bin':<9} {'n':>5} {'predicted':>9} {'passed':>7} {'gap':>6}"]
        for bin in self.model.bins:
            if bin.n:
                out.append(f"  {bin.low:.1f}-{bin.high:.1f}  {bin.n:>5} {bin.mean_predicted:>9.3f} "
                           f"{bin.pass_rate:>7.3f} {bin.gap:>6.3f}{'  *' if bin.n >= TARGET_BIN_MIN else ''}")
            else:
                out.append(f"  {bin.low:.1f}-{bin.high:.1f}  {0:>5}")
        out.append(f"  (* bins of >= {TARGET_BIN_MIN} learners, held to {TARGET_BIN_GAP:.2f})")
        out.append("")
        out.append(f"{'predictor':<34} {'ECE':>6} {'Brier':>7}")
        for name, scores in (("readiness", self.model), ("baseline (last practice >= pass)", self.baseline),
                             ("oracle (true accuracies)", self.oracle)):
            out.append(f"{name:<34} {scores.ece:>6.3f} {scores.brier:>7.4f}")
        baseline_pass = [o for o in counted if o.baseline]
        out.append(f"baseline: predicts a pass for {len(baseline_pass)}, "
                   f"{sum(o.passed for o in baseline_pass)} of them passed")
        out.append(f"diagnostics: mean predicted {np.mean([o.predicted for o in counted]):.3f}, "
                   f"mean oracle {np.mean([o.oracle for o in counted]):.3f}, "
                   f"actual pass rate {np.mean([o.passed for o in counted]):.3f}; "
                   f"posterior mean - true accuracy {np.mean([o.posterior_bias for o in counted]):+.4f} "
                   f"(prior and learning term {np.mean([o.prior_pull for o in counted]):+.4f}, of which "
                   f"the learning term {np.mean([o.learning_term for o in counted]):+.4f}; "
                   f"evidence behind the truth {np.mean([o.lag for o in counted]):+.4f})")
        bias = np.array([o.posterior_bias for o in counted])
        volume = np.array([o.answers for o in counted], dtype=float)
        thirds = [float(v) for v in np.quantile(volume, [1 / 3, 2 / 3]).round()]
        out.append(f"  bias by answers before the exam: {_split(bias, volume, thirds)}")
        out.append(f"  bias by days from the last practice to the exam: "
                   f"{_split(bias, np.array([o.exam_gap_days for o in counted], dtype=float), [5, 10])}")
        curve = learning_curve(counted)
        if curve is not None:
            from config import Config

            rate, error, groups = curve
            out.append(f"learning curve of the practice answers (fixed-effects logit on ln(1 + earlier answers "
                       f"on the domain), {groups} learner-domains): {rate:.3f} +- {error:.3f} "
                       f"(MASTERY_LEARNING_RATE {Config.MASTERY_LEARNING_RATE})")
        if self.seconds:
            out.append(f"run time: {self.seconds:.1f} s with {self.workers} worker process(es), "
                       f"{self.seconds / len(self.outcomes) * 1000:.0f} ms per learner")
        failures = self.failures
        out.append("targets: " + ("PASS" if not failures else "FAIL: " + "; ".join(failures)))
        return out


# -- running it ----------------------------------------------------------------------------------


def _app(url: str):
    from bench.generate_data import bench_config
    from webapp import create_app

    class CalibrationConfig(bench_config(url)):
        SLOW_QUERY_MS = 60_000  # a busy machine's slow statements are not what this measures
        # A model parameter to compare (CALIBRATION_HALF_LIFE_DAYS=14): the default is the app's own.
        MASTERY_HALF_LIFE_DAYS = float(os.environ.get("CALIBRATION_HALF_LIFE_DAYS")
                                       or bench_config(url).MASTERY_HALF_LIFE_DAYS)

    return create_app(CalibrationConfig)


def prepare(url: str) -> int:
    """Migrate `url`, load the bundled bank if it is empty; returns the highest user id."""
    from bench.generate_data import migrate
    from webapp.extensions import db
    from webapp.models import User
    from webapp.questions.bank import load_bundled_bank_if_empty

    migrate(url)
    app = _app(url)
    with app.app_context():
        load_bundled_bank_if_empty()
        highest = db.session.scalar(sa.select(sa.func.max(User.id))) or 0
        db.session.remove()
        db.engine.dispose()
    return highest


def _worker(url: str, numbers: list[int], seed: int, exam_slug: str, first_user_id: int,
            record: Path | None) -> list[Outcome]:
    from webapp.extensions import db

    app = _app(url)
    with app.app_context():
        try:
            return simulate(numbers, seed, exam_slug, first_user_id, record=record)
        finally:
            db.session.remove()
            db.engine.dispose()


def _sqlite_path(url: str) -> Path | None:
    prefix = "sqlite:///"
    return Path(url[len(prefix):]) if url.startswith(prefix) else None


def run(learners: int, seed: int, url: str | None, workers: int, exam_slug: str,
        record: Path | None = None) -> Report:
    """Prepare the database(s), run the learners over `workers` processes, and report."""
    started = time.perf_counter()
    scratch = None
    if url is None:
        scratch = Path(tempfile.mkdtemp(prefix="certquest-calibration-"))
        url = f"sqlite:///{scratch / 'calibration.db'}"
    try:
        highest = prepare(url)
        template = _sqlite_path(url)
        urls = []
        for worker in range(workers):
            if template is None:
                urls.append(url)
            else:
                copy = template.with_name(f"{template.stem}.worker{worker}{template.suffix}")
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{copy}{suffix}").unlink(missing_ok=True)
                shutil.copyfile(template, copy)
                urls.append(f"sqlite:///{copy}")
        shards = [list(range(learners))[w::workers] for w in range(workers)]
        if workers == 1:
            outcomes = _worker(urls[0], shards[0], seed, exam_slug, highest + 1, record)
        else:
            with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
                futures = [pool.submit(_worker, u, shard, seed, exam_slug, highest + 1, record)
                           for u, shard in zip(urls, shards)]
                outcomes = [o for future in futures for o in future.result()]
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    outcomes.sort(key=lambda o: o.number)
    return Report(outcomes, time.perf_counter() - started, workers)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=DEFAULT_LEARNERS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--database", help="a database URL (default: temporary SQLite files)")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--exam", default=DEFAULT_EXAM, help="the exam's slug")
    parser.add_argument("--record", type=Path, help="append each outcome to this JSON-lines file as it comes")
    parser.add_argument("--report-only", type=Path, metavar="FILE", help="report on the outcomes FILE recorded")
    args = parser.parse_args(argv)
    if args.report_only:
        print("\n".join(Report(read_outcomes(args.report_only)).lines()))
        return 0
    try:
        report = run(args.learners, args.seed, args.database, max(1, args.workers), args.exam, args.record)
    except Exception:  # noqa: BLE001 - the exit status tells "could not run" from "missed"
        traceback.print_exc()
        return 2
    print(f"calibration: exam {args.exam}, seed {args.seed}, {args.learners} learners")
    print("\n".join(report.lines()))
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())

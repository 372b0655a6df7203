"""Mastery and readiness as the pages and the JSON API show them, one learner and exam at a time.

The exam page, `/progress`, the dashboard and `GET /api/v1/analytics/{mastery,readiness}` all
read through here, so the figures a learner sees and the ones a client fetches are one answer.

Why a memo. The figures are pure functions of the learner's `objective_mastery` rows and the
clock, but costly: a Beta interval per objective (about 0.2 ms each, pure Python) and the
readiness simulation (READINESS_SIMULATIONS draws, about 10 ms with numpy). One query reads a
fingerprint of the rows (their count, the answers they hold, their latest `as_of`): every answer
changes it, so a figure is recomputed as soon as the learner answers. Between answers the only
change is the recency decay, a fraction of a percent an hour at the default half-life, so an
entry also expires after LEARNING_MEMO_SECONDS. The memo lives in the process (never in the
shared cache: these are one learner's figures, webapp/cache.py keeps only what everyone may see)
and holds at most LEARNING_MEMO_SIZE entries, least recently used out first; 0 switches it off.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from webapp.extensions import db
from webapp.learning.mastery import ExamMastery, exam_mastery, objective_posteriors
from webapp.learning.readiness import DomainBasis, Readiness, readiness
from webapp.models import Domain, Exam, Objective, ObjectiveMastery, Question, User
from webapp.questions.services import visible_exam
from webapp.quiz.services import UnknownExam


def exam_for(user: User, slug: str) -> Exam:
    """The exam `slug` names if the learner may see it; UnknownExam (a 400 on `exam_type`) otherwise."""
    exam = visible_exam(user, slug)
    if exam is None:
        raise UnknownExam()
    return exam


# -- the memo ----------------------------------------------------------------------------------

class _Memo:
    """A small thread-safe LRU of computed figures, per app and process."""

    def __init__(self) -> None:
        self.entries: OrderedDict[tuple, tuple[float, object]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple, lifetime: float):
        with self.lock:
            found = self.entries.get(key)
            if found is None or time.monotonic() - found[0] > lifetime:
                return None
            self.entries.move_to_end(key)
            return found[1]

    def put(self, key: tuple, value, size: int) -> None:
        with self.lock:
            self.entries[key] = (time.monotonic(), value)
            self.entries.move_to_end(key)
            while len(self.entries) > size:
                self.entries.popitem(last=False)


def _memo() -> _Memo:
    memo = current_app.extensions.get("learning_memo")
    if memo is None:
        memo = current_app.extensions.setdefault("learning_memo", _Memo())
    return memo


def fingerprints(user_id: int) -> dict[int, tuple]:
    """Per exam the learner has answered: (rows, answers, latest as_of) of their mastery rows (one query)."""
    rows = db.session.execute(
        sa.select(ObjectiveMastery.exam_id, sa.func.count(), sa.func.sum(ObjectiveMastery.answers),
                  sa.func.max(ObjectiveMastery.as_of))
        .where(ObjectiveMastery.user_id == user_id).group_by(ObjectiveMastery.exam_id))
    return {exam_id: (count, int(answers or 0), str(as_of)) for exam_id, count, answers, as_of in rows}


def _remembered(kind: str, user_id: int, exam_id: int, fingerprint: tuple | None, now: datetime | None, compute):
    """compute()'s value, from the memo when the learner's rows are unchanged and the entry is young.
    A figure asked for at an explicit `now` (tests, the calibration) is never remembered."""
    config = current_app.config
    size, lifetime = int(config["LEARNING_MEMO_SIZE"]), float(config["LEARNING_MEMO_SECONDS"])
    if now is not None or size <= 0 or fingerprint is None:
        return compute()
    key = (kind, user_id, exam_id, fingerprint)
    value = _memo().get(key, lifetime)
    if value is None:
        value = compute()
        _memo().put(key, value, size)
    return value


# -- mastery -----------------------------------------------------------------------------------

UNREAD = ("unread",)  # the fingerprint is not known yet: read it


def mastery_for(user: User, exam: Exam, now: datetime | None = None,
                fingerprint: tuple | None = UNREAD) -> ExamMastery:
    """Every objective's mastery of the exam (the prior alone where nothing is answered).
    `fingerprint`: the exam's entry of `fingerprints` when the caller has read them (None: no rows)."""
    if fingerprint is UNREAD:
        fingerprint = fingerprints(user.id).get(exam.id) if now is None else None
    if fingerprint is None:  # nothing answered: the prior everywhere, cheap and nothing to remember
        return exam_mastery(user.id, exam.id, now)
    return _remembered("mastery", user.id, exam.id, fingerprint, now, lambda: exam_mastery(user.id, exam.id, now))


# -- readiness ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReadinessPanel:
    """Readiness and what would raise it: a focused session on the objectives of the domain
    holding it back most, or before an estimate the first domain short of answers (its
    objectives below MASTERY_TARGET or unanswered, else all of them)."""

    readiness: Readiness
    focus_domain: DomainBasis | None
    focus_codes: list[str]  # objective codes, code order
    focus_count: int  # questions to ask: RECOMMEND_FOCUSED_COUNT, fewer if the objectives hold fewer


def _focus(user: User, exam: Exam, result: Readiness, now: datetime | None) -> tuple[DomainBasis | None, list[str], int]:
    """The weakest domain's objectives to practise, and how many questions they can serve."""
    if not (result.missing or result.holding_back):
        return None, [], 0
    # Before an estimate, the first domain short of answers; after, the one costing the most.
    domain = (result.missing or result.holding_back)[0]
    target = current_app.config["MASTERY_TARGET"]
    posteriors = objective_posteriors(user.id, exam.id, now)
    rows = db.session.execute(
        sa.select(Objective.id, Objective.code, sa.func.count(Question.id))
        .join(Domain, Domain.id == Objective.domain_id)
        .outerjoin(Question, sa.and_(Question.objective_id == Objective.id, Question.is_active.is_(True)))
        .where(Objective.exam_id == exam.id, Domain.number == domain.domain)
        .group_by(Objective.id, Objective.code)).all()
    rows = [row for row in rows if row[2]]
    weak = [row for row in rows if row[0] not in posteriors or posteriors[row[0]].mean < target]
    chosen = sorted(weak or rows, key=lambda row: _code_key(row[1]))
    available = sum(count for _id, _code, count in chosen)
    return domain, [code for _id, code, _count in chosen], min(current_app.config["RECOMMEND_FOCUSED_COUNT"], available)


def _code_key(code: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in code.split("."))


def readiness_for(user: User, exam: Exam, now: datetime | None = None,
                  fingerprint: tuple | None = UNREAD) -> ReadinessPanel:
    """The learner's readiness for the exam with its "what would raise it" focus (`fingerprint`
    as for `mastery_for`)."""
    if fingerprint is UNREAD:
        fingerprint = fingerprints(user.id).get(exam.id) if now is None else None

    def compute() -> ReadinessPanel:
        result = readiness(user.id, exam, now)
        # Remembered without the ORM exam (it belongs to this request's session).
        return ReadinessPanel(dataclasses.replace(result, exam=None), *_focus(user, exam, result, now))

    panel = _remembered("readiness", user.id, exam.id, fingerprint, now, compute)
    return dataclasses.replace(panel, readiness=dataclasses.replace(panel.readiness, exam=exam))


def readiness_panels(user: User, exams: list[Exam], limit: int) -> list[ReadinessPanel]:
    """Readiness on the learner's `limit` most recently practised exams among `exams` (the dashboard)."""
    found = fingerprints(user.id)
    practised = sorted((exam for exam in exams if exam.id in found), key=lambda exam: found[exam.id][2], reverse=True)
    return [readiness_for(user, exam, fingerprint=found[exam.id]) for exam in practised[:limit]]


"""The question catalogue that the pages and the API read: exams, their objectives and their
question counts. The bank file format and import/export live in `webapp.questions.bank`."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from webapp.exceptions import NotFound
from webapp.extensions import db
from webapp.models import Domain, Exam, Objective, Question


@dataclass
class ObjectiveStats:
    """An objective with its active and total question counts."""

    objective: Objective
    active: int = 0
    total: int = 0


@dataclass
class DomainStats:
    """A domain with its objectives' counts; its own counts are their sums."""

    domain: Domain
    objectives: list[ObjectiveStats] = field(default_factory=list)

    @property
    def active(self) -> int:
        return sum(item.active for item in self.objectives)

    @property
    def total(self) -> int:
        return sum(item.total for item in self.objectives)


@dataclass
class ExamStats:
    """An exam with question counts per domain and objective (active and all)."""

    exam: Exam
    domains: list[DomainStats] = field(default_factory=list)

    @property
    def active(self) -> int:
        return sum(item.active for item in self.domains)

    @property
    def total(self) -> int:
        return sum(item.total for item in self.domains)

    @property
    def objective_count(self) -> int:
        return sum(len(item.objectives) for item in self.domains)


def count_questions() -> int:
    """How many questions the database holds (active or not)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Question)) or 0


def bank_stats(exam_slug: str | None = None, active_exams_only: bool = False) -> list[ExamStats]:
    """Question counts per exam, domain and objective, in blueprint order (four queries in all)."""
    exam_query = sa.select(Exam).order_by(Exam.code)
    if exam_slug is not None:
        exam_query = exam_query.where(Exam.slug == exam_slug)
    if active_exams_only:
        exam_query = exam_query.where(Exam.is_active.is_(True))
    exams = list(db.session.scalars(exam_query))
    if not exams:
        return []
    exam_ids = [exam.id for exam in exams]
    domains = db.session.scalars(sa.select(Domain).where(Domain.exam_id.in_(exam_ids)).order_by(Domain.position))
    objectives = db.session.scalars(
        sa.select(Objective).where(Objective.exam_id.in_(exam_ids)).order_by(Objective.position))
    counts = {objective_id: (active or 0, total) for objective_id, active, total in db.session.execute(
        sa.select(Question.objective_id,
                  sa.func.sum(sa.case((Question.is_active.is_(True), 1), else_=0)),
                  sa.func.count(Question.id))
        .where(Question.exam_id.in_(exam_ids)).group_by(Question.objective_id))}

    by_exam = {exam.id: ExamStats(exam=exam) for exam in exams}
    by_domain: dict[int, DomainStats] = {}
    for domain in domains:
        by_domain[domain.id] = DomainStats(domain=domain)
        by_exam[domain.exam_id].domains.append(by_domain[domain.id])
    for objective in objectives:
        active, total = counts.get(objective.id, (0, 0))
        by_domain[objective.domain_id].objectives.append(ObjectiveStats(objective, int(active), total))
    return list(by_exam.values())


def list_exam_catalogue() -> list[ExamStats]:
    """The active exams with active-question counts per domain, for the catalogue page."""
    return bank_stats(active_exams_only=True)


def get_exam_overview(slug: str) -> ExamStats:
    """One active exam with its objectives and their question counts; NotFound otherwise."""
    found = bank_stats(exam_slug=slug, active_exams_only=True)
    if not found:
        raise NotFound("There is no such exam.")
    return found[0]

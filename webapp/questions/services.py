"""The question catalogue that the pages and the API read: exams, their objectives and their
question counts. The bank file format and import/export live in `webapp.questions.bank`.

Which exams someone may see is decided here, once, for the pages, the API and the quiz engine:
`visible_exams_query(viewer)`. Learners and visitors see active exams only; admins also see
retired ones (to review their questions). Quizzes are taken on active exams only, by anyone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from webapp.cache import BANK, cached
from webapp.database import per_request
from webapp.exceptions import NotFound
from webapp.extensions import db
from webapp.models import Domain, Exam, Objective, Question, User


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


def _sees_retired_exams(viewer: User | None) -> bool:
    return viewer is not None and bool(viewer.is_admin)


def all_exams() -> list[Exam]:
    """Every exam, retired ones included, in code order: read once per page (`per_request`), for
    the services that each filter it (`exam_visible_to`, `is_active`)."""
    return per_request("exams", lambda: list(db.session.scalars(sa.select(Exam).order_by(Exam.code))))


def visible_exams(viewer: User | None) -> list[Exam]:
    """The exams `viewer` may see, in code order: `visible_exams_query`'s rule over `all_exams`."""
    return [exam for exam in all_exams() if exam_visible_to(viewer, exam)]


def objective_rows() -> list[tuple[int, str, str, int]]:
    """(id, code, title, exam id) of every objective, in id order, once per page (`per_request`)."""
    return per_request("objectives", lambda: [tuple(row) for row in db.session.execute(
        sa.select(Objective.id, Objective.code, Objective.title, Objective.exam_id).order_by(Objective.id))])


def visible_exams_query(viewer: User | None) -> sa.Select:
    """The exams `viewer` may see (None: a visitor). Every path that looks an exam up uses this."""
    query = sa.select(Exam)
    if not _sees_retired_exams(viewer):
        query = query.where(Exam.is_active.is_(True))
    return query


def exam_visible_to(viewer: User | None, exam: Exam) -> bool:
    """The same rule as `visible_exams_query`, for an exam already loaded."""
    return bool(exam.is_active) or _sees_retired_exams(viewer)


def visible_exam(viewer: User | None, slug: str) -> Exam | None:
    """The exam with this slug if `viewer` may see it, else None (unknown and hidden look alike)."""
    return db.session.scalar(visible_exams_query(viewer).where(Exam.slug == slug))


def visible_exam_slugs(viewer: User | None = None) -> list[str]:
    """Slugs of the exams `viewer` may see, in code order (the API documents them as an enum)."""
    query = visible_exams_query(viewer).order_by(Exam.code)
    return [exam.slug for exam in db.session.scalars(query)]


def all_exam_slugs() -> list[str]:
    """Slugs of every exam, retired ones included, in code order (admin operations name them)."""
    return list(db.session.scalars(sa.select(Exam.slug).order_by(Exam.code)))


def objective_codes(viewer: User | None = None) -> list[str]:
    """The distinct objective codes of the exams `viewer` may see, sorted (an API enum)."""
    exams = visible_exams_query(viewer).with_only_columns(Exam.id).scalar_subquery()
    query = sa.select(Objective.code).where(Objective.exam_id.in_(exams)).distinct().order_by(Objective.code)
    return list(db.session.scalars(query))


def bank_stats(exam_query: sa.Select | None = None) -> list[ExamStats]:
    """Question counts per exam, domain and objective, in blueprint order (four queries in all;
    three when the counts, the one that scans the questions, come from the cache: group BANK).

    `exam_query` selects the exams (every exam when None, as the admin CLI wants)."""
    exam_query = (exam_query if exam_query is not None else sa.select(Exam)).order_by(Exam.code)
    exams = list(db.session.scalars(exam_query))
    if not exams:
        return []
    exam_ids = [exam.id for exam in exams]
    domains = db.session.scalars(sa.select(Domain).where(Domain.exam_id.in_(exam_ids)).order_by(Domain.position))
    objectives = db.session.scalars(
        sa.select(Objective).where(Objective.exam_id.in_(exam_ids)).order_by(Objective.position))
    counts = cached(BANK, "objective-counts:" + ",".join(map(str, exam_ids)), "CACHE_CATALOGUE_TIMEOUT",
                    lambda: _objective_counts(exam_ids))

    by_exam = {exam.id: ExamStats(exam=exam) for exam in exams}
    by_domain: dict[int, DomainStats] = {}
    for domain in domains:
        by_domain[domain.id] = DomainStats(domain=domain)
        by_exam[domain.exam_id].domains.append(by_domain[domain.id])
    for objective in objectives:
        active, total = counts.get(objective.id, (0, 0))
        by_domain[objective.domain_id].objectives.append(ObjectiveStats(objective, int(active), total))
    return list(by_exam.values())


def _objective_counts(exam_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(active, total) questions per objective of these exams: the catalogue's one scan of the bank."""
    return {objective_id: (int(active or 0), int(total)) for objective_id, active, total in db.session.execute(
        sa.select(Question.objective_id,
                  sa.func.sum(sa.case((Question.is_active.is_(True), 1), else_=0)),
                  sa.func.count(Question.id))
        .where(Question.exam_id.in_(exam_ids)).group_by(Question.objective_id))}


def list_exam_catalogue(viewer: User | None) -> list[ExamStats]:
    """The exams `viewer` may see with active-question counts per domain (page and API)."""
    return bank_stats(visible_exams_query(viewer))


def get_exam_overview(slug: str, viewer: User | None) -> ExamStats:
    """One exam `viewer` may see with its objectives and their question counts; NotFound otherwise."""
    found = bank_stats(visible_exams_query(viewer).where(Exam.slug == slug))
    if not found:
        raise NotFound("There is no such exam.")
    return found[0]

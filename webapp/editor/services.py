"""The admin question editor: one edit rule for the page and the JSON API.

An edit merges the admin's changes onto the question as its bank file spells it
(`bank.question_document`), checks the whole result with the importer's own rules
(`bank.check_question`), and saves it in one transaction: `version + 1`, a `QuestionVersion`
(origin admin), the audit rows, optionally the resolution of every open report, and, when the
key changed, the re-grade of every recorded answer to the question.

When an admin fixes a key (docs/API.md, "When an admin fixes a key"):
- each `answers.is_correct` is re-marked from the learner's stored selection against the new
  key, with the quiz engine's own rule (`is_right`), so analytics and weak areas tell the truth;
- the stored quiz results (`attempt_results.body`, which the result and review pages read), the
  attempt's and study question's own verdicts, and XP (`xp_events`, `answers.xp_awarded`,
  `users.xp`) stay as they were: nobody loses or gains points after the fact;
- the review of an older attempt says when the key was corrected and shows both keys.
No cache holds anything derived from answers (the app's cache stores nothing yet), so there is
nothing to invalidate.
"""

from __future__ import annotations

import copy
import difflib
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from webapp.audit.services import RequestMeta, record_event
from webapp.exceptions import Conflict, FieldError, NotFound, ValidationError
from webapp.extensions import db
from webapp.feedback.services import close_reports, lock_question
from webapp.learning import services as learning
from webapp.models import (Answer, AttemptQuestion, Choice, FeedbackStatus, Objective, Question, QuestionVersion,
                           StudyQuestion, User)
from webapp.models.base import utcnow
from webapp.models.enums import VersionOrigin
from webapp.questions import bank
from webapp.quiz.services import is_right

logger = logging.getLogger(__name__)

# The fields an edit may change; `external_id` and `type` are the question's identity.
EDITABLE = ("stem", "exhibit", "choices", "targets", "explanation", "reference", "objective", "is_active",
            "difficulty", "select_count")
# Answer ids per UPDATE of a re-grade: well under SQLite's bound-parameter limit.
REGRADE_BATCH = 500
FIELD_LABELS = {"objective": "Objective", "select_count": "Answers to select", "difficulty": "Difficulty",
                "stem": "Stem", "exhibit": "Exhibit", "explanation": "Explanation", "reference": "Reference",
                "is_active": "Active", "targets": "Targets", "reuse_targets": "Targets may be reused",
                "choices": "Choices", "items": "Items"}
CHOICE_FIELD_LABELS = {"text": "Text", "rationale": "Rationale", "correct": "Correct", "target": "Target"}


class VersionConflict(Conflict):
    """The question changed since the admin loaded it: nothing was saved."""

    code = "VERSION_CONFLICT"

    def __init__(self, current: int) -> None:
        super().__init__(f"Someone saved version {current} of this question while you were editing; "
                         "reload it and apply your changes again.", field="expected_version",
                         extra={"current_version": current})


@dataclass(frozen=True)
class EditResult:
    """What an edit did: `version` is the new QuestionVersion (None when nothing changed)."""

    question: Question
    changed: bool
    version: QuestionVersion | None = None
    key_changed: bool = False
    regraded: int = 0
    reports_resolved: int = 0


@dataclass(frozen=True)
class TextPart:
    """A piece of a word diff: kept (`equal`), removed (`delete`) or added (`insert`)."""

    op: str
    text: str


@dataclass(frozen=True)
class FieldChange:
    """One changed field of a version against the previous one."""

    name: str
    label: str
    before: Any
    after: Any
    # Text fields: a word diff; other fields show before and after.
    parts: list[TextPart] = field(default_factory=list)


@dataclass(frozen=True)
class ChoiceChange:
    """One choice (or item) whose text, rationale, correctness or target changed."""

    index: int
    status: str  # "changed", "added" or "removed"
    fields: list[FieldChange]


@dataclass(frozen=True)
class VersionDiff:
    """A version of a question against the one before it (changed fields only)."""

    question_id: int
    version: QuestionVersion
    previous: QuestionVersion | None
    fields: list[FieldChange]
    choices: list[ChoiceChange]


def get_question(question_id: int, populate: bool = False) -> Question:
    """The question with its choices, objective and exam (NotFound otherwise)."""
    query = (sa.select(Question).where(Question.id == question_id)
             .options(selectinload(Question.choices), selectinload(Question.objective), selectinload(Question.exam)))
    if populate:
        query = query.execution_options(populate_existing=True)
    question = db.session.scalars(query).one_or_none()
    if question is None:
        raise NotFound("There is no such question.")
    return question


def exam_objectives(question: Question) -> list[Objective]:
    """The objectives of the question's exam, in blueprint order (the editor's objective select)."""
    from webapp.models import Domain

    return list(db.session.scalars(sa.select(Objective).join(Domain, Domain.id == Objective.domain_id)
                                   .where(Objective.exam_id == question.exam_id)
                                   .order_by(Domain.position, Objective.position)))


def list_versions(question_id: int) -> list[QuestionVersion]:
    """The question's versions, newest first."""
    return list(db.session.scalars(sa.select(QuestionVersion).where(QuestionVersion.question_id == question_id)
                                   .options(selectinload(QuestionVersion.editor))
                                   .order_by(QuestionVersion.version.desc())))


def _merge(question: Question, changes: dict) -> tuple[dict, list | None, list[FieldError]]:
    """The question's document with `changes` laid over it; the choice rows in their new order
    when the changes name choices by id (None entries are new choices); shape errors."""
    document = copy.deepcopy(bank.question_document(question))
    errors: list[FieldError] = []
    unknown = sorted(set(changes) - set(EDITABLE))
    errors += [FieldError(name, "is not a field an edit can change") for name in unknown]
    for name in ("stem", "explanation", "difficulty", "objective", "is_active"):
        if name in changes:
            document[name] = changes[name]
    if "select_count" in changes:
        if question.is_pbq:
            errors.append(FieldError("select_count", "only a choice question has select_count"))
        else:
            document["select_count"] = changes["select_count"]
    for name in ("reference", "exhibit"):
        if name in changes:
            if changes[name] is None or changes[name] == "":
                document.pop(name, None)
            else:
                document[name] = changes[name]
    new_targets = changes.get("targets")
    if "targets" in changes:
        if question.type != "matching":
            errors.append(FieldError("targets", "only a matching question has targets"))
        else:
            document["targets"] = new_targets
    key = "items" if question.is_pbq else "choices"
    rows = list(question.choices)
    current = {row.id: entry for row, entry in zip(rows, document[key])}

    def base_of(row: Choice) -> dict:
        entry = dict(current[row.id])
        # A renamed target keeps the items pointing at it (by position in the list).
        if question.type == "matching" and isinstance(new_targets, list) and row.target is not None \
                and row.target < len(new_targets):
            entry["target"] = new_targets[row.target]
        return entry

    if question.type == "matching" and "choices" not in changes:
        document[key] = [base_of(row) for row in rows]
    order = None
    if "choices" in changes:
        entries = changes["choices"]
        if not isinstance(entries, list):
            errors.append(FieldError("choices", "must be a list"))
            return document, None, errors
        by_id = {row.id: row for row in rows}
        merged, order, seen = [], [], set()
        for index, raw in enumerate(entries):
            if not isinstance(raw, dict):
                errors.append(FieldError(f"choices[{index}]", "must be an object"))
                continue
            entry = dict(raw)
            choice_id = entry.pop("id", None)
            if choice_id is None:
                merged.append(entry)
                order.append(None)
            elif choice_id not in by_id or choice_id in seen:
                errors.append(FieldError(f"choices[{index}].id", "is not a choice of this question (or is listed twice)"))
            else:
                seen.add(choice_id)
                merged.append(base_of(by_id[choice_id]) | entry)
                order.append(by_id[choice_id])
        if question.type == "ordering":
            merged = [{k: v for k, v in entry.items() if k != "correct"} for entry in merged]
        document[key] = merged
        if not seen:
            order = None  # no ids: choices are rewritten by position, as the import does
    return document, order, errors


def _field_name(name: str) -> str:
    """The importer calls a PBQ's choices `items`; the editor's fields are `choices`."""
    return "choices" + name[len("items"):] if name.startswith("items") else name


def check_changes(question: Question, changes: dict) -> tuple[bank.QuestionSpec | None, list | None, list[FieldError]]:
    """Merge and validate `changes` (nothing written): the checked entry, the new choice order
    and every error, field by field, from the importer's rules."""
    document, order, errors = _merge(question, changes)
    spec, problems = bank.check_question(document, question.exam.slug,
                                         {objective.code for objective in exam_objectives(question)})
    errors += [FieldError("body" if problem.field == bank.WHOLE_FILE else _field_name(problem.field), problem.message)
               for problem in problems]
    return (None if errors else spec), order, errors


def _arrange(question: Question, order: list, content: dict) -> None:
    """Put the named choice rows in their new places (and drop the unnamed ones), so a moved
    choice keeps its id: learners' stored selections still mean what they meant."""
    kept = [row for row in order if row is not None]
    for row in list(question.choices):
        if row not in kept:
            question.choices.remove(row)
    # Two steps around the (question_id, position) key: park every kept row past the end first.
    parking = len(order) + len(kept) + 1
    for index, row in enumerate(kept):
        row.position = parking + index
    db.session.flush()
    arranged = []
    for position, row in enumerate(order):
        if row is None:
            text, correct, rationale, target = content["choices"][position]
            row = Choice(position=position, text=text, is_correct=correct, rationale=rationale, target=target)
        else:
            row.position = position
        arranged.append(row)
    question.choices = arranged


def _ensure_baseline(question: Question) -> None:
    """A question stored before versions were kept gets its current content as its current version."""
    if db.session.scalar(sa.select(sa.func.count(QuestionVersion.id))
                         .where(QuestionVersion.question_id == question.id)) == 0:
        bank.add_version(question, VersionOrigin.IMPORT, question.updated_at)


def edit_question(admin: User, question_id: int, changes: dict, meta: RequestMeta,
                  expected_version: int | None = None, resolve_reports: bool = False,
                  resolution_note: str | None = None, now: datetime | None = None) -> EditResult:
    """Apply an admin's changes to a question: validated like an import entry (ValidationError
    with every field's error, nothing saved), refused if the question moved past
    `expected_version` (VersionConflict), a no-op when nothing changes. A real change bumps
    `version`, records a QuestionVersion and audit rows, and re-grades every answer when the key
    changed. With `resolve_reports`, every open report is resolved in the same transaction."""
    now = now or utcnow()
    try:
        if not lock_question(question_id):
            raise NotFound("There is no such question.")
        question = get_question(question_id, populate=True)
        if expected_version is not None and expected_version != question.version:
            raise VersionConflict(question.version)
        spec, order, errors = check_changes(question, changes)
        if errors:
            raise ValidationError(errors[0].error if len(errors) == 1 else "Some fields are invalid.",
                                  field=errors[0].field if len(errors) == 1 else None, errors=errors)
        moved = order is not None and [row.id if row else None for row in order] != [c.id for c in question.choices]
        changed = moved or not bank.content_matches(question, spec)
        result = EditResult(question=question, changed=False)
        if changed:
            result = _save(admin, question, spec, order, meta, now)
        resolved = _resolve(admin, question_id, resolution_note, meta) if resolve_reports else 0
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    logger.info("question edited", extra={"question_id": question_id, "changed": result.changed,
                                          "key_changed": result.key_changed, "answers_regraded": result.regraded,
                                          "reports_resolved": resolved})
    return EditResult(question=get_question(question_id), changed=result.changed, version=result.version,
                      key_changed=result.key_changed, regraded=result.regraded, reports_resolved=resolved)


def _save(admin: User, question: Question, spec: bank.QuestionSpec, order: list | None, meta: RequestMeta,
          now: datetime) -> EditResult:
    _ensure_baseline(question)
    before = bank.question_document(question)
    key_before = bank.answer_key(question)
    was_active = question.is_active
    if order is not None:
        _arrange(question, order, spec.content)
    objective = db.session.scalars(sa.select(Objective).where(Objective.exam_id == question.exam_id,
                                                              Objective.code == spec.objective)).one()
    bank.apply_document(question, spec, objective)
    question.version += 1
    question.updated_at = now
    db.session.flush()
    key_changed = bank.answer_key(question) != key_before
    version = bank.add_version(question, VersionOrigin.ADMIN, now, key_changed=key_changed, edited_by=admin.id)
    after = version.content
    changed = sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))
    record_event("question_edit", meta, user_id=admin.id, details={
        "question_id": question.id, "version": question.version, "key_changed": key_changed,
        "before": {name: before.get(name) for name in changed}, "after": {name: after.get(name) for name in changed}})
    if question.is_active and not was_active:
        record_event("question_reactivate", meta, user_id=admin.id, details={
            "question_id": question.id, "version": question.version,
            "before": {"is_active": False}, "after": {"is_active": True}})
    regraded = regrade_answers(question) if key_changed else 0
    return EditResult(question=question, changed=True, version=version, key_changed=key_changed, regraded=regraded)


def _resolve(admin: User, question_id: int, note: str | None, meta: RequestMeta) -> int:
    closed = close_reports(question_id, admin, FeedbackStatus.RESOLVED, note)
    if closed:
        record_event("feedback_resolve", meta, user_id=admin.id, details={
            "question_id": question_id, "report_ids": [report.id for report in closed], "with_edit": True,
            "before": {"status": FeedbackStatus.PENDING.value},
            "after": {"status": FeedbackStatus.RESOLVED.value, "resolution_note": note or None}})
    return len(closed)


def regrade_answers(question: Question) -> int:
    """Re-mark every recorded answer to `question` against its current key, from the stored
    selection (the attempt's `attempt_questions` row, or the study session's `study_questions`
    row), with the quiz engine's rule. Only verdicts that flip are written, in batches of
    REGRADE_BATCH ids per outcome. Returns how many flipped; the caller commits.

    Scale: two reads driven by the `question_id` indexes of attempt_questions and
    study_questions, each joined to answers on its unique (attempt or session, question) key:
    O(answers to this question), about 1,000 rows at the bench data set, read once, then at most
    two UPDATEs per 500 flipped answers (by primary key). No per-answer statement. The learners
    whose answers flipped get their card for the question and their mastery rebuilt."""
    correct = {choice.id for choice in question.choices if choice.is_correct}
    key = question.pbq_key if question.is_pbq else None
    quiz = db.session.execute(
        sa.select(Answer.id, Answer.is_correct, AttemptQuestion.selected_choice_ids, AttemptQuestion.response)
        .join(AttemptQuestion, sa.and_(AttemptQuestion.attempt_id == Answer.attempt_id,
                                       AttemptQuestion.question_id == Answer.question_id))
        .where(AttemptQuestion.question_id == question.id))
    study = db.session.execute(
        sa.select(Answer.id, Answer.is_correct, StudyQuestion.response)
        .join(StudyQuestion, sa.and_(StudyQuestion.session_id == Answer.study_session_id,
                                     StudyQuestion.question_id == Answer.question_id))
        .where(StudyQuestion.question_id == question.id))
    flips: dict[bool, list[int]] = {True: [], False: []}
    for answer_id, was, selected, response in quiz:
        given = response if question.is_pbq else {"choice_ids": list(selected or [])}
        verdict = is_right(question.type, given, correct, key)
        if verdict != was:
            flips[verdict].append(answer_id)
    for answer_id, was, response in study:
        verdict = is_right(question.type, response, correct, key)
        if verdict != was:
            flips[verdict].append(answer_id)
    for verdict, ids in flips.items():
        for start in range(0, len(ids), REGRADE_BATCH):
            db.session.execute(sa.update(Answer).where(Answer.id.in_(ids[start:start + REGRADE_BATCH]))
                               .values(is_correct=verdict).execution_options(synchronize_session=False))
    flipped = flips[True] + flips[False]
    if flipped:
        # The learners' cards for this question and their mastery of its objectives, replayed
        # with the corrected verdicts.
        learners = sorted(set(db.session.scalars(sa.select(Answer.user_id).where(Answer.question_id == question.id,
                                                                                 Answer.id.in_(flipped)))))
        objectives = sorted(set(db.session.scalars(sa.select(Answer.objective_id).where(Answer.id.in_(flipped)))))
        learning.rebuild(learners, [question.id], objectives)
    return len(flipped)


def get_version(question_id: int, number: int) -> QuestionVersion:
    """One version of a question (NotFound otherwise)."""
    row = db.session.scalars(sa.select(QuestionVersion).where(QuestionVersion.question_id == question_id,
                                                               QuestionVersion.version == number)).one_or_none()
    if row is None:
        raise NotFound("There is no such version of this question.")
    return row


def diff(question_id: int, version: int) -> VersionDiff:
    """Version `version` of the question against the version before it: changed fields only,
    a word diff for text, and per choice (or item) its text, rationale, correctness or target."""
    current = get_version(question_id, version)
    previous = db.session.scalars(
        sa.select(QuestionVersion).where(QuestionVersion.question_id == question_id,
                                         QuestionVersion.version < version)
        .order_by(QuestionVersion.version.desc()).limit(1)).one_or_none()
    before, after = (previous.content if previous else {}), current.content
    fields = []
    for name in FIELD_LABELS:
        if name in ("choices", "items") or before.get(name) == after.get(name):
            continue
        fields.append(_change(name, FIELD_LABELS[name], before.get(name), after.get(name)))
    key = "items" if "items" in after else "choices"
    old_list, new_list = before.get(key) or [], after.get(key) or []
    choices = []
    for index in range(max(len(old_list), len(new_list))):
        old = old_list[index] if index < len(old_list) else None
        new = new_list[index] if index < len(new_list) else None
        if old == new:
            continue
        status = "added" if old is None else "removed" if new is None else "changed"
        changes = [_change(name, CHOICE_FIELD_LABELS[name], (old or {}).get(name), (new or {}).get(name))
                   for name in CHOICE_FIELD_LABELS if (old or {}).get(name) != (new or {}).get(name)]
        choices.append(ChoiceChange(index=index, status=status, fields=changes))
    return VersionDiff(question_id=question_id, version=current, previous=previous, fields=fields, choices=choices)


def _change(name: str, label: str, before: Any, after: Any) -> FieldChange:
    texts = all(isinstance(value, (str, type(None))) for value in (before, after))
    parts = _word_diff(before, after) if texts else []
    return FieldChange(name=name, label=label, before=before, after=after, parts=parts)


def _word_diff(before: str | None, after: str | None) -> list[TextPart]:
    """Words (and the spaces between them) kept, removed and added, with difflib."""
    old, new = re.split(r"(\s+)", before or ""), re.split(r"(\s+)", after or "")
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(TextPart("equal", "".join(old[i1:i2])))
            continue
        if i2 > i1:
            parts.append(TextPart("delete", "".join(old[i1:i2])))
        if j2 > j1:
            parts.append(TextPart("insert", "".join(new[j1:j2])))
    return [part for part in parts if part.text]

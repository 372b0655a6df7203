"""Importing, validating, exporting and counting the question bank, through services and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from tests.factories import choice_ids, gen_exam, gen_question, gen_user
from tests.questions.factories import (
    table_exhibit,
    text_exhibit,
    demo_questions,
    exam_document,
    matching_question,
    multiple_question,
    ordering_question,
    single_question,
    write_bank_folder,
    write_json,
    write_question_file,
)
from webapp.exceptions import NotFound
from webapp.extensions import db
from webapp.models import (Answer, AttemptQuestion, AttemptStatus, Choice, Domain, Exam, Objective, Question,
                           QuizAttempt, QuizMode)
from webapp.questions import bank, services
from webapp.questions.bank import BankInvalid
from webapp.quiz import services as quiz_services
from webapp.quiz.services import QuizRequest

OLD_CORE1_SLICE = Path(__file__).resolve().parent / "data" / "aplus-core1-220-1101"

pytestmark = pytest.mark.usefixtures("app_context")


def _snapshot() -> dict:
    """Everything an import can write, in comparable form."""
    questions = db.session.scalars(sa.select(Question).order_by(Question.external_id))
    return {
        "exams": [(e.slug, e.code, e.name) for e in db.session.scalars(sa.select(Exam).order_by(Exam.slug))],
        "objectives": sorted(db.session.execute(sa.select(Objective.code, Objective.title)).all()),
        "questions": [(q.external_id, q.version, q.stem, q.updated_at,
                       [(c.text, c.is_correct) for c in q.choices]) for q in questions],
    }


def _problems(paths) -> list[str]:
    with pytest.raises(BankInvalid) as caught:
        bank.import_bank(paths)
    return [str(problem) for problem in caught.value.problems]


def test_valid_folder_imports_blueprint_and_questions(bank_folder):
    """A folder imports its exam, domains, objectives and questions with choices in order."""
    summary = bank.import_bank([bank_folder])
    assert (summary.exams, summary.created, summary.updated, summary.unchanged) == (1, 3, 0, 0)
    exam = db.session.scalar(sa.select(Exam).where(Exam.slug == "demo"))
    assert (exam.code, exam.passing_score, [d.number for d in exam.domains]) == ("DM0-101", 750, ["1.0", "2.0"])
    assert [o.code for o in exam.domains[0].objectives] == ["1.1", "1.2"]
    question = db.session.scalar(sa.select(Question).where(Question.external_id == "dmo-2.1-001"))
    assert (question.type, question.select_count, question.version, question.reference) == ("multiple", 2, 1, "RFC 1918")
    assert question.objective.code == "2.1" and question.exam_id == exam.id
    assert [c.position for c in question.choices] == [0, 1, 2, 3, 4]
    assert question.correct_positions == [0, 1]
    assert question.is_active and not question.is_flagged and question.flag_count == 0


def test_question_file_imports_into_an_exam_already_in_the_database(bank_folder, tmp_path):
    """A lone question file is checked against the exam and objectives stored earlier."""
    bank.import_bank([bank_folder])
    extra = write_question_file(tmp_path / "more.json", [single_question("dmo-1.2-002", objective="1.2")])
    assert bank.import_bank([extra]).created == 1


INVALID_ENTRIES = [
    ("unknown objective", {"objective": "9.9"}, "objective", "not in exam demo"),
    ("unknown type", {"type": "truefalse"}, "type", "must be \"single\", \"multiple\", \"ordering\" or \"matching\""),
    ("select_count for single", {"select_count": 2}, "select_count", "must be 1"),
    ("too few choices", {"choices": single_question("x")["choices"][:3]}, "choices", "exactly 4 choices"),
    ("two correct in single", {"choices": [dict(c, correct=True) for c in single_question("x")["choices"]][:2]
                               + single_question("x")["choices"][2:]}, "choices", "exactly 1 correct"),
    ("empty stem", {"stem": "  "}, "stem", "non-empty"),
    ("empty explanation", {"explanation": ""}, "explanation", "non-empty"),
    ("empty rationale", {"choices": [dict(single_question("x")["choices"][0], rationale="")]
                         + single_question("x")["choices"][1:]}, "choices[0].rationale", "non-empty"),
    ("difficulty out of range", {"difficulty": 4}, "difficulty", "1, 2 or 3"),
    ("boolean select_count", {"select_count": True}, "select_count", "whole number"),
    ("unknown field", {"answer": "A"}, "answer", "not a known field"),
    ("empty reference", {"reference": ""}, "reference", "non-empty"),
]


@pytest.mark.parametrize(("mutation", "field", "message"), [entry[1:] for entry in INVALID_ENTRIES],
                         ids=[entry[0] for entry in INVALID_ENTRIES])
def test_invalid_entry_is_reported_and_nothing_is_written(bank_folder, tmp_path, mutation, field, message):
    """Each kind of invalid entry is reported as file:entry:field and the database is left as it was."""
    bank.import_bank([bank_folder])
    before = _snapshot()
    changed = single_question("dmo-1.1-001", stem="A changed stem that would bump the version.")
    path = write_question_file(tmp_path / "questions-bad.json", [
        changed, single_question("dmo-1.1-009"), single_question("dmo-1.2-005", **mutation)])
    problems = _problems([path])
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}:dmo-1.2-005:{field}: ")
    assert message in problems[0]
    assert _snapshot() == before


INVALID_EXHIBITS = [
    ("not an object", "Output", "exhibit", "must be an object"),
    ("unknown kind", text_exhibit(kind="image"), "exhibit.kind", "must be \"text\" or \"table\""),
    ("no title", {"kind": "text", "text": "line"}, "exhibit.title", "is required"),
    ("blank title", text_exhibit(title=" "), "exhibit.title", "at most 120 characters"),
    ("long title", text_exhibit(title="T" * 121), "exhibit.title", "at most 120 characters"),
    ("unknown exhibit field", text_exhibit(caption="x"), "exhibit.caption", "not a known field"),
    ("table field on text", text_exhibit(rows=[["a", "b"]]), "exhibit.rows", "not a known field"),
    ("no text", {"kind": "text", "title": "Log"}, "exhibit.text", "is required"),
    ("empty text", text_exhibit(text=""), "exhibit.text", "non-empty text"),
    # 20 lines of 72 characters are 1459, so 1500 is only passed along with the line limits.
    ("text too long", text_exhibit(text="\n".join(["x" * 72] * 21)), "exhibit.text", "at most 1500 characters"),
    ("too many lines", text_exhibit(text="\n".join(["line"] * 21)), "exhibit.text", "at most 20 lines, got 21"),
    ("line too wide", text_exhibit(text="ok\n" + "x" * 73), "exhibit.text", "line 2 has 73 characters"),
    ("tab in text", text_exhibit(text="Port\tStatus"), "exhibit.text", "must not contain tabs"),
    ("one column", table_exhibit(columns=["Only"], rows=[["a"]]), "exhibit.columns", "2 to 6 column names"),
    ("seven columns", table_exhibit(columns=list("ABCDEFG"), rows=[list("abcdefg")]), "exhibit.columns",
     "2 to 6 column names"),
    ("blank column name", table_exhibit(columns=["Setting", ""]), "exhibit.columns[1]", "non-empty text"),
    ("no rows", table_exhibit(rows=[]), "exhibit.rows", "1 to 12 rows"),
    ("thirteen rows", table_exhibit(rows=[["a", "b"]] * 13), "exhibit.rows", "1 to 12 rows"),
    ("row is not a list", table_exhibit(rows=["Lease 8 days"]), "exhibit.rows[0]", "list of cells"),
    ("short row", table_exhibit(rows=[["Lease", "8 days"], ["Router"]]), "exhibit.rows[1]",
     "one cell per column (2), got 1"),
    ("cell not text", table_exhibit(rows=[["Lease", 8]]), "exhibit.rows[0][1]", "must be text, got 8"),
    ("cell too long", table_exhibit(rows=[["Lease", "d" * 61]]), "exhibit.rows[0][1]", "at most 60 characters"),
    ("text field on table", table_exhibit(text="x"), "exhibit.text", "not a known field"),
]


@pytest.mark.parametrize(("exhibit", "field", "message"), [entry[1:] for entry in INVALID_EXHIBITS],
                         ids=[entry[0] for entry in INVALID_EXHIBITS])
def test_invalid_exhibit_is_reported_and_nothing_is_written(bank_folder, tmp_path, exhibit, field, message):
    """Each way an exhibit breaks the format is reported at file:entry:exhibit...; nothing is written."""
    bank.import_bank([bank_folder])
    before = _snapshot()
    path = write_question_file(tmp_path / "questions-bad.json", [
        single_question("dmo-1.1-009"), single_question("dmo-1.2-005", exhibit=exhibit)])
    problems = _problems([path])
    assert problems and all(problem.startswith(f"{path}:dmo-1.2-005:{field}: ") for problem in problems)
    assert [message in problem for problem in problems].count(True) == 1, problems
    assert _snapshot() == before


def test_exhibit_at_the_limits_imports_and_is_stored(tmp_path):
    """A text exhibit of 20 lines of 72 characters and a 6-column, 12-row table are accepted and stored."""
    text = text_exhibit(title="T" * 120, text="\n".join(["x" * 72] * 20))
    table = table_exhibit(columns=list("ABCDEF"), rows=[["c" * 60] * 6] * 12)
    questions = demo_questions()
    questions[0]["exhibit"], questions[1]["exhibit"] = text, table
    folder = write_bank_folder(tmp_path / "demo", questions=questions)
    assert bank.import_bank([folder]).created == 3
    stored = {q.external_id: q.exhibit for q in db.session.scalars(sa.select(Question))}
    assert stored == {"dmo-1.1-001": text, "dmo-1.2-001": table, "dmo-2.1-001": None}


def test_changed_or_removed_exhibit_bumps_version(bank_folder):
    """An exhibit is content: adding, changing or removing one gives the question version + 1."""
    questions = demo_questions()
    questions[0]["exhibit"] = text_exhibit()
    write_question_file(bank_folder / "questions.json", questions)
    bank.import_bank([bank_folder])
    versions = []
    for exhibit in (text_exhibit(text="Default Gateway . : 10.0.0.1"), table_exhibit(), None):
        if exhibit is None:
            del questions[0]["exhibit"]
        else:
            questions[0]["exhibit"] = exhibit
        write_question_file(bank_folder / "questions.json", questions)
        summary = bank.import_bank([bank_folder])
        assert (summary.updated, summary.unchanged) == (1, 2)
        db.session.expire_all()
        question = db.session.scalar(sa.select(Question).where(Question.external_id == "dmo-1.1-001"))
        assert question.exhibit == exhibit
        versions.append(question.version)
    assert versions == [2, 3, 4]


@pytest.mark.parametrize(("mutation", "message"), [
    ({"select_count": 4}, "must be 2 or 3"),
    ({"choices": multiple_question("x")["choices"][:4]}, "5 to 6 choices"),
    ({"select_count": 3, "choices": multiple_question("x")["choices"]}, "select_count is 3 but 2 choices are correct"),
])
def test_invalid_multiple_answer_question_is_reported(bank_folder, tmp_path, mutation, message):
    """Multiple-answer questions need select_count 2-3, 5-6 choices and select_count correct ones."""
    path = write_question_file(tmp_path / "questions.json", [multiple_question("dmo-2.1-002", **mutation)])
    problems = _problems([bank_folder / "exam.json", path])
    assert len(problems) == 1 and message in problems[0]
    assert problems[0].startswith(f"{path}:dmo-2.1-002:")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Exam)) == 0


def _items(entry: dict, **changes) -> list[dict]:
    """The entry's items with `changes` applied to the first one."""
    return [dict(entry["items"][0], **changes)] + entry["items"][1:]


ORDERING = ordering_question("x")
MATCHING = matching_question("x")
INVALID_PBQS = [
    ("three items", ordering_question("dmo-1.2-005", count=3), "items", "4 to 7 items, got 3"),
    ("eight items", ordering_question("dmo-1.2-005", count=8), "items", "4 to 7 items, got 8"),
    ("items not a list", ordering_question("dmo-1.2-005", items="A, B"), "items", "4 to 7 items"),
    ("duplicate item", ordering_question("dmo-1.2-005", items=_items(ORDERING, text="Phase 2")), "items",
     "two items have the same text"),
    ("blank item", ordering_question("dmo-1.2-005", items=_items(ORDERING, text=" ")), "items[0].text",
     "non-empty text"),
    ("long item", ordering_question("dmo-1.2-005", items=_items(ORDERING, text="x" * 201)), "items[0].text",
     "at most 200 characters"),
    ("no rationale", ordering_question("dmo-1.2-005", items=_items(ORDERING, rationale="")),
     "items[0].rationale", "non-empty text"),
    ("target on ordering", ordering_question("dmo-1.2-005", items=_items(ORDERING, target="A")),
     "items[0].target", "not a known field"),
    ("choices on ordering", ordering_question("dmo-1.2-005", choices=[]), "choices", "not a known field"),
    ("select_count on matching", matching_question("dmo-1.2-005", select_count=1), "select_count",
     "not a known field"),
    ("two targets", matching_question("dmo-1.2-005", targets=["TCP 22", "TCP 443"]), "targets",
     "3 to 8 targets, got 2"),
    ("nine targets", matching_question("dmo-1.2-005", targets=["TCP 22", "TCP 443", "UDP 161"]
                                       + [f"P{n}" for n in range(6)]), "targets", "3 to 8 targets, got 9"),
    ("duplicate target", matching_question("dmo-1.2-005", targets=["TCP 22", "TCP 443", "UDP 161", "tcp 22"]),
     "targets", "two targets have the same text"),
    ("long target", matching_question("dmo-1.2-005", targets=MATCHING["targets"] + ["t" * 121]), "targets[5]",
     "at most 120 characters"),
    ("two items", matching_question("dmo-1.2-005", items=MATCHING["items"][:2]), "items", "3 to 6 items, got 2"),
    ("unknown target", matching_question("dmo-1.2-005", items=_items(MATCHING, target="TCP 23")),
     "items[0].target", "must be one of the targets"),
    ("shared target", matching_question("dmo-1.2-005", items=_items(MATCHING, target="TCP 443")),
     "items[1].target", "already used by another item"),
    ("reuse not said", matching_question("dmo-1.2-005", reuse_targets=True), "stem", "more than once"),
    ("reuse not boolean", matching_question("dmo-1.2-005", reuse_targets="yes"), "reuse_targets",
     "true or false"),
    ("unknown type", ordering_question("dmo-1.2-005", type="hotspot"), "type", "\"ordering\" or \"matching\""),
]


@pytest.mark.parametrize(("entry", "field", "message"), [entry[1:] for entry in INVALID_PBQS],
                         ids=[entry[0] for entry in INVALID_PBQS])
def test_invalid_ordering_or_matching_question_is_reported(bank_folder, tmp_path, entry, field, message):
    """Each way an ordering or matching entry breaks the format is reported at file:entry:field; nothing is written."""
    bank.import_bank([bank_folder])
    before = _snapshot()
    path = write_question_file(tmp_path / "questions-bad.json", [ordering_question("dmo-1.1-009"), entry])
    problems = _problems([path])
    assert problems and all(problem.startswith(f"{path}:dmo-1.2-005:") for problem in problems), problems
    assert [problem.startswith(f"{path}:dmo-1.2-005:{field}: ") and message in problem
            for problem in problems].count(True) == 1, problems
    assert _snapshot() == before


def test_ordering_and_matching_questions_import_with_their_key(tmp_path):
    """Ordering items are stored in their correct order; matching items point at their target's index."""
    reused = matching_question("dmo-2.1-002", reuse_targets=True,
                               stem="Classify each control. A category may be used more than once.",
                               targets=["Technical", "Physical", "Managerial"],
                               items=[{"text": "Firewall", "target": "Technical", "rationale": "It is software."},
                                      {"text": "EDR", "target": "Technical", "rationale": "Also software."},
                                      {"text": "Fence", "target": "Physical", "rationale": "It is a barrier."}])
    folder = write_bank_folder(tmp_path / "bank", questions=[
        ordering_question("dmo-1.1-001", count=7), matching_question("dmo-2.1-001"), reused])
    assert bank.import_bank([folder]).created == 3
    stored = {q.external_id: q for q in db.session.scalars(sa.select(Question))}
    ordering = stored["dmo-1.1-001"]
    assert (ordering.type, ordering.select_count, ordering.targets) == ("ordering", 1, None)
    assert [c.text for c in ordering.choices] == [f"Phase {n}" for n in range(1, 8)]
    matching = stored["dmo-2.1-001"]
    assert matching.targets == ["TCP 22", "TCP 443", "UDP 53", "TCP 25", "UDP 161"]
    assert [(c.text, c.target) for c in matching.choices] == [("SSH", 0), ("HTTPS", 1), ("SNMP agent", 4)]
    assert stored["dmo-2.1-002"].reuse_targets is True
    assert [c.target for c in stored["dmo-2.1-002"].choices] == [0, 0, 1]


def test_ordering_and_matching_survive_export_and_import(bank_folder, tmp_path):
    """Export writes ordering and matching entries in the bank format; re-importing them changes nothing,
    and a changed match bumps the version."""
    questions = [ordering_question("dmo-1.1-001"), matching_question("dmo-2.1-001"), single_question("dmo-1.2-001",
                                                                                                    objective="1.2")]
    write_question_file(bank_folder / "questions.json", questions)
    bank.import_bank([bank_folder])
    before = _snapshot()
    bank.export_bank(tmp_path / "out")
    written = {q["external_id"]: q for q in
               json.loads((tmp_path / "out" / "demo" / "questions.json").read_text())["questions"]}
    assert written["dmo-1.1-001"] == questions[0]
    assert written["dmo-2.1-001"] == questions[1]
    summary = bank.import_bank([tmp_path / "out"])
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 3)
    assert _snapshot() == before
    questions[1]["items"][2]["target"] = "UDP 53"
    write_question_file(bank_folder / "questions.json", questions)
    assert bank.import_bank([bank_folder]).updated == 1
    matching = db.session.scalar(sa.select(Question).where(Question.external_id == "dmo-2.1-001"))
    assert (matching.version, [c.target for c in matching.choices]) == (2, [0, 1, 2])


def test_entry_without_external_id_is_located_by_index(tmp_path, bank_folder):
    """An entry with no usable external_id is named by its index in the file."""
    entry = single_question("ignored")
    del entry["external_id"]
    path = write_question_file(tmp_path / "questions.json", [single_question("dmo-1.1-002"), entry])
    assert _problems([bank_folder / "exam.json", path]) == [f"{path}:1:external_id: is required"]


def test_every_problem_is_reported_at_once(tmp_path, bank_folder):
    """All problems of all files come back together, one per line."""
    path = write_question_file(tmp_path / "questions.json", [
        single_question("dmo-1.1-002", difficulty=0, stem=""), single_question("dmo-1.1-003", objective="7.7")])
    problems = _problems([bank_folder, path])
    assert [p.split(": ")[0] for p in problems] == [
        f"{path}:dmo-1.1-002:difficulty", f"{path}:dmo-1.1-002:stem", f"{path}:dmo-1.1-003:objective"]


def test_duplicate_external_id_within_a_file(tmp_path, bank_folder):
    """The same external_id twice in one file is a problem and nothing is imported."""
    path = write_question_file(tmp_path / "questions.json", [single_question("dmo-1.1-002"),
                                                             single_question("dmo-1.1-002", objective="1.2")])
    problems = _problems([bank_folder / "exam.json", path])
    assert problems == [f"{path}:dmo-1.1-002:external_id: duplicate: dmo-1.1-002 is also defined earlier in this file"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == 0


def test_duplicate_external_id_across_files(tmp_path, bank_folder):
    """The same external_id in two files names both files."""
    other = write_question_file(bank_folder / "questions-more.json", [single_question("dmo-1.1-001")])
    problems = _problems([bank_folder])  # files are read in name order: questions-more.json first
    assert problems == [f"{bank_folder / 'questions.json'}:dmo-1.1-001:external_id: duplicate: dmo-1.1-001 "
                        f"is also defined in {other}"]


def test_external_id_of_another_exam_is_refused(tmp_path, bank_folder):
    """An external_id stored under one exam cannot be imported into another."""
    bank.import_bank([bank_folder])
    other = write_bank_folder(tmp_path / "other", exam=exam_document(slug="other", id_prefix="oth"),
                              questions=[single_question("dmo-1.1-001")])
    problems = _problems([other])
    assert problems == [f"{other / 'questions.json'}:dmo-1.1-001:external_id: dmo-1.1-001 already belongs to exam demo"]


def test_question_for_unknown_exam_is_reported(tmp_path):
    """A question file for an exam that is neither imported nor stored is refused."""
    path = write_question_file(tmp_path / "questions.json", [single_question("dmo-1.1-001")], exam="ghost")
    assert _problems([path]) == [
        f"{path}:dmo-1.1-001:exam: exam 'ghost' is neither in this import nor in the database"]


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"passing_score": 950}, "passing_score", "between 100 and 900"),
    ({"slug": "Demo Exam"}, "slug", "lower-case"),
    ({"domains": [dict(exam_document()["domains"][0], weight_percent=50), exam_document()["domains"][1]]},
     "domains", "add up to 100, got 90"),
    ({"domains": [exam_document()["domains"][0],
                  dict(exam_document()["domains"][1], objectives=[{"code": "3.1", "title": "Misplaced"}])]},
     "domains[1].objectives[0].code", "does not belong to domain 2.0"),
])
def test_invalid_exam_file_is_reported(tmp_path, change, field, message):
    """exam.json problems name the exam and the field, and the questions are not checked against it."""
    folder = write_bank_folder(tmp_path / "demo", exam=exam_document(**change))
    problems = _problems([folder])
    assert len(problems) == 1, problems
    assert problems[0].split(":")[2] == field and message in problems[0]
    assert problems[0].startswith(f"{folder / 'exam.json'}:")


def test_unreadable_files_and_missing_paths_are_reported(tmp_path):
    """Invalid JSON and a path that does not exist are problems of the whole file."""
    broken = tmp_path / "questions.json"
    broken.write_text('{"exam": "demo", "questions": [', encoding="utf-8")
    problems = sorted(_problems([broken, tmp_path / "missing"]))
    assert problems[0] == f"{tmp_path / 'missing'}:-:-: does not exist"
    assert problems[1].startswith(f"{broken}:-:-: is not valid JSON (Expecting value at line 1")


def test_reimport_is_idempotent(bank_folder):
    """Importing the same files again creates and updates nothing and bumps no version."""
    bank.import_bank([bank_folder])
    before = _snapshot()
    summary = bank.import_bank([bank_folder])
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 3)
    assert _snapshot() == before


def test_changed_content_bumps_version_and_updated_at(bank_folder):
    """Only questions whose content changed get version + 1 and a new updated_at."""
    bank.import_bank([bank_folder])
    before = {q.external_id: (q.version, q.updated_at) for q in db.session.scalars(sa.select(Question))}
    questions = demo_questions()
    questions[0]["choices"][3]["rationale"] = "A clearer rationale."
    questions[2]["is_active"] = False
    write_question_file(bank_folder / "questions.json", questions)
    summary = bank.import_bank([bank_folder])
    assert (summary.created, summary.updated, summary.unchanged) == (0, 2, 1)
    db.session.expire_all()
    after = {q.external_id: q for q in db.session.scalars(sa.select(Question))}
    assert after["dmo-1.1-001"].version == 2 and after["dmo-1.1-001"].updated_at > before["dmo-1.1-001"][1]
    assert after["dmo-1.1-001"].choices[3].rationale == "A clearer rationale."
    assert after["dmo-2.1-001"].version == 2 and after["dmo-2.1-001"].is_active is False
    assert (after["dmo-1.2-001"].version, after["dmo-1.2-001"].updated_at) == before["dmo-1.2-001"]


def test_changed_choices_and_objective_are_rewritten(bank_folder):
    """A question can move objective and change its number of choices; positions stay 0..n-1."""
    bank.import_bank([bank_folder])
    changed = multiple_question("dmo-2.1-001", objective="1.2", select_count=3)
    changed["choices"].append({"text": "Step F", "correct": False, "rationale": "Not needed."})
    write_question_file(bank_folder / "questions.json", demo_questions()[:2] + [changed])
    assert bank.import_bank([bank_folder]).updated == 1
    db.session.expire_all()
    question = db.session.scalar(sa.select(Question).where(Question.external_id == "dmo-2.1-001"))
    assert question.objective.code == "1.2"
    assert [c.position for c in question.choices] == list(range(6))
    assert question.correct_positions == [0, 1, 2]


def test_exam_blueprint_is_updated_and_dropped_objectives_removed(bank_folder):
    """Re-importing exam.json renames domains and removes an objective no question uses."""
    bank.import_bank([bank_folder])
    document = exam_document()
    document["domains"][0]["name"] = "Renamed foundations"
    document["domains"][0]["objectives"].append({"code": "1.3", "title": "A new objective"})
    document["domains"][1]["objectives"].append({"code": "2.2", "title": "Another"})
    write_json(bank_folder / "exam.json", document)
    bank.import_bank([bank_folder])
    document["domains"][1]["objectives"].pop()
    write_json(bank_folder / "exam.json", document)
    bank.import_bank([bank_folder])
    db.session.expire_all()
    codes = db.session.scalars(sa.select(Objective.code).order_by(Objective.code)).all()
    assert codes == ["1.1", "1.2", "1.3", "2.1"]
    assert db.session.scalar(sa.select(Domain.name).where(Domain.number == "1.0")) == "Renamed foundations"


def test_dropping_an_objective_that_still_has_questions_is_refused(bank_folder):
    """An objective removed from exam.json while stored questions use it is a problem."""
    bank.import_bank([bank_folder])
    document = exam_document()
    document["domains"][0]["objectives"].pop()  # 1.2, used by dmo-1.2-001
    write_json(bank_folder / "exam.json", document)
    write_question_file(bank_folder / "questions.json", [q for q in demo_questions() if q["objective"] != "1.2"])
    problems = _problems([bank_folder / "exam.json"])
    assert problems == [f"{bank_folder / 'exam.json'}:demo:domains: objective 1.2 was removed but 1 question "
                        "in the database still uses it"]
    assert "1.2" in db.session.scalars(sa.select(Objective.code)).all()


def test_id_prefix_of_another_exam_is_refused(tmp_path, bank_folder):
    """Two exams cannot share an id_prefix."""
    bank.import_bank([bank_folder])
    other = write_bank_folder(tmp_path / "other", exam=exam_document(slug="other"), questions=[])
    assert _problems([other]) == [f"{other / 'exam.json'}:other:id_prefix: 'dmo' is already used by exam demo"]


def test_export_then_import_is_a_no_op(bank_folder, tmp_path):
    """Exporting and re-importing creates and updates nothing; exam.json comes back byte for byte."""
    questions = demo_questions()
    questions[1]["is_active"] = False
    write_question_file(bank_folder / "questions.json", questions)
    bank.import_bank([bank_folder])
    before = _snapshot()
    exported = bank.export_bank(tmp_path / "out")
    assert exported.folders == [tmp_path / "out" / "demo"] and exported.questions == 3
    assert json.loads((tmp_path / "out" / "demo" / "exam.json").read_text()) == exam_document()
    written = json.loads((tmp_path / "out" / "demo" / "questions.json").read_text())
    assert written["exam"] == "demo" and written["questions"][1]["is_active"] is False
    summary = bank.import_bank([tmp_path / "out"])
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 3)
    assert _snapshot() == before


def test_exhibits_survive_export_and_import(bank_folder, tmp_path):
    """Export writes each exhibit back after the stem (none when absent); importing it again changes nothing."""
    questions = demo_questions()
    questions[0]["exhibit"], questions[2]["exhibit"] = text_exhibit(), table_exhibit()
    write_question_file(bank_folder / "questions.json", questions)
    bank.import_bank([bank_folder])
    before = {q.external_id: (q.version, q.exhibit) for q in db.session.scalars(sa.select(Question))}
    bank.export_bank(tmp_path / "out")
    written = {q["external_id"]: q for q in
               json.loads((tmp_path / "out" / "demo" / "questions.json").read_text())["questions"]}
    assert written["dmo-1.1-001"]["exhibit"] == text_exhibit()
    assert written["dmo-2.1-001"]["exhibit"] == table_exhibit()
    assert "exhibit" not in written["dmo-1.2-001"]
    assert list(written["dmo-1.1-001"])[:7] == ["external_id", "objective", "type", "select_count", "difficulty",
                                                "stem", "exhibit"]
    summary = bank.import_bank([tmp_path / "out"])
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 3)
    db.session.expire_all()
    assert {q.external_id: (q.version, q.exhibit) for q in db.session.scalars(sa.select(Question))} == before


def test_export_of_one_exam_and_unknown_exam(bank_folder, tmp_path):
    """`--exam` limits the export; an unknown slug is NotFound."""
    bank.import_bank([bank_folder, write_bank_folder(tmp_path / "other", exam=exam_document(
        slug="other", id_prefix="oth"), questions=[])])
    assert bank.export_bank(tmp_path / "out", exam_slug="other").folders == [tmp_path / "out" / "other"]
    with pytest.raises(NotFound):
        bank.export_bank(tmp_path / "out", exam_slug="ghost")


def test_export_refuses_a_folder_with_other_question_files(bank_folder, tmp_path):
    """Exporting over a folder holding other questions*.json would duplicate questions, so it is refused."""
    bank.import_bank([bank_folder])
    write_question_file(tmp_path / "out" / "demo" / "questions-1-3.json", [])
    with pytest.raises(bank.ExportConflict):
        bank.export_bank(tmp_path / "out")


def test_stats_count_per_exam_domain_and_objective(app, bank_folder):
    """Stats count active and all questions per objective, rolled up per domain and exam."""
    bank.import_bank([bank_folder])
    exam = db.session.scalar(sa.select(Exam))
    gen_question(app, exam, objective="1.1", is_active=False)
    (stats,) = services.bank_stats()
    assert (stats.exam.slug, stats.active, stats.total, stats.objective_count) == ("demo", 3, 4, 3)
    assert [(d.domain.number, d.active, d.total) for d in stats.domains] == [("1.0", 2, 3), ("2.0", 1, 1)]
    assert [(o.objective.code, o.active, o.total) for o in stats.domains[0].objectives] == [("1.1", 1, 2), ("1.2", 1, 1)]


def test_load_bundled_bank_if_empty_is_idempotent(bank_folder):
    """The bundled bank loads into an empty database once; later calls change nothing."""
    bank_root = bank_folder.parent
    first = bank.load_bundled_bank_if_empty(bank_root)
    assert first.imported.created == 3
    before = _snapshot()
    second = bank.load_bundled_bank_if_empty(bank_root)
    assert second.imported is None and second.existing_questions == 3
    assert "already holds 3 questions" in second.summary()
    assert _snapshot() == before


def test_complete_bundled_exams_pass_import_validation():
    """The finished Security+ and A+ Core 2 folders import cleanly and re-import as unchanged."""
    folders = [bank.BUNDLED_BANK_DIR / "security", bank.BUNDLED_BANK_DIR / "aplus-core2"]
    expected = sum(len(json.loads(path.read_text())["questions"])
                   for folder in folders for path in folder.glob("questions*.json"))
    summary = bank.import_bank(folders)
    assert (summary.exams, summary.created) == (2, expected)
    assert bank.import_bank(folders).unchanged == expected


def test_cli_import_success_and_failure_exit_codes(cli, bank_folder, tmp_path):
    """`flask questions import` exits 0 with a summary, or 1 with one line per problem."""
    result = cli.invoke(args=["questions", "import", str(bank_folder)])
    assert result.exit_code == 0, result.output
    assert "3 created, 0 updated, 0 unchanged" in result.output
    bad = write_question_file(tmp_path / "bad.json", [single_question("dmo-1.1-007", difficulty=9, stem="")])
    result = cli.invoke(args=["questions", "import", str(bad)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[:2] == [f"{bad}:dmo-1.1-007:difficulty: must be 1, 2 or 3, got 9",
                         f"{bad}:dmo-1.1-007:stem: must be non-empty text"]
    assert lines[2].startswith("Error: 2 problems")


def test_cli_export_and_stats(cli, bank_folder, tmp_path):
    """`flask questions export` writes the folders and `stats` prints counts per level."""
    cli.invoke(args=["questions", "import", str(bank_folder)])
    result = cli.invoke(args=["questions", "export", "--exam", "demo", str(tmp_path / "out")])
    assert result.exit_code == 0 and (tmp_path / "out" / "demo" / "questions.json").is_file()
    assert cli.invoke(args=["questions", "export", "--exam", "ghost", str(tmp_path / "x")]).exit_code == 1
    lines = cli.invoke(args=["questions", "stats"]).output.splitlines()
    assert lines[0] == "demo DM0-101 Demo+: 3 questions"
    assert "  1.0 Foundations (60%): 2 questions" in lines
    assert "    2.1 Given a scenario, troubleshoot: 1 question" in lines


def test_cli_stats_without_exams(cli):
    """`flask questions stats` on an empty database says how to load questions."""
    assert "No exams loaded" in cli.invoke(args=["questions", "stats"]).output


def test_cli_load_bank_runs_once(cli, bank_folder, monkeypatch):
    """`flask load-bank` imports the bundled bank into an empty database and is a no-op afterwards."""
    monkeypatch.setattr(bank, "BUNDLED_BANK_DIR", bank_folder.parent)
    first = cli.invoke(args=["load-bank"])
    assert first.exit_code == 0 and "3 created" in first.output
    second = cli.invoke(args=["load-bank"])
    assert second.exit_code == 0 and "already holds 3 questions" in second.output


def test_schema_rejects_inconsistent_questions(app):
    """Check constraints refuse a single-answer question with select_count 2 on both databases."""
    exam = gen_exam(app)
    objective_id = db.session.scalar(sa.select(Objective.id).where(Objective.exam_id == exam.id))
    db.session.add(Question(exam_id=exam.id, objective_id=objective_id, external_id="bad-1", type="single",
                            select_count=2, difficulty=1, stem="?", explanation="."))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_objective_with_questions_cannot_be_deleted_but_choices_cascade(app):
    """ON DELETE: objectives holding questions are RESTRICTed; deleting a question removes its choices."""
    exam = gen_exam(app)
    question = gen_question(app, exam, objective="1.1")
    objective = db.session.get(Objective, question.objective_id)
    with pytest.raises(IntegrityError):
        db.session.execute(sa.delete(Objective).where(Objective.id == objective.id))
        db.session.commit()
    db.session.rollback()
    db.session.execute(sa.delete(Question).where(Question.id == question.id))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Choice)) == 0


def _old_layout_folder(tmp_path):
    """The demo exam as it was: objective 2.2 still listed, two questions on it."""
    document = exam_document()
    document["domains"][1]["objectives"].append({"code": "2.2", "title": "An objective the new blueprint drops"})
    questions = demo_questions() + [single_question("dmo-2.2-001", objective="2.2"),
                                    single_question("dmo-2.2-002", objective="2.2", stem="Which option fits the moved case?")]
    return write_bank_folder(tmp_path / "old" / "demo", exam=document, questions=questions)


def _new_layout_folder(tmp_path):
    """The demo exam after the blueprint change: 2.2 gone, dmo-2.2-002 renamed to dmo-1.2-002."""
    moved = single_question("dmo-1.2-002", objective="1.2", stem="Which option fits the moved case?")
    return write_bank_folder(tmp_path / "new" / "demo", questions=demo_questions() + [moved])


def _answer_in_completed_quiz(app, slug: str, external_id: str, objective_codes: list[str] | None = None) -> int:
    """A learner answers `external_id` in a submitted practice quiz; returns the question id."""
    user = gen_user(app)
    attempt = quiz_services.start_quiz(user, QuizRequest(slug, mode=QuizMode.PRACTICE, count=5,
                                                         objective_codes=objective_codes))
    question_id = db.session.scalar(sa.select(Question.id).where(Question.external_id == external_id))
    assert question_id in {aq.question_id for aq in attempt.questions}
    quiz_services.save_answer(user, attempt.id, question_id, choice_ids(question_id)[:1])
    quiz_services.submit_attempt(user, attempt.id)
    assert db.session.get(QuizAttempt, attempt.id).status == AttemptStatus.COMPLETED
    return question_id


def _history() -> tuple:
    return (sorted(db.session.execute(sa.select(Answer.question_id, Answer.objective_id)).all()),
            sorted(db.session.scalars(sa.select(AttemptQuestion.question_id))),
            db.session.scalars(sa.select(QuizAttempt.status)).all())


def test_deactivate_missing_converges_an_old_layout_and_keeps_history(app, tmp_path):
    """--deactivate-missing retires renamed and dropped questions, keeps the answered ones and their objective."""
    bank.import_bank([_old_layout_folder(tmp_path)])
    answered = _answer_in_completed_quiz(app, "demo", "dmo-2.2-001")
    history = _history()
    new_folder = _new_layout_folder(tmp_path)
    assert _problems([new_folder]) == [f"{new_folder / 'exam.json'}:demo:domains: objective 2.2 was removed but "
                                       "2 questions in the database still use it"]

    summary = bank.import_bank([new_folder], deactivate_missing=True)

    assert (summary.created, summary.updated, summary.unchanged, summary.deactivated) == (1, 0, 3, 2)
    assert "2 deactivated" in summary.summary()
    db.session.expire_all()
    rows = {q.external_id: q for q in db.session.scalars(sa.select(Question))}
    assert {key for key, q in rows.items() if q.is_active} == {"dmo-1.1-001", "dmo-1.2-001", "dmo-2.1-001", "dmo-1.2-002"}
    assert rows["dmo-1.2-002"].objective.code == "1.2"
    assert [(rows[key].is_active, rows[key].version) for key in ("dmo-2.2-001", "dmo-2.2-002")] == [(False, 2)] * 2
    assert rows["dmo-2.2-001"].id == answered and _history() == history
    # 2.2 stays (its retired questions and the recorded answer point at it), after the listed objectives.
    exam = db.session.scalar(sa.select(Exam).where(Exam.slug == "demo"))
    assert [o.code for o in exam.domains[1].objectives] == ["2.1", "2.2"]
    again = bank.import_bank([new_folder], deactivate_missing=True)
    assert (again.created, again.updated, again.unchanged, again.deactivated) == (0, 0, 4, 0)


def test_inactive_questions_do_not_block_dropping_their_objective(bank_folder):
    """Without the flag, a dropped objective whose only questions are inactive is kept for them, not refused."""
    questions = demo_questions()
    questions[1]["is_active"] = False  # dmo-1.2-001, the only question on 1.2
    write_question_file(bank_folder / "questions.json", questions)
    bank.import_bank([bank_folder])
    document = exam_document()
    document["domains"][0]["objectives"].pop()  # 1.2
    write_json(bank_folder / "exam.json", document)
    write_question_file(bank_folder / "questions.json", [questions[0], questions[2]])
    summary = bank.import_bank([bank_folder])
    assert (summary.unchanged, summary.deactivated) == (2, 0)
    db.session.expire_all()
    question = db.session.scalar(sa.select(Question).where(Question.external_id == "dmo-1.2-001"))
    assert question.objective.code == "1.2" and question.is_active is False


def test_deactivate_missing_touches_only_exams_whose_exam_json_is_imported(bank_folder, tmp_path):
    """Other exams, and exams reached only through a lone question file, keep their questions active."""
    other = write_bank_folder(tmp_path / "other", exam=exam_document(slug="other", id_prefix="oth"),
                              questions=[single_question("oth-1.1-001")])
    bank.import_bank([bank_folder, other])
    extra = write_question_file(tmp_path / "extra.json", [single_question("dmo-1.1-002")])
    assert bank.import_bank([extra], deactivate_missing=True).deactivated == 0
    write_question_file(bank_folder / "questions.json", demo_questions()[:2])
    summary = bank.import_bank([bank_folder], deactivate_missing=True)
    assert summary.deactivated == 2  # dmo-2.1-001 and dmo-1.1-002
    db.session.expire_all()
    active = set(db.session.scalars(sa.select(Question.external_id).where(Question.is_active.is_(True))))
    assert active == {"dmo-1.1-001", "dmo-1.2-001", "oth-1.1-001"}


def test_cli_import_deactivate_missing(cli, bank_folder):
    """`flask questions import --deactivate-missing` reports the retired questions and states its scope."""
    assert cli.invoke(args=["questions", "import", str(bank_folder)]).exit_code == 0
    write_question_file(bank_folder / "questions.json", demo_questions()[:2])
    result = cli.invoke(args=["questions", "import", "--deactivate-missing", str(bank_folder)])
    assert result.exit_code == 0, result.output
    assert "0 created, 0 updated, 2 unchanged, 1 deactivated." in result.output
    help_text = " ".join(cli.invoke(args=["questions", "import", "--help"]).output.split())
    assert "Only exams whose exam.json is part of the import are affected" in help_text


def test_bundled_bank_converges_a_database_holding_the_old_core1_layout(app):
    """The bundled bank imported with --deactivate-missing over a slice of the 220-1101-layout Core 1 bank."""
    bank.import_bank([OLD_CORE1_SLICE])
    answered = _answer_in_completed_quiz(app, "aplus-core1", "ap1-5.7-001")
    history = _history()
    bundled = {entry["external_id"] for path in bank.BUNDLED_BANK_DIR.glob("*/questions*.json")
               for entry in json.loads(path.read_text())["questions"]}

    summary = bank.import_bank([bank.BUNDLED_BANK_DIR], deactivate_missing=True)

    assert (summary.exams, summary.deactivated) == (4, 4)
    assert summary.created + summary.updated + summary.unchanged == len(bundled)
    db.session.expire_all()
    active = set(db.session.scalars(sa.select(Question.external_id).where(Question.is_active.is_(True))))
    assert active == bundled and "ap1-2.1-001" in active
    retired = db.session.scalars(sa.select(Question).where(Question.is_active.is_(False))).all()
    assert sorted(q.external_id for q in retired) == ["ap1-3.1-001", "ap1-5.1-002", "ap1-5.2-001", "ap1-5.7-001"]
    assert answered in {q.id for q in retired} and _history() == history
    titles = dict(db.session.execute(sa.select(Objective.code, Objective.title).join(Exam)
                                     .where(Exam.slug == "aplus-core1")).all())
    assert titles["3.1"] == "Compare and contrast display components and attributes"
    assert titles["5.1"].startswith("Given a scenario, troubleshoot motherboards")
    assert "5.7" in titles  # kept only because the retired, answered question points at it

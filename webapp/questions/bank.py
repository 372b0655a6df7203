"""The bank file format: read and validate bank files, import, export and the bundled bank.

The command-line tools (`flask questions`, `flask load-bank`) and tests use this module; the
pages and the API read the catalogue through `webapp.questions.services`. The admin editor
(`webapp.editor.services`) reuses three parts of it so that an edit obeys the file's rules:
`check_question` (the import's validation of one entry), `question_document` (a question as its
file spells it, which every `QuestionVersion` keeps) and `apply_document` (the import's writer).

The file format is documented in docs/QUESTION_FORMAT.md. Validation collects every problem
before anything is written, each as `file:entry:field: what is wrong`; an import is one
transaction, so an invalid entry anywhere leaves the database exactly as it was.
"""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from webapp.exceptions import Conflict, NotFound, ValidationError
from webapp.questions.services import count_questions
from webapp.extensions import db
from webapp.models import Answer, Choice, Domain, Exam, Objective, Question, QuestionVersion
from webapp.models.question import PBQ_TYPES, QUESTION_TYPES
from webapp.models.base import utcnow
from webapp.models.enums import VersionOrigin

logger = logging.getLogger(__name__)

BUNDLED_BANK_DIR = Path(__file__).resolve().parent / "bank"
EXAM_FILE = "exam.json"
QUESTION_FILE_GLOB = "questions*.json"
EXPORT_QUESTION_FILE = "questions.json"

SINGLE_CHOICES = 4
MULTIPLE_CHOICES = (5, 6)
MULTIPLE_SELECT = (2, 3)
DIFFICULTIES = (1, 2, 3)
# Performance-based items (docs/QUESTION_FORMAT.md): items to put in order, or to match to targets.
ORDERING_ITEMS = (4, 7)
MATCHING_ITEMS = (3, 6)
MATCHING_TARGETS = (3, 8)
ITEM_TEXT_MAX = 200
TARGET_TEXT_MAX = 120
REUSE_CUE = "more than once"
MAX_EXTERNAL_ID = 40

# An exhibit (a log excerpt, command output, configuration or a small table) is shown above the
# stem; the limits keep it readable on a phone without scrolling the page sideways.
EXHIBIT_KINDS = ("text", "table")
EXHIBIT_TITLE_MAX = 120
EXHIBIT_TEXT_MAX = 1500
EXHIBIT_TEXT_LINES = 20
EXHIBIT_LINE_MAX = 72
EXHIBIT_COLUMNS = (2, 6)
EXHIBIT_ROWS = (1, 12)
EXHIBIT_CELL_MAX = 60

SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
DOMAIN_NUMBER_RE = re.compile(r"^\d+\.0$")
OBJECTIVE_CODE_RE = re.compile(r"^(\d+)\.\d+$")

EXAM_KEYS = {"slug", "code", "name", "vendor", "id_prefix", "question_count", "duration_minutes",
             "passing_score", "domains"}
DOMAIN_KEYS = {"number", "name", "weight_percent", "objectives"}
OBJECTIVE_KEYS = {"code", "title"}
QUESTION_FILE_KEYS = {"exam", "questions"}
QUESTION_KEYS = {"external_id", "objective", "type", "select_count", "difficulty", "stem", "choices",
                 "explanation", "reference", "is_active", "exhibit"}
ORDERING_KEYS = {"external_id", "objective", "type", "difficulty", "stem", "items", "explanation", "reference",
                 "is_active", "exhibit"}
MATCHING_KEYS = ORDERING_KEYS | {"targets", "reuse_targets"}
ORDERING_ITEM_KEYS = {"text", "rationale"}
MATCHING_ITEM_KEYS = {"text", "target", "rationale"}
EXHIBIT_KEYS = {"text": {"kind", "title", "text"}, "table": {"kind", "title", "columns", "rows"}}
CHOICE_KEYS = {"text", "correct", "rationale"}

WHOLE_FILE = "-"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a bank file, located as precisely as the file allows."""

    file: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.entry}:{self.field}: {self.message}"


class BankInvalid(ValidationError):
    """The files cannot be imported; `problems` lists every reason."""

    code = "BANK_INVALID"

    def __init__(self, problems: list[Problem]) -> None:
        count = len(problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the question bank files; nothing was imported.")
        self.problems = problems


class ExportConflict(Conflict):
    """The export would mix its output with other question files."""

    code = "EXPORT_CONFLICT"


@dataclass(frozen=True)
class ImportSummary:
    """What an import did to the questions (exams and objectives are upserted alongside)."""

    exams: int
    created: int
    updated: int
    unchanged: int
    # Stored questions of the imported exams that the files no longer hold (`deactivate_missing`).
    deactivated: int = 0

    def summary(self) -> str:
        text = (f"Imported {self.exams} exam{'s' if self.exams != 1 else ''}: {self.created} created, "
                f"{self.updated} updated, {self.unchanged} unchanged")
        return text + (f", {self.deactivated} deactivated." if self.deactivated else ".")


@dataclass(frozen=True)
class BundledLoad:
    """The outcome of `load_bundled_bank_if_empty`: an import, or why none was needed."""

    imported: ImportSummary | None
    existing_questions: int = 0

    def summary(self) -> str:
        if self.imported is None:
            return f"The database already holds {self.existing_questions} questions; the bundled bank was not loaded."
        return self.imported.summary()


@dataclass(frozen=True)
class ExportSummary:
    """Which exam folders an export wrote and how many questions they hold."""

    folders: list[Path]
    questions: int

    def summary(self) -> str:
        if not self.folders:
            return "There are no exams to export."
        return (f"Exported {len(self.folders)} exam{'s' if len(self.folders) != 1 else ''} "
                f"({self.questions} questions) to " + ", ".join(str(folder) for folder in self.folders) + ".")


@dataclass
class ExamSpec:
    """A validated exam.json."""

    file: str
    slug: str
    code: str
    name: str
    vendor: str
    id_prefix: str
    question_count: int
    duration_minutes: int
    passing_score: int
    domains: list[dict]  # [{"number", "name", "weight_percent", "objectives": [{"code", "title"}]}]

    @property
    def objective_codes(self) -> set[str]:
        return {objective["code"] for domain in self.domains for objective in domain["objectives"]}


@dataclass
class QuestionSpec:
    """A validated question entry, in the shape `_content_of` compares."""

    file: str
    exam_slug: str
    external_id: str
    objective: str
    content: dict


@dataclass
class BankFiles:
    """Everything read from the paths of one import."""

    exams: list[ExamSpec] = field(default_factory=list)
    questions: list[QuestionSpec] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Slugs whose exam.json has problems: their questions are not checked against it again.
    broken_exams: set[str] = field(default_factory=set)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


class _Checker:
    """Collects problems for one entry of one file."""

    def __init__(self, problems: list[Problem], file: str, entry: str) -> None:
        self.problems = problems
        self.file = file
        self.entry = entry
        self.ok = True

    def add(self, field_name: str, message: str) -> None:
        self.ok = False
        self.problems.append(Problem(self.file, self.entry, field_name, message))

    def text(self, data: dict, key: str, max_length: int | None = None) -> str | None:
        value = data.get(key)
        if key not in data:
            self.add(key, "is required")
        elif not _is_text(value):
            self.add(key, "must be non-empty text")
        elif max_length and len(value) > max_length:
            self.add(key, f"must be at most {max_length} characters")
        else:
            return value
        return None

    def integer(self, data: dict, key: str, low: int, high: int) -> int | None:
        value = data.get(key)
        if key not in data:
            self.add(key, "is required")
        elif not _is_int(value):
            self.add(key, f"must be a whole number, got {value!r}")
        elif not low <= value <= high:
            self.add(key, f"must be between {low} and {high}, got {value}")
        else:
            return value
        return None

    def unknown_keys(self, data: dict, allowed: set[str], prefix: str = "") -> None:
        for key in sorted(set(data) - allowed):
            self.add(f"{prefix}{key}", "is not a known field")


def _read_json(path: Path, label: str, problems: list[Problem]) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        problems.append(Problem(label, WHOLE_FILE, WHOLE_FILE, "is not UTF-8 text"))
    except json.JSONDecodeError as exc:
        problems.append(Problem(label, WHOLE_FILE, WHOLE_FILE,
                                f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"))
    except OSError as exc:
        problems.append(Problem(label, WHOLE_FILE, WHOLE_FILE, f"cannot be read ({exc.strerror})"))
    return None


def _parse_exam(data: Any, label: str, problems: list[Problem]) -> ExamSpec | None:
    if not isinstance(data, dict):
        problems.append(Problem(label, WHOLE_FILE, WHOLE_FILE, "must hold a JSON object"))
        return None
    entry = data.get("slug") if _is_text(data.get("slug")) else "exam"
    check = _Checker(problems, label, str(entry))
    check.unknown_keys(data, EXAM_KEYS)
    slug = check.text(data, "slug", 40)
    if slug and not SLUG_RE.match(slug):
        check.add("slug", "must be lower-case letters, digits and single hyphens")
    values = {
        "code": check.text(data, "code", 20),
        "name": check.text(data, "name", 100),
        "vendor": check.text(data, "vendor", 60),
        "id_prefix": check.text(data, "id_prefix", 16),
        "question_count": check.integer(data, "question_count", 1, 1000),
        "duration_minutes": check.integer(data, "duration_minutes", 1, 1000),
        "passing_score": check.integer(data, "passing_score", *Exam.SCORE_SCALE),
    }
    domains = _parse_domains(data.get("domains"), check)
    if not check.ok:
        return None
    return ExamSpec(file=label, slug=slug, domains=domains, **values)


def _parse_domains(raw: Any, check: _Checker) -> list[dict]:
    if not isinstance(raw, list) or not raw:
        check.add("domains", "must be a non-empty list")
        return []
    domains: list[dict] = []
    numbers: set[str] = set()
    codes: set[str] = set()
    weights = 0
    for d_index, domain in enumerate(raw):
        where = f"domains[{d_index}]"
        if not isinstance(domain, dict):
            check.add(where, "must be an object")
            continue
        check.unknown_keys(domain, DOMAIN_KEYS, f"{where}.")
        number = domain.get("number")
        if not (isinstance(number, str) and DOMAIN_NUMBER_RE.match(number)):
            check.add(f"{where}.number", f"must look like \"2.0\", got {number!r}")
            number = None
        elif number in numbers:
            check.add(f"{where}.number", f"domain {number} is listed twice")
        numbers.add(number or "")
        name = domain.get("name")
        if not _is_text(name) or len(name) > 200:
            check.add(f"{where}.name", "must be non-empty text of at most 200 characters")
        weight = domain.get("weight_percent")
        if not _is_int(weight) or not 0 < weight <= 100:
            check.add(f"{where}.weight_percent", f"must be a whole number from 1 to 100, got {weight!r}")
        else:
            weights += weight
        objectives = []
        raw_objectives = domain.get("objectives")
        if not isinstance(raw_objectives, list) or not raw_objectives:
            check.add(f"{where}.objectives", "must be a non-empty list")
            raw_objectives = []
        for o_index, objective in enumerate(raw_objectives):
            o_where = f"{where}.objectives[{o_index}]"
            if not isinstance(objective, dict):
                check.add(o_where, "must be an object")
                continue
            check.unknown_keys(objective, OBJECTIVE_KEYS, f"{o_where}.")
            code = objective.get("code")
            match = OBJECTIVE_CODE_RE.match(code) if isinstance(code, str) else None
            if not match:
                check.add(f"{o_where}.code", f"must look like \"2.3\", got {code!r}")
            elif number and f"{match.group(1)}.0" != number:
                check.add(f"{o_where}.code", f"objective {code} does not belong to domain {number}")
            elif code in codes:
                check.add(f"{o_where}.code", f"objective {code} is listed twice")
            codes.add(code if isinstance(code, str) else "")
            title = objective.get("title")
            if not _is_text(title) or len(title) > 300:
                check.add(f"{o_where}.title", "must be non-empty text of at most 300 characters")
            objectives.append({"code": code, "title": title})
        domains.append({"number": number, "name": name, "weight_percent": weight, "objectives": objectives})
    if check.ok and weights != 100:
        check.add("domains", f"weights must add up to 100, got {weights}")
    return domains


def _parse_question(raw: Any, index: int, label: str, exam_slug: str,
                    problems: list[Problem]) -> QuestionSpec | None:
    if not isinstance(raw, dict):
        problems.append(Problem(label, str(index), WHOLE_FILE, "must be an object"))
        return None
    external_id = raw.get("external_id")
    check = _Checker(problems, label, external_id if _is_text(external_id) else str(index))
    kind = raw.get("type")
    check.unknown_keys(raw, {"ordering": ORDERING_KEYS, "matching": MATCHING_KEYS}.get(kind, QUESTION_KEYS))
    external_id = check.text(raw, "external_id", MAX_EXTERNAL_ID)
    objective = check.text(raw, "objective", 10)
    if kind not in QUESTION_TYPES:
        check.add("type", f"must be \"single\", \"multiple\", \"ordering\" or \"matching\", got {kind!r}")
        kind = None
    select_count = raw.get("select_count") if kind not in PBQ_TYPES else 1
    if kind in PBQ_TYPES:
        pass
    elif not _is_int(select_count):
        check.add("select_count", f"must be a whole number, got {select_count!r}")
    elif kind == "single" and select_count != 1:
        check.add("select_count", f"must be 1 for a single-answer question, got {select_count}")
    elif kind == "multiple" and select_count not in MULTIPLE_SELECT:
        check.add("select_count", f"must be 2 or 3 for a multiple-answer question, got {select_count}")
    difficulty = raw.get("difficulty")
    if not _is_int(difficulty) or difficulty not in DIFFICULTIES:
        check.add("difficulty", f"must be 1, 2 or 3, got {difficulty!r}")
    stem = check.text(raw, "stem")
    explanation = check.text(raw, "explanation")
    reference = raw.get("reference")
    if reference is not None and not _is_text(reference):
        check.add("reference", "must be non-empty text when given")
    is_active = raw.get("is_active", True)
    if not isinstance(is_active, bool):
        check.add("is_active", f"must be true or false, got {is_active!r}")
    exhibit = _parse_exhibit(raw["exhibit"], check) if "exhibit" in raw else None
    targets, reuse_targets = None, False
    if kind == "ordering":
        choices = _parse_ordering_items(raw.get("items"), check)
    elif kind == "matching":
        targets, reuse_targets, choices = _parse_matching(raw, stem, check)
    else:
        choices = _parse_choices(raw.get("choices"), kind, select_count, check)
    if not check.ok:
        return None
    content = {
        "objective": objective, "type": kind, "select_count": select_count, "difficulty": difficulty,
        "stem": stem, "explanation": explanation, "reference": reference, "is_active": is_active,
        "exhibit": exhibit, "targets": targets, "reuse_targets": reuse_targets, "choices": choices,
    }
    return QuestionSpec(file=label, exam_slug=exam_slug, external_id=external_id, objective=objective,
                        content=content)


def _parse_exhibit(raw: Any, check: _Checker) -> dict | None:
    """A text exhibit (monospace lines) or a table exhibit, checked against the format's limits."""
    if not isinstance(raw, dict):
        check.add("exhibit", "must be an object")
        return None
    kind = raw.get("kind")
    if kind not in EXHIBIT_KINDS:
        check.add("exhibit.kind", f"must be \"text\" or \"table\", got {kind!r}")
        return None
    check.unknown_keys(raw, EXHIBIT_KEYS[kind], "exhibit.")
    title = raw.get("title")
    if "title" not in raw:
        check.add("exhibit.title", "is required")
    elif not _is_text(title) or len(title) > EXHIBIT_TITLE_MAX:
        check.add("exhibit.title", f"must be non-empty text of at most {EXHIBIT_TITLE_MAX} characters")
    if kind == "text":
        text = raw.get("text")
        if "text" not in raw:
            check.add("exhibit.text", "is required")
        elif not _is_text(text):
            check.add("exhibit.text", "must be non-empty text")
        else:
            if len(text) > EXHIBIT_TEXT_MAX:
                check.add("exhibit.text", f"must be at most {EXHIBIT_TEXT_MAX} characters, got {len(text)}")
            if "\t" in text:
                check.add("exhibit.text", "must not contain tabs (align with spaces)")
            lines = text.split("\n")
            if len(lines) > EXHIBIT_TEXT_LINES:
                check.add("exhibit.text", f"must have at most {EXHIBIT_TEXT_LINES} lines, got {len(lines)}")
            for number, line in enumerate(lines, start=1):
                if len(line) > EXHIBIT_LINE_MAX:
                    check.add("exhibit.text", f"line {number} has {len(line)} characters; at most "
                                              f"{EXHIBIT_LINE_MAX} fit a phone")
        return {"kind": kind, "title": title, "text": text}
    columns, rows = raw.get("columns"), raw.get("rows")
    low, high = EXHIBIT_COLUMNS
    width = None
    if not isinstance(columns, list) or not low <= len(columns) <= high:
        check.add("exhibit.columns", f"must be a list of {low} to {high} column names")
    else:
        width = len(columns)
        _check_cells(columns, "exhibit.columns", check, required=True)
    low_rows, high_rows = EXHIBIT_ROWS
    if not isinstance(rows, list) or not low_rows <= len(rows) <= high_rows:
        check.add("exhibit.rows", f"must be a list of {low_rows} to {high_rows} rows")
    else:
        for index, row in enumerate(rows):
            where = f"exhibit.rows[{index}]"
            if not isinstance(row, list):
                check.add(where, "must be a list of cells")
                continue
            if width is not None and len(row) != width:
                check.add(where, f"must have one cell per column ({width}), got {len(row)}")
            _check_cells(row, where, check)
    return {"kind": kind, "title": title, "columns": columns, "rows": rows}


def _check_cells(cells: list, where: str, check: _Checker, required: bool = False) -> None:
    """Cells are plain strings (a column name may not be blank; a body cell may be empty)."""
    for index, cell in enumerate(cells):
        if not isinstance(cell, str) or (required and not cell.strip()):
            check.add(f"{where}[{index}]", f"must be {'non-empty ' if required else ''}text, got {cell!r}")
        elif len(cell) > EXHIBIT_CELL_MAX:
            check.add(f"{where}[{index}]", f"must be at most {EXHIBIT_CELL_MAX} characters, got {len(cell)}")


def _parse_choices(raw: Any, kind: str | None, select_count: Any, check: _Checker) -> list[tuple]:
    if not isinstance(raw, list):
        check.add("choices", "must be a list")
        return []
    choices: list[tuple] = []
    for index, choice in enumerate(raw):
        where = f"choices[{index}]"
        if not isinstance(choice, dict):
            check.add(where, "must be an object")
            continue
        check.unknown_keys(choice, CHOICE_KEYS, f"{where}.")
        text, rationale, correct = choice.get("text"), choice.get("rationale"), choice.get("correct")
        if not _is_text(text):
            check.add(f"{where}.text", "must be non-empty text")
        if not _is_text(rationale):
            check.add(f"{where}.rationale", "must be non-empty text")
        if not isinstance(correct, bool):
            check.add(f"{where}.correct", f"must be true or false, got {correct!r}")
        choices.append((text, correct is True, rationale, None))
    texts = [text.strip().lower() for text, _, _, _ in choices if isinstance(text, str)]
    if len(set(texts)) != len(texts):
        check.add("choices", "two choices have the same text")
    correct_count = sum(1 for _, correct, _, _ in choices if correct)
    if kind == "single":
        if len(raw) != SINGLE_CHOICES:
            check.add("choices", f"a single-answer question needs exactly {SINGLE_CHOICES} choices, got {len(raw)}")
        if correct_count != 1:
            check.add("choices", f"a single-answer question needs exactly 1 correct choice, got {correct_count}")
    elif kind == "multiple":
        low, high = MULTIPLE_CHOICES
        if not low <= len(raw) <= high:
            check.add("choices", f"a multiple-answer question needs {low} to {high} choices, got {len(raw)}")
        if _is_int(select_count) and correct_count != select_count:
            check.add("choices", f"select_count is {select_count} but {correct_count} choices are correct")
    return choices


def _parse_items(raw: Any, allowed: set[str], sizes: tuple[int, int], what: str,
                 check: _Checker) -> list[dict]:
    """The `items` of an ordering or matching question: unique texts, each with a rationale."""
    low, high = sizes
    if not isinstance(raw, list) or not low <= len(raw) <= high:
        check.add("items", f"{what} needs a list of {low} to {high} items"
                  + (f", got {len(raw)}" if isinstance(raw, list) else ""))
        return []
    items = []
    for index, item in enumerate(raw):
        where = f"items[{index}]"
        if not isinstance(item, dict):
            check.add(where, "must be an object")
            continue
        check.unknown_keys(item, allowed, f"{where}.")
        text, rationale = item.get("text"), item.get("rationale")
        if not _is_text(text) or len(text) > ITEM_TEXT_MAX:
            check.add(f"{where}.text", f"must be non-empty text of at most {ITEM_TEXT_MAX} characters")
        if not _is_text(rationale):
            check.add(f"{where}.rationale", "must be non-empty text")
        items.append(item)
    texts = [item["text"].strip().lower() for item in items if isinstance(item.get("text"), str)]
    if len(set(texts)) != len(texts):
        check.add("items", "two items have the same text")
    return items


def _parse_ordering_items(raw: Any, check: _Checker) -> list[tuple]:
    """Items listed in the correct order, stored as choices by position."""
    items = _parse_items(raw, ORDERING_ITEM_KEYS, ORDERING_ITEMS, "an ordering question", check)
    return [(item.get("text"), False, item.get("rationale"), None) for item in items]


def _parse_matching(raw: dict, stem: str | None, check: _Checker) -> tuple[list | None, bool, list[tuple]]:
    """Targets (unique texts), `reuse_targets`, and items each pointing at one target."""
    targets = raw.get("targets")
    low, high = MATCHING_TARGETS
    if not isinstance(targets, list) or not low <= len(targets) <= high:
        check.add("targets", f"a matching question needs a list of {low} to {high} targets"
                  + (f", got {len(targets)}" if isinstance(targets, list) else ""))
        targets = None
    else:
        for index, target in enumerate(targets):
            if not _is_text(target) or len(target) > TARGET_TEXT_MAX:
                check.add(f"targets[{index}]", f"must be non-empty text of at most {TARGET_TEXT_MAX} characters")
        names = [t.strip().lower() for t in targets if isinstance(t, str)]
        if len(set(names)) != len(names):
            check.add("targets", "two targets have the same text")
    reuse = raw.get("reuse_targets", False)
    if not isinstance(reuse, bool):
        check.add("reuse_targets", f"must be true or false, got {reuse!r}")
        reuse = False
    if reuse and stem and REUSE_CUE not in stem.lower():
        check.add("stem", "must say that a target may be used more than once (reuse_targets is true)")
    items = _parse_items(raw.get("items"), MATCHING_ITEM_KEYS, MATCHING_ITEMS, "a matching question", check)
    choices, used = [], []
    for index, item in enumerate(items):
        target = item.get("target")
        position = None
        if targets is not None:
            if target not in targets:
                check.add(f"items[{index}].target", f"must be one of the targets, got {target!r}")
            else:
                position = targets.index(target)
                if position in used and not reuse:
                    check.add(f"items[{index}].target",
                              f"{target!r} is already used by another item (set reuse_targets to allow it)")
                used.append(position)
        choices.append((item.get("text"), False, item.get("rationale"), position))
    return targets, reuse, choices


def _parse_question_file(data: Any, label: str, problems: list[Problem]) -> list[QuestionSpec]:
    if not isinstance(data, dict):
        problems.append(Problem(label, WHOLE_FILE, WHOLE_FILE, "must hold a JSON object"))
        return []
    check = _Checker(problems, label, WHOLE_FILE)
    check.unknown_keys(data, QUESTION_FILE_KEYS)
    exam_slug = check.text(data, "exam", 40)
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list):
        check.add("questions", "must be a list")
        return []
    parsed = [_parse_question(raw, index, label, exam_slug or "", problems)
              for index, raw in enumerate(raw_questions)]
    return [spec for spec in parsed if spec is not None] if exam_slug else []


def _expand_paths(paths: Iterable[Path | str], problems: list[Problem]) -> list[Path]:
    """Folders become their exam.json and questions*.json; a folder of exam folders is walked too."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            own = _bank_files_in(path)
            if own:
                files.extend(own)
                continue
            nested = [found for child in sorted(path.iterdir()) if child.is_dir() for found in _bank_files_in(child)]
            if not nested:
                problems.append(Problem(str(path), WHOLE_FILE, WHOLE_FILE,
                                        f"holds no {EXAM_FILE} or {QUESTION_FILE_GLOB} files"))
            files.extend(nested)
        else:
            problems.append(Problem(str(path), WHOLE_FILE, WHOLE_FILE, "does not exist"))
    return files


def _bank_files_in(folder: Path) -> list[Path]:
    exam = [folder / EXAM_FILE] if (folder / EXAM_FILE).is_file() else []
    return exam + sorted(p for p in folder.glob(QUESTION_FILE_GLOB) if p.is_file())


def read_bank_files(paths: Iterable[Path | str]) -> BankFiles:
    """Read and check the files on their own (no database): shape, types and per-entry rules."""
    bank = BankFiles()
    seen_files: set[Path] = set()
    for path in _expand_paths(paths, bank.problems):
        if path.resolve() in seen_files:
            continue
        seen_files.add(path.resolve())
        label = str(path)
        data = _read_json(path, label, bank.problems)
        if data is None:
            continue
        if path.name == EXAM_FILE:
            exam = _parse_exam(data, label, bank.problems)
            if exam:
                bank.exams.append(exam)
            elif isinstance(data, dict) and _is_text(data.get("slug")):
                bank.broken_exams.add(data["slug"])
        else:
            bank.questions.extend(_parse_question_file(data, label, bank.problems))
    return bank


def _check_against_database(bank: BankFiles, deactivate_missing: bool = False) -> dict[str, Exam]:
    """Cross-file and database rules; returns the existing exams by slug."""
    problems = bank.problems
    existing = {exam.slug: exam for exam in db.session.scalars(sa.select(Exam))}
    objective_codes: dict[str, set[str]] = defaultdict(set)
    for objective_exam, code in db.session.execute(
            sa.select(Exam.slug, Objective.code).join(Objective, Objective.exam_id == Exam.id)):
        objective_codes[objective_exam].add(code)

    imported: dict[str, ExamSpec] = {}
    prefixes = {exam.id_prefix: exam.slug for exam in existing.values()}
    for spec in bank.exams:
        if spec.slug in imported:
            problems.append(Problem(spec.file, spec.slug, "slug",
                                    f"exam {spec.slug} is also defined in {imported[spec.slug].file}"))
            continue
        imported[spec.slug] = spec
        owner = prefixes.get(spec.id_prefix)
        if owner and owner != spec.slug:
            problems.append(Problem(spec.file, spec.slug, "id_prefix",
                                    f"{spec.id_prefix!r} is already used by exam {owner}"))
        prefixes[spec.id_prefix] = spec.slug
        objective_codes[spec.slug] = spec.objective_codes

    first_seen: dict[str, QuestionSpec] = {}
    for question in bank.questions:
        if question.external_id in first_seen:
            other = first_seen[question.external_id]
            where = "earlier in this file" if other.file == question.file else f"in {other.file}"
            problems.append(Problem(question.file, question.external_id, "external_id",
                                    f"duplicate: {question.external_id} is also defined {where}"))
            continue
        first_seen[question.external_id] = question
        if question.exam_slug in bank.broken_exams and question.exam_slug not in imported:
            continue
        if question.exam_slug not in imported and question.exam_slug not in existing:
            problems.append(Problem(question.file, question.external_id, "exam",
                                    f"exam {question.exam_slug!r} is neither in this import nor in the database"))
        elif question.objective not in objective_codes[question.exam_slug]:
            problems.append(Problem(question.file, question.external_id, "objective",
                                    _unknown_objective(question.objective, question.exam_slug)))

    if first_seen:
        owners = db.session.execute(
            sa.select(Question.external_id, Exam.slug).join(Exam, Question.exam_id == Exam.id)
            .where(Question.external_id.in_(list(first_seen))))
        for external_id, slug in owners:
            question = first_seen[external_id]
            if slug != question.exam_slug:
                problems.append(Problem(question.file, external_id, "external_id",
                                        f"{external_id} already belongs to exam {slug}"))

    _check_removed_objectives(bank, imported, existing, set(first_seen), deactivate_missing)
    return existing


def _unknown_objective(code: str, exam_slug: str) -> str:
    return f"objective {code} is not in exam {exam_slug}"


def check_question(document: dict, exam_slug: str, objective_codes: set[str],
                   label: str = "editor") -> tuple[QuestionSpec | None, list[Problem]]:
    """Check one question entry (the bank file's spelling) with the import's own rules, and its
    objective against the exam's. Returns the parsed entry, or None and every problem."""
    problems: list[Problem] = []
    spec = _parse_question(document, 0, label, exam_slug, problems)
    objective = document.get("objective") if isinstance(document, dict) else None
    if _is_text(objective) and objective not in objective_codes:
        problems.append(Problem(label, str(document.get("external_id")), "objective",
                                _unknown_objective(objective, exam_slug)))
    return (spec if not problems else None), problems


def _check_removed_objectives(bank: BankFiles, imported: dict[str, ExamSpec], existing: dict[str, Exam],
                              reimported_ids: set[str], deactivate_missing: bool) -> None:
    """An objective dropped from exam.json may only go if no active question outside this import uses it.

    With `deactivate_missing` every such question is about to be retired, so nothing blocks;
    inactive questions never block (the objective is kept for them, see `_remove_dropped_blueprint`).
    """
    if deactivate_missing:
        return
    for slug, spec in imported.items():
        exam = existing.get(slug)
        if exam is None:
            continue
        still_used = db.session.execute(
            sa.select(Objective.code, sa.func.count(Question.id))
            .join(Question, Question.objective_id == Objective.id)
            .where(Objective.exam_id == exam.id, Objective.code.not_in(spec.objective_codes),
                   Question.is_active.is_(True),
                   Question.external_id.not_in(reimported_ids) if reimported_ids else sa.true())
            .group_by(Objective.code).order_by(Objective.code))
        for code, count in still_used:
            users = "1 question in the database still uses" if count == 1 else f"{count} questions in the database still use"
            bank.problems.append(Problem(spec.file, slug, "domains", f"objective {code} was removed but {users} it"))


def import_bank(paths: Iterable[Path | str], deactivate_missing: bool = False) -> ImportSummary:
    """Validate, then upsert exams, their blueprint and questions in one transaction.

    Raises BankInvalid (nothing written) when any entry is wrong. Questions are matched on
    `external_id`; a changed question gets `version + 1` and a new `updated_at`.

    With `deactivate_missing`, stored questions of every exam whose exam.json is in the import
    but which the import's question files no longer hold become inactive (a content change like
    any other). Exams that the import does not define are left alone, and no question is ever
    deleted, because quiz history refers to it.
    """
    bank = read_bank_files(paths)
    try:
        existing = _check_against_database(bank, deactivate_missing)
        if bank.problems:
            raise BankInvalid(bank.problems)
        exams = dict(existing)
        for spec in bank.exams:
            exams[spec.slug] = _upsert_exam(spec, exams.get(spec.slug))
        db.session.flush()
        objectives = _objectives_by_exam(exams)
        created, updated, unchanged = _upsert_questions(bank.questions, exams, objectives)
        deactivated = _deactivate_missing(bank, exams) if deactivate_missing else 0
        db.session.flush()
        for spec in bank.exams:
            _remove_dropped_blueprint(spec, exams[spec.slug])
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        logger.warning("question import conflicted", extra={"error": str(exc.orig)})
        raise Conflict("The import clashed with data written meanwhile (another import?); nothing was written. "
                       "Run it again.") from exc
    except BaseException:
        db.session.rollback()
        raise
    summary = ImportSummary(exams=len(bank.exams), created=created, updated=updated, unchanged=unchanged,
                            deactivated=deactivated)
    logger.info("question bank imported", extra={
        "exams": summary.exams, "questions_created": created, "questions_updated": updated,
        "questions_unchanged": unchanged, "questions_deactivated": deactivated})
    return summary


def _deactivate_missing(bank: BankFiles, exams: dict[str, Exam]) -> int:
    """Retire the active questions of the imported exams that no file of this import holds."""
    exam_ids = [exams[spec.slug].id for spec in bank.exams]
    kept = {spec.external_id for spec in bank.questions}
    now = utcnow()
    deactivated = 0
    for question in db.session.scalars(
            sa.select(Question).where(Question.exam_id.in_(exam_ids), Question.is_active.is_(True))):
        if question.external_id in kept:
            continue
        question.is_active = False
        question.version += 1
        question.updated_at = now
        add_version(question, VersionOrigin.IMPORT, now)
        deactivated += 1
    return deactivated


def _upsert_exam(spec: ExamSpec, exam: Exam | None) -> Exam:
    if exam is None:
        exam = Exam(slug=spec.slug)
        db.session.add(exam)
    for name in ("code", "name", "vendor", "id_prefix", "question_count", "duration_minutes", "passing_score"):
        _assign(exam, name, getattr(spec, name))
    current_domains = {domain.number: domain for domain in exam.domains} if exam.id else {}
    current_objectives = ({objective.code: objective for objective in db.session.scalars(
        sa.select(Objective).where(Objective.exam_id == exam.id))} if exam.id else {})
    for d_position, raw_domain in enumerate(spec.domains):
        domain = current_domains.get(raw_domain["number"])
        if domain is None:
            domain = Domain(number=raw_domain["number"])
            exam.domains.append(domain)
        _assign(domain, "name", raw_domain["name"])
        _assign(domain, "weight_percent", raw_domain["weight_percent"])
        _assign(domain, "position", d_position)
        for o_position, raw_objective in enumerate(raw_domain["objectives"]):
            objective = current_objectives.get(raw_objective["code"])
            if objective is None:
                objective = Objective(code=raw_objective["code"], exam=exam)
                db.session.add(objective)
            if objective.domain is not domain:
                objective.domain = domain
            _assign(objective, "title", raw_objective["title"])
            _assign(objective, "position", o_position)
    return exam


def _assign(record: Any, name: str, value: Any) -> None:
    """Set only real changes, so an unchanged import issues no UPDATE."""
    if getattr(record, name) != value:
        setattr(record, name, value)


def _objectives_by_exam(exams: dict[str, Exam]) -> dict[tuple[str, str], Objective]:
    slugs = {exam.id: slug for slug, exam in exams.items()}
    rows = db.session.scalars(sa.select(Objective).where(Objective.exam_id.in_(list(slugs))))
    return {(slugs[objective.exam_id], objective.code): objective for objective in rows}


def _content_of(question: Question) -> dict:
    """A stored question in the same shape as `QuestionSpec.content`, for change detection."""
    return {
        "objective": question.objective.code, "type": question.type, "select_count": question.select_count,
        "difficulty": question.difficulty, "stem": question.stem, "explanation": question.explanation,
        "reference": question.reference, "is_active": question.is_active, "exhibit": question.exhibit,
        "targets": question.targets, "reuse_targets": question.reuse_targets,
        "choices": [(choice.text, choice.is_correct, choice.rationale, choice.target) for choice in question.choices],
    }


def _upsert_questions(specs: list[QuestionSpec], exams: dict[str, Exam],
                      objectives: dict[tuple[str, str], Objective]) -> tuple[int, int, int]:
    current = {question.external_id: question for question in db.session.scalars(
        sa.select(Question).where(Question.external_id.in_([spec.external_id for spec in specs]))
        .options(selectinload(Question.choices), selectinload(Question.objective)))} if specs else {}
    # Questions stored before versions were kept get their old content as a first version.
    versioned = set(db.session.scalars(sa.select(QuestionVersion.question_id).distinct().where(
        QuestionVersion.question_id.in_([question.id for question in current.values()])))) if current else set()
    created = updated = unchanged = 0
    now = utcnow()
    # (question, its key before the change, or None for a new question): versioned once ids exist.
    changed: list[tuple[Question, dict | None]] = []
    for spec in specs:
        question = current.get(spec.external_id)
        if question is None:
            question = Question(external_id=spec.external_id, exam=exams[spec.exam_slug], created_at=now,
                                updated_at=now, version=1)
            _apply_content(question, spec.content, objectives[(spec.exam_slug, spec.objective)])
            db.session.add(question)
            changed.append((question, None))
            created += 1
        elif _content_of(question) == spec.content:
            unchanged += 1
        else:
            if question.id not in versioned:
                add_version(question, VersionOrigin.IMPORT, question.updated_at)
            key_before = answer_key(question)
            _apply_content(question, spec.content, objectives[(spec.exam_slug, spec.objective)])
            question.version += 1
            question.updated_at = now
            changed.append((question, key_before))
            updated += 1
    db.session.flush()
    for question, key_before in changed:
        add_version(question, VersionOrigin.IMPORT, now,
                    key_changed=key_before is not None and answer_key(question) != key_before)
    return created, updated, unchanged


def answer_key(question: Question) -> dict:
    """What makes an answer right, by choice id: the correct choices, or the ordering or matching
    key (`Question.pbq_key`), the same ids the quiz engine scores against."""
    if question.is_pbq:
        return question.pbq_key
    return {"correct": sorted(choice.id for choice in question.choices if choice.is_correct)}


def add_version(question: Question, origin: VersionOrigin, when, key_changed: bool = False,
                edited_by: int | None = None) -> QuestionVersion:
    """Record the question's current content as its current `version` (choices flushed first)."""
    row = QuestionVersion(question_id=question.id, version=question.version, content=question_document(question),
                          key_changed=key_changed, origin=origin.value, edited_by=edited_by, created_at=when)
    db.session.add(row)
    return row


def content_matches(question: Question, spec: QuestionSpec) -> bool:
    """The stored question already holds the entry's content (the import's change detection)."""
    return _content_of(question) == spec.content


def apply_document(question: Question, spec: QuestionSpec, objective: Objective) -> None:
    """Write a checked entry (`check_question`) onto a stored question, as the import does."""
    _apply_content(question, spec.content, objective)


def _apply_content(question: Question, content: dict, objective: Objective) -> None:
    question.objective = objective
    for name in ("type", "select_count", "difficulty", "stem", "explanation", "reference", "is_active", "exhibit",
                 "targets", "reuse_targets"):
        _assign(question, name, content[name])
    # Choices (and ordering or matching items) are rewritten in place by position, so the
    # (question_id, position) key never clashes.
    for position, (text, correct, rationale, target) in enumerate(content["choices"]):
        if position < len(question.choices):
            choice = question.choices[position]
            _assign(choice, "text", text)
            _assign(choice, "is_correct", correct)
            _assign(choice, "rationale", rationale)
            _assign(choice, "target", target)
        else:
            question.choices.append(Choice(position=position, text=text, is_correct=correct, rationale=rationale,
                                           target=target))
    del question.choices[len(content["choices"]):]


def _remove_dropped_blueprint(spec: ExamSpec, exam: Exam) -> None:
    """Objectives and domains no longer in exam.json go, unless history still points at them.

    An objective that a stored (by now inactive) question or a recorded answer refers to cannot be
    deleted (RESTRICT), so it stays, after the listed ones of its domain; so does its domain.
    """
    kept_codes = spec.objective_codes
    kept_numbers = {domain["number"] for domain in spec.domains}
    referenced = set(db.session.scalars(sa.select(Question.objective_id).where(Question.exam_id == exam.id)))
    referenced |= set(db.session.scalars(sa.select(Answer.objective_id).where(Answer.exam_id == exam.id)))
    retained_domains: set[int] = set()
    listed = {domain["number"]: len(domain["objectives"]) for domain in spec.domains}
    for objective in db.session.scalars(
            sa.select(Objective).where(Objective.exam_id == exam.id).order_by(Objective.position, Objective.code)):
        if objective.code in kept_codes:
            continue
        if objective.id in referenced:
            retained_domains.add(objective.domain_id)
            number = objective.domain.number
            _assign(objective, "position", listed.get(number, 0))
            listed[number] = listed.get(number, 0) + 1
        else:
            db.session.delete(objective)
    extra_position = len(spec.domains)
    for domain in list(exam.domains):
        if domain.number in kept_numbers:
            continue
        if domain.id in retained_domains:
            _assign(domain, "position", extra_position)
            extra_position += 1
        else:
            db.session.delete(domain)


def export_bank(path: Path | str, exam_slug: str | None = None) -> ExportSummary:
    """Write one folder per exam (exam.json + questions.json) under `path`, in the import format."""
    target = Path(path)
    query = sa.select(Exam).order_by(Exam.slug).options(
        selectinload(Exam.domains).selectinload(Domain.objectives))
    if exam_slug is not None:
        query = query.where(Exam.slug == exam_slug)
    exams = list(db.session.scalars(query))
    if exam_slug is not None and not exams:
        raise NotFound(f"There is no exam {exam_slug!r}.")
    for exam in exams:
        folder = target / exam.slug
        others = [p.name for p in folder.glob(QUESTION_FILE_GLOB) if p.name != EXPORT_QUESTION_FILE]
        if others:
            raise ExportConflict(f"{folder} already holds {', '.join(sorted(others))}; export to an empty folder.")
    total = 0
    for exam in exams:
        folder = target / exam.slug
        folder.mkdir(parents=True, exist_ok=True)
        questions = _questions_for_export(exam)
        total += len(questions)
        _write_json(folder / EXAM_FILE, _exam_document(exam))
        _write_json(folder / EXPORT_QUESTION_FILE, {"exam": exam.slug, "questions": questions})
    logger.info("question bank exported", extra={"exams": len(exams), "questions": total, "export_path": str(target)})
    return ExportSummary(folders=[target / exam.slug for exam in exams], questions=total)


def _exam_document(exam: Exam) -> dict:
    return {
        "slug": exam.slug, "code": exam.code, "name": exam.name, "vendor": exam.vendor,
        "id_prefix": exam.id_prefix, "question_count": exam.question_count,
        "duration_minutes": exam.duration_minutes, "passing_score": exam.passing_score,
        "domains": [{
            "number": domain.number, "name": domain.name, "weight_percent": domain.weight_percent,
            "objectives": [{"code": objective.code, "title": objective.title} for objective in domain.objectives],
        } for domain in exam.domains],
    }


def _questions_for_export(exam: Exam) -> list[dict]:
    rows = db.session.scalars(
        sa.select(Question).join(Objective, Question.objective_id == Objective.id)
        .join(Domain, Objective.domain_id == Domain.id)
        .where(Question.exam_id == exam.id)
        .order_by(Domain.position, Objective.position, Question.external_id)
        .options(selectinload(Question.choices), selectinload(Question.objective)))
    return [question_document(question) for question in rows]


def question_document(question: Question) -> dict:
    """A stored question as its bank file spells it (docs/QUESTION_FORMAT.md): what the export
    writes, what each `QuestionVersion` keeps and what the editor validates with `check_question`."""
    document = {"external_id": question.external_id, "objective": question.objective.code,
                "type": question.type}
    if not question.is_pbq:
        document["select_count"] = question.select_count
    document |= {"difficulty": question.difficulty, "stem": question.stem}
    if question.exhibit is not None:
        document["exhibit"] = question.exhibit
    if question.type == "ordering":
        document["items"] = [{"text": item.text, "rationale": item.rationale} for item in question.choices]
    elif question.type == "matching":
        document |= {"targets": question.targets, "reuse_targets": question.reuse_targets,
                     "items": [{"text": item.text, "target": question.targets[item.target],
                                "rationale": item.rationale} for item in question.choices]}
    else:
        document["choices"] = [{"text": choice.text, "correct": choice.is_correct, "rationale": choice.rationale}
                               for choice in question.choices]
    document["explanation"] = question.explanation
    if question.reference is not None:
        document["reference"] = question.reference
    if not question.is_active:
        document["is_active"] = False
    return document


def _write_json(path: Path, document: dict) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load_bundled_bank_if_empty(bank_dir: Path | None = None) -> BundledLoad:
    """Import the bundled bank (every exam folder) only when there are no questions yet.

    Running it again is a no-op, so deployments can call it on every release.
    """
    existing = count_questions()
    if existing:
        return BundledLoad(imported=None, existing_questions=existing)
    folder = bank_dir or BUNDLED_BANK_DIR
    exam_folders = sorted(child for child in folder.iterdir() if child.is_dir())
    return BundledLoad(imported=import_bank(exam_folders))

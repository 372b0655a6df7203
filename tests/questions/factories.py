"""Plain functions that build question-bank documents, files and records for tests.

Records in the database come from tests/factories.py (gen_exam, gen_question).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from tests.factories import DEMO_DOMAINS


def exam_document(slug: str = "demo", id_prefix: str = "dmo", **overrides) -> dict:
    """An exam.json document with two domains and three objectives."""
    document = {
        "slug": slug, "code": "DM0-101", "name": "Demo+", "vendor": "CompTIA", "id_prefix": id_prefix,
        "question_count": 90, "duration_minutes": 90, "passing_score": 750,
        "domains": copy.deepcopy(DEMO_DOMAINS),
    }
    document.update(overrides)
    return document


def single_question(external_id: str, objective: str = "1.1", correct: int = 0, **overrides) -> dict:
    """A valid single-answer question entry (4 choices, one correct)."""
    entry = {
        "external_id": external_id, "objective": objective, "type": "single", "select_count": 1,
        "difficulty": 2, "stem": f"Which option fits scenario {external_id}?",
        "choices": [{"text": f"Option {letter}", "correct": index == correct,
                     "rationale": f"Why option {letter} is {'right' if index == correct else 'wrong'}."}
                    for index, letter in enumerate("ABCD")],
        "explanation": "Option A fits because of the scenario; B is tempting but wrong.",
    }
    entry.update(overrides)
    return entry


def multiple_question(external_id: str, objective: str = "2.1", select_count: int = 2, **overrides) -> dict:
    """A valid multiple-answer question entry (5 choices, `select_count` correct)."""
    entry = {
        "external_id": external_id, "objective": objective, "type": "multiple",
        "select_count": select_count, "difficulty": 3,
        "stem": f"Which steps solve case {external_id}? (Choose {select_count}.)",
        "choices": [{"text": f"Step {letter}", "correct": index < select_count,
                     "rationale": f"Step {letter} {'helps' if index < select_count else 'does not help'}."}
                    for index, letter in enumerate("ABCDE")],
        "explanation": "The first steps solve it; the others address a different problem.",
        "reference": "RFC 1918",
    }
    entry.update(overrides)
    return entry


def demo_questions() -> list[dict]:
    """Three valid questions covering every demo objective."""
    return [single_question("dmo-1.1-001"), single_question("dmo-1.2-001", objective="1.2", correct=2),
            multiple_question("dmo-2.1-001")]


def write_json(path: Path, document: dict) -> Path:
    """Write `document` as JSON, creating folders; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def write_question_file(path: Path, questions: list[dict], exam: str = "demo") -> Path:
    """A questions*.json file for `exam`."""
    return write_json(path, {"exam": exam, "questions": questions})


def write_bank_folder(folder: Path, exam: dict | None = None, questions: list[dict] | None = None) -> Path:
    """An exam folder with exam.json and questions.json; returns the folder."""
    exam = exam or exam_document()
    write_json(folder / "exam.json", exam)
    write_question_file(folder / "questions.json", demo_questions() if questions is None else questions,
                        exam=exam["slug"])
    return folder


def text_exhibit(**overrides) -> dict:
    """A valid text exhibit (three lines of command output)."""
    exhibit = {"kind": "text", "title": "Output of ipconfig",
               "text": "IPv4 Address. . . : 169.254.10.4\nSubnet Mask . . . : 255.255.0.0\nDefault Gateway . :"}
    exhibit.update(overrides)
    return exhibit


def table_exhibit(**overrides) -> dict:
    """A valid table exhibit (two columns, two rows)."""
    exhibit = {"kind": "table", "title": "DHCP scope settings", "columns": ["Setting", "Value"],
               "rows": [["Lease", "8 days"], ["Router", "10.0.0.1"]]}
    exhibit.update(overrides)
    return exhibit


def ordering_question(external_id: str, objective: str = "1.1", count: int = 4, **overrides) -> dict:
    """A valid ordering question entry: `count` phases listed in their correct order."""
    entry = {
        "external_id": external_id, "objective": objective, "type": "ordering", "difficulty": 2,
        "stem": f"Put the phases of case {external_id} in the order the team performs them.",
        "items": [{"text": f"Phase {index + 1}", "rationale": f"Phase {index + 1} comes after the one before."}
                  for index in range(count)],
        "explanation": "Each phase needs the result of the one before it.",
    }
    entry.update(overrides)
    return entry


def matching_question(external_id: str, objective: str = "2.1", **overrides) -> dict:
    """A valid matching question entry: three services, five ports (two are distractors)."""
    entry = {
        "external_id": external_id, "objective": objective, "type": "matching", "difficulty": 2,
        "stem": f"Match each service of case {external_id} to the port it listens on by default.",
        "targets": ["TCP 22", "TCP 443", "UDP 53", "TCP 25", "UDP 161"],
        "reuse_targets": False,
        "items": [{"text": "SSH", "target": "TCP 22", "rationale": "Secure Shell listens on TCP 22."},
                  {"text": "HTTPS", "target": "TCP 443", "rationale": "HTTP over TLS uses TCP 443."},
                  {"text": "SNMP agent", "target": "UDP 161", "rationale": "Agents receive requests on UDP 161."}],
        "explanation": "Well-known ports; SMTP and DNS are distractors.",
    }
    entry.update(overrides)
    return entry

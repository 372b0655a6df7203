"""The bundled question bank meets every content rule a program can check (no database needed).

The rules are those of docs/QUESTION_FORMAT.md. Each exam is checked on its own, so a failure
names the exam that breaks a rule.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

import pytest

from tests.questions import cues
from tests.questions.factories import matching_question, ordering_question

BANK = Path(__file__).resolve().parents[2] / "webapp" / "questions" / "bank"
EXPECTED_EXAMS = {"security", "network", "aplus-core1", "aplus-core2"}
# Three 90-question simulations without a repeat.
MIN_QUESTIONS: dict[str, int] = {}
MIN_QUESTIONS_DEFAULT = 270
# Exam-level difficulty: at least this share rated 3 (multi-step, BEST/MOST/FIRST under a
# constraint, or reading an exhibit), at most this share rated 1 (recall).
MIN_HARD_SHARE = 0.20
# Performance-based items (ordering and matching), as the real exams open with.
MIN_PBQ = 15
MAX_EASY_SHARE = 0.20
MIN_PER_OBJECTIVE: dict[str, int] = {}
MIN_PER_OBJECTIVE_DEFAULT = 6
MIN_MULTIPLE_SHARE = 0.10
MAX_POSITION_SHARE = 0.35
NEAR_DUPLICATE_JACCARD = 0.8
MIN_EXHIBIT_SHARE = 0.15
# The exhibit format of docs/QUESTION_FORMAT.md, restated here so the bank is checked without the importer.
EXHIBIT_TITLE_MAX, EXHIBIT_TEXT_MAX, EXHIBIT_LINES, EXHIBIT_LINE_MAX = 120, 1500, 20, 72
EXHIBIT_COLUMNS, EXHIBIT_ROWS, EXHIBIT_CELL_MAX = range(2, 7), range(1, 13), 60

EXAMS = sorted(folder.name for folder in BANK.iterdir() if (folder / "exam.json").is_file())


@lru_cache(maxsize=None)
def load_exam(slug: str) -> tuple[dict, tuple[tuple[str, dict], ...]]:
    """exam.json and every question of one exam folder, each with the file it came from."""
    folder = BANK / slug
    exam = json.loads((folder / "exam.json").read_text(encoding="utf-8"))
    questions = []
    for path in sorted(folder.glob("questions*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        assert document.get("exam") == slug, f"{path.name} says exam {document.get('exam')!r}"
        questions.extend((path.name, entry) for entry in document["questions"])
    return exam, tuple(questions)


def objective_codes(exam: dict) -> list[str]:
    return [objective["code"] for domain in exam["domains"] for objective in domain["objectives"]]


def normalise(stem: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", stem.lower()))


def where(file: str, entry: dict) -> str:
    return f"{file}:{entry.get('external_id', '?')}"


def test_bundled_bank_has_the_four_exams():
    """The bank ships one folder per exam: Security+, Network+, A+ Core 1 and A+ Core 2."""
    assert EXPECTED_EXAMS <= set(EXAMS)


@pytest.mark.parametrize("slug", EXAMS)
def test_blueprint_is_well_formed(slug):
    """Domain weights add up to 100 and objective codes are unique and sit in their domain."""
    exam, _ = load_exam(slug)
    assert exam["slug"] == slug
    assert sum(domain["weight_percent"] for domain in exam["domains"]) == 100
    codes = objective_codes(exam)
    assert len(codes) == len(set(codes)), "an objective code is listed twice"
    for domain in exam["domains"]:
        for objective in domain["objectives"]:
            assert objective["code"].split(".")[0] + ".0" == domain["number"], objective["code"]
            assert objective["title"].strip()


@pytest.mark.parametrize("slug", EXAMS)
def test_exam_has_enough_questions(slug):
    """Every exam has at least 270 questions: three full simulations with no repeat."""
    _, questions = load_exam(slug)
    assert len(questions) >= MIN_QUESTIONS.get(slug, MIN_QUESTIONS_DEFAULT)


@pytest.mark.parametrize("slug", EXAMS)
def test_exam_has_enough_performance_based_items(slug):
    """Every exam has at least 15 ordering or matching items, some of each."""
    _, questions = load_exam(slug)
    kinds = Counter(entry.get("type") for _, entry in questions)
    assert kinds["ordering"] + kinds["matching"] >= MIN_PBQ, dict(kinds)
    assert kinds["ordering"] and kinds["matching"], dict(kinds)


@pytest.mark.parametrize("slug", EXAMS)
def test_difficulty_is_exam_level(slug):
    """At least 20% of an exam's questions are rated 3 and at most 20% are rated 1."""
    _, questions = load_exam(slug)
    ratings = Counter(entry.get("difficulty") for _, entry in questions)
    total = len(questions)
    assert total and ratings[3] / total >= MIN_HARD_SHARE, f"{ratings[3]}/{total} rated 3"
    assert ratings[1] / total <= MAX_EASY_SHARE, f"{ratings[1]}/{total} rated 1"


@pytest.mark.parametrize("slug", EXAMS)
def test_every_objective_is_covered(slug):
    """Every objective of exam.json has at least 6 questions, and no question names an unknown objective."""
    exam, questions = load_exam(slug)
    assert questions and objective_codes(exam)
    counts = Counter(entry["objective"] for _, entry in questions)
    minimum = MIN_PER_OBJECTIVE.get(slug, MIN_PER_OBJECTIVE_DEFAULT)
    short = {code: counts[code] for code in objective_codes(exam) if counts[code] < minimum}
    assert not short, f"objectives below {minimum} questions: {short}"
    unknown = set(counts) - set(objective_codes(exam))
    assert not unknown, f"questions name objectives that exam.json lacks: {sorted(unknown)}"


@pytest.mark.parametrize("slug", EXAMS)
def test_questions_follow_the_format(slug):
    """Types, select counts, choice and correct counts (items and targets for ordering and matching),
    difficulty and every text field are valid."""
    _, questions = load_exam(slug)
    assert questions
    wrong = []
    for file, entry in questions:
        choices = entry.get("choices") or []
        correct = sum(1 for choice in choices if choice.get("correct") is True)
        if entry.get("type") == "single":
            if entry.get("select_count") != 1 or len(choices) != 4 or correct != 1:
                wrong.append(f"{where(file, entry)}: single needs select_count 1, 4 choices, 1 correct")
        elif entry.get("type") == "multiple":
            select = entry.get("select_count")
            if select not in (2, 3) or not 5 <= len(choices) <= 6 or correct != select:
                wrong.append(f"{where(file, entry)}: multiple needs select_count 2-3, 5-6 choices, select_count correct")
        elif entry.get("type") in ("ordering", "matching"):
            wrong += [f"{where(file, entry)}: {problem}" for problem in pbq_problems(entry)]
        else:
            wrong.append(f"{where(file, entry)}: type {entry.get('type')!r}")
        if entry.get("difficulty") not in (1, 2, 3):
            wrong.append(f"{where(file, entry)}: difficulty {entry.get('difficulty')!r}")
        for name in ("stem", "explanation"):
            if not str(entry.get(name) or "").strip():
                wrong.append(f"{where(file, entry)}: empty {name}")
        for index, choice in enumerate(choices):
            if not str(choice.get("text") or "").strip() or not str(choice.get("rationale") or "").strip():
                wrong.append(f"{where(file, entry)}: choice {index} lacks text or rationale")
        if "reference" in entry and not str(entry["reference"] or "").strip():
            wrong.append(f"{where(file, entry)}: empty reference")
    assert not wrong, "\n".join(wrong)


def pbq_problems(entry: dict) -> list[str]:
    """What breaks the ordering or matching format (docs/QUESTION_FORMAT.md) in one entry."""
    items = entry.get("items") if isinstance(entry.get("items"), list) else []
    problems = [f"{name} is not allowed" for name in ("choices", "select_count") if name in entry]
    low, high = (4, 7) if entry["type"] == "ordering" else (3, 6)
    if not low <= len(items) <= high:
        problems.append(f"{entry['type']} needs {low}-{high} items, got {len(items)}")
    texts = [str(item.get("text") or "").strip().lower() for item in items]
    if len(set(texts)) != len(texts) or not all(0 < len(text) <= 200 for text in texts):
        problems.append("item texts must be unique, 1-200 characters")
    if not all(str(item.get("rationale") or "").strip() for item in items):
        problems.append("every item needs a rationale")
    if entry["type"] == "matching":
        targets = entry.get("targets") if isinstance(entry.get("targets"), list) else []
        if not 3 <= len(targets) <= 8 or len(set(targets)) != len(targets):
            problems.append("matching needs 3-8 unique targets")
        used = [item.get("target") for item in items]
        if not all(target in targets for target in used):
            problems.append("an item's target is not one of the targets")
        if entry.get("reuse_targets", False):
            if "more than once" not in entry["stem"].lower():
                problems.append("reuse_targets but the stem does not say a target may be used more than once")
        elif len(set(used)) != len(used):
            problems.append("two items share a target without reuse_targets")
    return problems


def test_pbq_format_check_accepts_the_format_and_names_each_break():
    """The content check passes valid ordering and matching entries and reports shared targets and short lists."""
    assert pbq_problems(ordering_question("x")) == [] and pbq_problems(matching_question("x")) == []
    shared = matching_question("x")
    shared["items"][0]["target"] = "TCP 443"
    assert pbq_problems(shared) == ["two items share a target without reuse_targets"]
    assert pbq_problems(ordering_question("x", count=3)) == ["ordering needs 4-7 items, got 3"]


@pytest.mark.parametrize("slug", EXAMS)
def test_enough_questions_have_an_exhibit(slug):
    """At least MIN_EXHIBIT_SHARE of each exam's questions carry an exhibit."""
    _, questions = load_exam(slug)
    with_exhibit = sum(1 for _, entry in questions if entry.get("exhibit") is not None)
    assert with_exhibit / len(questions) >= MIN_EXHIBIT_SHARE, f"{with_exhibit}/{len(questions)}"


def exhibit_problems(exhibit: dict) -> list[str]:
    """What is wrong with one exhibit against the format's limits (empty when it is valid)."""
    problems = []
    kind, title = exhibit.get("kind"), exhibit.get("title")
    allowed = {"text": {"kind", "title", "text"}, "table": {"kind", "title", "columns", "rows"}}.get(kind)
    if allowed is None:
        return [f"kind {kind!r}"]
    if set(exhibit) - allowed:
        problems.append(f"unknown keys {sorted(set(exhibit) - allowed)}")
    if not isinstance(title, str) or not title.strip() or len(title) > EXHIBIT_TITLE_MAX:
        problems.append("title must be 1-120 characters")
    if kind == "text":
        text = exhibit.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > EXHIBIT_TEXT_MAX:
            return problems + ["text must be 1-1500 characters"]
        lines = text.split("\n")
        if len(lines) > EXHIBIT_LINES:
            problems.append(f"{len(lines)} lines")
        problems += [f"line {n} has {len(line)} characters" for n, line in enumerate(lines, 1)
                     if len(line) > EXHIBIT_LINE_MAX or "\t" in line]
        return problems
    columns, rows = exhibit.get("columns"), exhibit.get("rows")
    if not isinstance(columns, list) or len(columns) not in EXHIBIT_COLUMNS:
        return problems + ["needs 2-6 columns"]
    if not isinstance(rows, list) or len(rows) not in EXHIBIT_ROWS:
        return problems + ["needs 1-12 rows"]
    for row in [columns, *rows]:
        if not isinstance(row, list) or len(row) != len(columns):
            problems.append(f"row {row!r} does not have one cell per column")
        elif not all(isinstance(cell, str) and len(cell) <= EXHIBIT_CELL_MAX for cell in row):
            problems.append(f"row {row!r} has a cell that is not text of at most 60 characters")
    return problems


@pytest.mark.parametrize("slug", EXAMS)
def test_exhibits_meet_the_format_and_the_stem_refers_to_them(slug):
    """Every exhibit is within the format's limits, and its question's stem points at it."""
    _, questions = load_exam(slug)
    wrong, checked = [], 0
    for file, entry in questions:
        exhibit = entry.get("exhibit")
        if exhibit is None:
            continue
        checked += 1
        if not isinstance(exhibit, dict):
            wrong.append(f"{where(file, entry)}: exhibit is not an object")
            continue
        wrong += [f"{where(file, entry)}: {problem}" for problem in exhibit_problems(exhibit)]
        if not re.search(r"\bexhibit\b|\bshown\b", entry.get("stem", ""), re.IGNORECASE):
            wrong.append(f"{where(file, entry)}: the stem does not refer to the exhibit")
    assert checked, f"{slug} has no exhibit to check"
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("slug", EXAMS)
def test_enough_multiple_answer_questions(slug):
    """At least 10% of an exam's questions are multiple-answer."""
    _, questions = load_exam(slug)
    multiple = sum(1 for _, entry in questions if entry.get("type") == "multiple")
    assert questions and multiple / len(questions) >= MIN_MULTIPLE_SHARE, f"{multiple} of {len(questions)}"


@pytest.mark.parametrize("slug", EXAMS)
def test_correct_answer_positions_are_spread(slug):
    """No choice position holds the answer of more than 35% of the exam's single-answer questions."""
    _, questions = load_exam(slug)
    positions = Counter(
        next(index for index, choice in enumerate(entry["choices"]) if choice.get("correct") is True)
        for _, entry in questions
        if entry.get("type") == "single" and any(choice.get("correct") is True for choice in entry["choices"]))
    total = sum(positions.values())
    assert total
    crowded = {position: count for position, count in positions.items() if count / total > MAX_POSITION_SHARE}
    assert not crowded, f"answer positions over {MAX_POSITION_SHARE:.0%} of {total}: {crowded}"


@pytest.mark.parametrize("slug", EXAMS)
def test_external_ids_match_prefix_and_objective(slug):
    """Every external_id is `<id_prefix>-<objective>-NNN` for its own objective."""
    exam, questions = load_exam(slug)
    pattern = re.compile(rf"^{re.escape(exam['id_prefix'])}-(\d+\.\d+)-(\d{{3}})$")
    assert questions
    wrong = []
    for file, entry in questions:
        match = pattern.match(str(entry.get("external_id")))
        if not match or match.group(1) != entry.get("objective"):
            wrong.append(where(file, entry))
    assert not wrong, f"malformed external_ids: {wrong}"


def test_external_ids_are_unique_across_the_bank():
    """No external_id appears twice, within a file, across files or across exams."""
    counts = Counter(entry.get("external_id") for slug in EXAMS for _, entry in load_exam(slug)[1])
    assert len(counts) >= MIN_QUESTIONS_DEFAULT * len(EXPECTED_EXAMS)
    assert not {key: count for key, count in counts.items() if count > 1}


def test_id_prefixes_are_unique():
    """Each exam has its own id_prefix, so external_ids cannot collide between exams."""
    prefixes = [load_exam(slug)[0]["id_prefix"] for slug in EXAMS]
    assert len(prefixes) == len(set(prefixes))


def test_no_two_stems_are_the_same():
    """No two stems in the whole bank are equal once case, punctuation and spacing are ignored."""
    seen: dict[str, str] = {}
    duplicates = []
    for slug in EXAMS:
        for file, entry in load_exam(slug)[1]:
            key = normalise(entry.get("stem", ""))
            if key in seen:
                duplicates.append(f"{where(file, entry)} repeats {seen[key]}")
            seen.setdefault(key, where(file, entry))
    assert len(seen) >= MIN_QUESTIONS_DEFAULT * len(EXPECTED_EXAMS)
    assert not duplicates, "\n".join(duplicates)


@pytest.mark.parametrize("slug", EXAMS)
def test_no_near_duplicate_stems(slug):
    """No two stems of one exam share 80% or more of their words (Jaccard similarity of word sets)."""
    _, questions = load_exam(slug)
    words = [(where(file, entry), set(normalise(entry.get("stem", "")).split())) for file, entry in questions]
    assert len(words) > 1 and all(stem_words for _, stem_words in words)
    similar = []
    for (left, left_words), (right, right_words) in itertools.combinations(words, 2):
        union = left_words | right_words
        if union and len(left_words & right_words) / len(union) >= NEAR_DUPLICATE_JACCARD:
            similar.append(f"{left} ~ {right}")
    assert not similar, "\n".join(similar)


def test_aplus_core1_blueprint_is_the_220_1201_layout():
    """A+ Core 1 has the 27 objectives of 220-1201 (3+8+8+2+6): 3.1 displays, 3.8 printer maintenance, no 5.7."""
    exam, _ = load_exam("aplus-core1")
    assert exam["code"] == "220-1201"
    assert [len(domain["objectives"]) for domain in exam["domains"]] == [3, 8, 8, 2, 6]
    assert [domain["weight_percent"] for domain in exam["domains"]] == [13, 23, 25, 11, 28]
    titles = {objective["code"]: objective["title"] for domain in exam["domains"] for objective in domain["objectives"]}
    assert "display" in titles["3.1"] and "printer maintenance" in titles["3.8"]
    assert titles["5.1"].startswith("Given a scenario, troubleshoot motherboards, RAM, CPU")
    assert "5.7" not in titles and not any("methodology" in title for title in titles.values())


def test_aplus_core2_blueprint_orders_macos_linux_then_applications():
    """A+ Core 2 (220-1202) lists macOS as 1.8, Linux as 1.9 and application installation as 1.10."""
    exam, questions = load_exam("aplus-core2")
    titles = {objective["code"]: objective["title"] for domain in exam["domains"] for objective in domain["objectives"]}
    assert "macOS" in titles["1.8"] and "Linux" in titles["1.9"] and "install applications" in titles["1.10"]
    assert [domain["weight_percent"] for domain in exam["domains"]] == [28, 28, 23, 21]
    by_objective = {entry["objective"] for _, entry in questions if ".dmg" in entry["stem"]}
    assert by_objective == {"1.8"}


def exam_entries(slug: str) -> list[dict]:
    return [entry for _, entry in load_exam(slug)[1]]


def cue_failure(slug: str, name: str) -> str:
    hits, total = cues.figures(exam_entries(slug))[name]
    operator, limit = cues.LIMITS[name]
    return f"{slug} {name}: {hits}/{total} = {hits / total:.1%}, limit {operator} {limit:.0%}" if total else ""


@pytest.mark.parametrize("slug", EXAMS)
def test_single_answer_key_is_rarely_the_longest(slug):
    """The key is the strictly longest option in at most 28% of an exam's single-answer questions."""
    assert cues.within_limit("single_longest", *cues.figures(exam_entries(slug))["single_longest"]), \
        cue_failure(slug, "single_longest")


@pytest.mark.parametrize("slug", EXAMS)
def test_single_answer_key_is_often_enough_the_shortest(slug):
    """The key is the strictly shortest option in at least 16% of single-answer questions, so "never the shortest" fails."""
    assert cues.within_limit("single_shortest", *cues.figures(exam_entries(slug))["single_shortest"]), \
        cue_failure(slug, "single_shortest")


@pytest.mark.parametrize("slug", EXAMS)
def test_k_longest_options_rarely_answer_a_multiple_select(slug):
    """Picking the k longest options is fully right on at most 15% of an exam's multiple-select questions."""
    assert cues.within_limit("multi_k_longest", *cues.figures(exam_entries(slug))["multi_k_longest"]), \
        cue_failure(slug, "multi_k_longest")


@pytest.mark.parametrize("slug", EXAMS)
def test_option_echoing_the_stem_is_rarely_the_key(slug):
    """The option that uniquely shares the most content words with the stem is the key at most 32% of the time."""
    assert cues.within_limit("stem_echo", *cues.figures(exam_entries(slug))["stem_echo"]), \
        cue_failure(slug, "stem_echo")


@pytest.mark.parametrize("slug", EXAMS)
def test_multiple_select_keys_are_not_the_first_choices_written(slug):
    """The keys of at most 15% of an exam's multiple-select questions are its first k authored choices."""
    assert cues.within_limit("multi_first_k", *cues.figures(exam_entries(slug))["multi_first_k"]), \
        cue_failure(slug, "multi_first_k")


@pytest.mark.parametrize("slugs", [(slug,) for slug in EXAMS] + [("aplus-core1", "aplus-core2")],
                         ids=lambda slugs: "+".join(slugs))
def test_no_near_duplicate_questions(slugs):
    """No two questions of one exam, or of the two A+ exams together, ask the same thing (stem + key words)."""
    entries = [entry for slug in slugs for entry in exam_entries(slug)]
    assert len(entries) >= 90 * len(slugs), "the check must have questions to compare"
    pairs = cues.near_duplicates(entries)
    assert not pairs, "\n".join(f"{left} ~ {right}: {score}" for left, right, score in pairs)


def test_cue_figures_count_what_they_claim():
    """Each cue counts a key that is longest, shortest, echoes the stem, is the k longest or the first k."""
    def choice(text, correct=False):
        return {"text": text, "correct": correct}
    single = {"type": "single", "stem": "Which protocol encrypts remote shell sessions?",
              "choices": [choice("Telnet session"), choice("SSH remote shell", True), choice("FTP"), choice("SNMPv1")]}
    multiple = {"type": "multiple", "stem": "Pick two.",
                "choices": [choice("long keyed one", True), choice("longer keyed two", True), choice("no"), choice("nah"),
                            choice("nope")]}
    result = cues.figures([single, multiple, ordering_question("x"), matching_question("y")])
    assert result["single_longest"] == (1, 1) and result["single_shortest"] == (0, 1)
    assert result["stem_echo"] == (1, 1)
    assert result["multi_k_longest"] == (1, 1) and result["multi_first_k"] == (1, 1)
    assert cues.within_limit("single_shortest", 1, 6) and not cues.within_limit("single_shortest", 0, 6)


def test_near_duplicate_threshold_catches_a_reworded_question():
    """Two questions that ask the same thing in other words are a near-duplicate pair; unrelated ones are not."""
    def question(external_id, stem, key):
        return {"external_id": external_id, "stem": stem,
                "choices": [{"text": key, "correct": True}, {"text": "Something else", "correct": False}]}
    first = question("x-1", "A PC shows a 169.254.10.4 address and cannot reach the network. What is the cause?",
                     "No DHCP server answered")
    second = question("x-2", "A laptop has the address 169.254.88.1 and cannot reach the network. What is the cause?",
                      "The DHCP server did not answer")
    third = question("x-3", "Which port does RDP listen on by default?", "TCP 3389")
    assert [pair[:2] for pair in cues.near_duplicates([first, second, third])] == [("x-1", "x-2")]

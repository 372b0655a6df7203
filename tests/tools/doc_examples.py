"""The executable examples of docs/API.md: parse them, run them in order, compare the shapes.

The format is described at the top of docs/API.md. In short: a ```` ```http example ```` block
holds a request (request line, headers, a blank line, a JSON body); the next fenced block is its
response, ```` ```json response 201 ```` (a JSON body), ```` ```html response 200 ```` (a page) or
```` ```http response 204 ```` (a status line, no body). `{name}` in a request is a value known
only at run time: captured from an earlier response by a one-line comment above that response,
`<!-- capture: quiz_id = id, choice_id = questions[0].choices[0].id -->`, or given by the test.

Kept out of the test module so the parser and the shape rules can be read (and tested) on their
own, and reused for other documents.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
FENCE = re.compile(r"^```(.*)$")
HEADING = re.compile(r"^### `?(" + "|".join(METHODS) + r") (/[^`?\s]*)")
CAPTURE = re.compile(r"^<!-- capture: (.+?) -->$")
CAPTURE_ITEM = re.compile(r"^([a-z][a-z0-9_]*) = ([A-Za-z_][\w.\[\]]*)$")
PATH_STEP = re.compile(r"([A-Za-z_]\w*)|\[(\d+)\]")
RESPONSE_INFO = re.compile(r"^(json|html|http) response (\d{3})$")
MEDIA_TYPES = {"json": "application/json", "html": "text/html"}
WILDCARD_KEY = "..."  # an object holding this key may hold undocumented keys too
ID_KEY = re.compile(r"^\d+$")


class MalformedExample(Exception):
    """The document breaks the example format; the message gives the line."""


@dataclass
class Example:
    line: int  # of the request block's fence, 1-based
    section: str | None  # the `### METHOD /path` heading above it, if any
    method: str
    target: str  # path and query, placeholders unfilled
    headers: list[tuple[str, str]]
    body: str | None
    status: int
    kind: str  # json, html or http (no body)
    expected: Any = None  # the documented JSON body
    captures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def placeholders(self) -> set[str]:
        text = self.target + "".join(v for _, v in self.headers) + (self.body or "")
        return set(PLACEHOLDER.findall(text))

    def __str__(self) -> str:
        return f"docs/API.md line {self.line}: {self.method} {self.target}"


@dataclass
class Section:
    line: int
    method: str
    path: str  # the path template of the heading, e.g. /api/v1/quizzes/{id}
    examples: list[Example] = field(default_factory=list)

    def matches(self, example: Example) -> bool:
        """The example calls this section's operation (any value in a `{...}` segment)."""
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(self.path))
        return example.method == self.method and re.fullmatch(pattern, example.target.split("?")[0]) is not None


def _blocks(lines: list[str]):
    """(line number, info string, body lines, the nearest non-blank line above) of each fenced block."""
    index = 0
    while index < len(lines):
        opened = FENCE.match(lines[index])
        if not opened:
            index += 1
            continue
        start = index
        index += 1
        while index < len(lines) and lines[index] != "```":
            index += 1
        if index == len(lines):
            raise MalformedExample(f"line {start + 1}: a fenced block is never closed")
        above = next((lines[i] for i in range(start - 1, -1, -1) if lines[i].strip()), "")
        yield start + 1, opened.group(1).strip(), lines[start + 1:index], above
        index += 1


def _parse_request(line: int, body: list[str]) -> tuple[str, str, list[tuple[str, str]], str | None]:
    if not body:
        raise MalformedExample(f"line {line}: an empty request")
    parts = body[0].split()
    if len(parts) not in (2, 3) or parts[0] not in METHODS or not parts[1].startswith("/"):
        raise MalformedExample(f"line {line}: the request line must be 'METHOD /path', not {body[0]!r}")
    headers, rest = [], body[1:]
    while rest and rest[0].strip():
        name, colon, value = rest[0].partition(":")
        if not colon or not name.strip() or " " in name.strip():
            raise MalformedExample(f"line {line}: {rest[0]!r} is not a 'Name: value' header")
        headers.append((name.strip(), value.strip()))
        rest = rest[1:]
    text = "\n".join(rest).strip() or None
    if text is not None:
        try:
            json.loads(PLACEHOLDER.sub("0", text))
        except ValueError as error:
            raise MalformedExample(f"line {line}: the request body is not JSON: {error}") from None
    return parts[0], parts[1], headers, text


def _parse_captures(line: int, comment: str) -> list[tuple[str, str]]:
    found = CAPTURE.match(comment)
    if not found:
        return []
    captures = []
    for item in found.group(1).split(","):
        parsed = CAPTURE_ITEM.match(item.strip())
        if not parsed or not all(step[0] or step[1] for step in PATH_STEP.findall(parsed.group(2))):
            raise MalformedExample(f"line {line}: {item.strip()!r} is not 'name = json.path'")
        captures.append((parsed.group(1), parsed.group(2)))
    return captures


def parse(text: str) -> tuple[list[Example], list[Section]]:
    """Every example of the document, in order, and every `### METHOD /path` section with its examples."""
    lines = text.splitlines()
    headings = {number + 1: HEADING.match(line) for number, line in enumerate(lines)}
    sections = [Section(number, found.group(1), found.group(2)) for number, found in headings.items() if found]
    section_starts = [line for line, found in headings.items() if found or lines[line - 1].startswith(("## ", "### "))]
    examples: list[Example] = []
    pending: tuple | None = None
    for line, info, body, above in _blocks(lines):
        if info == "http example":
            if pending:
                raise MalformedExample(f"line {pending[0]}: a request without a response block after it")
            pending = (line, *_parse_request(line, body))
            continue
        response = RESPONSE_INFO.match(info)
        if pending is None:
            if response or CAPTURE.match(above):
                raise MalformedExample(f"line {line}: a response block without a request before it")
            continue
        if not response:
            raise MalformedExample(f"line {pending[0]}: the block after a request must be 'json|html|http response NNN'")
        kind, status = response.group(1), int(response.group(2))
        expected = None
        if kind == "json":
            try:
                expected = json.loads("\n".join(body))
            except ValueError as error:
                raise MalformedExample(f"line {line}: the response body is not JSON: {error}") from None
        elif kind == "http" and (len(body) != 1 or not re.fullmatch(rf"HTTP/1\.1 {status} [A-Za-z ]+", body[0])):
            raise MalformedExample(f"line {line}: an 'http response {status}' block holds only 'HTTP/1.1 {status} <reason>'")
        captures = _parse_captures(line, above)
        if captures and kind != "json":
            raise MalformedExample(f"line {line}: only a JSON response can be captured from")
        start = max((s for s in section_starts if s < pending[0]), default=0)
        heading = next((s for s in sections if s.line == start), None)
        example = Example(pending[0], f"{heading.method} {heading.path}" if heading else None, *pending[1:],
                          status=status, kind=kind, expected=expected, captures=captures)
        if heading:
            heading.examples.append(example)
        examples.append(example)
        pending = None
    if pending:
        raise MalformedExample(f"line {pending[0]}: a request without a response block after it")
    return examples, sections


def check_placeholders(examples: list[Example], given: set[str]) -> None:
    """Every `{name}` is given by the test or captured by an earlier example."""
    known = set(given)
    for example in examples:
        unknown = example.placeholders - known
        if unknown:
            raise MalformedExample(f"{example}: {sorted(unknown)} neither given nor captured above")
        known.update(name for name, _ in example.captures)


def fill(text: str, values: dict[str, Any]) -> str:
    """`text` with each `{name}` replaced: a captured string as it is (the document quotes it where
    JSON needs quotes), any other value as JSON."""
    def value(found: re.Match) -> str:
        captured = values[found.group(1)]
        return captured if isinstance(captured, str) else json.dumps(captured)
    return PLACEHOLDER.sub(value, text)


def extract(body: Any, path: str) -> Any:
    """The value at `questions[0].choices[1].id` in a JSON body."""
    value = body
    for key, index in PATH_STEP.findall(path):
        value = value[int(index)] if index else value[key]
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}[type(value)]


def shape_errors(documented: Any, actual: Any, where: str = "body") -> list[str]:
    """How `actual` differs in shape from `documented`; empty when they agree.

    Same JSON type at every level (null only matches null; an integer is not a number); objects
    have the same keys, except that an object holding the key "..." may hold more, and one whose
    documented keys are all ids ("45") is a map whose keys are not compared; every element of a
    list and every value of such a map has the shape of one of the documented ones (usually the
    only one), and a list or map is empty exactly when the documented one is. String values are
    not compared: "..." is any string.
    """
    if _kind(documented) != _kind(actual):
        return [f"{where}: documented {_kind(documented)}, got {_kind(actual)} ({json.dumps(actual)[:80]})"]
    if isinstance(documented, list):
        if bool(documented) != bool(actual):
            return [f"{where}: documented {'a non-empty' if documented else 'an empty'} list, got {len(actual)} items"]
        errors = []
        for index, item in enumerate(actual):
            errors += _one_of(documented, item, f"{where}[{index}]")
        return errors
    if not isinstance(documented, dict):
        return []
    if documented and all(ID_KEY.match(key) for key in documented):
        if not actual:
            return [f"{where}: documented a map of ids, got an empty object"]
        errors = []
        for key, value in actual.items():
            if not ID_KEY.match(key):
                errors.append(f"{where}: key {key!r} in a map of ids")
            else:
                errors += _one_of(list(documented.values()), value, f"{where}[{key!r}]")
        return errors
    errors = [f"{where}: documented key {key!r} is missing" for key in documented
              if key != WILDCARD_KEY and key not in actual]
    if WILDCARD_KEY not in documented:
        errors += [f"{where}: key {key!r} is not documented" for key in actual if key not in documented]
    for key, value in documented.items():
        if key in actual and key != WILDCARD_KEY:
            errors += shape_errors(value, actual[key], f"{where}.{key}")
    return errors


def _one_of(options: list, actual: Any, where: str) -> list[str]:
    """No error when `actual` has the shape of one of the documented elements; else the errors
    against the closest one."""
    found = [shape_errors(option, actual, where) for option in options]
    return [] if any(not errors for errors in found) else min(found, key=len)


@dataclass
class Outcome:
    example: Example
    status: int
    body: Any
    errors: list[str]


def run(client, example: Example, values: dict[str, Any]) -> Outcome:
    """Send one example through a Flask test client and compare its response; on success, add its
    captures to `values`."""
    headers = [(name, fill(value, values)) for name, value in example.headers]
    body = fill(example.body, values).encode() if example.body is not None else None
    response = client.open(fill(example.target, values), method=example.method, headers=headers, data=body)
    errors = []
    if response.status_code != example.status:
        errors.append(f"documented status {example.status}, got {response.status_code}")
    actual: Any = response.get_data(as_text=True)
    if example.kind == "http":
        if actual:
            errors.append(f"documented no body, got {actual[:80]!r}")
    elif response.mimetype != MEDIA_TYPES[example.kind]:
        errors.append(f"documented {MEDIA_TYPES[example.kind]}, got {response.mimetype}")
    elif example.kind == "json":
        actual = response.get_json()
        errors += shape_errors(example.expected, actual)
        if example.status >= 400 and isinstance(actual, dict):
            errors += [f"body.{key}: documented {example.expected.get(key)!r}, got {actual.get(key)!r}"
                       for key in ("code", "field") if actual.get(key) != example.expected.get(key)]
    if not errors:
        for name, path in example.captures:
            try:
                values[name] = extract(actual, path)
            except (KeyError, IndexError, TypeError):
                errors.append(f"capture {name} = {path}: no such value in the response")
    return Outcome(example, response.status_code, actual, errors)

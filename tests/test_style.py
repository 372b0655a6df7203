"""House-style checks that a program can make."""

from __future__ import annotations

import ast
from pathlib import Path

from config import ROOT


def _test_functions() -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every `test_*` function under tests/, named `path::function`."""
    found = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_"):
                found.append((f"{path.relative_to(ROOT)}::{node.name}", node))
    return found


def test_every_test_has_a_docstring():
    """STYLE.md: each test states the behaviour it proves in a one-line docstring."""
    tests_found = _test_functions()
    assert len(tests_found) > 100
    missing = [name for name, node in tests_found if not ast.get_docstring(node)]
    assert not missing, missing


def _is_absence(test: ast.expr) -> bool:
    """`x not in y`, `not x`, or an `and` of those: an assertion that something is missing."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return True
    if isinstance(test, ast.Compare):
        return all(isinstance(op, ast.NotIn) for op in test.ops)
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return all(_is_absence(value) for value in test.values)
    return False


def _asserts_only_absences(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """The function asserts something, and every one of its asserts is an absence."""
    asserts = [node.test for node in ast.walk(function) if isinstance(node, ast.Assert)]
    return bool(asserts) and all(_is_absence(test) for test in asserts)


def test_the_absence_scan_tells_absences_from_presences():
    """The scan flags a test asserting only `not in` / `not`, and passes one that also asserts a presence."""
    only_absent = ast.parse("def test_a():\n    assert 'x' not in page and not errors\n    assert not found\n")
    with_presence = ast.parse("def test_b():\n    assert response.status_code == 200\n    assert 'x' not in page\n")
    assert _asserts_only_absences(only_absent.body[0])
    assert not _asserts_only_absences(with_presence.body[0])


def test_no_test_asserts_only_absences():
    """Issue 9: no test asserts only absences (`not in`, `not`); each also asserts a status or a presence."""
    tests_found = _test_functions()
    assert len(tests_found) > 100
    offenders = [name for name, node in tests_found if _asserts_only_absences(node)]
    assert not offenders, offenders


def test_fragments_never_extend_the_base_layout():
    """STYLE.md: templates named _x.html are fragments and never extend base.html."""
    fragments = sorted((ROOT / "templates").rglob("_*.html"))
    assert fragments
    offenders = [str(p.relative_to(ROOT)) for p in fragments if "{% extends" in p.read_text()]
    assert not offenders, offenders


def test_no_script_from_another_host():
    """Templates load scripts only from this origin (htmx and Plotly are vendored)."""
    templates = sorted((ROOT / "templates").rglob("*.html"))
    assert templates and any("<script" in path.read_text() for path in templates)
    for path in templates:
        text = path.read_text()
        assert 'src="http' not in text and 'src="//' not in text, path


def test_only_config_reads_the_environment():
    """STYLE.md: config.py alone reads os.environ (gunicorn's config file and tools aside)."""
    modules = sorted(Path(ROOT / "webapp").rglob("*.py"))
    assert len(modules) > 10
    assert "os.environ" in (ROOT / "config.py").read_text()
    offenders = []
    for path in modules:
        text = path.read_text()
        if "os.environ" in text or "os.getenv" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders

"""House-style checks that a program can make."""

from __future__ import annotations

import ast
from pathlib import Path

from config import ROOT


def test_every_test_has_a_docstring():
    """STYLE.md: each test states the behaviour it proves in a one-line docstring."""
    missing = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_"):
                if not ast.get_docstring(node):
                    missing.append(f"{path.relative_to(ROOT)}::{node.name}")
    assert not missing, missing


def test_fragments_never_extend_the_base_layout():
    """STYLE.md: templates named _x.html are fragments and never extend base.html."""
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "templates").rglob("_*.html")
                 if "{% extends" in p.read_text()]
    assert not offenders, offenders


def test_no_script_from_another_host():
    """Templates load scripts only from this origin (htmx and Plotly are vendored)."""
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        assert 'src="http' not in text and 'src="//' not in text, path


def test_only_config_reads_the_environment():
    """STYLE.md: config.py alone reads os.environ (gunicorn's config file and tools aside)."""
    offenders = []
    for path in Path(ROOT / "webapp").rglob("*.py"):
        text = path.read_text()
        if "os.environ" in text or "os.getenv" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders

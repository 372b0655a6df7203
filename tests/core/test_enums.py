"""Modes, statuses and review filters are defined once (webapp/models/enums.py) and shown through
one `label` filter."""

from __future__ import annotations

import ast
import re

from config import ROOT
from tests.factories import bearer, gen_bank, gen_token
from webapp.models import AttemptStatus, QuizMode, enums

SPELLED = {member.value for enum in (QuizMode, AttemptStatus) for member in enum}
# "exam" is also a form field and a URL word, so in Python only a comparison with it counts.
UNAMBIGUOUS = SPELLED - {QuizMode.EXAM.value}


def _python_offenders() -> list[str]:
    offenders = []
    for path in sorted((ROOT / "webapp").rglob("*.py")):
        name = str(path.relative_to(ROOT))
        if name == "webapp/models/enums.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=name)):
            if isinstance(node, ast.Constant) and node.value in UNAMBIGUOUS:
                offenders.append(f"{name}:{node.lineno} {node.value!r}")
            if isinstance(node, ast.Compare) and any(isinstance(c, ast.Constant) and c.value in SPELLED
                                                     for c in [node.left, *node.comparators]):
                offenders.append(f"{name}:{node.lineno} comparison with a literal")
    return offenders


def test_modes_and_statuses_are_never_spelled_outside_the_enums():
    """No module or template spells a mode or status; they use QuizMode and AttemptStatus."""
    assert len(list((ROOT / "webapp").rglob("*.py"))) > 10
    offenders = _python_offenders()
    templates = sorted((ROOT / "templates").rglob("*.html"))
    assert len(templates) > 10
    pattern = re.compile(r"""["'](%s)["']""" % "|".join(sorted(SPELLED)))
    assert pattern.search(f'{{% if status == "{AttemptStatus.IN_PROGRESS.value}" %}}')
    for path in templates:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert not offenders, offenders


def test_label_filter_shows_every_member_and_its_stored_string(app):
    """The one `label` filter gives each member's label, from the member or from the stored string."""
    render = app.jinja_env.from_string("{{ value | label }}").render
    for enum in (QuizMode, AttemptStatus, enums.ReviewFilter):
        for member in enum:
            assert render(value=member) == render(value=member.value) == member.label


def test_history_and_dashboard_show_mode_and_status_labels(client, app, signed_in):
    """The history page and the dashboard name a quiz by its mode's label, and its status by its label."""
    exam = gen_bank(app, per_objective=4)
    headers = bearer(gen_token(app, signed_in))
    first = client.post("/api/v1/quizzes", headers=headers, json={"exam_type": exam.slug, "count": 5}).get_json()
    client.post(f"/api/v1/quizzes/{first['id']}/submit", headers=headers)
    second = client.post("/api/v1/quizzes", headers=headers, json={"exam_type": exam.slug, "count": 5}).get_json()
    client.post(f"/api/v1/quizzes/{second['id']}/abandon", headers=headers)
    history = client.get("/quizzes").get_data(as_text=True)
    assert history.count(f">{QuizMode.PRACTICE.label}</td>") == 2
    assert f">{AttemptStatus.COMPLETED.label}</td>" in history
    assert f">{AttemptStatus.ABANDONED.label}</td>" in history
    assert f"· {QuizMode.PRACTICE.label.lower()}</a>" in client.get("/").get_data(as_text=True)


def test_label_filter_gives_each_member_its_own_label_even_when_values_are_shared(app):
    """"all" and "marked" are both a review filter and a source: each member still shows its own label."""
    render = app.jinja_env.from_string("{{ value | label }}").render
    members = [member for enum in enums.LABELLED for member in enum]
    assert {enums.QuestionSource.ALL.value, enums.QuestionSource.MARKED.value} <= set(enums.ReviewFilter)
    for member in members:
        assert render(value=member) == member.label, member
    assert render(value=enums.QuestionSource.MARKED) == "Marked for review"
    assert render(value=enums.ReviewFilter.MARKED) == "Marked only"

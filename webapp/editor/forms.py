"""The editor form: the question's fields, its choices, and the edit's options.

The form only turns what the admin typed into the service's `changes` (the exhibit from JSON,
ordering places into an order, targets from lines); every content rule is the bank importer's,
applied by `webapp.editor.services`. Errors come back by field path and are put next to the
field they name, so nothing the admin typed is lost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import (BooleanField, FieldList, Form, FormField, HiddenField, IntegerField, SelectField, StringField,
                     SubmitField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from webapp.exceptions import FieldError
from webapp.questions.bank import DIFFICULTIES


class ChoiceForm(Form):
    """One choice or item (a nested form: the editor form's CSRF token covers it)."""

    choice_id = HiddenField()
    text = TextAreaField("Text")
    rationale = TextAreaField("Rationale")
    correct = BooleanField("Correct answer")
    place = IntegerField("Place in the correct order", validators=[Optional()])
    target = StringField("Matches target")


class EditorForm(FlaskForm):
    expected_version = HiddenField()
    objective = SelectField("Objective")
    difficulty = SelectField("Difficulty", coerce=int, choices=[SelectChoice(value, str(value)) for value in DIFFICULTIES])
    select_count = IntegerField("Answers to select", validators=[Optional()])
    stem = TextAreaField("Stem")
    exhibit = TextAreaField("Exhibit (JSON)", description="A text or table exhibit as JSON (docs/QUESTION_FORMAT.md); "
                                                          "leave it empty for none.")
    targets = TextAreaField("Targets", description="One target per line, in the author's order.")
    choices = FieldList(FormField(ChoiceForm))
    explanation = TextAreaField("Explanation")
    reference = StringField("Reference", description="Optional.")
    is_active = BooleanField("Active (drawn into new quizzes)")
    resolve_reports = BooleanField("Resolve all open reports with this edit")
    resolution_note = TextAreaField("Note to the reporters", description="Optional; the reporters see it.")
    submit = SubmitField("Save changes")


def editor_form(question, objectives, submitted: bool) -> EditorForm:
    """The form, filled from the request when `submitted`, else from the stored question."""
    limit = current_app.config["FEEDBACK_COMMENT_MAX_LENGTH"]
    if submitted:
        form = EditorForm()
    else:
        form = EditorForm(formdata=None, data={
            "expected_version": str(question.version), "objective": question.objective.code,
            "difficulty": question.difficulty, "select_count": question.select_count, "stem": question.stem,
            "exhibit": json.dumps(question.exhibit, indent=2, ensure_ascii=False) if question.exhibit else "",
            "targets": "\n".join(question.targets or []), "explanation": question.explanation,
            "reference": question.reference or "", "is_active": question.is_active,
            "choices": [{"choice_id": str(c.id), "text": c.text, "rationale": c.rationale, "correct": c.is_correct,
                         "place": c.position + 1,
                         "target": (question.targets or [])[c.target] if c.target is not None else ""}
                        for c in question.choices]})
    form.objective.choices = [SelectChoice(o.code, f"{o.code} {o.title}") for o in objectives]
    form.resolution_note.validators = [Optional(), Length(max=limit)]
    return form


@dataclass
class Submission:
    """What the form asks for: the changes, the edit's options, and input it could not read."""

    changes: dict
    options: dict
    errors: list[FieldError]
    # The form entry of each choice the service sees, by its index in `changes["choices"]`.
    entry_of: list[int]


def submission(form: EditorForm, question) -> Submission:
    """The service's `changes` from the form (the full set; unchanged fields change nothing)."""
    errors: list[FieldError] = []
    changes = {"stem": form.stem.data or "", "explanation": form.explanation.data or "",
               "reference": (form.reference.data or "").strip() or None, "objective": form.objective.data,
               "difficulty": form.difficulty.data, "is_active": bool(form.is_active.data)}
    if question.type == "multiple" and form.select_count.data is not None:
        changes["select_count"] = form.select_count.data
    raw = (form.exhibit.data or "").strip()
    if raw:
        try:
            changes["exhibit"] = json.loads(raw)
        except json.JSONDecodeError as exc:
            errors.append(FieldError("exhibit", f"is not valid JSON ({exc.msg} at line {exc.lineno})"))
    else:
        changes["exhibit"] = None
    if question.type == "matching":
        changes["targets"] = [line.strip() for line in (form.targets.data or "").splitlines() if line.strip()]
    entries = list(enumerate(form.choices.entries))
    if question.type == "ordering":
        entries.sort(key=lambda pair: (pair[1].form.place.data or len(entries) + 1, pair[0]))
    choices = []
    for _, entry in entries:
        sub = entry.form
        choice = {"text": sub.text.data or "", "rationale": sub.rationale.data or ""}
        if sub.choice_id.data and sub.choice_id.data.isdigit():
            choice["id"] = int(sub.choice_id.data)
        if question.type == "matching":
            choice["target"] = (sub.target.data or "").strip()
        elif question.type != "ordering":
            choice["correct"] = bool(sub.correct.data)
        choices.append(choice)
    changes["choices"] = choices
    version = form.expected_version.data
    options = {"expected_version": int(version) if version and version.isdigit() else None,
               "resolve_reports": bool(form.resolve_reports.data),
               "resolution_note": (form.resolution_note.data or "").strip() or None}
    return Submission(changes, options, errors, [index for index, _ in entries])


PLAIN_FIELDS = ("stem", "explanation", "reference", "objective", "difficulty", "select_count", "is_active",
                "exhibit", "targets")


@dataclass(frozen=True)
class SummaryError:
    """One line of the error summary: the field's element id (None when no field) and the text."""

    target: str | None
    label: str
    message: str


def attach_errors(form: EditorForm, errors: list[FieldError], entry_of: list[int]) -> tuple[list, list[str]]:
    """Put each error next to its field; returns the summary lines and the errors of the choice
    list as a whole."""
    summary, list_errors = [], []
    for error in errors:
        name, _, rest = error.field.partition(".")
        head, _, index = name.partition("[")
        field = None
        message = error.error
        if head in PLAIN_FIELDS:
            field = getattr(form, head)
            if rest or index:
                message = f"{error.field}: {error.error}"
        elif head == "choices" and index:
            position = int(index.rstrip("]"))
            if position < len(entry_of) and entry_of[position] < len(form.choices.entries):
                sub = form.choices.entries[entry_of[position]].form
                field = getattr(sub, rest, None) if rest in ("text", "rationale", "correct", "target") else sub.text
        elif head == "choices":
            list_errors.append(message)
            summary.append(SummaryError("editor-choices", "Choices", message))
            continue
        if field is None:
            summary.append(SummaryError(None, error.field, message))
            continue
        field.errors = list(field.errors) + [message]
        summary.append(SummaryError(field.id, str(field.label.text), message))
    return summary, list_errors

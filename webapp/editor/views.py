"""/admin/questions/<id>/edit: the admin question editor, and each version's diff.

Thin over `webapp.editor.services` (the same edit rule as `PATCH /api/v1/admin/questions/{id}`).
Without JavaScript a save redirects to the new version's diff; with htmx the editor swaps itself
in place, showing the new version and its diff.
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_login import current_user

from webapp.admin.access import admin_blueprint
from webapp.audit.meta import current_request_meta
from webapp.editor import forms, services
from webapp.exceptions import FieldError, ValidationError
from webapp.htmx import is_htmx, render_page_or_fragment

bp = admin_blueprint("editor", __name__)

def _render(question, form, status: int = 200, summary=(), list_errors=(), saved=None):
    return render_page_or_fragment(
        "editor/edit.html", "editor/_editor.html", status=status, question=question, form=form,
        summary=list(summary), list_errors=list(list_errors), saved=saved,
        versions=services.list_versions(question.id), flags_url=url_for("triage.detail", question_id=question.id),
        diff=services.diff(question.id, saved.version.version) if saved else None)


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
def edit(question_id: int):
    """The editor; a POST saves through `edit_question` and reports errors field by field."""
    question = services.get_question(question_id)
    objectives = services.exam_objectives(question)
    form = forms.editor_form(question, objectives, submitted=request.method == "POST")
    if request.method == "GET":
        return _render(question, form)
    form.validate()
    sent = forms.submission(form, question)
    errors = [FieldError(name, " ".join(messages)) for name, messages in form.errors.items()
              if isinstance(messages, list) and name != "choices"] + sent.errors
    try:
        if errors:
            errors += services.check_changes(question, {k: v for k, v in sent.changes.items()
                                                         if k not in {e.field for e in sent.errors}})[2]
            raise ValidationError(errors=errors)
        result = services.edit_question(current_user._get_current_object(), question_id, sent.changes,
                                        current_request_meta(), **sent.options)
    except ValidationError as exc:
        summary, list_errors = forms.attach_errors(form, exc.errors or [FieldError(exc.field or "body", exc.message)],
                                                   sent.entry_of)
        return _render(question, form, 400, summary, list_errors)
    except services.VersionConflict as exc:
        return _render(question, form, 409, [forms.SummaryError(None, "Version", exc.message)])
    if not result.changed or not is_htmx():
        target = (url_for("editor.version", question_id=question_id, number=result.question.version)
                  if result.changed else url_for("editor.edit", question_id=question_id))
        return redirect(target, code=303)
    fresh = forms.editor_form(result.question, objectives, submitted=False)
    return _render(result.question, fresh, saved=result)


@bp.route("/questions/<int:question_id>/versions/<int:number>")
def version(question_id: int, number: int):
    """One version of a question against the version before it."""
    question = services.get_question(question_id)
    return render_template("editor/version.html", question=question, diff=services.diff(question_id, number),
                           versions=services.list_versions(question_id),
                           flags_url=url_for("triage.detail", question_id=question_id))

"""Forms of `/admin/flags`: the queue's GET filter, one report's decision and the dismissals.

The decision and dismissal forms are FlaskForms (CSRF checked on every POST); their `next` is
where a plain form returns without JavaScript (a local path only, made safe by the view).
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SearchField, SelectField, SelectMultipleField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.exceptions import ValidationError
from webapp.models import FeedbackStatus, FeedbackType
from webapp.triage import services


class QueueFilterForm(FlaskForm):
    """The queue's filters (no CSRF: it changes nothing, and its URL is meant to be shared)."""

    class Meta:
        csrf = False

    exam = SelectField("Exam", choices=[], validate_choice=False, id="triage-exam")
    feedback_type = SelectField("Report type", validate_choice=False, id="triage-type", choices=[
        SelectChoice("", "Any type"), *(SelectChoice(kind.value, kind.label) for kind in FeedbackType)])
    status = SelectField("Report status", validate_choice=False, id="triage-status-filter", choices=[
        *(SelectChoice(status.value, status.label) for status in FeedbackStatus),
        SelectChoice(services.ANY_STATUS, "Any status")])
    suspect = BooleanField("Statistically suspect only", id="triage-suspect")
    q = SearchField("Search stems", id="triage-search", validators=[Optional(), Length(max=services.SEARCH_MAX_LENGTH)])
    sort = SelectField("Sort by", validate_choice=False, id="triage-sort", choices=[
        SelectChoice(sort.value, sort.label) for sort in services.QueueSort])

    def filters(self) -> services.QueueFilter:
        """The filters asked for; an unknown value is a ValidationError on its field."""
        try:
            kind = FeedbackType(self.feedback_type.data) if self.feedback_type.data else None
        except ValueError:
            raise ValidationError("Unknown report type.", field="feedback_type") from None
        try:
            sort = services.QueueSort(self.sort.data or services.QueueSort.OPEN_REPORTS)
        except ValueError:
            raise ValidationError("Unknown sort.", field="sort") from None
        search = (self.q.data or "").strip()[:services.SEARCH_MAX_LENGTH] or None
        return services.QueueFilter(exam_slug=self.exam.data or None, feedback_type=kind,
                                    status=services.parse_status(self.status.data), suspect_only=bool(self.suspect.data),
                                    search=search, sort=sort)

    @property
    def query_args(self) -> dict[str, str]:
        """The filters set, as the page's query string (pagination and detail links keep them)."""
        values = {"exam": self.exam.data, "feedback_type": self.feedback_type.data,
                  "status": self.status.data if self.status.data != FeedbackStatus.PENDING else "",
                  "suspect": "y" if self.suspect.data else "", "q": (self.q.data or "").strip(),
                  "sort": self.sort.data if self.sort.data != services.QueueSort.OPEN_REPORTS else ""}
        return {name: value for name, value in values.items() if value}


def filter_form_for(args, exams) -> QueueFilterForm:
    """The filter form read from the query string, its exam choices every exam (retired ones too)."""
    form = QueueFilterForm(formdata=args)
    form.exam.choices = [SelectChoice("", "All exams")] + [SelectChoice(e.slug, f"{e.name} ({e.code})") for e in exams]
    if not form.status.data:
        form.status.data = FeedbackStatus.PENDING.value
    if not form.sort.data:
        form.sort.data = services.QueueSort.OPEN_REPORTS.value
    return form


class DecisionForm(FlaskForm):
    """Resolve or dismiss one report: the button pressed posts `status`."""

    status = HiddenField()
    resolution_note = TextAreaField("Note to the reporter (optional)",
                                    validators=[Length(max=services.RESOLUTION_NOTE_MAX_LENGTH)])
    next = HiddenField()


class DismissForm(FlaskForm):
    """Dismiss every open report of the chosen questions (the queue's checkboxes, or one question)."""

    question_ids = SelectMultipleField("Questions", coerce=int, choices=[], validate_choice=False,
                                       widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    resolution_note = TextAreaField("Note to the reporters (optional)",
                                    validators=[Length(max=services.RESOLUTION_NOTE_MAX_LENGTH)])
    next = HiddenField()

    @property
    def chosen(self) -> list[int]:
        return [int(value) for value in self.question_ids.data or []]

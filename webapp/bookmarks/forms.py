"""Forms of the bookmark toggle, tag and note components and the bookmarks page's filter.

A page shows one toggle, tag form and note per question, so the component templates write their
own inputs (ids made unique with the question id) under these forms' field names; the forms
parse what is posted (CSRF is checked for every POST). The limits shown next to the fields come
from the tag rules and the config.
"""

from __future__ import annotations

from flask import current_app
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from webapp.bookmarks.tags import tag_key
from webapp.models import QuestionSource
from webapp.quiz.forms import StartShortcutForm, start_shortcut_forms


class CsrfForm(FlaskForm):
    """Only the CSRF token: what a component template renders with `hidden_tag()` before its own inputs."""

    _token_markup: Markup | None = None

    def hidden_tag(self, *fields) -> Markup:
        """The hidden inputs. The token alone is rendered once per form and then reused: one form
        serves every component of a page (webapp.bookmarks.views `csrf_form`)."""
        if fields or len(self._fields) > 1:  # a subclass's own hidden fields carry their data
            return super().hidden_tag(*fields)
        if self._token_markup is None:
            self._token_markup = super().hidden_tag()
        return self._token_markup


class ComponentForm(CsrfForm):
    """What every component form posts besides the token: `next`, where to return without JavaScript."""

    next = HiddenField()


class ToggleForm(ComponentForm):
    """Bookmark or un-bookmark: the button posts the state wanted ("1" or "0"), so a repeated
    click changes nothing."""

    bookmarked = HiddenField()

    @property
    def wanted(self) -> bool:
        return self.bookmarked.data == "1"


class TagsForm(ComponentForm):
    tags = StringField("Tags")

    @property
    def tag_list(self) -> list[str]:
        """The names typed, split on commas, blanks dropped (the service checks the rules)."""
        return [name.strip() for name in (self.tags.data or "").split(",") if name.strip()]


class NoteForm(ComponentForm):
    body = TextAreaField("Private note")
    # "save" or "delete": the button pressed.
    action = HiddenField()

    @property
    def deleting(self) -> bool:
        return self.action.data == "delete"


class BookmarkFilterForm(FlaskForm):
    """The bookmarks page's GET filter (no CSRF: it changes nothing, and its URL is shareable)."""

    class Meta:
        csrf = False

    exam = SelectField("Exam", choices=[], validate_choice=False, id="filter-exam")
    objective = SelectField("Objective", choices=[], validate_choice=False, id="filter-objective")
    tag = SelectField("Tag", choices=[], validate_choice=False, id="filter-tag")

    @property
    def query_args(self) -> dict[str, str]:
        """The filters set, as the page's query string (pagination links keep them)."""
        values = {"exam": self.exam.data, "objective": self.objective.data, "tag": self.tag.data}
        return {name: value for name, value in values.items() if value}


def filter_form_for(args, exams, objectives, tags: list[str]) -> BookmarkFilterForm:
    """The filter form read from the query string, its choices the exams the user may see, the
    chosen exam's objectives and the user's tags. An objective of another exam (left over when the
    exam changes) is dropped, so changing the exam never strands the list on an error."""
    form = BookmarkFilterForm(formdata=args)
    form.exam.choices = [SelectChoice("", "All exams")] + [SelectChoice(e.slug, f"{e.name} ({e.code})") for e in exams]
    form.objective.choices = [SelectChoice("", "All objectives")] + [
        SelectChoice(o.code, f"{o.code} {o.title}") for o in objectives]
    if form.objective.data not in {o.code for o in objectives}:
        form.objective.data = ""
    tag_choices = [SelectChoice("", "All tags")] + [SelectChoice(name, name) for name in tags]
    spelled = {tag_key(name): name for name in tags}
    if form.tag.data and tag_key(form.tag.data) in spelled:
        form.tag.data = spelled[tag_key(form.tag.data)]  # ?tag=vpn selects the user's "VPN"
    elif form.tag.data:
        tag_choices.append(SelectChoice(form.tag.data, form.tag.data))  # a shared URL's tag this user lacks
    form.tag.choices = tag_choices
    form.objective.description = "" if objectives else "Choose an exam to filter by its objectives."
    return form


def start_forms_for(exam, exam_filter_tag: str | None, objective_code: str | None) -> list[StartShortcutForm]:
    """The study and the practice form for `exam`, drawing from the bookmarked source, as many
    questions as a quiz may hold (QUIZ_MAX_COUNT; the source shrinks it to the bookmarks there are)."""
    return start_shortcut_forms(exam.slug, QuestionSource.BOOKMARKED, current_app.config["QUIZ_MAX_COUNT"],
                                objective_code=objective_code, tag=exam_filter_tag, id_prefix=f"start-{exam.slug}")

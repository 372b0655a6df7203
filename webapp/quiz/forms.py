"""Forms for starting quizzes and study sessions and taking quizzes. Every state change is a
CSRF-protected POST.

Limits and help text come from the app's config when a form is built, never restated here."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.config_bounds import ConfigBounds
from webapp.bookmarks.tags import MAX_TAG_LENGTH
from webapp.models import QuestionSource, QuizMode


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ConfigNumberRange(ConfigBounds, NumberRange):
    """`NumberRange` whose bounds are config keys, read from the running app each time a form is
    built or validated (so the input's min/max attributes and the check agree with the config)."""

    def __init__(self, min_key: str, max_key: str, message: str | None = None) -> None:
        ConfigBounds.__init__(self, min_key, max_key)
        self.message = message

    @property
    def field_flags(self) -> dict:
        return {"min": self.min, "max": self.max}


class StartQuizForm(FlaskForm):
    exam = HiddenField(validators=[DataRequired()])
    # Study mode starts from this form too (the start view hands it to the study service).
    mode = RadioField("Mode", choices=[SelectChoice(mode.value, mode.label) for mode in QuizMode],
                      default=QuizMode.PRACTICE.value, validators=[InputRequired()])
    count = IntegerField("Number of questions",
                         validators=[Optional(), ConfigNumberRange(min_key="QUIZ_MIN_COUNT", max_key="QUIZ_MAX_COUNT")])
    objectives = MultiCheckboxField("Objectives (optional)", choices=[], validate_choice=False,
                                    description="Leave all unticked to practise the whole exam.")
    timed = BooleanField("Timed", default=True)
    source = SelectField("Source", choices=[SelectChoice(s.value, s.label) for s in QuestionSource],
                         default=QuestionSource.ALL.value, validators=[Optional()])
    tag = StringField("Only bookmarks tagged (optional)", validators=[Optional(), Length(max=MAX_TAG_LENGTH)],
                      description="With “Bookmarked”: leave empty for all your bookmarks.",
                      render_kw={"autocomplete": "off"})

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cfg = current_app.config
        self.count.description = (f"{cfg['QUIZ_MIN_COUNT']} to {cfg['QUIZ_MAX_COUNT']}. "
                                  "Exam simulations always use the real exam's own length.")
        self.timed.label.text = f"Timed ({cfg['QUIZ_SECONDS_PER_QUESTION']} seconds a question, like the real exam)"
        self.source.description = (f"A source other than {QuestionSource.ALL.label.lower()} gives as many as it "
                                   f"holds, up to the number above (even fewer than {cfg['QUIZ_MIN_COUNT']}). "
                                   "Exam simulations always draw from all questions.")
        self.timed.description = "Practice quizzes only: simulations are always timed, study never is."


# The id of the <datalist> offering the learner's bookmark tags to the tag field.
TAG_OPTIONS_ID = "bookmark-tag-options"


def start_form_for(overview, formdata=None, tag_options: list[str] | None = None) -> StartQuizForm:
    """The start form for an exam overview, with its objectives as choices and, when the learner
    has tagged bookmarks in this exam, those tags offered to the tag field."""
    form = StartQuizForm(formdata=formdata) if formdata is not None else StartQuizForm(formdata=None)
    form.exam.data = overview.exam.slug
    form.objectives.choices = [SelectChoice(o.objective.code, f"{o.objective.code} {o.objective.title}")
                               for d in overview.domains for o in d.objectives if o.active]
    if tag_options:
        form.tag.render_kw = {**form.tag.render_kw, "list": TAG_OPTIONS_ID}
    if formdata is None:
        form.count.data = current_app.config["QUIZ_DEFAULT_COUNT"]
        form.timed.data = True
    return form


class ActionForm(FlaskForm):
    """An empty form: the CSRF token for answer, mark, submit and abandon POSTs."""


class RetryForm(FlaskForm):
    """One "retry what I got wrong" button: the exam page's start fields, all hidden, posted to
    quiz.start (which validates them as a StartQuizForm)."""

    exam = HiddenField()
    mode = HiddenField()
    source = HiddenField()
    count = HiddenField()
    timed = HiddenField()


def retry_forms(offers) -> list[tuple[str, RetryForm]]:
    """The retry buttons a finished attempt offers (`services.RetryOffers`), each with its label.
    The count is QUIZ_MAX_COUNT, so the source shrinks it to the questions it holds."""
    wanted = []
    if offers.missed:
        wanted += [("Study the ones I missed", QuizMode.STUDY, QuestionSource.MISSED, False),
                   ("Quiz me on the ones I missed", QuizMode.PRACTICE, QuestionSource.MISSED, True)]
    if offers.marked:
        wanted.append(("Study the ones I marked", QuizMode.STUDY, QuestionSource.MARKED, False))
    count = current_app.config["QUIZ_MAX_COUNT"]
    return [(text, RetryForm(formdata=None, exam=offers.exam_slug, mode=mode.value, source=source.value,
                             count=count, timed="y" if timed else ""))
            for text, mode, source, timed in wanted]


@dataclass(frozen=True)
class ShortcutField:
    """One hidden input of a StartShortcutForm: what a template reads of a WTForms field."""

    id: str
    name: str
    data: object

    def _value(self) -> str:
        return "" if self.data is None else str(self.data)


class StartShortcutForm:
    """A one-button start ("Study these", "Quiz me on it"): the quiz start form's own fields, all
    hidden, posted to quiz.start, which validates them as a StartQuizForm. The bookmarks page
    starts from the bookmarked source, /progress from one weak objective, the dashboard from due
    reviews and recommendations.

    Only ever rendered, never validated, so it is not a FlaskForm: building one cost 0.2 ms (a
    /progress page renders twenty). It writes the markup FlaskForm.hidden_tag wrote: each field,
    then the request's CSRF token (`generate_csrf`, the same token every form of the request
    carries), each input's id starting with the form's `id_prefix`."""

    def __init__(self, values: dict[str, object], id_prefix: str) -> None:
        self._fields = [ShortcutField(f"{id_prefix}-{name}", name, value) for name, value in values.items()]
        self._csrf_id = f"{id_prefix}-csrf_token"

    def __getattr__(self, name: str) -> ShortcutField:
        for field in self.__dict__.get("_fields", ()):
            if field.name == name:
                return field
        raise AttributeError(name)

    def __iter__(self):
        return iter(self._fields)

    def hidden_tag(self) -> Markup:
        inputs = [(f.id, f.name, f._value()) for f in self._fields] + [(self._csrf_id, "csrf_token", generate_csrf())]
        return Markup("\n".join(f'<input id="{escape(id_)}" name="{escape(name)}" type="hidden" value="{escape(value)}">'
                                 for id_, name, value in inputs))


def start_shortcut_forms(exam_slug: str, source: QuestionSource, count: int, objective_code: str | None = None,
                         tag: str | None = None, id_prefix: str = "start") -> list[StartShortcutForm]:
    """The study and the practice (timed) form for one exam, source and optional objective and tag.
    Fields left empty are left out, so the quiz start never reads an empty tag or objective; the
    ids start with `id_prefix`, which must be unique on the page."""
    forms = []
    for mode in (QuizMode.STUDY, QuizMode.PRACTICE):
        values = {"exam": exam_slug, "mode": mode.value, "source": source.value, "count": count, "tag": tag,
                  "objectives": objective_code, "timed": "y" if mode == QuizMode.PRACTICE else None}
        kept = {name: value for name, value in values.items() if value or name not in ("tag", "objectives", "timed")}
        forms.append(StartShortcutForm(kept, f"{id_prefix}-{mode.value}"))
    return forms

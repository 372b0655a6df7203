"""Forms for starting quizzes and study sessions and taking quizzes. Every state change is a
CSRF-protected POST.

Limits and help text come from the app's config when a form is built, never restated here."""

from __future__ import annotations

from flask import current_app
from flask_wtf import FlaskForm
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


class StartShortcutForm(FlaskForm):
    """A one-button start ("Study these", "Quiz me on it"): the quiz start form's own fields, all
    hidden, posted to quiz.start (which validates them as a StartQuizForm). The bookmarks page
    starts from the bookmarked source, /progress from one weak objective."""

    exam = HiddenField()
    mode = HiddenField()
    source = HiddenField()
    count = HiddenField()
    tag = HiddenField()
    objectives = HiddenField()
    timed = HiddenField()

    def hidden_tag(self, *fields) -> Markup:
        """Every field (all hidden), written as FlaskForm.hidden_tag writes them but without
        WTForms' attribute-by-attribute formatting: a page renders eight of these forms, which
        took 3 ms that way."""
        if fields:
            return super().hidden_tag(*fields)
        return Markup("\n".join(f'<input id="{escape(f.id)}" name="{escape(f.name)}" type="hidden" '
                                 f'value="{escape(f._value())}">' for f in self))


def start_shortcut_forms(exam_slug: str, source: QuestionSource, count: int, objective_code: str | None = None,
                         tag: str | None = None, id_prefix: str = "start") -> list[StartShortcutForm]:
    """The study and the practice (timed) form for one exam, source and optional objective and tag.
    Fields left empty are left out, so the quiz start never reads an empty tag or objective; the
    ids start with `id_prefix`, which must be unique on the page."""
    forms = []
    for mode in (QuizMode.STUDY, QuizMode.PRACTICE):
        form = StartShortcutForm(formdata=None, data={
            "exam": exam_slug, "mode": mode.value, "source": source.value, "count": count, "tag": tag,
            "objectives": objective_code, "timed": "y" if mode == QuizMode.PRACTICE else None})
        for name in ("tag", "objectives", "timed"):
            if not form[name].data:
                delattr(form, name)
        for field in form:
            field.id = f"{id_prefix}-{mode.value}-{field.name}"
        forms.append(form)
    return forms

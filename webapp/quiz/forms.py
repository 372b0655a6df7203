"""Forms for starting and taking quizzes. Every state change is a CSRF-protected POST."""

from __future__ import annotations

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class StartQuizForm(FlaskForm):
    exam = HiddenField(validators=[DataRequired()])
    mode = RadioField("Mode", choices=[SelectChoice("practice", "Practice quiz"), SelectChoice("exam", "Exam simulation")],
                      default="practice", validators=[InputRequired()])
    count = IntegerField("Number of questions", default=30, validators=[Optional(), NumberRange(min=5, max=90)],
                         description="5 to 90. Exam simulations always use the real exam's 90.")
    objectives = MultiCheckboxField("Objectives (optional)", choices=[], validate_choice=False,
                                    description="Leave all unticked to practise the whole exam.")
    timed = BooleanField("Timed (72 seconds a question, like the real exam)", default=True)


def start_form_for(overview, formdata=None) -> StartQuizForm:
    """The start form for an exam overview, with its objectives as choices."""
    form = StartQuizForm(formdata=formdata) if formdata is not None else StartQuizForm(formdata=None)
    form.exam.data = overview.exam.slug
    form.objectives.choices = [SelectChoice(o.objective.code, f"{o.objective.code} {o.objective.title}")
                               for d in overview.domains for o in d.objectives if o.active]
    if formdata is None:
        form.count.data = current_app.config["QUIZ_DEFAULT_COUNT"]
        form.timed.data = True
    return form


class ActionForm(FlaskForm):
    """An empty form: the CSRF token for answer, mark, submit and abandon POSTs."""

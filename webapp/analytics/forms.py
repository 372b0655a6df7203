"""The /progress page's GET filter (period and exam) and its weak areas' start buttons."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField
from wtforms.fields.choices import SelectChoice

from webapp.analytics.services import WeakDomain
from webapp.models import AnalyticsPeriod, QuestionSource
from webapp.quiz.forms import StartShortcutForm, start_shortcut_forms


class ProgressFilterForm(FlaskForm):
    """No CSRF: it changes nothing, and its URL is shareable. The services check the values."""

    class Meta:
        csrf = False

    period = RadioField("Period", choices=[SelectChoice(p.value, p.label) for p in AnalyticsPeriod],
                        default=AnalyticsPeriod.MONTH.value, validate_choice=False)
    exam = SelectField("Exam", choices=[], validate_choice=False, id="progress-exam")

    @property
    def query_args(self) -> dict[str, str]:
        """The filter as the query string the chart fragments and the pushed URL carry."""
        return {"period": self.period.data, **self.exam_args}

    @property
    def exam_args(self) -> dict[str, str]:
        """The exam alone (the objective charts have no period), or nothing for every exam."""
        return {"exam": self.exam.data} if self.exam.data else {}


def filter_form_for(args, exams) -> ProgressFilterForm:
    """The filter read from the query string, offering the exams the learner may see."""
    form = ProgressFilterForm(formdata=args if args else None)
    form.exam.choices = [SelectChoice("", "All exams")] + [SelectChoice(e.slug, f"{e.name} ({e.code})") for e in exams]
    form.period.data = form.period.data or AnalyticsPeriod.MONTH.value
    form.exam.data = form.exam.data or ""
    return form


def weak_start_forms(weak: WeakDomain, count: int) -> list[StartShortcutForm]:
    """"Study this objective" and "Quiz me on it": all the objective's questions, `count` of them."""
    return start_shortcut_forms(weak.exam_type, QuestionSource.ALL, count, objective_code=weak.domain,
                                id_prefix=f"weak-{weak.exam_type}-{weak.domain.replace('.', '-')}")

"""Forms of the goals page and the goal meter. The forms parse what is posted (CSRF is checked on
every POST); the goals service checks the rules (bounds, dates), for the forms and the API alike."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField

from webapp.models.enums import GoalType


class GoalForm(FlaskForm):
    """Set or replace one daily goal: its type (hidden: the page has one form per type) and target."""

    goal_type = HiddenField()
    target = IntegerField("Daily target")


class ExamDateForm(FlaskForm):
    """The day the learner sits an exam; `exam` is an exam slug from the visible exams."""

    exam = SelectField("Exam", choices=[], validate_choice=False)
    exam_on = DateField("Exam date")


class CsrfOnlyForm(FlaskForm):
    """A delete button: nothing but the CSRF token."""


class AnnouncedForm(FlaskForm):
    """"Goal reached" was shown for this local day (ISO date)."""

    day = HiddenField()


GOAL_TYPES = tuple(GoalType)

"""Forms of the "Report a problem" component and the dashboard's resolution notice.

A page shows one report control per question, so the component template writes its own inputs
(ids made unique with the question id) under these forms' field names; the forms parse what is
posted (CSRF is checked for every POST) and the service checks the rules, for the form and the
API alike.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import FieldList, HiddenField, IntegerField, TextAreaField


class ReportForm(FlaskForm):
    """The report: its type (a `FeedbackType` value, checked by the service), the comment, and
    `next`, where the plain form returns."""

    feedback_type = HiddenField()
    comment = TextAreaField("Comment")
    next = HiddenField()


class SeenForm(FlaskForm):
    """The dashboard's resolution notices that were shown (their report ids)."""

    report_ids = FieldList(IntegerField(), min_entries=0)

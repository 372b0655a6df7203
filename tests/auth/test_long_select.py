"""The account page's time zone select (webapp.account.forms.LongListSelect) writes exactly the
markup of WTForms' own Select, whatever is selected, with every value escaped."""

from __future__ import annotations

import pytest
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import DataRequired
from wtforms.widgets import Select

from webapp.account.forms import LongListSelect
from webapp.auth.services import timezone_choices

ODD = ["A&B/<x>", 'Quote/"q"', "Europe/London", "Zulu"]


def _render(app, widget, choices: list[str], data: str | None, **attrs) -> str:
    class Form(FlaskForm):
        timezone = SelectField("Time zone", validators=[DataRequired()], widget=widget)

    with app.test_request_context("/"):
        form = Form(meta={"csrf": False}, data={"timezone": data})
        form.timezone.choices = choices
        return str(form.timezone(**attrs))


@pytest.mark.parametrize("data", ["Europe/London", "A&B/<x>", "Not/Listed", None])
def test_same_markup_as_wtforms_select(app, data):
    """Selected, escaped, unlisted and empty values render as WTForms' Select renders them."""
    ours = _render(app, LongListSelect(), ODD, data, **{"aria-describedby": "tz-help"})
    theirs = _render(app, Select(), ODD, data, **{"aria-describedby": "tz-help"})
    assert ours == theirs
    assert ('selected value="' in ours) == (data in ODD)


def test_every_time_zone_renders_as_wtforms_does(app):
    """Over the real list of time zones the output is identical, and names the chosen one once."""
    zones = timezone_choices()
    ours = _render(app, LongListSelect(), zones, "America/New_York")
    assert ours == _render(app, Select(), zones, "America/New_York")
    assert ours.count("selected") == 1 and ours.count("<option") == len(zones)

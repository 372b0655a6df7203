"""Account forms. Every sensitive action asks for the current password."""

from __future__ import annotations

from functools import lru_cache

from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import Select, html_params

from webapp.auth.passwords import MIN_LENGTH


@lru_cache(maxsize=4)
def _options(values: tuple[str, ...]) -> tuple[tuple[str, Markup], ...]:
    return tuple((value, Markup(f'<option value="{escape(value)}">{escape(value)}</option>')) for value in values)


class LongListSelect(Select):
    """A select over a long, fixed list of plain choices (the ~600 time zones), writing the markup
    WTForms' Select writes, with each option's markup built once per list: only the selected one
    is written afresh. WTForms formats every option's attributes on each render, which was most
    of the account page's 29 ms."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for key in dir(flags):
            if key in self.validation_attrs and key not in kwargs:
                kwargs[key] = getattr(flags, key)
        selected = field.data
        html = [f"<select {html_params(name=field.name, **kwargs)}>"]
        html += [Markup(f'<option selected value="{escape(value)}">{escape(value)}</option>') if value == selected
                 else markup for value, markup in _options(tuple(field.choices))]
        html.append("</select>")
        return Markup("".join(html))


class ProfileForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    timezone = SelectField("Time zone", validators=[DataRequired()], widget=LongListSelect(),
                           description="Streaks count days in this time zone, and times are shown in it.")
    show_on_leaderboard = BooleanField("Show me on the leaderboard")
    current_password = PasswordField("Current password (only to change your email)", validators=[Optional()])


class DigestForm(FlaskForm):
    digest_opt_in = BooleanField("Email me a weekly digest",
                                 description="Once a week: what you answered, your accuracy, goal days and weak areas. "
                                             "Every email has a one-click unsubscribe link.")


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(max=1024)],
                                 description=f"At least {MIN_LENGTH} characters. Signing in elsewhere ends when you change it.")


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(max=64)],
                       description="For example the script or device that will use it.")
    current_password = PasswordField("Current password", validators=[DataRequired()])


class RevokeTokenForm(FlaskForm):
    """CSRF-protected POST to revoke a token."""


class ExportForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])


class DeleteAccountForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    confirm = StringField('Type "delete my account" to confirm', validators=[DataRequired()])

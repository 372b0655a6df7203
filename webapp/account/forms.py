"""Account forms. Every sensitive action asks for the current password."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from webapp.auth.passwords import MIN_LENGTH


class ProfileForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    timezone = SelectField("Time zone", validators=[DataRequired()],
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

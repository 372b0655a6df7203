"""Sign-in and registration forms. Rules beyond "present and well-formed" live in services."""

from __future__ import annotations

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from webapp.auth.passwords import MIN_LENGTH


class RegisterForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    username = StringField("Username", validators=[DataRequired(), Length(max=64)],
                           description="3–32 characters: lower-case letters, digits, _ and -. Shown on the leaderboard.")
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)],
                             description=f"At least {MIN_LENGTH} characters. A passphrase of a few unrelated words works well.")


class LoginForm(FlaskForm):
    login = StringField("Email or username", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    remember = BooleanField("Keep me signed in")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The label quotes the server-side limit, so it can't drift from config.
        self.remember.label.text = f"Keep me signed in for {current_app.config['REMEMBER_COOKIE_MAX_AGE_DAYS']} days"


class LogoutForm(FlaskForm):
    """Sign-out is a POST with a CSRF token, never a GET link."""

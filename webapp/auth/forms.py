"""Sign-in and registration forms. Rules beyond "present and well-formed" live in services."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class RegisterForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    username = StringField("Username", validators=[DataRequired(), Length(max=64)],
                           description="3–32 characters: lower-case letters, digits, _ and -. Shown on the leaderboard.")
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)],
                             description="At least 12 characters. A passphrase of a few unrelated words works well.")


class LoginForm(FlaskForm):
    login = StringField("Email or username", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    remember = BooleanField("Keep me signed in for 30 days")


class LogoutForm(FlaskForm):
    """Sign-out is a POST with a CSRF token, never a GET link."""

"""Site-wide `flask` commands. Feature commands live with their feature and register here."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from webapp.digest.cli import digest_cli
from webapp.exceptions import AppError
from webapp.gamification.cli import gamification_cli
from webapp.learning.cli import reviews_cli
from webapp.questions.cli import exit_with_error, questions_cli


@click.command("load-bank")
@with_appcontext
def load_bank_command() -> None:
    """Load the bundled question bank if the database has no questions (idempotent)."""
    from webapp.questions.bank import load_bundled_bank_if_empty

    try:
        loaded = load_bundled_bank_if_empty()
    except AppError as exc:
        exit_with_error(exc)
    click.echo(loaded.summary())


@click.command("create-admin")
@click.argument("email")
@click.option("--username", help="Username for a new account (ignored when promoting).")
@click.option("--generate-password", is_flag=True, help="Generate a strong password and print it once.")
@with_appcontext
def create_admin_command(email: str, username: str | None, generate_password: bool) -> None:
    """Create an admin account, or promote an existing account to admin."""
    from webapp.audit.services import RequestMeta
    from webapp.auth.services import create_or_promote_admin, find_user_by_login

    password = None
    if find_user_by_login(email) is None and not generate_password:
        password = click.prompt("Password for the new admin", hide_input=True, confirmation_prompt=True)
    try:
        result = create_or_promote_admin(email, username, password, RequestMeta(user_agent="flask create-admin"))
    except AppError as exc:
        exit_with_error(exc)
    if result.created:
        click.echo(f"Created admin {result.user.username} <{result.user.email}>.")
        if result.generated_password:
            click.echo(f"Generated password (shown once): {result.generated_password}")
    else:
        click.echo(f"Promoted {result.user.username} <{result.user.email}> to admin.")


@click.command("deactivate-user")
@click.argument("login")
@with_appcontext
def deactivate_user_command(login: str) -> None:
    """Deactivate an account by email or username: its sessions and API tokens end at once."""
    from webapp.audit.services import RequestMeta
    from webapp.auth.services import find_user_by_login, set_active

    user = find_user_by_login(login)
    if user is None:
        raise click.ClickException(f"No account matches {login!r}.")
    set_active(user, False, RequestMeta(user_agent="flask deactivate-user"))
    click.echo(f"Deactivated {user.username}; every session and token of it has ended.")


def register_cli(app: Flask) -> None:
    """Attach every command group to the app."""
    app.cli.add_command(load_bank_command)
    app.cli.add_command(questions_cli)
    app.cli.add_command(create_admin_command)
    app.cli.add_command(gamification_cli)
    app.cli.add_command(deactivate_user_command)
    app.cli.add_command(digest_cli)
    app.cli.add_command(reviews_cli)

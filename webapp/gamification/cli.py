"""`flask gamification ...` commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

gamification_cli = AppGroup("gamification", help="XP, streaks and achievements.")


@gamification_cli.command("recompute")
def recompute_command() -> None:
    """Rebuild XP, weekly XP, streaks and achievements from the attempts; report any drift."""
    from webapp.gamification.services import recompute_all

    drift = recompute_all()
    click.echo(drift.summary())
    click.echo("Drift found and repaired." if drift.any else "No drift: everything matched the attempts.")

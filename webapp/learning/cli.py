"""`flask reviews ...` commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

reviews_cli = AppGroup("reviews", help="Spaced review cards and mastery, derived from the answer history.")


@reviews_cli.command("rebuild")
@click.option("--user", "user_ids", type=int, multiple=True, help="Only this learner's (repeatable); default: everyone.")
def rebuild_command(user_ids: tuple[int, ...]) -> None:
    """Rebuild every review card, its review log and the mastery rows from the answers (idempotent)."""
    from webapp.extensions import db
    from webapp.learning.services import rebuild

    cards, rows = rebuild(list(user_ids) or None)
    db.session.commit()
    click.echo(f"Rebuilt {cards} review cards and {rows} mastery rows.")

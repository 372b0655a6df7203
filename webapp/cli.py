"""Site-wide `flask` commands. Feature commands live with their feature and register here."""

from __future__ import annotations

import click
from flask import Flask


@click.command("load-bank")
def load_bank_command() -> None:
    """Load the bundled question bank if the database has no questions (idempotent)."""
    from webapp.questions import loader

    if loader is None:
        click.echo("No question bank is bundled yet; nothing to load.")
        return
    loaded = loader.load_bundled_bank_if_empty()
    click.echo(loaded.summary())


def register_cli(app: Flask) -> None:
    """Attach every command group to the app."""
    app.cli.add_command(load_bank_command)

"""`flask digest ...` commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

digest_cli = AppGroup("digest", help="The opt-in weekly digest email.")


@digest_cli.command("send")
@click.option("--dry-run", is_flag=True, help="Print who would get the digest; send and write nothing.")
@click.option("--week", metavar="YYYY-Www", help="The ISO week (UTC) to report; default: the last complete one.")
def send_command(dry_run: bool, week: str | None) -> None:
    """Send the weekly digest to every opted-in learner, at most once per learner per week."""
    from webapp.digest.services import IsoWeek, send_digests
    from webapp.exceptions import AppError

    try:
        chosen = IsoWeek.parse(week) if week is not None else IsoWeek.last_complete()
    except AppError as exc:
        raise click.BadParameter(exc.message, param_hint="--week") from exc
    report = send_digests(chosen, dry_run=dry_run)
    click.echo(report.summary())
    if report.failed:
        raise SystemExit(1)

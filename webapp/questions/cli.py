"""`flask questions import|export|stats|item-stats`: manage the question bank from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from webapp.exceptions import AppError
from webapp.questions import bank, item_stats, services

DEFAULT_EXPORT_DIR = "question-bank-export"

questions_cli = AppGroup("questions", help="Import, export and count the question bank.")


def exit_with_error(exc: AppError) -> None:
    """Print a domain error (and each bank problem on its own line) to stderr and exit 1."""
    for problem in getattr(exc, "problems", []):
        click.echo(str(problem), err=True)
    click.echo(f"Error: {exc.message}", err=True)
    raise click.exceptions.Exit(1) from exc


@questions_cli.command("import")
@click.option("--deactivate-missing", is_flag=True,
              help="Make stored questions inactive when the import no longer holds them. Only exams whose "
                   "exam.json is part of the import are affected; questions are never deleted.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def import_command(deactivate_missing: bool, paths: tuple[Path, ...]) -> None:
    """Import exam folders or question files; all or nothing, one line per problem."""
    try:
        summary = bank.import_bank(paths, deactivate_missing=deactivate_missing)
    except AppError as exc:
        exit_with_error(exc)
    click.echo(summary.summary())


@questions_cli.command("export")
@click.option("--exam", "exam_slug", metavar="SLUG", help="Export only this exam (default: all).")
@click.argument("path", required=False, default=DEFAULT_EXPORT_DIR, type=click.Path(path_type=Path))
def export_command(exam_slug: str | None, path: Path) -> None:
    """Write a folder per exam (exam.json + questions.json) under PATH."""
    try:
        summary = bank.export_bank(path, exam_slug=exam_slug)
    except AppError as exc:
        exit_with_error(exc)
    click.echo(summary.summary())


@questions_cli.command("stats")
def stats_command() -> None:
    """Show question counts per exam, domain and objective (inactive ones in brackets)."""
    exams = services.bank_stats()
    if not exams:
        click.echo("No exams loaded. Run `flask load-bank` or `flask questions import PATH`.")
        return
    for item in exams:
        exam = item.exam
        state = "" if exam.is_active else " (inactive exam)"
        click.echo(f"{exam.slug} {exam.code} {exam.name}: {_count(item.active, item.total)}{state}")
        for domain in item.domains:
            click.echo(f"  {domain.domain.number} {domain.domain.name} ({domain.domain.weight_percent}%): "
                       f"{_count(domain.active, domain.total)}")
            for objective in domain.objectives:
                click.echo(f"    {objective.objective.code} {objective.objective.title}: "
                           f"{_count(objective.active, objective.total)}")


def _count(active: int, total: int) -> str:
    inactive = total - active
    return f"{active} question{'' if active == 1 else 's'}" + (f" [+{inactive} inactive]" if inactive else "")


@questions_cli.command("item-stats")
def item_stats_command() -> None:
    """Recompute every question's item statistics from learners' first attempts (docs/ITEM_STATISTICS.md).

    Safe while the app serves; run it nightly."""
    summary = item_stats.compute_item_stats()
    click.echo(summary.summary())

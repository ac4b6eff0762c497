"""`portal backup PATH` (SPEC §10)."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(path: str) -> None:
    """Write an online copy of the database to PATH (never overwrites)."""
    from webapp.backup.service import BackupError, backup_to

    try:
        backup = backup_to(path, current_app.config["PORTAL_DATABASE_URL"])
    except BackupError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    for leftover in backup.leftovers_removed:
        click.echo(f"removed {leftover}: left by an interrupted backup", err=True)
    click.echo(f"backup written: {backup.path} ({backup.size} bytes, {backup.kind})")

"""`portal accounts sweep-dormant [--as-of DATE] [--dry-run]` (SPEC §10)."""
from __future__ import annotations

import sys
import unicodedata
from datetime import date

import click
from flask.cli import with_appcontext

from webapp.clock import JST


@click.group("accounts")
def accounts_group() -> None:
    """User accounts."""


def _parse_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(unicodedata.normalize("NFKC", text).strip())
    except ValueError:
        click.echo(f"error: malformed date {text!r}: use YYYY-MM-DD (a day in Japan)", err=True)
        sys.exit(2)


@accounts_group.command("sweep-dormant")
@click.option("--as-of", "as_of", default=None, help="The day to judge (YYYY-MM-DD, Japan); today by default.")
@click.option("--dry-run", is_flag=True, help="List who would be warned or suspended; change nothing.")
@with_appcontext
def sweep_dormant_command(as_of: str | None, dry_run: bool) -> None:
    """Warn, then suspend, accounts without a sign-in for PORTAL_DORMANT_DAYS."""
    from webapp.dormancy.service import SweepAhead, sweep

    try:
        report = sweep(_parse_date(as_of), dry_run=dry_run)
    except SweepAhead as ahead:
        click.echo(f"error: --as-of {ahead} is in the future: only a dry run may look ahead (a real sweep "
                   "would suspend people who have not been warned and may still sign in); add --dry-run",
                   err=True)
        sys.exit(2)
    verb = ("would suspend", "would warn") if dry_run else ("suspended", "warned")
    for label, entries in ((verb[0], report.suspended), (verb[1], report.warned), ("kept", report.kept)):
        for entry in entries:
            user = entry.user
            click.echo(f"{label}\t{user.login_id}\t{user.organisation.name}\t"
                       f"last activity {entry.last_activity.astimezone(JST).date().isoformat()}\t"
                       f"suspension day {entry.suspend_on.isoformat()}"
                       + ("\t(the last active system administrator)" if label == "kept" else ""))
    click.echo(f"{report.as_of.isoformat()}: {len(report.suspended)} {verb[0]}, {len(report.warned)} {verb[1]}"
               + (" (dry run, nothing changed)" if dry_run else ""))

"""`portal reviews remind [--as-of DATE]`: the scheduled reminder, for cron."""
from __future__ import annotations

import sys
from datetime import date

import click
from flask.cli import with_appcontext


@click.group("reviews")
def reviews_group() -> None:
    """Monthly access reviews."""


_EARLIEST = date(2000, 1, 1)


def _parse_date(text: str | None) -> date | None:
    if text is None:
        return None
    from webapp.review.service import today

    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        click.echo(f"error: malformed date {text!r}: use YYYY-MM-DD (a day in Japan)", err=True)
        sys.exit(2)
    if day < _EARLIEST:  # the month before it is computed, and year 1 has none
        click.echo(f"error: {day.isoformat()} is before {_EARLIEST.isoformat()}", err=True)
        sys.exit(2)
    if day > today():
        # A reminder dated in the future would hold back the real ones until that day.
        click.echo(f"error: {day.isoformat()} is after today ({today().isoformat()} in Japan)", err=True)
        sys.exit(2)
    return day


@reviews_group.command("remind")
@click.option("--as-of", "as_of", default=None, help="The day to judge (YYYY-MM-DD, Japan); today by default.")
@with_appcontext
def remind_command(as_of: str | None) -> None:
    """Open last month's reviews; mail the people who must sign the unsigned ones (once a day)."""
    from webapp.review.reminders import remind

    report = remind(_parse_date(as_of))
    for item in report.reminded:
        review = item.review
        click.echo(f"{'overdue' if item.overdue else 'due'}\t{review.organisation.name}\t{review.month}\t"
                   f"due {review.due_on.isoformat()}\t"
                   f"mailed {','.join(person.login_id for person in item.recipients) or '(nobody)'}")
    click.echo(f"{report.as_of.isoformat()}: {report.opened} opened, {len(report.reminded)} reminded")

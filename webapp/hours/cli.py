"""`portal hours status|calendar|end-sessions` (SPEC §10): thin over the service.

Operators script these, so the output is stable and machine-readable
(calendar.format_status_line / format_month) and every refusal is one line
on stderr with exit code 2.
"""
from __future__ import annotations

import re
import sys
import unicodedata
from datetime import datetime

import click
from flask.cli import with_appcontext

from webapp import clock
from webapp.hours import calendar, service
from webapp.hours.calendar import JST, HoursProfile, UnknownProfile

_MONTH = re.compile(r"(\d{4})-(\d{2})")
# Beyond these years the question is a typo, and the 400-day search would overflow datetime.
YEARS = range(1900, 3000)


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def parse_instant(text: str) -> datetime:
    """ISO 8601; without an offset the time is Japan time (never the server's zone)."""
    try:
        parsed = datetime.fromisoformat(unicodedata.normalize("NFKC", text).strip())
    except ValueError:
        raise ValueError(f"malformed instant {text!r}: use ISO 8601, e.g. 2025-02-11T09:00 "
                         "(Japan time) or 2025-02-11T00:00:00+00:00") from None
    if parsed.year not in YEARS:
        raise ValueError(f"instant {text!r} is out of range (years {YEARS.start}-{YEARS.stop - 1})")
    return parsed.replace(tzinfo=JST) if parsed.tzinfo is None else parsed


def _profile(name: str | None) -> HoursProfile:
    chosen = name if name is not None else service.system_profile_name()
    try:
        return service.resolve_profile(chosen)
    except UnknownProfile:
        _fail(f"unknown profile {chosen!r}: choose one of {', '.join(service.profile_names())}")
        raise  # unreachable: _fail exits


@click.group("hours")
def hours_group() -> None:
    """Business hours (機能提供時間) in Japan time."""


@hours_group.command("status")
@click.option("--at", "at", metavar="ISO-DATETIME", help="Instant to ask about (default: now; no offset = Japan time).")
@click.option("--profile", metavar="P", help="Profile name (default: the system-wide profile).")
@with_appcontext
def status_command(at: str | None, profile: str | None) -> None:
    """Print open/closed, the reason and the next change."""
    try:
        instant = parse_instant(at) if at is not None else clock.now()
    except ValueError as exc:
        _fail(str(exc))
        return
    resolved = _profile(profile)
    click.echo(calendar.format_status_line(service.status_of_profile(resolved, instant)))


@hours_group.command("calendar")
@click.argument("month", metavar="YYYY-MM")
@click.option("--profile", metavar="P", help="Profile name (default: the system-wide profile).")
@with_appcontext
def calendar_command(month: str, profile: str | None) -> None:
    """Print one month, a line per day, with holidays and closures."""
    match = _MONTH.fullmatch(month.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) not in YEARS:
        _fail(f"malformed month {month!r}: use YYYY-MM, e.g. 2025-02 (years {YEARS.start}-{YEARS.stop - 1})")
        return
    year, number = int(match.group(1)), int(match.group(2))
    resolved = _profile(profile)
    first = datetime(year, number, 1, tzinfo=JST)
    closures = service.calendar_closures(first, days=32)
    click.echo(calendar.format_month(year, number, resolved, closures, service.year_end_days()))


@hours_group.command("end-sessions")
@with_appcontext
def end_sessions_command() -> None:
    """End the sessions of users whose hours are over (for cron; the scheduler does it too)."""
    from webapp.hours.enforcement import end_sessions_outside_hours

    click.echo(f"ended {end_sessions_outside_hours()} sessions")
